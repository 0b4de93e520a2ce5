/** A replaceAll pool (ANY_NUMBER): every phone number on the page becomes the session's number; prices, dates and ids stay. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { leaseMs, renewMs } from "../../shared/lease";
import { findings } from "../../shared/pairs";
import { pattern } from "../../shared/pattern";
import { phoneParts } from "../../shared/phone";
import { ANY_NUMBER, type PoolAllocation } from "../../shared/protocol";
import { anyNumber } from "../../worker/domain/any-number";
import { alloc, DIRECT_CAMPAIGN, flush, page, reset, run, stubFetch, US, US_T } from "./helpers";

beforeEach(() => {
  vi.spyOn(console, "warn").mockImplementation(() => {});
});
afterEach(async () => {
  vi.useRealTimers();
  await flush();
  reset();
});

/** The worker's answer for a replaceAll pool whose destination is US (its pattern finds every US number). */
const answerFor = (pool: PoolAllocation) => ({
  session: "s",
  now: Date.now(),
  source: "direct",
  pools: [pool],
  pattern: pattern(findings([pool], "direct").numbers, anyNumber([US])),
  pairs: findings([pool], "direct").pairs,
  lease: leaseMs([pool], Date.now()),
  renew: renewMs([pool], Date.now()),
  token: "t",
  campaign: DIRECT_CAMPAIGN,
});

describe("replace every number", () => {
  it("swaps each number in text and tel: links, the destination in its own shape, the others in the national form", async () => {
    const pool = alloc("all", [US, ANY_NUMBER], US_T);
    stubFetch(answerFor(pool));
    page(`
      <p id="a">Sales 800.555.0199, support (212) 555-0100, fax +1 646 555 0101</p>
      <p id="b"><a id="l" href="tel:2125550100">2125550100</a></p>
      <p id="c">Order #2125550102 of 2026-11-25 for $1,212.55, ref 12/25/2026</p>`);
    const seen: string[] = [];
    document.addEventListener("dni:swap", (e) => seen.push((e as CustomEvent).detail.destination));
    await run().number();
    await flush();
    expect(document.querySelector("#a")!.textContent).toBe("Sales 800.555.0123, support (800) 555-0123, fax (800) 555-0123");
    expect(document.querySelector("#l")!.getAttribute("href")).toBe("tel:+18005550123");
    expect(document.querySelector("#l")!.textContent).toBe("(800) 555-0123");
    expect(document.querySelector("#c")!.textContent).toBe("Order #2125550102 of 2026-11-25 for $1,212.55, ref 12/25/2026");
    expect(seen.sort()).toEqual(["*", "+18005550199"]);
  });

  it("a renewal leaves the numbers it wrote as they are: the destination's stays in its own shape", async () => {
    vi.useFakeTimers();
    const pool = alloc("all", [US, ANY_NUMBER], US_T);
    const body = answerFor(pool);
    const f = stubFetch(body);
    page(`<p id="a">Sales 800.555.0199, support (212) 555-0100</p>`);
    await run().number();
    expect(document.querySelector("#a")!.textContent).toBe("Sales 800.555.0123, support (800) 555-0123");
    // The renewal scans the page again: the tracking number written in the destination's shape is
    // no other number to write in the national form.
    await vi.advanceTimersByTimeAsync(body.renew);
    expect(f).toHaveBeenCalledTimes(2);
    expect(document.querySelector("#a")!.textContent).toBe("Sales 800.555.0123, support (800) 555-0123");
  });

  it("beside another pool: that pool's number written on the page is not overwritten by a renewal's scan", async () => {
    vi.useFakeTimers();
    const salesDest = phoneParts("+12125550100");
    const sales = alloc("sales", [salesDest], phoneParts("+18885550111"));
    const all = alloc("all", [US, ANY_NUMBER], US_T);
    const body = {
      ...answerFor(all),
      pools: [sales, all],
      pattern: pattern(findings([sales, all], "direct").numbers, anyNumber([US])),
      pairs: findings([sales, all], "direct").pairs,
      lease: leaseMs([sales, all], Date.now()),
      renew: renewMs([sales, all], Date.now()),
    };
    const f = stubFetch(body);
    page(`<p id="a">Sales (212) 555-0100, support (646) 555-0101</p>`);
    await run().number();
    expect(document.querySelector("#a")!.textContent).toBe("Sales (888) 555-0111, support (800) 555-0123");
    await vi.advanceTimersByTimeAsync(body.renew);
    expect(f).toHaveBeenCalledTimes(2);
    expect(document.querySelector("#a")!.textContent).toBe("Sales (888) 555-0111, support (800) 555-0123");
  });

  it("Japan: numbers in full width too, written in full width; a renewal writes none of them again", async () => {
    vi.useFakeTimers();
    const tokyo = phoneParts("+81312345678");
    const pool = alloc("jp", [tokyo, ANY_NUMBER], phoneParts("+81120123456"));
    const body = { ...answerFor(pool), pattern: pattern(findings([pool], "direct").numbers, anyNumber([tokyo])) };
    const f = stubFetch(body);
    page(`<p id="a">大阪：０６－６１２３－４５６７、携帯：０９０－１２３４－５６７８、FAX 06-6123-4568</p>`);
    await run().number();
    const swapped = "大阪：０１２０－１２３－４５６、携帯：０１２０－１２３－４５６、FAX 0120-123-456";
    expect(document.querySelector("#a")!.textContent).toBe(swapped);
    const writes = vi.spyOn(Text.prototype, "data", "set");
    await vi.advanceTimersByTimeAsync(body.renew);
    expect(f).toHaveBeenCalledTimes(2);
    expect(document.querySelector("#a")!.textContent).toBe(swapped);
    expect(writes).not.toHaveBeenCalled();
  });
});
