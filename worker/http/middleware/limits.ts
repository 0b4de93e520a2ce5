/** Request body caps, enforced while reading (not only from Content-Length). */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../../platform/result";

/**
 * Caps a request body at maxSize bytes (413 payload_too_large). A body with a Content-Length (and
 * no Transfer-Encoding) is judged by it with no async step of its own (every layer is a hop on each
 * allocation, profiled); any other body is counted while it is read (Hono's bodyLimit).
 */
export const capBody = (maxSize: number): MiddlewareHandler => {
  const tooLarge = () => {
    throw new ApiError({ status: 413, code: "payload_too_large", message: `Request body over ${maxSize} bytes` });
  };
  const counted = bodyLimit({ maxSize, onError: tooLarge });
  return (c, next) => {
    const headers = c.req.raw.headers;
    const length = headers.get("Content-Length");
    if (length === null || headers.has("Transfer-Encoding")) return counted(c, next);
    return Number.parseInt(length, 10) > maxSize ? tooLarge() : next();
  };
};
