import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { API, flush, page, reset, stubFetch, US_T } from "./helpers";

/** Runs the entry (snippet/index.ts) as if loaded by `<script src=... data-...>`. */
const load = async (attrs: Record<string, string>, src = `${API}/dni.js`) => {
  const s = document.createElement("script");
  s.src = src;
  for (const [k, v] of Object.entries(attrs)) s.setAttribute(`data-${k}`, v);
  Object.defineProperty(document, "currentScript", { value: s, configurable: true });
  vi.resetModules();
  await import("../../snippet/index");
};

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(async () => {
  (window as any).dni?.stop?.();
  await flush();
  reset();
});

describe("the script tag", () => {
  it("reads its data attributes and asks its own origin by default", async () => {
    const f = stubFetch();
    page("<p id='t'>(800) 555-0199</p>", "https://shop.example/?gclid=1");
    await load({ key: "pk_live", pool: "web", sources: "ads: gclid -> ads" });
    expect(await (window as any).dni.number()).toEqual(US_T);
    expect(f.mock.calls[0]![0]).toBe(`${API}/v1/allocate`);
    expect(JSON.parse(f.mock.calls[0]![1]!.body as string)).toMatchObject({
      key: "pk_live",
      pool: "web",
      sources: "ads: gclid -> ads",
      source: { landing: "https://shop.example/?gclid=1" },
    });
    expect(document.querySelector("#t")!.textContent).toBe("(800) 555-0123");
  });

  it("asks data-api's origin when given", async () => {
    const f = stubFetch();
    page("<p>(800) 555-0199</p>");
    await load({ key: "pk_live", api: "https://calls.example/" }, "https://cdn.example/dni.js");
    await (window as any).dni.number();
    expect(f.mock.calls[0]![0]).toBe("https://calls.example/v1/allocate");
  });

  it("runs the calls queued before it loaded", async () => {
    stubFetch();
    page("<p>(800) 555-0199</p>");
    const w = window as any;
    // The documented stub, pasted before the script tag.
    w.dni =
      w.dni ||
      ((...a: unknown[]) => {
        w.dni.q = w.dni.q || [];
        w.dni.q.push(a);
      });
    const got = new Promise((r) => w.dni("number", "+18005550199", r));
    await load({ key: "pk_live" });
    expect(await got).toEqual(US_T);
    expect(typeof w.dni.number).toBe("function");
  });

  it("does nothing when loaded twice", async () => {
    const f = stubFetch();
    page("<p id='t'>(800) 555-0199</p>");
    await load({ key: "pk_live" });
    const first = (window as any).dni;
    await first.number();
    await load({ key: "pk_live" });
    expect((window as any).dni).toBe(first);
    await flush();
    expect(f).toHaveBeenCalledTimes(1);
    expect(document.querySelector("#t")!.textContent).toBe("(800) 555-0123");
  });

  it("throws nothing into the page when it cannot start", async () => {
    Object.defineProperty(document, "currentScript", { value: null, configurable: true });
    vi.resetModules();
    await expect(import("../../snippet/index")).resolves.toBeDefined();
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
