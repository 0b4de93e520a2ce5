/** POST /v1/sizing — how many numbers to buy, by the formula and by a target early-recycle rate. */
import { createRoute } from "@hono/zod-openapi";
import { sizePools } from "../../domain/sizing";
import { errorResponses } from "../../schemas/common";
import { SizingRequestSchema, SizingResponseSchema } from "../../schemas/sizing";
import { adminAuth } from "../middleware/auth";
import { ADMIN, createRouter } from "../router";

const app = createRouter();
app.use("/v1/sizing", adminAuth());

app.openapi(
  createRoute({
    method: "post",
    path: "/v1/sizing",
    tags: ["pools"],
    summary: "Numbers per pool and in total for a traffic estimate (see README: Pool sizing).",
    security: ADMIN,
    request: { body: { required: true, content: { "application/json": { schema: SizingRequestSchema } } } },
    responses: { 200: { description: "Sizes", content: { "application/json": { schema: SizingResponseSchema } } }, ...errorResponses },
  }),
  (c) => {
    const input = c.req.valid("json");
    const answer = sizePools(input);
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    const recommendation =
      `Buy ${answer.target.numbersPerPool} numbers per pool (${answer.target.totalNumbers} in total): then at most ${pct(input.target)} of new sessions ` +
      `get a number recycled early. The plain formula's ${answer.formula.numbersPerPool} per pool would recycle early for about ${pct(answer.formula.earlyRecycleShare)}.`;
    return c.json({ ...answer, recommendation }, 200);
  },
);

export default app;
