/** Authentication middleware factories: the operator token, and an account's admin key. */
import { createMiddleware } from "hono/factory";
import { parseKey } from "../../domain/keys";
import { safeEqual, sha256Hex } from "../../platform/crypto";
import { ApiError } from "../../platform/result";
import { account } from "../../platform/stubs";
import type { AppEnv } from "../app-env";

function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return m ? m[1]! : null;
}

const unauthorized = (message: string) => new ApiError({ status: 401, code: "unauthorized", message });

/** Requests carrying the operator token (creates accounts). Off when no token is configured. */
export const operatorAuth = (opts: { header?: string } = {}) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const expected = c.env.OPERATOR_TOKEN;
    if (!expected) throw new ApiError({ status: 503, code: "operator_disabled", message: "OPERATOR_TOKEN is not set on this deployment" });
    const token = bearer(c.req.header(opts.header ?? "Authorization"));
    if (!token || !(await safeEqual(token, expected))) throw unauthorized("Operator token required");
    await next();
  });

/**
 * Requests carrying an account's admin key (sk_…); sets `accountId`. A site key is refused.
 * Runs once per request: sub-apps mounted on overlapping paths may each declare it.
 */
export const adminAuth = (opts: { header?: string } = {}) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (c.get("accountId")) return next();
    const key = bearer(c.req.header(opts.header ?? "Authorization"));
    if (!key) throw unauthorized("Admin key required: Authorization: Bearer sk_…");
    const parsed = parseKey(key);
    if (!parsed) throw unauthorized("Malformed key");
    if (parsed.kind !== "admin") throw new ApiError({ status: 403, code: "wrong_key_kind", message: "A site key (pk_…) can only allocate; use the admin key" });
    if (!(await account(c.env, parsed.accountId).checkAdmin(await sha256Hex(key)))) throw unauthorized("Unknown or revoked admin key");
    c.set("accountId", parsed.accountId);
    await next();
  });
