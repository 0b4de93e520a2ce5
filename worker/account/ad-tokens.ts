/**
 * The ad platforms' OAuth access tokens: made from the stored refresh token (the refresh_token
 * grant), cached in the object's memory until shortly before they expire, never logged; a refresh
 * token Microsoft rotates is handed back to be stored. withToken sends with one and refreshes it
 * once when the platform refuses it.
 */
import type { AdPlatform } from "../schemas/conversions";
import { GOOGLE_TOKEN_URL, MICROSOFT_SCOPE, MICROSOFT_TOKEN_URL, send } from "./ad-requests";
import type { AdCredentials } from "./conversion-settings";

/** Refresh a cached token this long before it expires. */
const EARLY_MS = 120_000;

type Token = { ok: true; token: string; refreshToken?: string } | { ok: false; revoked: boolean; error: string };

/** An access token's cache key: the account, platform, client and refresh token it was made from. */
const tokenKey = (accountId: string, platform: AdPlatform, c: AdCredentials) => `${accountId}/${platform}/${c.clientId}/${c.refreshToken.slice(-8)}`;

export class AdTokens {
  /** Access tokens by platform and account. */
  private readonly cache = new Map<string, { token: string; expiresAt: number }>();

  private async token(accountId: string, platform: AdPlatform, c: AdCredentials, refresh: boolean): Promise<Token> {
    const key = tokenKey(accountId, platform, c);
    const cached = this.cache.get(key);
    if (!refresh && cached && cached.expiresAt - EARLY_MS > Date.now()) return { ok: true, token: cached.token };
    this.cache.delete(key);
    const form = new URLSearchParams({ grant_type: "refresh_token", client_id: c.clientId, refresh_token: c.refreshToken });
    if (c.clientSecret) form.set("client_secret", c.clientSecret);
    if (platform === "microsoft_ads") form.set("scope", MICROSOFT_SCOPE);
    const url = platform === "google_ads" ? GOOGLE_TOKEN_URL : MICROSOFT_TOKEN_URL;
    const r = await send(new Request(url, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: form }));
    const body = (r.json ?? {}) as { access_token?: unknown; expires_in?: unknown; refresh_token?: unknown; error?: unknown; error_description?: unknown };
    if (r.status === 200 && typeof body.access_token === "string") {
      const ttl = typeof body.expires_in === "number" ? body.expires_in : 3600;
      const cache = { token: body.access_token, expiresAt: Date.now() + ttl * 1000 };
      this.cache.set(key, cache);
      // Microsoft's identity platform replaces the refresh token at every use (RFC 6749 §6: the
      // client must keep the new one; the old one expires 90 days after it was issued).
      const next = body.refresh_token;
      if (typeof next !== "string" || !next || next === c.refreshToken) return { ok: true, token: body.access_token };
      // The next run reads the stored (rotated) token: the access token is cached under it too.
      this.cache.set(tokenKey(accountId, platform, { ...c, refreshToken: next }), cache);
      return { ok: true, token: body.access_token, refreshToken: next };
    }
    // invalid_grant: the refresh token was revoked or expired; invalid_client: the client is wrong. Neither heals by retrying.
    const code = typeof body.error === "string" ? body.error : null;
    const revoked = code === "invalid_grant" || code === "invalid_client" || code === "unauthorized_client";
    return { ok: false, revoked, error: `token refresh failed: ${code ?? r.error ?? "no answer"}` };
  }

  /**
   * Sends with an access token and reads the answer (`call`); when the platform refuses the access
   * token (`reauth`: 401, or Microsoft's InvalidCredentials / AuthenticationTokenExpired), refreshes
   * it once and sends once more. `unusable`: the answer when no access token can be had (the
   * refresh's failure) or a refreshed one was refused too (null). `fresh`: refresh the access token
   * first, even when one is cached (the connection check). With the refresh token the platform
   * rotated to, if it did.
   */
  async withToken<A extends object>(
    accountId: string,
    platform: AdPlatform,
    c: AdCredentials,
    call: (token: string) => Promise<A | { reauth: true }>,
    unusable: (failure: Extract<Token, { ok: false }> | null) => A,
    fresh = false,
  ): Promise<{ answer: A; refreshToken?: string }> {
    let creds = c;
    let refreshToken: string | undefined;
    for (let tries = 0; tries < 2; tries++) {
      const t = await this.token(accountId, platform, creds, fresh || tries > 0);
      if (!t.ok) return { answer: unusable(t), refreshToken };
      // Refreshed again (the access token was refused), from the rotated token when there is one.
      if (t.refreshToken) {
        refreshToken = t.refreshToken;
        creds = { ...creds, refreshToken };
      }
      const answer = await call(t.token);
      if (!("reauth" in answer)) return { answer, refreshToken };
    }
    return { answer: unusable(null), refreshToken };
  }
}
