/**
 * GET /v1/calls/{id}/recording end to end in workerd: a recorded call on each provider, its
 * recording callback as the provider signs it, then the audio fetched through the worker from the
 * provider (mocked at the network edge) with the account's credentials: Twilio's and Plivo's Basic
 * auth, SignalWire's project token, a Vonage application token (checked with its public key), a
 * fresh Telnyx link from its TeXML REST API. Credentials never leave the provider's hosts; a byte
 * range is passed on; every refusal is a JSON error and changes nothing.
 */
import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { base64urlDecode } from "../../worker/platform/base64url";
import { getCall, mockNetwork, type Seen, T0 } from "./calls-helpers";
import { api, BASE, useTestClock } from "./helpers";
import { inbound, post } from "./route-helpers";
import { credentialsOf, type Native, providerWorld } from "./voice-helpers";

useTestClock(T0);
afterEach(() => vi.restoreAllMocks());

const A = "+12127365101";
const TWILIO_SID = `AC${"0a".repeat(16)}`;
const PLIVO_ID = "MAODZKMDFJNDK2YZJKZT";
const SW_PROJECT = "9f3c6a1e-2b4d-4e5f-8a7b-1c2d3e4f5a6b";
const TELNYX_ACCOUNT = "6a09cdc3-8948-47f0-aa62-74ac943d6c58";
const TELNYX_RECORDING = "b1d2e3f4-0000-4a4a-9b9b-0123456789ab";
const VONAGE_APP = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const AUDIO = new Uint8Array([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 0, 0xff, 0xfb, 0x90, 0x64]);

const URLS: Record<Native, string> = {
  twilio: `https://api.twilio.com/2010-04-01/Accounts/${TWILIO_SID}/Recordings/RE0123456789abcdef0123456789abcdef`,
  signalwire: `https://acme.signalwire.com/api/laml/2010-04-01/Accounts/${SW_PROJECT}/Recordings/5d6e7f80-1111-4222-8333-944455556666`,
  telnyx: `https://s3.amazonaws.com/telephony-recorder-prod/${TELNYX_RECORDING}.mp3?X-Amz-Expires=600&X-Amz-Signature=old`,
  plivo: `https://media.plivo.com/v1/Account/${PLIVO_ID}/Recording/2f3e4d5c-6b7a-4988-8776-655443322110.mp3`,
  vonage: "https://api-us.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
};

const recorded = { start: "m", lists: { m: [{ type: "forward", to: A }] }, recording: { disclosure: "This call may be recorded." } };

/** The provider's recording callback for `id`, as each sends it. */
function recordingFields(p: Native, id: string, url = URLS[p]): Record<string, string> {
  if (p === "vonage") return { recording_url: url, recording_uuid: "r9", conversation_uuid: `CON-${id}`, start_time: "", end_time: "", size: "1024" };
  if (p === "plivo") return { CallUUID: id, RecordUrl: url, RecordingID: "r9", RecordingDuration: "12" };
  const base = { CallSid: id, RecordingUrl: url, RecordingStatus: "completed", RecordingDuration: "12" };
  return p === "telnyx" ? { ...base, AccountSid: TELNYX_ACCOUNT, RecordingSid: TELNYX_RECORDING } : { ...base, RecordingSid: "RE9" };
}

async function rsaPair() {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const der = new Uint8Array((await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
  const b64 = btoa(String.fromCharCode(...der)).replace(/.{64}/g, "$&\n");
  return { pem: `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`, publicKey: pair.publicKey };
}

/** A recorded call on `p` whose recording callback came (with `url`); `extra`: credentials beside the callbacks' own. */
async function recordedCall(p: Native, extra: Record<string, string> = {}, url = URLS[p]) {
  const w = await providerWorld(p, { provider: p, route: recorded });
  const patch = await api("PATCH", "/v1/account/voice", { key: w.acct.adminKey, body: { credentials: { [p]: { ...credentialsOf(p, w.keys), ...extra } } } });
  expect(patch.status, JSON.stringify(patch.json)).toBe(200);
  const { id, answer } = await inbound(p, w);
  expect((await post(p, w, answer.record!, recordingFields(p, id, url))).status).toBeLessThan(300);
  expect((await getCall(w.acct, id)).json.recordingUrl).toBe(url);
  return { ...w, id, record: answer.record! };
}

const audio = (type = "audio/mpeg", status = 200, headers: Record<string, string> = {}) =>
  new Response(AUDIO, { status, headers: { "Content-Type": type, "Content-Length": String(AUDIO.length), "X-Amz-Request-Id": "secret-ish", ...headers } });

const getRecording = (key: string, id: string, headers: Record<string, string> = {}) =>
  SELF.fetch(`${BASE}/v1/calls/${encodeURIComponent(id)}/recording`, { headers: { Authorization: `Bearer ${key}`, ...headers } });

const basicOf = (s: Seen) => {
  const h = s.headers.get("Authorization");
  return h?.startsWith("Basic ") ? atob(h.slice(6)) : h;
};

describe("GET /v1/calls/{id}/recording: each provider's file, with its credentials", () => {
  it("twilio: Basic auth with the account SID and auth token; the audio streamed as served, nothing of the provider's else", async () => {
    const w = await recordedCall("twilio", { accountSid: TWILIO_SID });
    const net = mockNetwork((s) => (basicOf(s) === `${TWILIO_SID}:${w.keys.twilio}` ? audio("audio/x-wav") : new Response("no", { status: 401 })));
    const res = await getRecording(w.acct.adminKey, w.id);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(AUDIO);
    expect(res.headers.get("Content-Type")).toBe("audio/x-wav");
    expect(res.headers.get("Content-Length")).toBe(String(AUDIO.length));
    expect(res.headers.get("Cache-Control")).toBe("private, no-store");
    expect(res.headers.get("Content-Disposition")).toBe(`inline; filename="recording-${w.id}.wav"`);
    expect(res.headers.get("X-Amz-Request-Id")).toBeNull();
    expect(net.seen.map((s) => s.url.href)).toEqual([URLS.twilio]);
  });

  it("twilio without the SID stored: the SID the URL names, with the auth token", async () => {
    const w = await recordedCall("twilio");
    const net = mockNetwork(() => audio("audio/x-wav"));
    expect((await getRecording(w.acct.adminKey, w.id)).status).toBe(200);
    expect(basicOf(net.seen[0]!)).toBe(`${TWILIO_SID}:${w.keys.twilio}`);
  });

  it("signalwire: the project id and API token, when stored; public media without them", async () => {
    const token = "PTa1b2c3d4e5f6a7b8c9";
    const w = await recordedCall("signalwire", { projectId: SW_PROJECT, apiToken: token, space: "acme.signalwire.com" });
    const net = mockNetwork(() => audio("audio/x-wav"));
    expect((await getRecording(w.acct.adminKey, w.id)).status).toBe(200);
    expect(basicOf(net.seen[0]!)).toBe(`${SW_PROJECT}:${token}`);
    const bare = await recordedCall("signalwire");
    const net2 = mockNetwork(() => audio("audio/x-wav"));
    expect((await getRecording(bare.acct.adminKey, bare.id)).status).toBe(200);
    expect(net2.seen[0]!.headers.get("Authorization")).toBeNull();
  });

  it("plivo: Basic auth with the Auth ID the URL names and the auth token", async () => {
    const w = await recordedCall("plivo");
    const net = mockNetwork(() => audio());
    const res = await getRecording(w.acct.adminKey, w.id);
    expect(res.status).toBe(200);
    expect(basicOf(net.seen[0]!)).toBe(`${PLIVO_ID}:${w.keys.plivo}`);
    expect(res.headers.get("Content-Disposition")).toBe(`inline; filename="recording-${w.id}.mp3"`);
  });

  it("telnyx: a fresh link from the TeXML recording resource (API key), then the file from it without the key", async () => {
    const apiKey = "KEY0123456789ABCDEF_abcdef";
    const w = await recordedCall("telnyx", { apiKey });
    const fresh = `https://s3.amazonaws.com/telephony-recorder-prod/${TELNYX_RECORDING}.mp3?X-Amz-Expires=600&X-Amz-Signature=new`;
    const net = mockNetwork((s) => {
      if (s.url.hostname === "api.telnyx.com")
        return s.headers.get("Authorization") === `Bearer ${apiKey}`
          ? Response.json({ account_sid: TELNYX_ACCOUNT, sid: TELNYX_RECORDING, status: "completed", media_url: fresh })
          : Response.json({ errors: [{ code: "10009" }] }, { status: 401 });
      return s.url.href === fresh ? audio() : new Response("<Error>AccessDenied</Error>", { status: 403, headers: { "Content-Type": "application/xml" } });
    });
    const res = await getRecording(w.acct.adminKey, w.id);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(AUDIO);
    expect(net.seen.map((s) => s.url.href)).toEqual([`https://api.telnyx.com/v2/texml/Accounts/${TELNYX_ACCOUNT}/Recordings/${TELNYX_RECORDING}.json`, fresh]);
    expect(net.seen[1]!.headers.get("Authorization")).toBeNull();
  });

  it("telnyx without an API key: the stored link; once expired, a 502 that says what would fix it", async () => {
    const w = await recordedCall("telnyx");
    mockNetwork(() => new Response("<Error>AccessDenied</Error>", { status: 403, headers: { "Content-Type": "application/xml" } }));
    const res = await getRecording(w.acct.adminKey, w.id);
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("recording_unavailable");
    expect(body.error.message).toContain("credentials.telnyx.apiKey");
  });

  it("vonage: a token the application's private key signs (RS256, application_id, a few minutes' life)", async () => {
    const { pem, publicKey } = await rsaPair();
    const w = await recordedCall("vonage", { applicationId: VONAGE_APP, privateKey: pem });
    const tokens: string[] = [];
    mockNetwork((s) => {
      tokens.push(s.headers.get("Authorization") ?? "");
      return audio();
    });
    const res = await getRecording(w.acct.adminKey, w.id);
    expect(res.status).toBe(200);
    const [head, claims, sig] = tokens[0]!.replace(/^Bearer /, "").split(".");
    const valid = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", publicKey, base64urlDecode(sig!)!, new TextEncoder().encode(`${head}.${claims}`));
    expect(valid).toBe(true);
    expect(JSON.parse(new TextDecoder().decode(base64urlDecode(head!)!))).toEqual({ typ: "JWT", alg: "RS256" });
    const c = JSON.parse(new TextDecoder().decode(base64urlDecode(claims!)!));
    expect(c).toMatchObject({ application_id: VONAGE_APP, iat: Math.floor(Date.now() / 1000) });
    expect(c.exp - c.iat).toBeGreaterThan(0);
    expect(c.exp - c.iat).toBeLessThanOrEqual(900);
    expect(c.jti).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("GET /v1/calls/{id}/recording: what is refused, and why", () => {
  it("vonage without the application's private key: 409, asking for it; nothing fetched", async () => {
    const w = await recordedCall("vonage");
    const net = mockNetwork(() => audio());
    const res = await getRecording(w.acct.adminKey, w.id);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("recording_credentials_missing");
    expect(net.seen).toEqual([]);
  });

  it("a private key that is not one, or without its application: 400, nothing stored", async () => {
    const w = await providerWorld("vonage", { provider: "vonage", route: recorded });
    const before = await api("GET", "/v1/account/voice", { key: w.acct.adminKey });
    const notKey = "-----BEGIN PRIVATE KEY-----\nTUlJQm9ndXM=\n-----END PRIVATE KEY-----\n";
    for (const extra of [{ applicationId: VONAGE_APP, privateKey: notKey }, { privateKey: (await rsaPair()).pem }]) {
      const r = await api("PATCH", "/v1/account/voice", {
        key: w.acct.adminKey,
        body: { credentials: { vonage: { ...credentialsOf("vonage", w.keys), ...extra } } },
      });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
    }
    expect((await api("GET", "/v1/account/voice", { key: w.acct.adminKey })).json).toEqual(before.json);
  });

  it("a call without a recording, and no such call: 404 with their own codes", async () => {
    const w = await providerWorld("twilio", { provider: "twilio", route: recorded });
    const { id } = await inbound("twilio", w);
    const net = mockNetwork(() => audio());
    const none = await getRecording(w.acct.adminKey, id);
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("recording_not_found");
    const missing = await getRecording(w.acct.adminKey, "CA0000000000000000000000000000dead");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("call_not_found");
    expect(net.seen).toEqual([]);
  });

  it("no key, or a site key: 401 and 403", async () => {
    const w = await recordedCall("plivo");
    const net = mockNetwork(() => audio());
    expect((await SELF.fetch(`${BASE}/v1/calls/${w.id}/recording`)).status).toBe(401);
    expect((await getRecording(w.acct.siteKey, w.id)).status).toBe(403);
    expect(net.seen).toEqual([]);
  });

  it("the provider no longer has it: 404 recording_gone; it refuses: 502 naming the status; it answers a page, not audio: 502", async () => {
    const w = await recordedCall("plivo");
    for (const [answer, status, code] of [
      [() => new Response("gone", { status: 404 }), 404, "recording_gone"],
      [() => new Response("denied", { status: 403 }), 502, "recording_unavailable"],
      [() => new Response("<html>login</html>", { headers: { "Content-Type": "text/html" } }), 502, "recording_unavailable"],
      [
        () => {
          throw new TypeError("connection reset");
        },
        502,
        "recording_unavailable",
      ],
    ] as const) {
      mockNetwork(answer);
      const res = await getRecording(w.acct.adminKey, w.id);
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
  });
});

describe("GET /v1/calls/{id}/recording: redirects and ranges", () => {
  it("a redirect off the provider's hosts is followed without the credentials; one to a private address is not followed", async () => {
    const w = await recordedCall("twilio", { accountSid: TWILIO_SID });
    const cdn = "https://media.example-cdn.com/signed/rec.wav?sig=abc";
    const net = mockNetwork((s) =>
      s.url.hostname === "api.twilio.com" ? new Response(null, { status: 302, headers: { Location: cdn } }) : audio("audio/x-wav"),
    );
    expect((await getRecording(w.acct.adminKey, w.id)).status).toBe(200);
    expect(net.seen.map((s) => [s.url.href, s.headers.get("Authorization") !== null])).toEqual([
      [URLS.twilio, true],
      [cdn, false],
    ]);
    const net2 = mockNetwork(() => new Response(null, { status: 307, headers: { Location: "https://169.254.169.254/latest/meta-data" } }));
    const res = await getRecording(w.acct.adminKey, w.id);
    expect(res.status).toBe(502);
    expect(net2.seen).toHaveLength(1);
  });

  it("redirects that go round: given up after three", async () => {
    const w = await recordedCall("twilio");
    const net = mockNetwork((s) => new Response(null, { status: 302, headers: { Location: `${s.url.origin}${s.url.pathname}?n=${s.url.search.length}` } }));
    const res = await getRecording(w.acct.adminKey, w.id);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("more than 3 redirects");
    // The first request and its three redirects.
    expect(net.seen).toHaveLength(4);
  });

  it("a player's Range is passed on and the provider's 206 comes back with its Content-Range; a malformed one is not passed on", async () => {
    const w = await recordedCall("vonage", { applicationId: VONAGE_APP, privateKey: (await rsaPair()).pem });
    const net = mockNetwork((s) =>
      s.headers.get("Range") === "bytes=4-"
        ? new Response(AUDIO.slice(4), {
            status: 206,
            headers: { "Content-Type": "audio/mpeg", "Content-Range": `bytes 4-${AUDIO.length - 1}/${AUDIO.length}`, "Accept-Ranges": "bytes" },
          })
        : audio(),
    );
    const part = await getRecording(w.acct.adminKey, w.id, { Range: "bytes=4-" });
    expect(part.status).toBe(206);
    expect(part.headers.get("Content-Range")).toBe(`bytes 4-${AUDIO.length - 1}/${AUDIO.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(AUDIO.slice(4));
    expect((await getRecording(w.acct.adminKey, w.id, { Range: "items=1-2" })).status).toBe(200);
    expect(net.seen.at(-1)!.headers.get("Range")).toBeNull();
  });
});

describe("GET /v1/calls/{id}/recording: where it may fetch from", () => {
  it("a stored URL off the provider's hosts (a lookalike, another provider's, a private name) is not fetched at all", async () => {
    for (const [p, url] of [
      ["twilio", "https://api.twilio.com.evil.example/2010-04-01/Accounts/AC1/Recordings/RE1"],
      ["plivo", "https://evilplivo.com/v1/Account/MA1/Recording/r.mp3"],
      ["vonage", "https://files.example.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-0123456789ab"],
      ["signalwire", "https://10.0.0.1.nip.io/api/laml/2010-04-01/Accounts/x/Recordings/y"],
    ] as const) {
      const w = await recordedCall(p, p === "vonage" ? { applicationId: VONAGE_APP, privateKey: (await rsaPair()).pem } : {}, url);
      const net = mockNetwork(() => audio());
      const res = await getRecording(w.acct.adminKey, w.id);
      expect(res.status, p).toBe(502);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(`not at a ${p} host`);
      expect([net.seen, net.lookups]).toEqual([[], []]);
    }
  });

  it("a redirect to a name that resolves to a private address is not followed", async () => {
    const w = await recordedCall("twilio");
    const net = mockNetwork((s) =>
      s.url.hostname === "api.twilio.com" ? new Response(null, { status: 302, headers: { Location: "https://cdn.rebind.example/rec.wav" } }) : audio(),
    );
    net.dns.set("cdn.rebind.example", ["10.0.0.5"]);
    const res = await getRecording(w.acct.adminKey, w.id);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("private");
    expect(net.seen.map((s) => s.url.hostname)).toEqual(["api.twilio.com"]);
  });

  it("twilio's regional hosts get the credentials; SignalWire's only its stored Space", async () => {
    const regional = "https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/" + TWILIO_SID + "/Recordings/RE1";
    const tw = await recordedCall("twilio", { accountSid: TWILIO_SID }, regional);
    const net = mockNetwork(() => audio("audio/x-wav"));
    expect((await getRecording(tw.acct.adminKey, tw.id)).status).toBe(200);
    expect(basicOf(net.seen[0]!)).toBe(`${TWILIO_SID}:${tw.keys.twilio}`);
    const other = "https://other.signalwire.com/api/laml/2010-04-01/Accounts/x/Recordings/y";
    const sw = await recordedCall("signalwire", { projectId: SW_PROJECT, apiToken: "PTa1b2c3d4e5f6a7b8c9", space: "acme.signalwire.com" }, other);
    const net2 = mockNetwork(() => audio("audio/x-wav"));
    expect((await getRecording(sw.acct.adminKey, sw.id)).status).toBe(200);
    expect(net2.seen[0]!.headers.get("Authorization")).toBeNull();
  });
});

describe("GET /v1/calls/{id}/recording: what is passed on", () => {
  it("asks for the bytes as stored; a compressed answer all the same is passed on without its lengths", async () => {
    const w = await recordedCall("plivo");
    const net = mockNetwork(() => audio("audio/mpeg", 200, { "Content-Encoding": "gzip", "Content-Range": "bytes 0-13/14" }));
    const res = await getRecording(w.acct.adminKey, w.id, { Range: "bytes=0-" });
    expect(res.status).toBe(200);
    expect(net.seen[0]!.headers.get("Accept-Encoding")).toBe("identity");
    expect([res.headers.get("Content-Length"), res.headers.get("Content-Range")]).toEqual([null, null]);
  });

  it("a range past the end: 416 with the provider's Content-Range, as JSON; `bytes=-` is not a range", async () => {
    const w = await recordedCall("plivo");
    const net = mockNetwork((s) =>
      s.headers.get("Range") === "bytes=999-" ? new Response("", { status: 416, headers: { "Content-Range": "bytes */14" } }) : audio(),
    );
    const res = await getRecording(w.acct.adminKey, w.id, { Range: "bytes=999-" });
    expect(res.status).toBe(416);
    expect(res.headers.get("Content-Range")).toBe("bytes */14");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("range_not_satisfiable");
    expect((await getRecording(w.acct.adminKey, w.id, { Range: "bytes=-" })).status).toBe(200);
    expect(net.seen.at(-1)!.headers.get("Range")).toBeNull();
  });

  it("HEAD asks the provider for its headers only", async () => {
    const w = await recordedCall("plivo");
    const net = mockNetwork((s) => (s.method === "HEAD" ? new Response(null, { headers: { "Content-Type": "audio/mpeg", "Content-Length": "14" } }) : audio()));
    const res = await SELF.fetch(`${BASE}/v1/calls/${w.id}/recording`, { method: "HEAD", headers: { Authorization: `Bearer ${w.acct.adminKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("audio/mpeg");
    expect(net.seen.map((s) => s.method)).toEqual(["HEAD"]);
  });

  it("telnyx: its API failing, the stored link is tried (it may be within its 10 minutes); the API's 404 is the recording gone", async () => {
    const apiKey = "KEY0123456789ABCDEF_abcdef";
    const w = await recordedCall("telnyx", { apiKey });
    const net = mockNetwork((s) => (s.url.hostname === "api.telnyx.com" ? new Response("busy", { status: 503 }) : audio()));
    expect((await getRecording(w.acct.adminKey, w.id)).status).toBe(200);
    expect(net.seen.map((s) => s.url.href)).toEqual([expect.stringContaining("api.telnyx.com"), URLS.telnyx]);
    mockNetwork((s) => (s.url.hostname === "api.telnyx.com" ? Response.json({ errors: [{ code: "10005" }] }, { status: 404 }) : audio()));
    const gone = await getRecording(w.acct.adminKey, w.id);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe("recording_gone");
  });

  it("telnyx: a later recording of the call without its ids does not take the earlier one's (no refresh for it)", async () => {
    const apiKey = "KEY0123456789ABCDEF_abcdef";
    const w = await recordedCall("telnyx", { apiKey });
    const later = "https://s3.amazonaws.com/telephony-recorder-prod/second.mp3?X-Amz-Expires=600";
    const r = await post("telnyx", w, w.record, { CallSid: w.id, RecordingUrl: later, RecordingStatus: "completed" });
    expect(r.status, r.text).toBeLessThan(300);
    const net = mockNetwork(() => audio());
    expect((await getRecording(w.acct.adminKey, w.id)).status).toBe(200);
    expect(net.seen.map((s) => s.url.href)).toEqual([later]);
    // The same URL again without its ids keeps them.
    expect((await post("telnyx", w, w.record, { ...recordingFields("telnyx", w.id), RecordingDuration: "13" })).status).toBeLessThan(300);
    expect((await post("telnyx", w, w.record, { CallSid: w.id, RecordingUrl: URLS.telnyx })).status).toBeLessThan(300);
    const net2 = mockNetwork((s) => (s.url.hostname === "api.telnyx.com" ? Response.json({ media_url: URLS.telnyx }) : audio()));
    expect((await getRecording(w.acct.adminKey, w.id)).status).toBe(200);
    expect(net2.seen[0]!.url.hostname).toBe("api.telnyx.com");
  });

  it("the private key is write-only and shown as set, not by its last characters", async () => {
    const { pem } = await rsaPair();
    const w = await recordedCall("vonage", { applicationId: VONAGE_APP, privateKey: pem });
    const voice = await api("GET", "/v1/account/voice", { key: w.acct.adminKey });
    expect(JSON.stringify(voice.json)).not.toContain(pem.replace(/-----[A-Z ]+-----|\s/g, "").slice(-8, -4));
    expect(voice.json.providers.vonage.hints.privateKey).toBe("set");
  });
});
