/**
 * How GET /v1/calls/{id}/recording asks providers for a recording, against their official SDKs in
 * Node: the Vonage application token (worker/voice/vonage-token.ts, WebCrypto) verifies with
 * `@vonage/jwt` and carries the claims its tokenGenerate makes; the Telnyx refresh is the request
 * the `telnyx` SDK makes for a TeXML recording resource, with its key.
 */
import { generateKeyPairSync } from "node:crypto";
import { tokenGenerate, verifySignature } from "@vonage/jwt";
import Telnyx from "telnyx";
import { describe, expect, it } from "vitest";
import { recordingSource } from "../../worker/voice/recordings";
import { vonageToken } from "../../worker/voice/vonage-token";

const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
const APP = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

describe("the Vonage application token", () => {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const privatePem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const publicPem = publicKey.export({ format: "pem", type: "spki" }).toString();

  it("verifies with @vonage/jwt (RS256, not expired) and has tokenGenerate's header and claims", async () => {
    // verifySignature checks exp against the real clock.
    const ours = await vonageToken(privatePem, APP, Date.now());
    expect(ours).not.toBeNull();
    expect(verifySignature(ours!, publicPem)).toBe(true);
    const sdk = tokenGenerate(APP, privatePem).split(".");
    const [head, claims] = ours!.split(".");
    expect(decode(head!)).toEqual(decode(sdk[0]!));
    expect(Object.keys(decode(claims!)).sort()).toEqual(Object.keys(decode(sdk[1]!)).sort());
    expect(decode(claims!).application_id).toBe(APP);
  });

  it("another key's token does not verify, nor one past its exp; a key that is not one makes none", async () => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "pem", type: "spki" }).toString();
    expect(verifySignature((await vonageToken(privatePem, APP, Date.now()))!, other)).toBe(false);
    expect(verifySignature((await vonageToken(privatePem, APP, Date.now() - 3_600_000))!, publicPem)).toBe(false);
    expect(await vonageToken("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", APP, Date.now())).toBeNull();
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    expect(await vonageToken(ec, APP, Date.now())).toBeNull();
  });
});

describe("the Telnyx refresh", () => {
  it("is the request the telnyx SDK makes for the TeXML recording resource", async () => {
    const account = "6a09cdc3-8948-47f0-aa62-74ac943d6c58";
    const recording = "b1d2e3f4-0000-4a4a-9b9b-0123456789ab";
    const apiKey = "KEY0123456789ABCDEF_abcdef";
    const seen: { url: string; auth: string | null }[] = [];
    const sdk = new Telnyx({
      apiKey,
      maxRetries: 0,
      fetch: async (input: string | URL | Request, init?: RequestInit) => {
        const req = new Request(input, init);
        seen.push({ url: req.url, auth: req.headers.get("Authorization") });
        return Response.json({ sid: recording, media_url: "https://s3.amazonaws.com/x.mp3" });
      },
    });
    const got = await sdk.texml.accounts.recordings.json.retrieveRecordingSidJson(recording, { account_sid: account });
    expect(got.media_url).toBe("https://s3.amazonaws.com/x.mp3");
    const source = await recordingSource(
      { id: "v3:1", provider: "telnyx", recordingUrl: "https://s3.amazonaws.com/old.mp3", recordingRef: `${account}/${recording}` },
      { publicKey: "x", apiKey },
      Date.now(),
    );
    expect(source.ok).toBe(true);
    if (!source.ok) return;
    expect(source.value.refresh).toEqual({ url: seen[0]!.url, bearer: apiKey });
    expect(seen[0]!.auth).toBe(`Bearer ${apiKey}`);
  });
});
