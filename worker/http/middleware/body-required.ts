/**
 * A route whose schema requires a body refuses a request without one before validation: POST, PUT
 * and PATCH alike answer 400 `body_required` (an absent PATCH body used to pass as an empty change).
 * A PATCH of `{}` names nothing to change and is refused the same way.
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../../platform/result";

export const bodyRequired = (method: string) =>
  createMiddleware(async (c, next) => {
    // Read once and cached by Hono: the validator's c.req.json() reads the same bytes.
    const text = new TextDecoder().decode(await c.req.arrayBuffer()).trim();
    const verb = method.toUpperCase();
    const path = new URL(c.req.url).pathname;
    if (text === "") {
      throw new ApiError({ status: 400, code: "body_required", message: `${verb} ${path} needs a JSON body (Content-Type: application/json); none was sent` });
    }
    if (verb === "PATCH" && /^\{\s*\}$/.test(text)) {
      throw new ApiError({ status: 400, code: "body_required", message: `PATCH ${path} with {} changes nothing; name at least one field to change` });
    }
    await next();
  });
