/** Debug mode (snippet/debug.ts): the console says what was found, which rule and pool, and why something was not swapped. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { findings } from "../../shared/pairs";
import { pattern } from "../../shared/pattern";
import { phoneParts } from "../../shared/phone";
import { ANY_NUMBER } from "../../shared/protocol";
import { debug } from "../../snippet/debug";
import { anyNumber } from "../../worker/domain/any-number";
import { alloc, answer, flush, page, reset, run, stubFetch, US, US_T } from "./helpers";

let info: ReturnType<typeof vi.spyOn>;
/** Each console.info line after its "dni:" prefix, as one string. */
const said = () =>
  info.mock.calls.map((c: unknown[]) =>
    c
      .slice(1)
      .map((x) => (typeof x === "string" ? x : JSON.stringify(x)))
      .join(" "),
  );

beforeEach(() => {
  vi.spyOn(console, "warn").mockImplementation(() => {});
  info = vi.spyOn(console, "info").mockImplementation(() => {});
  debug.on = true;
});
afterEach(async () => {
  await flush();
  debug.on = false;
  reset();
});

describe("debug report", () => {
  it("the request, the source rule, the pool's number, a destination not on the page, a number that is no destination", async () => {
    stubFetch(
      answer([alloc("ads", [US, { ...US, e164: "+18005550100", nsn: "8005550100", national: "(800) 555-0100" }], US_T)], "s", Date.now(), "google-ads"),
    );
    page("<p>Call (800) 555-0199 or our office 212-555-0111</p>", "https://shop.example/?gclid=x");
    const dni = run({ pool: "ads", sources: "google-ads: gclid -> ads" });
    await dni.number();
    const lines = said();
    expect(lines).toContainEqual(expect.stringMatching(/^asking https:\/\/dni\.example\.com\/v1\/allocate for pools ads with rules google-ads: gclid -> ads/));
    expect(lines).toContainEqual(expect.stringContaining('source "google-ads"'));
    expect(lines).toContainEqual(expect.stringContaining("pool ads: number +18005550123 for +18005550199, +18005550100"));
    expect(lines).toContainEqual(expect.stringContaining("destination +18005550100 ((800) 555-0100) not found on this page"));
    expect(lines).toContainEqual("found +18005550199 on the page: swapped for +18005550123");
    expect(lines).toContainEqual(expect.stringContaining('"212-555-0111" looks like a phone number but is no destination'));
    expect(lines.join("\n")).not.toContain('"(800) 555-0123" looks like');
  });

  it("tells each destination once, also one found in a pattern group per written form (another trunk prefix)", async () => {
    const pools = [alloc("au", [phoneParts("+61298765432"), phoneParts("+61398765432")], phoneParts("+611800123456"))];
    const sent = answer(pools);
    expect(sent.pairs.length).toBeGreaterThan(2);
    stubFetch(sent);
    page("<p>Sydney (02) 9876 5432</p>");
    await run().number();
    const lines = said();
    expect(lines.filter((l: string) => l === "found +61298765432 on the page: swapped for +611800123456")).toHaveLength(1);
    expect(lines.filter((l: string) => l.startsWith("destination +61398765432 ((03) 9876 5432) not found on this page"))).toHaveLength(1);
  });

  it("a replaceAll pool: says other numbers were swapped (its pair for what it leaves alone, an IBAN, has no number)", async () => {
    const pools = [alloc("all", [US, ANY_NUMBER], US_T)];
    const sent = answer(pools);
    sent.pattern = pattern(findings(pools, "email").numbers, anyNumber([US]));
    expect(sent.pairs.some(([d, n]) => d.e164 === "*" && n === null)).toBe(true);
    stubFetch(sent);
    page("<p>Call (800) 555-0199 or our office 212-555-0111</p>");
    await run().number();
    expect(said()).toContainEqual("found other numbers: swapped for +18005550123 (replaceAll)");
    expect(console.warn).not.toHaveBeenCalled();
  });

  it("no rule matched; nothing phone-like; a pool with no number", async () => {
    stubFetch(answer([], "s", Date.now(), "referral"));
    page("<p>Call (800) 555-0199</p>");
    await run({ sources: "ads: gclid -> ads" }).number();
    expect(said()).toContainEqual(expect.stringContaining("no source rule matched and there is no data-pool"));
    reset(); // restores the spies: again
    vi.spyOn(console, "warn").mockImplementation(() => {});
    info = vi.spyOn(console, "info").mockImplementation(() => {});
    const f = stubFetch(answer([alloc("web", [US], null)]));
    page("<p>Open 9-5, $1,299</p>");
    run();
    await flush();
    expect(f).not.toHaveBeenCalled();
    expect(said()).toContainEqual(expect.stringContaining("nothing phone-like on the page"));
    page("<p>Call (800) 555-0199</p>");
    await run().number();
    expect(said()).toContainEqual(expect.stringContaining("pool web: no number (pool exhausted, or policy none)"));
  });

  it("names the malformed source rules the worker skipped", async () => {
    stubFetch({ ...answer([alloc("web", [US], US_T)]), warnings: ["bad rule: no colon"] });
    page("<p>Call (800) 555-0199</p>");
    await run({ sources: "no colon; ads: gclid -> web" }).number();
    expect(said()).toContainEqual("data-sources: bad rule: no colon: skipped, the other rules apply");
  });

  it("says nothing when off", async () => {
    debug.on = false;
    stubFetch();
    page("<p>Call (800) 555-0199</p>");
    await run().number();
    expect(info).not.toHaveBeenCalled();
  });
});
