import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { classify, test as cond, glob, parseRules, pick } from "../../shared/rules";

const q = (s: string) => new URLSearchParams(s);
/** The name of the rule that src picks for a query string and referrer host. */
const name = (src: string, query = "", ref = "") =>
  pick(
    parseRules(src, () => {}),
    q(query),
    ref,
  )?.n;

describe("parseRules", () => {
  it("parses names, conditions and pools, spaces or not", () => {
    expect(parseRules("google-ads: gclid | utm_source=google & utm_medium=cpc -> pool-ads, pool-b; email:utm_medium=email; *: -> pool-web", () => {})).toEqual([
      { n: "google-ads", c: "gclid|utm_source=google&utm_medium=cpc", p: ["pool-ads", "pool-b"] },
      { n: "email", c: "utm_medium=email", p: undefined },
      { n: "*", c: "*", p: ["pool-web"] },
    ]);
  });

  it("keeps spaces inside a value", () => {
    expect(parseRules("x: utm_campaign = winter sale* -> p", () => {})[0]!.c).toBe("utm_campaign=winter sale*");
  });

  it("warns once per malformed rule, naming it, and keeps the others", () => {
    const warn = vi.fn();
    const rules = parseRules(
      "google ads: gclid; bing: referrer=bing.com -> ads; no colon; a: gclid || b; b: -> ; c: gclid -> bad pool!; d: utm_source==x; e: *=x; f: & gclid; ok: * -> web;;",
      warn,
    );
    expect(rules.map((r) => r.n)).toEqual(["bing", "ok"]);
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      "bad rule: google ads: gclid",
      "bad rule: no colon",
      "bad rule: a: gclid || b",
      "bad rule: b: ->",
      "bad rule: c: gclid -> bad pool!",
      "bad rule: d: utm_source==x",
      "bad rule: e: *=x",
      "bad rule: f: & gclid",
    ]);
  });

  it("takes a rule naming up to 5 pools; one naming more is malformed (a session token names at most 5)", () => {
    const warn = vi.fn();
    const rules = parseRules("five: gclid -> a,b,c,d,e; six: gclid -> a,b,c,d,e,f; ok: * -> web", warn);
    expect(rules.map((r) => [r.n, r.p])).toEqual([
      ["five", ["a", "b", "c", "d", "e"]],
      ["ok", ["web"]],
    ]);
    expect(warn.mock.calls.map((c) => c[0])).toEqual(["bad rule: six: gclid -> a,b,c,d,e,f (more than 5 pools)"]);
  });

  it("keeps no warn callback's return value as a rule", () => {
    expect(parseRules("bad; ok: * -> web", () => 1)).toEqual([{ n: "ok", c: "*", p: ["web"] }]);
  });

  it("accepts an empty attribute", () => {
    const warn = vi.fn();
    expect(parseRules("", warn)).toEqual([]);
    expect(parseRules(" ; ", warn)).toEqual([]);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe("conditions", () => {
  it("present: the parameter is there and not empty", () => {
    expect(cond(["gclid"], q("gclid=abc"), "")).toBe(true);
    expect(cond(["gclid"], q("gclid="), "")).toBe(false);
    expect(cond(["gclid"], q("x=1"), "")).toBe(false);
  });

  it("equals, case-insensitively", () => {
    expect(cond(["utm_medium", "cpc"], q("utm_medium=cpc"), "")).toBe(true);
    expect(cond(["utm_medium", "cpc"], q("utm_medium=CPC"), "")).toBe(true);
    expect(cond(["utm_medium", "cpc"], q("utm_medium=cpc2"), "")).toBe(false);
    expect(cond(["utm_medium", "cpc"], q(""), "")).toBe(false);
  });

  it("globs", () => {
    expect(cond(["utm_campaign", "winter*"], q("utm_campaign=winter-sale"), "")).toBe(true);
    expect(cond(["utm_campaign", "winter*"], q("utm_campaign=summer-winter"), "")).toBe(false);
    expect(cond(["utm_campaign", "*sale*"], q("utm_campaign=big+sale+now"), "")).toBe(true);
    expect(cond(["utm_campaign", "a.b*"], q("utm_campaign=axb"), "")).toBe(false);
    expect(cond(["gclid", "*"], q("gclid=x"), "")).toBe(true);
    expect(cond(["gclid", "*"], q(""), "")).toBe(false);
  });

  it("a glob answers as the RegExp it stands for (`*` any run, the rest literal, case-insensitive, the whole value)", () => {
    const reference = (g: string, v: string) => RegExp(`^${g.replace(/[^\w*]/g, "\\$&").replace(/\*/g, "[^]*")}$`, "i").test(v);
    const text = (chars: string[]) => fc.array(fc.constantFrom(...chars), { maxLength: 12 }).map((a) => a.join(""));
    fc.assert(
      fc.property(text(["a", "B", "b", "*", ".", "-", "é"]), text(["a", "A", "b", ".", "-", "é", "É", "\n"]), (g, v) => {
        expect(glob(g, v)).toBe(reference(g, v));
      }),
      { numRuns: 3000 },
    );
  });

  it("a rule of many `*` against the longest landing value answers at once (a backtracking RegExp ran for minutes)", () => {
    const long = "a".repeat(2048);
    expect(glob("*a*a*a*a*a*a*!", long)).toBe(false);
    expect(glob("*a*a*a*a*a*a*", long)).toBe(true);
    expect(cond(["q", "*a*a*a*a*a*a*!"], q(`q=${long}`), "")).toBe(false);
    // A long run of text between stars against a longer value of nearly it (pattern × value steps
    // for a walk back to the last star: 90 ms a rule in a 24 KiB request).
    const near = "a".repeat(12_000);
    expect(glob(`*${"a".repeat(2000)}b*`, near)).toBe(false);
    expect(glob(`*${"a".repeat(2000)}*`, near)).toBe(true);
    expect(glob(`a*${"a".repeat(2000)}*${"a".repeat(9999)}`, near)).toBe(true);
    expect(glob(`a*${"a".repeat(2000)}*${"a".repeat(10_000)}`, near)).toBe(false);
  });

  it("none: absent or empty", () => {
    expect(cond(["utm_source", "none"], q(""), "")).toBe(true);
    expect(cond(["utm_source", "none"], q("utm_source=x"), "")).toBe(false);
  });

  it("referrer: google, a domain, any, none, a glob", () => {
    expect(cond(["referrer", "google"], q(""), "www.google.com")).toBe(true);
    expect(cond(["referrer", "google"], q(""), "google.co.uk")).toBe(true);
    expect(cond(["referrer", "google"], q(""), "www.bing.com")).toBe(false);
    expect(cond(["referrer", "bing.com"], q(""), "www.bing.com")).toBe(true);
    expect(cond(["referrer", "bing.com"], q(""), "bing.com")).toBe(true);
    expect(cond(["referrer", "bing.com"], q(""), "www.google.com")).toBe(false);
    expect(cond(["referrer", "any"], q(""), "t.co")).toBe(true);
    expect(cond(["referrer"], q(""), "t.co")).toBe(true);
    expect(cond(["referrer", "any"], q(""), "")).toBe(false);
    expect(cond(["referrer", "none"], q(""), "")).toBe(true);
    expect(cond(["referrer", "none"], q(""), "t.co")).toBe(false);
    expect(cond(["referrer", "*.facebook.com"], q(""), "l.facebook.com")).toBe(true);
    expect(cond(["referrer", "google"], q("referrer=google"), "")).toBe(false);
  });

  it("catch-all", () => {
    expect(cond(["*"], q(""), "")).toBe(true);
  });
});

describe("pick", () => {
  const RULES = "google-ads: gclid | utm_source=google & utm_medium=cpc -> ads; bing: referrer=bing.com; email: utm_medium=email; *: -> web";

  it("first match wins", () => {
    expect(name(RULES, "gclid=1&utm_medium=email")).toBe("google-ads");
    expect(name(RULES, "utm_medium=email", "www.bing.com")).toBe("bing");
    expect(name(RULES, "utm_medium=email")).toBe("email");
    expect(name(RULES, "")).toBe("*");
  });

  it("& binds tighter than |", () => {
    expect(name(RULES, "utm_source=google&utm_medium=cpc")).toBe("google-ads");
    expect(name(RULES, "utm_source=google")).toBe("*");
    expect(name(RULES, "utm_medium=cpc")).toBe("*");
    expect(name("a: x | y & z", "x=1")).toBe("a");
    expect(name("a: x | y & z", "y=1")).toBeUndefined();
    expect(name("a: x | y & z", "y=1&z=1")).toBe("a");
    expect(name("a: x & y | z", "z=1")).toBe("a");
  });

  it("no match and no catch-all: undefined", () => {
    expect(name("a: gclid; b: referrer=google", "")).toBeUndefined();
  });

  it("a rule without conditions always matches", () => {
    expect(name("web: -> pool-web", "")).toBe("web");
  });

  it("a malformed rule is skipped, the rest still work", () => {
    expect(name("bad rule; ads: gclid", "gclid=1")).toBe("ads");
  });
});

describe("classify (on the worker: the snippet sends the rules' text and the first touch)", () => {
  const RULES = "google-ads: gclid -> ads; email: utm_medium=email; bing: referrer=bing.com -> ads";
  const at = (landing: string, referrer = "", src = RULES, pools?: string[]) => classify(src, landing, referrer, pools, () => {});

  it("names the source by the first matching rule", () => {
    expect(at("https://shop.example/p?gclid=xyz", "https://www.google.com/")).toEqual({ name: "google-ads", pools: ["ads"] });
    expect(at("https://shop.example/", "https://www.bing.com/").name).toBe("bing");
  });

  it("names unmatched visitors direct or referral (this site's own referrer is direct)", () => {
    expect(at("https://shop.example/", "", "", ["web"]).name).toBe("direct");
    expect(at("https://shop.example/", "https://news.example/a", "", ["web"]).name).toBe("referral");
    expect(at("https://shop.example/b", "https://shop.example/a", "", ["web"]).name).toBe("direct");
    expect(at("https://shop.example/", "not a url", "*: -> web").name).toBe("direct");
  });

  it("picks pools: the rule's, else the default, else none when rules exist", () => {
    expect(at("https://shop.example/?utm_medium=email", "", RULES, ["web"]).pools).toEqual(["web"]);
    expect(at("https://shop.example/?utm_medium=email", "", RULES).pools).toEqual([]);
    expect(at("https://shop.example/", "", RULES).pools).toBeNull();
    expect(at("https://shop.example/", "", RULES, []).pools).toBeNull();
    expect(at("https://shop.example/", "", RULES, ["web", "web2"]).pools).toEqual(["web", "web2"]);
    expect(at("https://shop.example/", "", "").pools).toEqual([]);
    expect(at("", undefined, "").pools).toEqual([]);
  });
});
