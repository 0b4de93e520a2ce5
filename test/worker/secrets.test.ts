/** Secrets at rest (platform/secrets.ts): AES-GCM with SECRETS_KEY, bound to their place, rotatable. */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { keyring, open, seal } from "../../worker/platform/secrets";
import { REQUEST_EXAMPLES } from "../../worker/schemas/examples";
import { accountStub, api } from "./helpers";
import { inboundFields, nativeId, providerWorld, send, signed } from "./voice-helpers";

const K1 = btoa("test-secrets-key-1-32-bytes-ok!!");
const K2 = btoa("test-secrets-key-2-32-bytes-ok!!");

async function ring(spec: string | undefined) {
  const r = await keyring(spec);
  if (!r.ok) throw new Error(r.reason);
  return r.keyring;
}

describe("sealed secrets", () => {
  it("open what was sealed, only in the same context, only with a listed key; any altered byte fails", async () => {
    const k = await ring(`k1:${K1}`);
    const sealed = await seal(k, "auth-token-123", "acct/twilio");
    expect(sealed).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("auth-token");
    expect(await open(k, sealed, "acct/twilio")).toBe("auth-token-123");
    expect(await open(k, sealed, "other/twilio")).toBeNull();
    expect(await open(await ring(`k2:${K2}`), sealed, "acct/twilio")).toBeNull();
    const last = sealed.length - 3;
    expect(await open(k, sealed.slice(0, last) + (sealed[last] === "A" ? "B" : "A") + sealed.slice(last + 1), "acct/twilio")).toBeNull();
    // Two seals of one value differ (a fresh IV each time).
    expect(await seal(k, "auth-token-123", "acct/twilio")).not.toBe(sealed);
  });

  it("rotation: the first key seals, every listed key opens", async () => {
    const old = await seal(await ring(`k1:${K1}`), "v", "c");
    const both = await ring(`k2:${K2},k1:${K1}`);
    expect(both.current).toBe("k2");
    expect(await open(both, old, "c")).toBe("v");
    expect((await seal(both, "v", "c")).split(".")[1]).toBe("k2");
  });

  it("a missing or malformed SECRETS_KEY is refused with a reason", async () => {
    for (const spec of [undefined, "", "nokey", `k1:${btoa("short")}`, `bad id!:${K1}`, `k1:${K1},k1:${K2}`]) {
      const r = await keyring(spec);
      expect(r.ok, String(spec)).toBe(false);
    }
  });

  it("credentials sealed with a retired key still verify callbacks, and are sealed again with the current key", async () => {
    const w = await providerWorld("twilio", {}, 1);
    const stub = accountStub(w.acct.accountId);
    // Re-seal the stored token with k1, as a deployment before the rotation would have.
    const ctx = `edge-dni/voice-credentials/${w.acct.accountId}/twilio`;
    const byOld = await seal(await ring(`k1:${K1}`), JSON.stringify({ authToken: w.keys.twilio }), ctx);
    await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("UPDATE voice_credentials SET sealed = ?", byOld));
    const res = await send(await signed("twilio", w.keys, w.base, inboundFields("twilio", nativeId("twilio"), w.tracking[0]!), Date.now()));
    expect(res.status).toBe(200);
    expect((await api("GET", "/v1/account/voice", { key: w.acct.adminKey })).status).toBe(200);
    const now = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ sealed: string }>("SELECT sealed FROM voice_credentials").one().sealed);
    expect(now.split(".")[1]).toBe("k2");
    expect(env.SECRETS_KEY?.startsWith("k2:")).toBe(true);
  });

  it("rotation completes without anyone opening the settings: the account's alarm seals voice and ad credentials again with the current key", async () => {
    const w = await providerWorld("twilio", {}, 1);
    const id = w.acct.accountId;
    const stub = accountStub(id);
    const patch = await api("PATCH", "/v1/account/conversions", { key: w.acct.adminKey, body: REQUEST_EXAMPLES.ConversionsPatch });
    expect(patch.status).toBe(200);
    // Both as a deployment before the rotation (k1 only) would have sealed them.
    const k1 = await ring(`k1:${K1}`);
    const voiceCtx = `edge-dni/voice-credentials/${id}/twilio`;
    const adsCtx = `edge-dni/ad-credentials/${id}/google_ads`;
    const adsPlain = await runInDurableObject(stub, async (_i, state) => {
      const sealed = state.storage.sql.exec<{ sealed: string }>("SELECT sealed FROM conversion_settings WHERE platform = 'google_ads'").one().sealed;
      return open(await ring(env.SECRETS_KEY), sealed, adsCtx);
    });
    expect(adsPlain).toContain("refreshToken");
    const voiceOld = await seal(k1, JSON.stringify({ authToken: w.keys.twilio }), voiceCtx);
    const adsOld = await seal(k1, adsPlain!, adsCtx);
    await runInDurableObject(stub, async (_i, state) => {
      state.storage.sql.exec("UPDATE voice_credentials SET sealed = ?", voiceOld);
      state.storage.sql.exec("UPDATE conversion_settings SET sealed = ? WHERE platform = 'google_ads'", adsOld);
      await state.storage.deleteAlarm();
    });
    // The deploy that adds k2 restarts the object; its first request after that (any) sets the alarm.
    await runInDurableObject(stub, (_i, state) => {
      state.abort?.("restart");
    }).catch(() => undefined);
    expect((await api("GET", "/v1/account", { key: w.acct.adminKey })).status).toBe(200);
    // The alarm is due at once (it may have run already; if not, run it).
    await runDurableObjectAlarm(accountStub(id));
    const sealed = () =>
      runInDurableObject(accountStub(id), (_i, state) => ({
        voice: state.storage.sql.exec<{ sealed: string }>("SELECT sealed FROM voice_credentials").one().sealed,
        ads: state.storage.sql.exec<{ sealed: string }>("SELECT sealed FROM conversion_settings WHERE platform = 'google_ads'").one().sealed,
      }));
    await vi.waitFor(async () => {
      const now = await sealed();
      expect([now.voice.split(".")[1], now.ads.split(".")[1]]).toEqual(["k2", "k2"]);
    });
    const after = await sealed();
    // k1 can go now: the current key alone opens both.
    const k2only = await ring(env.SECRETS_KEY!.split(",")[0]);
    expect(JSON.parse((await open(k2only, after.voice, voiceCtx))!)).toEqual({ authToken: w.keys.twilio });
    expect(await open(k2only, after.ads, adsCtx)).toBe(adsPlain);
  });
});
