/** Operator routes: create and list accounts. */
import { createRoute, z } from "@hono/zod-openapi";
import { makeKey } from "../../domain/keys";
import { randomId, sha256Hex } from "../../platform/crypto";
import { unwrap } from "../../platform/result";
import { account, directory } from "../../platform/stubs";
import { AccountCreatedSchema, AccountCreateSchema } from "../../schemas/account";
import { errorResponses } from "../../schemas/common";
import { operatorAuth } from "../middleware/auth";
import { createRouter, OPERATOR } from "../router";

const app = createRouter();
app.use("/v1/accounts", operatorAuth());

const create = createRoute({
  method: "post",
  path: "/v1/accounts",
  tags: ["accounts"],
  summary: "Create an account (operator token). Returns the admin key once.",
  security: OPERATOR,
  request: { body: { required: true, content: { "application/json": { schema: AccountCreateSchema } } } },
  responses: { 201: { description: "Created", content: { "application/json": { schema: AccountCreatedSchema } } }, ...errorResponses },
});

app.openapi(create, async (c) => {
  const body = c.req.valid("json");
  const id = randomId();
  const adminKey = makeKey("admin", id);
  const siteKey = makeKey("site", id);
  const now = Date.now();
  const created = unwrap(
    await account(c.env, id).create({ id, name: body.name, allowedOrigins: body.allowedOrigins, adminKeyHash: await sha256Hex(adminKey), siteKey, now }),
  );
  await directory(c.env).registerAccount(id, body.name, now);
  return c.json({ account: created, adminKey, siteKey }, 201);
});

const list = createRoute({
  method: "get",
  path: "/v1/accounts",
  tags: ["accounts"],
  summary: "List accounts (operator token).",
  security: OPERATOR,
  responses: {
    200: {
      description: "Accounts",
      content: { "application/json": { schema: z.object({ accounts: z.array(z.object({ id: z.string(), name: z.string(), createdAt: z.number() })) }) } },
    },
    ...errorResponses,
  },
});

app.openapi(list, async (c) => c.json({ accounts: await directory(c.env).listAccounts() }, 200));

export default app;
