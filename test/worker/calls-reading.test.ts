import { SELF } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { at, callBody, callId, callWorld, DEST, GOOGLE, ring, T0, type Voice, visit } from "./calls-helpers";
import { parseCsv } from "./csv";
import { api, type Created, createPool, freshNumbers } from "./helpers";

const DAY = 86_400_000;

const HOSTILE = {
  name: '=HYPERLINK("http://evil")',
  landing: 'https://www.shop.example/a,b?q="quoted"\nnext',
  utm: { source: "+sum(1)", medium: "-cpc", campaign: "@spring", term: "spring;=1+1", content: "a\t=2+2" },
};

interface World {
  acct: Created;
  voice: Voice;
  ids: { id: string; pool: string; source: string | null; startedAt: number }[];
}

/** Calls over three days from two pools and three sources, one unattributed. */
async function seed(): Promise<World> {
  vi.useFakeTimers({ toFake: ["Date"] });
  at(T0);
  const { acct, voice } = await callWorld(6, { leaseSeconds: 3 * 86_400 });
  const ads = freshNumbers(2);
  await createPool(acct, { id: "ads", name: "Ads", trackingNumbers: ads, destinations: ["+12127365009"], leaseSeconds: 3 * 86_400 });
  const google = await visit(acct, GOOGLE, ["ads"]);
  const mail = await visit(acct, { name: "newsletter", utm: { source: "news", medium: "email" } });
  const hostile = await visit(acct, HOSTILE);
  const plan: [number, string, string | null, number][] = [
    [0, google.number, "google-ads", 1_000],
    [0, mail.number, "newsletter", 2_000],
    [1, google.number, "google-ads", 3_000],
    [1, hostile.number, HOSTILE.name, 4_000],
    [1, google.number, "google-ads", 5_000],
    [2, mail.number, "newsletter", 6_000],
  ];
  const ids: World["ids"] = [];
  for (const [day, number, source, offset] of plan) {
    const startedAt = T0 + day * DAY + offset;
    at(startedAt);
    const id = callId("r");
    expect((await ring(voice.callbackUrl, callBody(id, number, startedAt))).status).toBe(200);
    ids.push({ id, pool: number === google.number ? "ads" : "web", source, startedAt });
  }
  // A free number: unattributed, still counted.
  const free = ads.find((n) => n !== google.number)!;
  const id = callId("free");
  await ring(voice.callbackUrl, callBody(id, free, T0 + 2 * DAY + 7_000));
  ids.push({ id, pool: "ads", source: null, startedAt: T0 + 2 * DAY + 7_000 });
  vi.useRealTimers();
  return { acct, voice, ids };
}

describe("reading calls back", () => {
  let w: World;
  beforeAll(async () => {
    w = await seed();
  });
  afterEach(() => vi.useRealTimers());

  const newestFirst = () => [...w.ids].sort((a, b) => b.startedAt - a.startedAt);

  it("lists newest first, paged with a cursor, and filters by pool, source, attribution and time", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await api("GET", `/v1/calls?limit=3${cursor ? `&cursor=${cursor}` : ""}`, { key: w.acct.adminKey });
      expect(r.status).toBe(200);
      expect(r.json.calls.length).toBeLessThanOrEqual(3);
      seen.push(...r.json.calls.map((c: { id: string }) => c.id));
      cursor = r.json.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(newestFirst().map((c) => c.id));
    const ids = async (q: string) => (await api("GET", `/v1/calls?${q}`, { key: w.acct.adminKey })).json.calls.map((c: { id: string }) => c.id);
    expect(await ids("pool=ads")).toEqual(
      newestFirst()
        .filter((c) => c.pool === "ads")
        .map((c) => c.id),
    );
    expect(await ids("source=newsletter")).toEqual(
      newestFirst()
        .filter((c) => c.source === "newsletter")
        .map((c) => c.id),
    );
    expect(await ids("attributed=false")).toEqual(
      newestFirst()
        .filter((c) => c.source === null)
        .map((c) => c.id),
    );
    const from = new Date(T0 + DAY).toISOString();
    expect(await ids(`from=${from}&to=${T0 + 2 * DAY}`)).toEqual(
      newestFirst()
        .filter((c) => c.startedAt >= T0 + DAY && c.startedAt < T0 + 2 * DAY)
        .map((c) => c.id),
    );
    expect(await ids("pool=ads&source=google-ads&limit=1")).toEqual([newestFirst().find((c) => c.source === "google-ads")!.id]);
  });

  it("one call in full; unknown ids and other accounts' calls are 404", async () => {
    const first = w.ids[0]!;
    const r = await api("GET", `/v1/calls/${first.id}`, { key: w.acct.adminKey });
    expect(r.json).toMatchObject({
      id: first.id,
      pool: "ads",
      attributed: true,
      source: { name: "google-ads" },
      route: { action: "transfer", to: "+12127365009" },
      deliveries: [],
    });
    expect((await api("GET", "/v1/calls/nope", { key: w.acct.adminKey })).json.error.code).toBe("call_not_found");
    const other = await callWorld(1);
    expect((await api("GET", `/v1/calls/${first.id}`, { key: other.acct.adminKey })).status).toBe(404);
    expect((await api("GET", "/v1/calls", { key: other.acct.adminKey })).json.calls).toEqual([]);
    expect((await api("GET", "/v1/calls")).status).toBe(401);
    expect((await api("GET", "/v1/calls", { key: w.acct.siteKey })).status).toBe(403);
  });

  it("the CSV export has every call, quoted properly, and no cell a spreadsheet would run", async () => {
    const res = await SELF.fetch("https://dni.test/v1/calls.csv", { headers: { Authorization: `Bearer ${w.acct.adminKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    const text = await res.text();
    expect(text.endsWith("\r\n")).toBe(true); // every row, the last too, ends with CRLF
    const rows = parseCsv(text);
    const [header, ...body] = rows;
    expect(header!.slice(0, 4)).toEqual(["call_id", "started_at", "pool", "tracking_number"]);
    const col = (name: string) => header!.indexOf(name);
    expect(body.map((r) => r[col("call_id")])).toEqual(newestFirst().map((c) => c.id));
    for (const row of body) {
      expect(row).toHaveLength(header!.length);
      for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    const list = (await api("GET", "/v1/calls?limit=500", { key: w.acct.adminKey })).json.calls;
    for (const [i, call] of list.entries()) {
      const row = body[i]!;
      expect(row[col("started_at")]).toBe(new Date(call.startedAt).toISOString());
      expect(row[col("pool")]).toBe(call.pool);
      expect(row[col("tracking_number")]).toBe(`'${call.trackingNumber}`);
      expect(row[col("attributed")]).toBe(String(call.attributed));
      expect(row[col("session")]).toBe(call.session ?? "");
      expect(row[col("routed_to")]).toBe(`'${call.route.to}`);
    }
    // Where ";" (or a tab) separates cells, an unquoted "spring;=1+1" would put "=1+1" in a cell of its own.
    expect(text).toContain(',"spring;=1+1","a\t=2+2",');
    const hostile = body.find((r) => r[col("source")]!.includes("HYPERLINK"))!;
    expect(hostile[col("source")]).toBe(`'${HOSTILE.name}`);
    expect(hostile[col("landing")]).toBe(HOSTILE.landing);
    expect([hostile[col("utm_source")], hostile[col("utm_medium")], hostile[col("utm_campaign")]]).toEqual(["'+sum(1)", "'-cpc", "'@spring"]);
    // delimiter=semicolon: the same cells split on ";" (a "," inside a cell stays in it), still neutralised.
    const semi = await SELF.fetch("https://dni.test/v1/calls.csv?delimiter=semicolon", { headers: { Authorization: `Bearer ${w.acct.adminKey}` } });
    // With a UTF-8 byte order mark (Excel reads accents right), which a decoder takes off; the comma CSV has none.
    expect([...new Uint8Array(await semi.clone().arrayBuffer()).slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const comma = await SELF.fetch("https://dni.test/v1/calls.csv", { headers: { Authorization: `Bearer ${w.acct.adminKey}` } });
    expect(new Uint8Array(await comma.arrayBuffer())[0]).toBe(header!.join(",").charCodeAt(0));
    const semiText = await semi.text();
    expect(semiText.split("\r\n")[0]).toBe(header!.join(";"));
    expect(semiText.endsWith("\r\n")).toBe(true);
    expect(parseCsv(semiText, ";")).toEqual(rows);
    expect(semiText).toContain(';"spring;=1+1";"a\t=2+2";');
    expect((await api("GET", "/v1/calls.csv?delimiter=tab", { key: w.acct.adminKey })).json.error.code).toBe("invalid_request");
    // Filters apply to the export too.
    const ads = await SELF.fetch("https://dni.test/v1/calls.csv?pool=ads", { headers: { Authorization: `Bearer ${w.acct.adminKey}` } });
    expect(parseCsv(await ads.text())).toHaveLength(1 + w.ids.filter((c) => c.pool === "ads").length);
  });

  it("counts by source and UTC day match the stored calls", async () => {
    const r = await api("GET", "/v1/stats/calls", { key: w.acct.adminKey });
    expect(r.status).toBe(200);
    const day = (t: number) => new Date(t).toISOString().slice(0, 10);
    // No status callback arrived for these calls: none is answered yet (calls-outcome.test.ts counts answers).
    const expected = new Map<string, { day: string; source: string | null; calls: number; attributed: number; answered: number; talkSeconds: number }>();
    for (const c of w.ids) {
      const key = `${day(c.startedAt)}|${c.source}`;
      const e = expected.get(key) ?? { day: day(c.startedAt), source: c.source, calls: 0, attributed: 0, answered: 0, talkSeconds: 0 };
      e.calls++;
      if (c.source !== null) e.attributed++;
      expected.set(key, e);
    }
    const sorted = [...expected.values()].sort((a, b) => (a.day + (a.source ?? "")).localeCompare(b.day + (b.source ?? "")));
    expect([...r.json.days].sort((a, b) => (a.day + (a.source ?? "")).localeCompare(b.day + (b.source ?? "")))).toEqual(sorted);
    expect(r.json.total).toEqual({ calls: w.ids.length, attributed: w.ids.filter((c) => c.source !== null).length, answered: 0, talkSeconds: 0 });
    const ads = await api("GET", `/v1/stats/calls?pool=ads&from=${T0 + DAY}`, { key: w.acct.adminKey });
    expect(ads.json.total.calls).toBe(w.ids.filter((c) => c.pool === "ads" && c.startedAt >= T0 + DAY).length);
  });

  it("counts by a time zone's days with timeZone (a business's, a viewer's); an unknown zone is 400", async () => {
    const localDay = (t: number, timeZone: string) =>
      new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(t);
    const perDay = (days: { day: string; calls: number }[]) => {
      const m = new Map<string, number>();
      for (const d of days) m.set(d.day, (m.get(d.day) ?? 0) + d.calls);
      return Object.fromEntries([...m].sort());
    };
    const utc = perDay(w.ids.map((c) => ({ day: localDay(c.startedAt, "UTC"), calls: 1 })));
    let moved = 0;
    // Far west of UTC, a quarter-hour offset, and far east of it (the calls ring in the UTC morning).
    for (const zone of ["Pacific/Pago_Pago", "Asia/Kathmandu", "Pacific/Kiritimati"]) {
      const r = await api("GET", `/v1/stats/calls?timeZone=${encodeURIComponent(zone)}`, { key: w.acct.adminKey });
      expect(r.status).toBe(200);
      const expected = perDay(w.ids.map((c) => ({ day: localDay(c.startedAt, zone), calls: 1 })));
      expect(perDay(r.json.days)).toEqual(expected);
      expect(r.json.total.calls).toBe(w.ids.length);
      if (JSON.stringify(expected) !== JSON.stringify(utc)) moved++;
    }
    // The calls fall on other days than UTC's in some zone: the case is not vacuous.
    expect(moved).toBeGreaterThan(0);
    // A day alone as from/to is that day's midnight in the zone: the days come back whole, none outside.
    for (const zone of ["Pacific/Pago_Pago", "Pacific/Kiritimati"]) {
      const days = [...new Set(w.ids.map((c) => localDay(c.startedAt, zone)))].sort();
      const [first, last] = [days[0]!, days.at(-1)!];
      const r = await api("GET", `/v1/stats/calls?timeZone=${encodeURIComponent(zone)}&from=${first}&to=${last}`, { key: w.acct.adminKey });
      expect(r.status).toBe(200);
      const inside = w.ids.filter((c) => localDay(c.startedAt, zone) >= first && localDay(c.startedAt, zone) < last);
      expect({ zone, days: perDay(r.json.days) }).toEqual({ zone, days: perDay(inside.map((c) => ({ day: localDay(c.startedAt, zone), calls: 1 }))) });
      // The CSV export of the same days holds the same calls.
      const csv = await api("GET", `/v1/calls.csv?timeZone=${encodeURIComponent(zone)}&from=${first}&to=${last}`, { key: w.acct.adminKey });
      expect({ zone, ids: w.ids.filter((c) => csv.text.includes(c.id)).map((c) => c.id) }).toEqual({ zone, ids: inside.map((c) => c.id) });
    }
    const bad = await api("GET", "/v1/stats/calls?timeZone=Mars%2FOlympus", { key: w.acct.adminKey });
    expect([bad.status, bad.json.error.code]).toEqual([400, "invalid_request"]);
  });

  it("totals calls by source, campaign, landing page or pool with groupBy, over a time range", async () => {
    // The expected groups, computed from the calls as the API lists them.
    const calls: {
      id: string;
      pool: string | null;
      startedAt: number;
      attributed: boolean;
      source: { name: string | null; landing: string | null; utm: { campaign: string | null } } | null;
    }[] = (await api("GET", "/v1/calls?limit=500", { key: w.acct.adminKey })).json.calls;
    const keyOf = {
      source: (c: (typeof calls)[number]) => c.source?.name ?? null,
      campaign: (c: (typeof calls)[number]) => c.source?.utm.campaign ?? null,
      landing: (c: (typeof calls)[number]) => c.source?.landing?.split(/[?#]/)[0] ?? null,
      pool: (c: (typeof calls)[number]) => c.pool,
    };
    const from = T0 + DAY;
    for (const [by, key] of Object.entries(keyOf)) {
      for (const range of [
        { q: "", from: 0 },
        { q: `&from=${new Date(from).toISOString()}`, from },
      ]) {
        const counts = new Map<string | null, { calls: number; attributed: number }>();
        for (const c of calls.filter((c) => c.startedAt >= range.from)) {
          const g = counts.get(key(c)) ?? { calls: 0, attributed: 0 };
          g.calls++;
          if (c.attributed) g.attributed++;
          counts.set(key(c), g);
        }
        const r = await api("GET", `/v1/stats/calls?groupBy=${by}${range.q}`, { key: w.acct.adminKey });
        expect(r.status).toBe(200);
        expect(r.json.groupBy).toBe(by);
        const groups: { key: string | null; calls: number; attributed: number; answered: number; talkSeconds: number }[] = r.json.groups;
        expect(new Map(groups.map((g) => [g.key, { calls: g.calls, attributed: g.attributed }])), `${by}${range.q}`).toEqual(counts);
        // Most calls first; the totals still add up.
        expect(groups.map((g) => g.calls)).toEqual(groups.map((g) => g.calls).sort((a, b) => b - a));
        expect(groups.reduce((n, g) => n + g.calls, 0)).toBe(r.json.total.calls);
      }
    }
    // What the seed makes: three google-ads calls on the spring campaign, landing on the shop's home page (its gclid dropped).
    const campaign = await api("GET", "/v1/stats/calls?groupBy=campaign", { key: w.acct.adminKey });
    expect(campaign.json.groups[0]).toEqual({ key: "spring", calls: 3, attributed: 3, answered: 0, talkSeconds: 0 });
    const landing = await api("GET", "/v1/stats/calls?groupBy=landing&source=google-ads", { key: w.acct.adminKey });
    expect(landing.json.groups).toEqual([{ key: "https://www.shop.example/", calls: 3, attributed: 3, answered: 0, talkSeconds: 0 }]);
    // Without groupBy the answer is as before.
    expect(Object.keys((await api("GET", "/v1/stats/calls", { key: w.acct.adminKey })).json).sort()).toEqual(["days", "total"]);
    const bad = await api("GET", "/v1/stats/calls?groupBy=city", { key: w.acct.adminKey });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0]).toMatchObject({ path: "groupBy" });
  });

  it("bad queries get a 400 JSON error", async () => {
    for (const q of ["limit=0", "limit=501", "limit=x", "from=yesterday", "attributed=maybe", "pool=../x", "cursor=bm9wZQ", `source=${"x".repeat(65)}`]) {
      const r = await api("GET", `/v1/calls?${q}`, { key: w.acct.adminKey });
      expect({ q, status: r.status, code: r.json.error.code }).toMatchObject({ q, status: 400, code: expect.stringMatching(/^invalid_/) });
    }
    expect((await api("GET", "/v1/stats/calls?to=soon", { key: w.acct.adminKey })).status).toBe(400);
    expect((await api("GET", "/v1/calls/a%20b", { key: w.acct.adminKey })).status).toBe(400);
  });

  it("the OpenAPI document describes the call path", async () => {
    const doc = (await api("GET", "/openapi.json")).json;
    for (const path of [
      "/v1/voice/{account}/{at}",
      "/v1/voice/{account}/{token}/agent",
      "/v1/calls",
      "/v1/calls/{id}",
      "/v1/calls.csv",
      "/v1/stats/calls",
      "/v1/account/voice",
      "/v1/account/integrations",
    ]) {
      expect(Object.keys(doc.paths), path).toContain(path);
    }
    expect(DEST).toBe("+12127365000");
  });
});
