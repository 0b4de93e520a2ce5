/**
 * Plivo's number calls as our client makes them (worker/numbers/plivo.ts) and as Plivo's official
 * Node SDK makes them (numbers.search / buy / update / list / unrent, applications.update), both
 * answered by the worker tests' FakePlivo (test/worker/numbers-fakes.ts) through an axios adapter
 * (the SDK's HTTP client): the same paths and body fields, and the fake's answers parse in the SDK
 * as they do in ours (so the fake's shapes are the ones the SDK reads, not only the ones we read).
 */
import { createRequire } from "node:module";
import type { AxiosAdapter, AxiosStatic } from "axios";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { plivoNumbers, plivoSearchParams } from "../../worker/numbers/plivo";
import { FakePlivo, PLIVO_APP, PLIVO_AUTH_ID, PLIVO_TOKEN, type Stock } from "../worker/numbers-fakes";
import type { Seen } from "../worker/seen";

const require = createRequire(import.meta.url);
// any: the SDK's typings do not cover every resource used here
const { Client } = require("plivo") as { Client: new (id: string, token: string) => any };
/** The axios the SDK loads (its CommonJS build: an ESM import here would be another instance). */
const axios = createRequire(require.resolve("plivo"))("axios") as AxiosStatic;

const URLS = { voiceUrl: "https://dni.example.com/v1/voice/acct/plivo", statusUrl: "https://dni.example.com/v1/voice/acct/plivo/status" };
const TAG = "ord_4Kq9xW2mZpL0aB7cD1eF";
const local = (numbers: string[]): Stock[] =>
  numbers.map((number) => ({ number, region: "CA", locality: "Berkeley", lat: 37.87, lng: -122.27, type: "local" }));

let fake: FakePlivo;
const saved = axios.defaults.adapter;

/** The SDK's requests, handed to the fake as the worker tests' network mock hands ours. */
const adapter: AxiosAdapter = async (config) => {
  const headers = new Headers();
  for (const [k, v] of Object.entries(config.headers ?? {})) if (typeof v === "string") headers.set(k, v);
  const body = typeof config.data === "string" ? config.data : config.data ? JSON.stringify(config.data) : "";
  const res = await fake.handle({ url: new URL(config.url!), method: (config.method ?? "get").toUpperCase(), headers, body });
  const text = await res.text();
  const response = { data: text ? JSON.parse(text) : "", status: res.status, statusText: res.statusText, headers: {}, config, request: {} };
  if (res.status >= 200 && res.status < 300) return response;
  throw new axios.AxiosError(`Request failed with status code ${res.status}`, "ERR_BAD_REQUEST", config, {}, response);
};

function fetchInto(f: FakePlivo) {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init);
    const seen: Seen = { url: new URL(req.url), method: req.method, headers: req.headers, body: await req.text() };
    return f.handle(seen);
  };
}

beforeEach(() => {
  axios.defaults.adapter = adapter;
});
afterEach(() => {
  axios.defaults.adapter = saved;
  vi.unstubAllGlobals();
});

const ours = () => plivoNumbers({ authId: PLIVO_AUTH_ID, authToken: PLIVO_TOKEN, applicationId: PLIVO_APP });
const sdk = () => new Client(PLIVO_AUTH_ID, PLIVO_TOKEN);
const bodyOf = (s: Seen) => JSON.parse(s.body) as Record<string, unknown>;

describe("Plivo number calls: ours and the SDK's, against FakePlivo", () => {
  it("search: the same query; the SDK reads the fake's page of PhoneNumber objects as we do", async () => {
    fake = new FakePlivo(local(["+15105550101", "+15105550102", "+14155550103"]));
    vi.stubGlobal("fetch", fetchInto(fake));
    const mine = await ours().search({ country: "US", type: "local", areaCode: "510", limit: 10 });
    const query = Object.fromEntries(plivoSearchParams({ country: "US", type: "local", areaCode: "510", limit: 10 }));
    const { country_iso, ...rest } = query;
    const theirs = await sdk().numbers.search(country_iso, { ...rest });
    const [a, b] = fake.requests("GET", /\/PhoneNumber\/$/);
    expect(Object.fromEntries(b!.url.searchParams)).toEqual(Object.fromEntries(a!.url.searchParams));
    expect(b!.url.pathname).toBe(a!.url.pathname);
    expect(mine).toEqual({ ok: true, value: theirs.map((n: { number: string }) => ({ number: `+${n.number}`, region: null })) });
    expect(theirs.map((n: { number: string }) => n.number)).toEqual(["15105550101", "15105550102"]);
  });

  it("buy and mark: the SDK's buy body and our buy body, its update body and ours; the fake's buy answer parses in the SDK", async () => {
    fake = new FakePlivo(local(["+15105550111", "+15105550112"]));
    const bought = await sdk().numbers.buy("15105550111", PLIVO_APP);
    expect(bought).toMatchObject({ status: "fulfilled", message: "created", numbers: [{ number: "15105550111", status: "Success" }] });
    await sdk().numbers.update("15105550111", { appId: PLIVO_APP, alias: TAG });
    vi.stubGlobal("fetch", fetchInto(fake));
    expect(await ours().buy("+15105550112", TAG, URLS)).toEqual({
      ok: true,
      value: { number: "+15105550112", providerId: "15105550112", configured: true, pending: undefined },
    });
    const [sdkBuy, ourBuy] = fake.requests("POST", /\/PhoneNumber\/\d+\/$/);
    expect(ourBuy!.url.pathname).toBe(sdkBuy!.url.pathname.replace("15105550111", "15105550112"));
    expect(bodyOf(ourBuy!)).toEqual(bodyOf(sdkBuy!));
    const [sdkMark, ourMark] = fake.requests("POST", /\/Number\/\d+\/$/);
    expect(bodyOf(ourMark!)).toEqual(bodyOf(sdkMark!));
    expect(bodyOf(sdkMark!)).toEqual({ app_id: PLIVO_APP, alias: TAG });
  });

  it("list by alias over pages: the SDK reads the fake's meta and objects, and finds what our reconcile finds", async () => {
    fake = new FakePlivo(local(Array.from({ length: 23 }, (_, i) => `+1510555${String(2000 + i)}`)));
    vi.stubGlobal("fetch", fetchInto(fake));
    for (const s of [...fake.inventory]) await ours().buy(s.number, TAG, URLS);
    const mine = await ours().owned(TAG, URLS);
    const first = await sdk().numbers.list({ alias: TAG, limit: 20, offset: 0 });
    const second = await sdk().numbers.list({ alias: TAG, limit: 20, offset: 20 });
    expect(first.meta).toMatchObject({ limit: 20, offset: 0, totalCount: 23 });
    expect(first.meta.next).toContain("offset=20");
    expect(second.meta.next).toBeNull();
    const theirs = [...first, ...second].map((n: { number: string }) => `+${n.number}`);
    expect(mine.ok && mine.value.map((o) => o.number)).toEqual(theirs);
    expect(theirs).toHaveLength(23);
  });

  it("the application's URLs and the unrent: the same path and fields", async () => {
    fake = new FakePlivo(local(["+15105550121", "+15105550122"]));
    vi.stubGlobal("fetch", fetchInto(fake));
    await sdk().applications.update(PLIVO_APP, {
      answerUrl: URLS.voiceUrl,
      answerMethod: "POST",
      fallbackAnswerUrl: URLS.voiceUrl,
      fallbackMethod: "POST",
      hangupUrl: URLS.statusUrl,
      hangupMethod: "POST",
    });
    expect(await ours().prepare(URLS)).toEqual({ ok: true, value: true });
    const [theirsApp, mineApp] = fake.requests("POST", /\/Application\/\d+\/$/);
    expect(mineApp!.url.pathname).toBe(theirsApp!.url.pathname);
    expect(bodyOf(mineApp!)).toEqual(bodyOf(theirsApp!));

    await ours().buy("+15105550121", TAG, URLS);
    await ours().buy("+15105550122", TAG, URLS);
    expect(await sdk().numbers.unrent("15105550121")).toBe(true);
    expect(await ours().release("15105550122")).toEqual({ ok: true, value: true });
    const [theirsDel, mineDel] = fake.requests("DELETE", /\/Number\/\d+\/$/);
    expect(mineDel!.url.pathname).toBe(theirsDel!.url.pathname.replace("0121", "0122"));
    expect(fake.numbers()).toEqual([]);
    // Gone already: the SDK sees Plivo's 404, and our release counts it released.
    await expect(sdk().numbers.unrent("15105550121")).rejects.toBeTruthy();
    expect(await ours().release("15105550121")).toEqual({ ok: true, value: true });
  });
});
