/**
 * Our signature checks and the tests' signers against each provider's official SDK, in Node (the
 * SDKs need Node's crypto, url and Buffer, so they cannot run in workerd): what the SDK signs we
 * accept, what we (and the test signers) sign the SDK accepts, and any change is refused by both.
 */

import { generateKeyPairSync, sign as nodeSign } from "node:crypto";
import { createRequire } from "node:module";
import { tokenGenerate, verifySignature } from "@vonage/jwt";
import fc from "fast-check";
import { TelnyxWebhook } from "telnyx/lib/webhooks";
import twilioSdk from "twilio";
import { describe, expect, it } from "vitest";
import { plivoSignature } from "../../worker/voice/providers/plivo";
import { signalwire, telnyx, twilio, twilioSignature } from "../../worker/voice/providers/twilio";
import type { VoiceRequest } from "../../worker/voice/providers/types";
import { vonage } from "../../worker/voice/providers/vonage";
import { ed25519Pair, plivoSign, sha256Hex, telnyxSign, twilioSign, twilioSignJson, vonageGetPayload, vonageJwt } from "./signers";

const require = createRequire(import.meta.url);
const plivoSdk = require("plivo") as { validateV3Signature(method: string, uri: string, nonce: string, token: string, sig: string, params?: object): boolean };

const NOW = Date.parse("2031-03-01T10:00:00Z");
const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const post = (url: string, params: Record<string, string>, headers: Record<string, string>): VoiceRequest => ({
  method: "POST",
  url,
  headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  body: form(params),
});
/** Flip one character of a string (keeps it the same length). */
const flip = (s: string, at = Math.floor(s.length / 2)) => s.slice(0, at) + (s[at] === "a" ? "b" : "a") + s.slice(at + 1);

const fieldName = fc.stringMatching(/^[A-Z][A-Za-z]{1,12}$/);
const fieldValue = fc.string({ maxLength: 30 });
const params = fc.dictionary(fieldName, fieldValue, { minKeys: 1, maxKeys: 8 });

describe("Twilio (X-Twilio-Signature)", () => {
  const example = { CallSid: "CA1234567890ABCDE", Caller: "+12349013030", Digits: "1234", From: "+12349013030", To: "+18005551212" };
  const url = "https://mycompany.com/myapp.php?foo=1&bar=2";

  it("reproduces Twilio's published example exactly", async () => {
    expect(twilioSdk.getExpectedTwilioSignature("12345", url, example)).toBe("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    expect(await twilioSignature("12345", url, new URLSearchParams(example))).toBe("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    expect(await twilioSign("12345", url, example)).toBe("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    expect(await twilio.verify(post(url, example, { "x-twilio-signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" }), { authToken: "12345" }, NOW)).toEqual({
      ok: true,
    });
  });

  it("agrees with the SDK on any form, URL and token; a flipped byte anywhere is refused by both", async () => {
    await fc.assert(
      fc.asyncProperty(params, fc.webUrl({ withQueryParameters: true }), fc.stringMatching(/^[a-f0-9]{32}$/), async (p, u, token) => {
        const sdk = twilioSdk.getExpectedTwilioSignature(token, u, p);
        expect(await twilioSign(token, u, p)).toBe(sdk);
        expect(twilioSdk.validateRequest(token, await twilioSignature(token, u, new URLSearchParams(p)), u, p)).toBe(true);
        expect((await twilio.verify(post(u, p, { "x-twilio-signature": sdk }), { authToken: token }, NOW)).ok).toBe(true);
        const key = Object.keys(p)[0]!;
        for (const [label, req, tok] of [
          ["param", post(u, { ...p, [key]: `${p[key]}x` }, { "x-twilio-signature": sdk }), token],
          ["url", post(`${u}x`, p, { "x-twilio-signature": sdk }), token],
          ["token", post(u, p, { "x-twilio-signature": sdk }), flip(token)],
          ["signature", post(u, p, { "x-twilio-signature": flip(sdk, 3) }), token],
        ] as const) {
          expect({ label, ok: (await twilio.verify(req, { authToken: tok }, NOW)).ok }).toEqual({ label, ok: false });
        }
        expect(twilioSdk.validateRequest(token, sdk, `${u}x`, p)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it("JSON bodies: the bodySHA256 form, as validateRequestWithBody checks it", async () => {
    const body = JSON.stringify({ CallSid: "CA1", To: "+18005551212" });
    const signed = await twilioSignJson("secret-token-0123456789abcdef", "https://dni.example.com/v1/voice/acct/twilio", body);
    expect(twilioSdk.validateRequestWithBody("secret-token-0123456789abcdef", signed.signature, signed.url, body)).toBe(true);
    const req = { method: "POST", url: signed.url, headers: { "content-type": "application/json", "x-twilio-signature": signed.signature }, body };
    expect((await twilio.verify(req, { authToken: "secret-token-0123456789abcdef" }, NOW)).ok).toBe(true);
    expect((await twilio.verify({ ...req, body: body.replace("CA1", "CA2") }, { authToken: "secret-token-0123456789abcdef" }, NOW)).ok).toBe(false);
    expect(twilioSdk.validateRequestWithBody("secret-token-0123456789abcdef", signed.signature, signed.url, body.replace("CA1", "CA2"))).toBe(false);
  });

  it("a Webhooks Rule's SharedKey (X-Twilio-Webhooks-Signature-Settings, HMAC_SHA256): the SDK's check and ours agree", async () => {
    const webhooks = require("twilio/lib/webhooks/webhooks") as {
      getExpectedTwilioSignature(key: string, url: string, params: object, algorithm?: string): string;
      getSignatureAlgorithm(header: string): string;
    };
    const shared = "webhooks-shared-key-secret-0123456789";
    const settings = "key=webhooks_sharedkey_0123456789abcdef,algorithm=HMAC_SHA256";
    const hook = "https://dni.example.com/v1/voice/acct000000000001/twilio";
    const sig = webhooks.getExpectedTwilioSignature(shared, hook, example, webhooks.getSignatureAlgorithm(settings));
    expect(twilioSdk.validateRequest(shared, sig, hook, example, webhooks.getSignatureAlgorithm(settings) as never)).toBe(true);
    expect(await twilioSignature(shared, hook, new URLSearchParams(example), "SHA-256")).toBe(sig);
    const req = post(hook, example, { "x-twilio-signature": sig, "x-twilio-webhooks-signature-settings": settings });
    const creds = { authToken: "auth-token-0123456789abcdef", webhookSharedKey: shared };
    expect(await twilio.verify(req, creds, NOW)).toEqual({ ok: true });
    // Another secret, the Auth Token alone, the header taken away (then the Auth Token and SHA-1), another algorithm: refused.
    expect((await twilio.verify(req, { ...creds, webhookSharedKey: flip(shared) }, NOW)).ok).toBe(false);
    expect(await twilio.verify(req, { authToken: creds.authToken }, NOW)).toMatchObject({ ok: false, reason: expect.stringContaining("webhookSharedKey") });
    expect((await twilio.verify(post(hook, example, { "x-twilio-signature": sig }), creds, NOW)).ok).toBe(false);
    const other = { "x-twilio-signature": sig, "x-twilio-webhooks-signature-settings": "key=k,algorithm=HMAC_SHA512" };
    expect((await twilio.verify(post(hook, example, other), creds, NOW)).ok).toBe(false);
    // Without the settings header, the Auth Token still signs as before.
    const legacy = twilioSdk.getExpectedTwilioSignature(creds.authToken, hook, example);
    expect((await twilio.verify(post(hook, example, { "x-twilio-signature": legacy }), creds, NOW)).ok).toBe(true);
  });

  it("SignalWire signs the same way with its Signing Key, in X-SignalWire-Signature", async () => {
    const sig = twilioSdk.getExpectedTwilioSignature("PSKsigningkey", "https://x.test/v1/voice/a/signalwire", example);
    expect(
      (await signalwire.verify(post("https://x.test/v1/voice/a/signalwire", example, { "x-signalwire-signature": sig }), { signingKey: "PSKsigningkey" }, NOW))
        .ok,
    ).toBe(true);
    expect(
      (await signalwire.verify(post("https://x.test/v1/voice/a/signalwire", example, { "x-signalwire-signature": sig }), { signingKey: "PSKsigningkeY" }, NOW))
        .ok,
    ).toBe(false);
  });
});

describe("Plivo (X-Plivo-Signature-V3)", () => {
  it("the SDK's validateV3Signature accepts ours and the test signer's, for any form and query; a flipped byte is refused by both", async () => {
    await fc.assert(
      fc.asyncProperty(
        params,
        fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[A-Za-z0-9]{0,8}$/), { maxKeys: 3 }),
        fc.stringMatching(/^[0-9]{10,20}$/),
        async (p, q, nonce) => {
          const u = new URL("https://dni.example.com/v1/voice/acct/plivo");
          for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
          const url = u.toString();
          const token = "MzQ1NjdiOTgtMWE2Yi00ZWNm";
          const ours = await plivoSignature(token, "POST", url, form(p), nonce);
          expect(plivoSdk.validateV3Signature("POST", url, nonce, token, ours, p)).toBe(true);
          expect(await plivoSign(token, url, p, nonce)).toBe(ours);
          expect(plivoSdk.validateV3Signature("POST", url, flip(nonce, 0), token, ours, p)).toBe(false);
          expect(plivoSdk.validateV3Signature("POST", url, nonce, flip(token), ours, p)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("Telnyx (telnyx-signature-ed25519)", () => {
  it("the SDK's TelnyxWebhook and ours agree on signed, altered and stale requests", async () => {
    const pair = await ed25519Pair();
    const body = form({ CallSid: "v3:abc", From: "+35319605860", To: "+13129457420", CallStatus: "ringing" });
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = await telnyxSign(pair.privateKey, ts, body);
    const headers = { "telnyx-signature-ed25519": sig, "telnyx-timestamp": ts };
    await expect(new TelnyxWebhook(pair.publicKey).verify(body, headers)).resolves.toBeUndefined();
    const req = { method: "POST", url: "https://x.test/v1/voice/a/telnyx", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body };
    expect((await telnyx.verify(req, { publicKey: pair.publicKey }, Date.now())).ok).toBe(true);
    for (const bad of [
      { body: body.replace("ringing", "ringinh"), headers },
      { body, headers: { ...headers, "telnyx-timestamp": String(Number(ts) + 1) } },
      { body, headers: { ...headers, "telnyx-timestamp": String(Number(ts) - 600) } },
    ]) {
      await expect(new TelnyxWebhook(pair.publicKey).verify(bad.body, bad.headers)).rejects.toThrow();
      expect((await telnyx.verify({ ...req, ...bad, headers: { ...req.headers, ...bad.headers } }, { publicKey: pair.publicKey }, Date.now())).ok).toBe(false);
    }
    // A key made by Node's own crypto (as Telnyx's servers would) verifies too.
    const node = generateKeyPairSync("ed25519");
    const raw = node.publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("base64");
    const nodeSig = nodeSign(null, Buffer.from(`${ts}|${body}`), node.privateKey).toString("base64");
    expect((await telnyx.verify({ ...req, headers: { ...req.headers, "telnyx-signature-ed25519": nodeSig } }, { publicKey: raw }, Date.now())).ok).toBe(true);
  });
});

describe("Vonage (signed webhooks, JWT with payload_hash)", () => {
  const secret = "vonage-signature-secret-0123456789";
  it("HS256 with the signature secret: @vonage/jwt verifies the test signer's token; ours checks it and its payload_hash", async () => {
    const url =
      "https://x.test/v1/voice/a/vonage?to=447700900000&from=447700900001&uuid=aaaaaaaa-bbbb-cccc-dddd-0123456789ab&conversation_uuid=CON-aaaaaaaa-bbbb-cccc-dddd-0123456789ab";
    const iat = Math.floor(NOW / 1000);
    const token = await vonageJwt(secret, {
      iat,
      jti: "j-1",
      api_key: "abcd1234",
      application_id: "app",
      payload_hash: await sha256Hex(vonageGetPayload(url)),
    });
    expect(verifySignature(token, secret)).toBe(true);
    expect(verifySignature(token, flip(secret))).toBe(false);
    const req = { method: "GET", url, headers: { authorization: `Bearer ${token}` }, body: "" };
    expect((await vonage.verify(req, { signatureSecret: secret, apiKey: "abcd1234" }, NOW)).ok).toBe(true);
    expect((await vonage.verify({ ...req, url: url.replace("447700900000", "447700900009") }, { signatureSecret: secret }, NOW)).ok).toBe(false);
    expect((await vonage.verify(req, { signatureSecret: flip(secret) }, NOW)).ok).toBe(false);
    expect((await vonage.verify(req, { signatureSecret: secret }, NOW + 10 * 60_000)).ok).toBe(false);
  });

  it("RS256 from @vonage/jwt's tokenGenerate verifies with the public key", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const body = JSON.stringify({ uuid: "u-1", status: "completed", duration: "42" });
    // tokenGenerate sets exp from the real clock: verify at the real time.
    const now = Date.now();
    const token = tokenGenerate("app-id", privateKey.export({ format: "pem", type: "pkcs8" }).toString(), { payload_hash: await sha256Hex(body) });
    const pem = publicKey.export({ format: "pem", type: "spki" }).toString();
    expect(verifySignature(token, pem)).toBe(true);
    const req = {
      method: "POST",
      url: "https://x.test/v1/voice/a/vonage/status",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
    };
    expect((await vonage.verify(req, { publicKey: pem }, now)).ok).toBe(true);
    expect((await vonage.verify({ ...req, body: body.replace("42", "43") }, { publicKey: pem }, now)).ok).toBe(false);
    expect((await vonage.verify(req, { signatureSecret: "not-the-key-pair-0123" }, now)).ok).toBe(false);
  });
});
