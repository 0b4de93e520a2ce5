/**
 * The tracking number written in its own grouping, in the original's style, end to end: pools whose
 * tracking number has another area-code length or another type than the destination (the worker's
 * libphonenumber metadata says which, the snippet writes it), the same grouping kept digit for
 * digit, another country's number and a vanity original in the national form. Real `wrangler dev`,
 * real Chromium; each pool has one tracking number, so every written form is known in advance.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { adminCall, createAccountWithPool } from "./harness";
import { fetched, href, text, useSnippetBed, type View } from "./visit";

const bed = useSnippetBed();
let siteKey: string;

/** Pools: [id, destination, its one tracking number]. */
const UK_POOLS = [
  // London (2-digit area code) with a Manchester number (3-digit area code).
  ["mcr", "+442079460958", "+441614960000"],
  // A mobile number in place of a London one.
  ["mobile", "+442079460959", "+447911123456"],
  // A freephone number in place of a London one.
  ["free", "+442079460960", "+448081570000"],
  // Another country's number.
  ["abroad", "+442079460961", "+13125550101"],
] as const;
const WORLD_POOLS = [
  // Berlin (030, 8-digit subscriber) with Munich (089, 7 digits).
  ["berlin", "+493012345678", "+49891234567"],
  // Paris with a French mobile: the same grouping (1 2 2 2 2).
  ["paris", "+33142685300", "+33612345678"],
  // New York with Chicago: the same grouping.
  ["nyc", "+12127365000", "+13125550100"],
  // 1-800-FLOWERS: a vanity original.
  ["flowers", "+18003569377", "+18885550123"],
  // Sydney ((02) xxxx xxxx) with an Australian mobile (04xx xxx xxx).
  ["sydney", "+61298765432", "+61412345678"],
] as const;
/** Another page's (an allocation asks at most five pools). */
const MORE_POOLS = [
  // Sydney with a freecall number: dialled without the 0 (its own trunk prefix, none).
  ["freecall", "+61298765433", "+611800123456"],
  // Jakarta's (021) 8350123, two groups, with a mobile of three: one closing parenthesis.
  ["jakarta", "+62218350123", "+62812345678"],
  // An Argentine mobile with another: 011 15-… nationally, +54 9 11 … internationally.
  ["mobile-ar", "+5491123456789", "+5491187654321"],
  // Mexico City with another, written after the long-distance 01 its pages still write.
  ["mx", "+525512345678", "+525598765432"],
] as const;

/** Numbers pages write in their own digits (shared/pairs.ts NATIVE_DIGITS). */
const NATIVE_POOLS = [
  // Tokyo with a freedial number, written in full width.
  ["tokyo", "+81312345678", "+81120123456"],
  // Cairo with a mobile, in Arabic-Indic digits.
  ["cairo", "+20223456789", "+201012345678"],
  // Tehran with a mobile, in Persian digits.
  ["tehran", "+982112345678", "+989121234567"],
] as const;

/** [element id, as written on the page, as it must read after the swap]. */
const UK_FORMS = [
  ["mcr-nat", "020 7946 0958", "0161 496 0000"],
  ["mcr-intl", "+44 20 7946 0958", "+44 161 496 0000"],
  ["mcr-trunk", "+44 (0)20 7946 0958", "+44 (0)161 496 0000"],
  ["mcr-paren", "(020) 7946-0958", "(0161) 496-0000"],
  ["mcr-dots", "020.7946.0958", "0161.496.0000"],
  ["mcr-none", "02079460958", "01614960000"],
  // A line break of the page's source inside the number.
  ["mcr-break", "020\n7946 0958", "0161\n496 0000"],
  // Typeset: no-break spaces, non-breaking hyphens (kept as the separators they are).
  ["mcr-nbsp", "020\u00a07946\u00a00958", "0161\u00a0496\u00a00000"],
  ["mcr-nbhy", "020\u20117946\u20110958", "0161\u2011496\u20110000"],
  ["mob-nat", "020 7946 0959", "07911 123456"],
  ["mob-intl", "+44 20 7946 0959", "+44 7911 123456"],
  // London's area code in parentheses: a mobile and a freephone number have none.
  ["mob-paren", "(020) 7946 0959", "07911 123456"],
  ["mob-intl-paren", "+44 (20) 7946-0959", "+44 7911 123456"],
  // A capital label glued to the parenthesis: a space between it and the number.
  ["mob-label", "TEL(020) 7946 0959", "TEL 07911 123456"],
  // In the page's separators after the area code, as `020 7946-0960` is written.
  ["free-paren", "(020) 7946-0960", "0808 157-0000"],
  ["free-paren-dots", "(020) 7946.0960", "0808 157.0000"],
  ["free-nat", "020 7946 0960", "0808 157 0000"],
  ["free-dash", "020-7946-0960", "0808-157-0000"],
  ["abroad-nat", "020 7946 0961", "(312) 555-0101"],
  ["abroad-intl", "+44 20 7946 0961", "(312) 555-0101"],
] as const;
const WORLD_FORMS = [
  ["berlin-nat", "030 12345678", "089 1234567"],
  ["berlin-intl", "+49 30 12345678", "+49 89 1234567"],
  ["berlin-slash", "030/12345678", "089/1234567"],
  ["berlin-paren", "(030) 1234 5678", "(089) 1234567"],
  ["paris-nat", "01 42 68 53 00", "06 12 34 56 78"],
  ["paris-dots", "01.42.68.53.00", "06.12.34.56.78"],
  ["paris-intl", "+33 1 42 68 53 00", "+33 6 12 34 56 78"],
  ["nyc-paren", "(212) 736-5000", "(312) 555-0100"],
  ["nyc-dots", "212.736.5000", "312.555.0100"],
  ["nyc-intl", "+1 212-736-5000", "+1 312-555-0100"],
  ["nyc-endash", "(212) 736\u20135000", "(312) 555\u20130100"],
  ["flowers", "1-800-FLOWERS", "(888) 555-0123"],
  ["sydney-nat", "02 9876 5432", "0412 345 678"],
  ["sydney-intl", "+61 2 9876 5432", "+61 412 345 678"],
] as const;
const MORE_FORMS = [
  // A freecall number has no area code: not written in the parentheses of Sydney's.
  ["freecall-paren", "(02) 9876 5433", "1800 123 456"],
  ["freecall-nat", "02 9876 5433", "1800 123 456"],
  ["freecall-intl", "+61 2 9876 5433", "+61 1800 123 456"],
  // The +61 (0)2 style: the freecall number's international form, without the (0).
  ["freecall-zero", "+61 (0)2 9876 5433", "+61 1800 123 456"],
  // The rest in one run after the area code's space: the mobile's groups set apart by spaces too.
  ["jakarta-paren", "(021) 8350123", "0812 345 678"],
  ["jakarta-tight", "(021)8350123", "0812-345-678"],
  ["ar-nat", "011 15-2345-6789", "011 15-8765-4321"],
  ["ar-intl", "+54 9 11 2345-6789", "+54 9 11 8765-4321"],
  // Without the 01, in the page's separators.
  ["mx-former", "01-55-1234-5678", "55-9876-5432"],
  ["mx-former-paren", "01 (55) 1234 5678", "55 9876 5432"],
] as const;

const NATIVE_FORMS = [
  ["tokyo-wide", "０３－１２３４－５６７８", "０１２０－１２３－４５６"],
  ["tokyo-paren", "（０３）１２３４－５６７８", "０１２０－１２３－４５６"],
  ["cairo-arabic", "٠٢ ٢٣٤٥٦٧٨٩", "٠١٠ ١٢٣٤٥٦٧٨"],
  ["tehran-persian", "۰۲۱-۱۲۳۴۵۶۷۸", "۰۹۱۲ ۱۲۳ ۴۵۶۷"],
] as const;

/** A replaceAll pool in Japan: every number on the page, full width too. */
const EVERY_POOL = ["jp-all", "+81355550000", "+81368001234"] as const;
const EVERY_FORMS = [
  ["osaka-wide", "０６－６１２３－４５６７", "０３－６８００－１２３４"],
  ["mobile-wide", "０９０－１２３４－５６７８", "０３－６８００－１２３４"],
  ["osaka-ascii", "06-6123-4567", "03-6800-1234"],
] as const;

const page = (forms: readonly (readonly [string, string, string])[], pools: readonly (readonly [string, string, string])[], links: string) =>
  bed.html(`${forms.map(([id, written]) => `<p>Call <span id="${id}">${written}</span> today.</p>`).join("\n")}\n${links}`, {
    key: siteKey,
    attrs: `data-pool="${pools.map(([id]) => id).join(",")}"`,
  });

/** Every form reads as it must (once the first has changed: the swap writes them all in one pass). */
async function expectSwapped(v: View, forms: readonly (readonly [string, string, string])[]) {
  const first = forms[0]!;
  await v.page.waitForFunction(([id, was]) => document.getElementById(id!)!.textContent !== was, [first[0], first[1]] as const, { timeout: 10_000 });
  const read: Record<string, string | null> = {};
  for (const [id] of forms) read[id] = await text(v, `#${id}`);
  expect(read).toEqual(Object.fromEntries(forms.map(([id, , swapped]) => [id, swapped])));
}

beforeAll(async () => {
  const [first, ...rest] = [...UK_POOLS, ...WORLD_POOLS, ...MORE_POOLS, ...NATIVE_POOLS];
  const acct = await createAccountWithPool(bed.worker.url, bed.site.url, {
    id: first[0],
    name: first[0],
    destinations: [first[1]],
    trackingNumbers: [first[2]],
  });
  siteKey = acct.siteKey;
  for (const [id, destination, tracking] of rest) {
    const r = await adminCall(bed.worker.url, "POST", "/v1/pools", acct.adminKey, { id, name: id, destinations: [destination], trackingNumbers: [tracking] });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
  }
  Object.assign(bed.pages, {
    "/uk": page(UK_FORMS, UK_POOLS, `<a id="tel-mcr" href="tel:+442079460958">020 7946 0958</a> <a id="tel-mob" href="tel:02079460959">Mobile</a>`),
    "/world": page(
      WORLD_FORMS,
      WORLD_POOLS,
      `<a id="tel-berlin" href="tel:+49-30-12345678">Anrufen</a> <a id="tel-flowers" href="tel:1-800-FLOWERS">Order</a>`,
    ),
    "/more": page(MORE_FORMS, MORE_POOLS, `<a id="tel-ar" href="tel:+5491123456789">WhatsApp</a>`),
    "/native": page(NATIVE_FORMS, NATIVE_POOLS, ""),
    "/every-jp": page(EVERY_FORMS, [EVERY_POOL], ""),
  });
  const [id, destination, tracking] = EVERY_POOL;
  const every = await adminCall(bed.worker.url, "POST", "/v1/pools", acct.adminKey, {
    id,
    name: id,
    destinations: [destination],
    trackingNumbers: [tracking],
    replaceAll: true,
  });
  expect(every.status, JSON.stringify(every.json)).toBe(201);
});

describe("another area-code length or type: the tracking number's own groups, in the original's style", () => {
  it("a Manchester, a mobile and a freephone number in place of London ones keep each original's prefix and separators; another country's number is written in its national form", async () => {
    const v = await bed.open("/uk");
    await expectSwapped(v, UK_FORMS);
    expect(await href(v, "#tel-mcr")).toBe("tel:+441614960000");
    expect(await text(v, "#tel-mcr")).toBe("0161 496 0000");
    expect(await href(v, "#tel-mob")).toBe("tel:+447911123456");
    expect(await fetched(v)).toBe(1);
    // A repeat view writes the same from its cached answer, without a request.
    const again = await bed.open("/uk");
    await expectSwapped(again, UK_FORMS);
    expect(await fetched(again)).toBe(0);
    expect([...v.warnings, ...again.warnings]).toEqual([]);
  });
});

describe("across countries", () => {
  it("German area codes of other lengths and an Australian mobile are regrouped; the same grouping (Paris with a mobile, New York with Chicago) keeps the original digit for digit; a vanity original gets the national form", async () => {
    const v = await bed.open("/world");
    await expectSwapped(v, WORLD_FORMS);
    expect(await href(v, "#tel-berlin")).toBe("tel:+49891234567");
    expect(await href(v, "#tel-flowers")).toBe("tel:+18885550123");
    expect(await fetched(v)).toBe(1);
    expect(v.warnings).toEqual([]);
  });
});

describe("another trunk prefix, another national form", () => {
  it("a freecall number in place of a Sydney one without the 0 (nor the area code's parentheses), a Jakarta number's mobile in its own groups, an Argentine mobile with its 15 nationally and its 9 after +54, a Mexican number without the 01", async () => {
    const v = await bed.open("/more");
    await expectSwapped(v, MORE_FORMS);
    expect(await href(v, "#tel-ar")).toBe("tel:+5491187654321");
    expect(await fetched(v)).toBe(1);
    expect(v.warnings).toEqual([]);
  });
});

describe("a country's own digits", () => {
  it("a first view that shows numbers only in full-width, Arabic-Indic or Persian digits asks, and gets the tracking numbers' national forms in those digits; a repeat view the same from the cache", async () => {
    const v = await bed.open("/native");
    await expectSwapped(v, NATIVE_FORMS);
    expect(await fetched(v)).toBe(1);
    const again = await bed.open("/native");
    await expectSwapped(again, NATIVE_FORMS);
    expect(await fetched(again)).toBe(0);
    expect([...v.warnings, ...again.warnings]).toEqual([]);
  });
});

describe("a replaceAll pool in a country's own digits", () => {
  it("every number in full width becomes the tracking number in full width, one added later too", async () => {
    const v = await bed.open("/every-jp");
    await expectSwapped(v, EVERY_FORMS);
    await v.page.evaluate(() => document.body.insertAdjacentHTML("beforeend", '<p id="later">０６－６１２３－９９９９</p>'));
    await v.page.waitForFunction(() => document.getElementById("later")!.textContent === "０３－６８００－１２３４");
    expect(await fetched(v)).toBe(1);
    expect(v.warnings).toEqual([]);
  });
});
