/**
 * A page that still shows a number its session lost (recycled to a new visitor, or its lease ended
 * and the number went to someone else, or the pool has none now) is given, in the renewal's
 * answer, what finds that number and what to write in its place (worker/domain/former-numbers.ts).
 * The answer is run through the snippet's own find and write, as the page would.
 */
import { describe, expect, it } from "vitest";
import type { AllocateResponse } from "../../shared/protocol";
import { write } from "../../snippet/format";
import { find } from "../../snippet/match";
import { base64urlDecode } from "../../worker/platform/base64url";
import { accountWithWebPool, api, BROWSER_HEADERS, createPool, freshNumbers, ORIGIN, useTestClock } from "./helpers";

const DEST = "+12127365000";

/** What a page does with an answer: every number its pattern finds written as the pair says. */
const swapped = (a: AllocateResponse, text: string) =>
  find(text, RegExp(a.pattern, "g"), a.pairs, (written, [destination, number, mode]) => (number ? write(written, destination, number, mode) : written));

/** POST /v1/allocate as the snippet sends it: its token (if any) and the page's touch. */
async function ask(siteKey: string, token?: string, pools?: string[]): Promise<AllocateResponse> {
  const r = await api("POST", "/v1/allocate", {
    raw: JSON.stringify({ key: siteKey, token, pools, source: { landing: "https://www.shop.example/" } }),
    headers: { ...BROWSER_HEADERS, Origin: ORIGIN, "Content-Type": "text/plain" },
  });
  expect(r.status).toBe(200);
  return r.json;
}

const tokenBody = (token: string) => JSON.parse(new TextDecoder().decode(base64urlDecode(token)!));

const setup = async (size: number, extra: Record<string, unknown> = {}) => (await accountWithWebPool(size, extra)).acct;

describe("a number the page still shows after its session lost it", () => {
  const clock = useTestClock(Date.parse("2031-03-01T00:00:00Z"));

  it("recycled to a new visitor: the renewal writes the session's new number over the old one, in every form the page wrote it", async () => {
    const acct = await setup(2, { exhaustionPolicy: "recycle" });
    const a = await ask(acct.siteKey);
    const shown = a.pools[0]!.number!;
    expect(tokenBody(a.token).shown).toEqual({ web: shown.e164 });
    clock.advance(5_000);
    await ask(acct.siteKey);
    clock.advance(5_000);
    // A third visitor: the pool is full, and the lease that ends first (a's) is recycled to it.
    const c = await ask(acct.siteKey);
    expect(c.pools[0]!.number!.e164).toBe(shown.e164);
    clock.advance(5_000);
    const renewed = await ask(acct.siteKey, a.token);
    expect(renewed.session).toBe(a.session);
    const now = renewed.pools[0]!.number!;
    expect(now.e164).not.toBe(shown.e164);
    // The page shows a's old number as the snippet wrote it; the renewal's answer writes over it.
    const page = `Call ${shown.national} or tap tel:${shown.e164}. Office: (212) 736-5000. Order 4821-7730-55.`;
    expect(swapped(renewed, page)).toBe(`Call ${now.national} or tap tel:${now.e164}. Office: ${now.national}. Order 4821-7730-55.`);
    expect(swapped(renewed, `+1 ${shown.groups.join("-")}`)).toBe(`+1 ${now.groups.join("-")}`);
    // Its dni:swap detail names the destination, not the old number.
    const pair = renewed.pairs.find((p) => p[0].e164 === shown.e164)!;
    expect(pair[3]).toEqual({ destination: DEST, number: now.e164, source: "direct" });
    // The token now names the new number: a later renewal that keeps it adds nothing.
    expect(tokenBody(renewed.token).shown).toEqual({ web: now.e164 });
    clock.advance(20_000);
    const again = await ask(acct.siteKey, renewed.token);
    expect(again.pools[0]!.number!.e164).toBe(now.e164);
    expect(again.pairs.map((p) => p[0].e164)).toEqual([DEST]);
    expect(again.token).toBe(renewed.token);
    // The visitor who holds the old number now sees it as theirs: nothing in their answer touches it.
    expect(swapped(c, `Call ${shown.national}`)).toBe(`Call ${shown.national}`);
  });

  it("gone while the page slept and the pool has none now: the renewal writes the destination back", async () => {
    const acct = await setup(1, { exhaustionPolicy: "none" });
    const a = await ask(acct.siteKey);
    const shown = a.pools[0]!.number!;
    // The page sleeps past its lease; another visitor gets the number.
    clock.advance(61_000);
    const b = await ask(acct.siteKey);
    expect(b.pools[0]!.number!.e164).toBe(shown.e164);
    const renewed = await ask(acct.siteKey, a.token);
    expect(renewed.session).toBe(a.session);
    expect(renewed.pools[0]!.number).toBeNull();
    expect(swapped(renewed, `Call ${shown.national} (tel:${shown.e164})`)).toBe("Call (212) 736-5000 (tel:+12127365000)");
    expect(renewed.pairs.find((p) => p[0].e164 === shown.e164)![3]).toEqual({ destination: DEST, number: DEST, source: "direct" });
    // The token names no number now: the next answer with one finds the destination as any view does.
    expect(tokenBody(renewed.token).shown).toBeUndefined();
  });

  it("a replaceAll pool with none left: the old number becomes its destination again, before its every-number group could take it", async () => {
    const acct = await setup(1, { exhaustionPolicy: "none", replaceAll: true });
    const a = await ask(acct.siteKey);
    const shown = a.pools[0]!.number!;
    clock.advance(61_000);
    expect((await ask(acct.siteKey)).pools[0]!.number!.e164).toBe(shown.e164);
    const renewed = await ask(acct.siteKey, a.token);
    expect(renewed.pools[0]!.number).toBeNull();
    // Another business's number on the page stays: the pool has no number to write over it.
    expect(swapped(renewed, `Call ${shown.national}, not (415) 555-0132`)).toBe("Call (212) 736-5000, not (415) 555-0132");
  });

  it("only the pools whose number changed: another pool's number stays as it is", async () => {
    const acct = await setup(2, { exhaustionPolicy: "recycle" });
    await createPool(acct, { id: "ads", name: "Ads", trackingNumbers: freshNumbers(3), destinations: ["+12127365001"], leaseSeconds: 60, graceSeconds: 0 });
    const a = await ask(acct.siteKey, undefined, ["web", "ads"]);
    const [oldWeb, oldAds] = [a.pools[0]!.number!, a.pools[1]!.number!];
    expect(tokenBody(a.token).shown).toEqual({ web: oldWeb.e164, ads: oldAds.e164 });
    clock.advance(5_000);
    await ask(acct.siteKey, undefined, ["web"]);
    clock.advance(5_000);
    await ask(acct.siteKey, undefined, ["web"]); // recycles a's web number
    clock.advance(5_000);
    const renewed = await ask(acct.siteKey, a.token, ["web", "ads"]);
    const newWeb = renewed.pools[0]!.number!;
    expect(newWeb.e164).not.toBe(oldWeb.e164);
    expect(renewed.pools[1]!.number!.e164).toBe(oldAds.e164);
    // Each pool's destination, then web's old number: ads' number is the page's still.
    expect(renewed.pairs.map((p) => p[0].e164)).toEqual([DEST, "+12127365001", oldWeb.e164]);
    expect(swapped(renewed, `Web: ${oldWeb.national}. Ads: ${oldAds.national}`)).toBe(`Web: ${newWeb.national}. Ads: ${oldAds.national}`);
    expect(tokenBody(renewed.token).shown).toEqual({ web: newWeb.e164, ads: oldAds.e164 });
  });

  it("a token naming numbers that are no phone numbers, or a destination, changes nothing but its own page's answer", async () => {
    const acct = await setup(2);
    const forge = (shown: unknown) =>
      btoa(JSON.stringify({ session: "forged-session-0001", first: {}, campaign: {}, shown }))
        .replace(/\+/g, "-")
        .replace(/\//g, "_")
        .replace(/=+$/, "");
    // Not a number anywhere: left out.
    const odd = await ask(acct.siteKey, forge({ web: "+999123" }));
    expect(odd.session).toBe("forged-session-0001");
    expect(odd.pairs.map((p) => p[0].e164)).toEqual([DEST]);
    // A destination is found as itself, never as a former number.
    const dest = await ask(acct.siteKey, forge({ web: DEST }));
    expect(dest.pairs.map((p) => p[0].e164)).toEqual([DEST]);
    // Not a token of ours (shown is no map of pools to numbers): dropped, a new session.
    const broken = await ask(acct.siteKey, forge({ web: "not a number" }));
    expect(broken.session).not.toBe("forged-session-0001");
    const many = await ask(acct.siteKey, forge(Object.fromEntries(["a", "b", "c", "d", "e", "f"].map((p) => [p, "+18885550100"]))));
    expect(many.session).not.toBe("forged-session-0001");
  });
});
