/** The signed-in account: settings and key rotation (admin key). */
import { createRoute } from "@hono/zod-openapi";
import { makeKey } from "../../domain/keys";
import { sha256Hex } from "../../platform/crypto";
import { unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import { AccountPatchSchema, AccountSchema, RotatedKeySchema, RotateKeySchema } from "../../schemas/account";
import { errorResponses } from "../../schemas/common";
import { adminAuth } from "../middleware/auth";
import { ADMIN, createRouter, json } from "../router";

const app = createRouter();
app.use("/v1/account", adminAuth());
app.use("/v1/account/*", adminAuth());

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/account",
    tags: ["account"],
    summary: "The account of the admin key.",
    security: ADMIN,
    responses: { 200: { description: "Account", ...json(AccountSchema) }, ...errorResponses },
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).getAccount()), 200),
);

app.openapi(
  createRoute({
    method: "patch",
    path: "/v1/account",
    tags: ["account"],
    summary: "Change the name or the allowed origins (exact origins or https://*.example.com).",
    security: ADMIN,
    request: { body: { required: true, ...json(AccountPatchSchema) } },
    responses: { 200: { description: "Account", ...json(AccountSchema) }, ...errorResponses },
  }),
  async (c) => c.json(unwrap(await account(c.env, c.var.accountId).updateAccount(c.req.valid("json"), Date.now())), 200),
);

app.openapi(
  createRoute({
    method: "post",
    path: "/v1/account/keys/rotate",
    tags: ["account"],
    summary: "Replace the admin or the site key; the old one stops working at once.",
    security: ADMIN,
    request: { body: { required: true, ...json(RotateKeySchema) } },
    responses: { 200: { description: "The new key (an admin key is shown only here)", ...json(RotatedKeySchema) }, ...errorResponses },
  }),
  async (c) => {
    const { key } = c.req.valid("json");
    const value = makeKey(key, c.var.accountId);
    unwrap(await account(c.env, c.var.accountId).rotateKey(key, key === "admin" ? await sha256Hex(value) : value, Date.now()));
    return c.json({ key, value }, 200);
  },
);

export default app;
