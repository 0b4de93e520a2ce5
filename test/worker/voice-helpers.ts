/**
 * Provider-native callbacks for the worker tests: each provider's documented request fields,
 * signed with its own scheme by test/providers/signers.ts (checked against the SDKs in Node).
 */
import { SELF } from "cloudflare:test";
import { DOMParser, type Document, type Element } from "@xmldom/xmldom";
import { ed25519Pair, plivoSign, sha256Hex, telnyxSign, twilioSign, vonageGetPayload, vonageJwt } from "../providers/signers";
import { DEST } from "./calls-helpers";
import { api, type Created, createAccount, createPool, freshNumbers } from "./helpers";

/** A route that rings `first` with a whisper (no press 1), then `second`. */
export const whisperThen = (first: string, second: string) => ({
  start: "m",
  lists: {
    m: [
      { type: "forward", to: first, whisper: true },
      { type: "forward", to: second },
    ],
  },
});

export type Native = "twilio" | "signalwire" | "telnyx" | "plivo" | "vonage";
export const NATIVE: Native[] = ["twilio", "signalwire", "telnyx", "plivo", "vonage"];
export type Leg = "inbound" | "status" | "whisper";

export interface Keys {
  twilio: string;
  signalwire: string;
  telnyx: Awaited<ReturnType<typeof ed25519Pair>>;
  plivo: string;
  vonage: string;
}

export async function makeKeys(): Promise<Keys> {
  const hex = (n: number) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { twilio: hex(16), signalwire: `PSK_${hex(12)}`, telnyx: await ed25519Pair(), plivo: `MA${hex(14)}`, vonage: `vsig_${hex(16)}` };
}

export function credentialsOf(p: Native, k: Keys): Record<string, string> {
  switch (p) {
    case "twilio":
      return { authToken: k.twilio };
    case "signalwire":
      return { signingKey: k.signalwire };
    case "telnyx":
      return { publicKey: k.telnyx.publicKey };
    case "plivo":
      return { authToken: k.plivo };
    case "vonage":
      return { signatureSecret: k.vonage };
  }
}

/** An account on provider `p` (its credentials stored) with pool `web` forwarding to DEST. */
export async function providerWorld(p: Native, pool: Record<string, unknown> = {}, size = 2) {
  const acct = await createAccount();
  const keys = await makeKeys();
  const tracking = freshNumbers(size);
  await createPool(acct, {
    id: "web",
    name: "Web",
    trackingNumbers: tracking,
    destinations: [DEST],
    leaseSeconds: 60,
    graceSeconds: 120,
    isDefault: true,
    ...pool,
  });
  const r = await api("PATCH", "/v1/account/voice", { key: acct.adminKey, body: { provider: p, credentials: { [p]: credentialsOf(p, keys) } } });
  if (r.status !== 200) throw new Error(`voice settings: ${r.status} ${JSON.stringify(r.json)}`);
  return { acct, keys, tracking, base: `https://dni.test/v1/voice/${acct.accountId}/${p}` };
}

export interface Sent {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

export interface Signed {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | null;
}

/**
 * A provider's request to `url` with `fields` (form POST; Vonage: GET query for the answer and
 * whisper, JSON POST for events), signed with `keys` at `nowMs`. `tamper` alters it after signing.
 */
export async function signed(
  p: Native,
  keys: Keys,
  url: string,
  fields: Record<string, string>,
  nowMs: number,
  opts: { nonce?: string; get?: boolean; jti?: false } = {},
): Promise<Signed> {
  const form = new URLSearchParams(fields).toString();
  const formHeaders = { "Content-Type": "application/x-www-form-urlencoded" };
  switch (p) {
    case "twilio":
      return { url, method: "POST", headers: { ...formHeaders, "X-Twilio-Signature": await twilioSign(keys.twilio, url, fields) }, body: form };
    case "signalwire":
      return { url, method: "POST", headers: { ...formHeaders, "X-SignalWire-Signature": await twilioSign(keys.signalwire, url, fields) }, body: form };
    case "telnyx": {
      const ts = String(Math.floor(nowMs / 1000));
      return {
        url,
        method: "POST",
        headers: { ...formHeaders, "telnyx-timestamp": ts, "telnyx-signature-ed25519": await telnyxSign(keys.telnyx.privateKey, ts, form) },
        body: form,
      };
    }
    case "plivo": {
      const nonce = opts.nonce ?? String(Math.floor(Math.random() * 1e15)).padStart(15, "0") + String(Math.floor(Math.random() * 1e5));
      return {
        url,
        method: "POST",
        headers: { ...formHeaders, "X-Plivo-Signature-V3": await plivoSign(keys.plivo, url, fields, nonce), "X-Plivo-Signature-V3-Nonce": nonce },
        body: form,
      };
    }
    case "vonage": {
      const iat = Math.floor(nowMs / 1000);
      // jti: false, a token without one (the signature is then what a replay is known by).
      const claims = {
        iat,
        ...(opts.jti === false ? {} : { jti: crypto.randomUUID() }),
        application_id: "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
        api_key: "abcd1234",
      };
      if (opts.get ?? true) {
        const u = new URL(url);
        for (const [k, v] of Object.entries(fields)) u.searchParams.append(k, v);
        const full = u.toString();
        const token = await vonageJwt(keys.vonage, { ...claims, payload_hash: await sha256Hex(vonageGetPayload(full)) });
        return { url: full, method: "GET", headers: { Authorization: `Bearer ${token}` }, body: null };
      }
      const body = JSON.stringify(fields);
      const token = await vonageJwt(keys.vonage, { ...claims, payload_hash: await sha256Hex(body) });
      return { url, method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` }, body };
    }
  }
}

export async function send(s: Signed): Promise<Sent> {
  const res = await SELF.fetch(s.url, { method: s.method, headers: s.headers, ...(s.body !== null ? { body: s.body } : {}) });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, text, json, headers: res.headers };
}

/** The provider's documented inbound call request, for a call `id` from `caller` to `to` (E.164). */
export function inboundFields(p: Native, id: string, to: string, caller = "+13105550123"): Record<string, string> {
  const bare = (n: string) => n.replace(/^\+/, "");
  switch (p) {
    case "twilio":
    case "signalwire":
      // Twilio's "TwiML™ voice request parameters" (SignalWire's cXML sends the same names).
      return {
        AccountSid: p === "twilio" ? "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX" : "0f512bda-ae1e-4597-8e11-e5f5686b97d3",
        ApiVersion: "2010-04-01",
        CallSid: id,
        CallStatus: "ringing",
        Called: to,
        CalledCountry: "US",
        Caller: caller,
        CallerCountry: "US",
        Direction: "inbound",
        From: caller,
        FromCountry: "US",
        To: to,
        ToCountry: "US",
      };
    case "telnyx":
      // TeXML's documented call webhook fields.
      return {
        AccountSid: "f5586561-8ff0-4291-a51b-c7dfe4139ff9",
        CallSid: id,
        CallSidLegacy: id,
        CallStatus: "ringing",
        ConnectionId: "1234567890",
        Direction: "inbound",
        From: caller,
        To: to,
        CallerId: "John Doe",
      };
    case "plivo":
      // Plivo's answer URL parameters: numbers with the country code, no '+'.
      return {
        CallUUID: id,
        From: bare(caller),
        To: bare(to),
        CallStatus: "ringing",
        Direction: "inbound",
        Event: "StartApp",
        CallerName: "+13105550123",
        BillRate: "0.0085",
      };
    case "vonage":
      // Vonage's answer webhook query: to/from without '+', uuid, conversation_uuid.
      return { to: bare(to), from: bare(caller), uuid: id, conversation_uuid: `CON-${id}`, region_url: "https://api-us-3.vonage.com" };
  }
}

/** A Vonage-style or Twilio-style call id for provider `p`. */
export function nativeId(p: Native): string {
  const r = crypto.randomUUID();
  if (p === "twilio") return `CA${r.replace(/-/g, "")}`;
  if (p === "telnyx") return `v3:${r.replace(/-/g, "_")}`;
  return r;
}

/** Parse XML strictly: a malformed document throws. */
export function xml(text: string): Document {
  const doc = new DOMParser({
    onError: (level: string, msg: string) => {
      throw new Error(`XML ${level}: ${msg}`);
    },
  }).parseFromString(text, "text/xml");
  return doc;
}

export const elements = (doc: Document, name: string): Element[] => Array.from(doc.getElementsByTagName(name));
export const accountOf = (acct: Created) => acct.accountId;
