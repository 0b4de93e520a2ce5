/**
 * A replaceAll pool's pattern (worker/domain/any-number.ts) run as the snippet runs it: every
 * phone number of the destination's country in the forms people write, never a price, a date or an
 * id; and the pool option's validation (one destination, not a whitelist).
 */

import { getCountries, getCountryCallingCode } from "libphonenumber-js/max";
import { describe, expect, it } from "vitest";
import { NATIVE_DIGITS } from "../../shared/pairs";
import { pattern } from "../../shared/pattern";
import { phoneParts } from "../../shared/phone";
import { ANY_NUMBER, type Pair } from "../../shared/protocol";
import { write } from "../../snippet/format";
import { find } from "../../snippet/match";
import { anyNumber, anyNumberOf, firstDigits, inNativeDigits } from "../../worker/domain/any-number";
import { allocate, api, createAccount, createPool, freshNumbers, sessionId } from "./helpers";

/** The numbers the pattern finds in a text (each as written). */
const found = (dest: string, text: string): string[] => {
  const re = RegExp(pattern([phoneParts(dest), ANY_NUMBER], anyNumber([phoneParts(dest)])), "g");
  return [...text.matchAll(re)].map((m) => (m[1] ?? m[2] ?? m[3])!);
};

describe("every number of the destination's country", () => {
  it("NANP: international, national in groups, with the optional trunk; the destination itself first", () => {
    const text =
      "Sales (212) 555-0100, support 212.555.0101, +1 212 555 0102, 1-800-555-0199, +12125550103, 001 212 555 0104; " +
      "price $1,212.55, 1 234 567, order #2125550105, ID2125550106, 2026-11-25, 11/25/2026, 12.25.2026, invoice 2125550107.";
    expect(found("+18005550199", text)).toEqual(["(212) 555-0100", "212.555.0101", "+1 212 555 0102", "1-800-555-0199", "+12125550103", "001 212 555 0104"]);
  });

  it("GB: with the trunk 0 or +44 (0), area codes of any length, mobiles; never a date or an amount", () => {
    const text = "London 020 7946 0958, Manchester (0161) 496 0000, mobile 07700 900123, +44 (0)1632 960001, 0044 20 7946 0959; 01.02.2026, 1.234.567,89 €";
    expect(found("+442079460000", text)).toEqual(["020 7946 0958", "(0161) 496 0000", "07700 900123", "+44 (0)1632 960001", "0044 20 7946 0959"]);
  });

  it("typeset numbers: no-break spaces, non-breaking hyphens, en dashes, minus signs; never a date written with them", () => {
    const text =
      "Sales (212)\u00a0555\u20110100, support 212\u2013555\u20130101, +1\u202f212\u202f555\u202f0102, 212\u2212555\u22120103; " +
      "from 2026\u201311\u201325, on 11\u201325\u20132026.";
    expect(found("+18005550199", text)).toEqual([
      "(212)\u00a0555\u20110100",
      "212\u2013555\u20130101",
      "+1\u202f212\u202f555\u202f0102",
      "212\u2212555\u22120103",
    ]);
    expect(found("+442079460000", "London 020\u00a07946\u00a00958, +44\u00a0(0)20\u20117946\u20110959")).toEqual([
      "020\u00a07946\u00a00958",
      "+44\u00a0(0)20\u20117946\u20110959",
    ]);
  });

  it("digits without separators only as a whole text or a whole element's text (a tel: link, <b>…</b>)", () => {
    expect(found("+18005550199", "2125550100")).toEqual(["2125550100"]);
    expect(found("+18005550199", "Call \u00002125550100\u0000 now")).toEqual(["2125550100"]);
    expect(found("+18005550199", "Call 2125550100 now")).toEqual([]);
    expect(found("+442079460000", "02079460958")).toEqual(["02079460958"]);
  });

  it("national numbers of countries without a trunk prefix (their plan's prefix is the number 0, not a string)", () => {
    expect(found("+34912345678", "Llámenos al 913 45 67 89 o al 612 34 56 78")).toEqual(["913 45 67 89", "612 34 56 78"]);
    expect(found("+390212345678", "Tel. 02 1234 5678, cell. 347 123 4567")).toEqual(["02 1234 5678", "347 123 4567"]);
    expect(found("+4532123456", "Ring 33 12 34 56")).toEqual(["33 12 34 56"]);
    expect(found("+6561234567", "Call 9123 4567 or 6123-4567")).toEqual(["9123 4567", "6123-4567"]);
  });

  it("formats without the trunk only by leading digits that tell numbers apart: an Irish or Thai order number is not a number", () => {
    expect(found("+35312345678", "Order 123 456 789, pop. 1 234 567")).toEqual([]);
    expect(found("+6621234567", "Order 1234 567 890")).toEqual([]);
  });

  it("numbers with invisible characters between their groups, and after a Japanese word ending in the long-vowel mark", () => {
    expect(found("+18005550199", "Call 212\u200b555\u200b0100 or (212)\u00ad555-0101.")).toEqual(["212\u200b555\u200b0100", "(212)\u00ad555-0101"]);
    expect(found("+442079460000", "London 020\u200b7946\u200b0958")).toEqual(["020\u200b7946\u200b0958"]);
    expect(found("+81312345678", "コールセンター0120-12-3456、サポートセンター03-1234-5678")).toEqual(["0120-12-3456", "03-1234-5678"]);
  });

  it("Mexico: numbers written after the long-distance 01 its pages still write (abolished in 2019), found with it and written over whole", () => {
    const text =
      "Llame al 01 800 123 4567, 01-55-1234-5678, 01.33.1234.5678, (01 81) 1234-5678, 01 (55) 8765 4321 o 55 1234 5679; " +
      "folio 2024-01-15, $1,800.00, 01/02/2026 10:30, 01.02.2026, pedido #015512345678, 192.168.1.100.";
    const written = ["01 800 123 4567", "01-55-1234-5678", "01.33.1234.5678", "(01 81) 1234-5678", "01 (55) 8765 4321", "55 1234 5679"];
    expect(found("+525511112222", text)).toEqual(written);
    // Another destination's answer: each becomes the tracking number's national form, its 01 too (no prefix left before it).
    const d = phoneParts("+525511112222");
    const t = phoneParts("+525598765432");
    const re = RegExp(pattern([d, ANY_NUMBER], anyNumber([d])), "g");
    const pairs: Pair[] = [
      [d, t, 0],
      [ANY_NUMBER, t, 2],
      [ANY_NUMBER, t, 2],
    ];
    expect(find(written.join(" / "), re, pairs, (w, [dest, n, mode]) => write(w, dest, n!, mode))).toBe(Array(6).fill("55 9876 5432").join(" / "));
    // Bare, 01 and ten digits are not (a UPC-A code's length); ten are, as a whole text.
    expect(found("+525511112222", "Llame al\u0000018001234567\u0000")).toEqual([]);
    expect(found("+525511112222", "Llame al\u00008001234567\u0000")).toEqual(["8001234567"]);
  });

  it("numbers a country writes without its trunk prefix (Australia's 1300 and 1800), and not an ABN beside them", () => {
    expect(found("+61291234567", "Call 1300 123 456 or 1800 123 456, (02) 9123 4567. ABN 12 345 678 901")).toEqual([
      "1300 123 456",
      "1800 123 456",
      "(02) 9123 4567",
    ]);
  });

  it("each kind of number with its own lengths and first digits: no amount, postcode, address or id of another length", () => {
    expect(found("+390212345678", "Prezzo € 350.000, 1.250.000 visite, D.Lgs. 196/2003")).toEqual([]);
    expect(found("+551133334444", "Rua X, 100 - São Paulo - SP, 22250-040. CEP: 88015-600")).toEqual([]);
    // Postcodes and ids of a number's length and first digit (a CEP of Minas Gerais or Bahia starts
    // like a 3003 or 4004 number) are not numbers either; the numbers beside them are.
    expect(
      found("+553133334444", "CEP 30130-010, CEP 40015-970, CEP 30.130-010, CPF 529.982.247-25, CNPJ 11.222.333/0001-81. Ligue 4004-1234 ou (31) 3333-4444"),
    ).toEqual(["4004-1234", "(31) 3333-4444"]);
    expect(found("+56221230000", "RUT: 76.123.456-7, RUT 9.876.543-K, fono (2) 2123 4567")).toEqual(["(2) 2123 4567"]);
    expect(found("+576012340000", "NIT 900.123.456-7, Tel 601 2340000")).toEqual(["601 2340000"]);
    // A number whose groups go on after such a dash is a number (Russia's dotted style).
    expect(found("+74951234567", "Звоните 8.800.555-35-35 или 8.495.123-45-67")).toEqual(["8.800.555-35-35", "8.495.123-45-67"]);
    // Bare digits where the trunk prefix is always written need it: an EAN or an article number in a
    // table cell is not a number.
    expect(found("+4930123456789", "EAN\u00004006381333931\u0000")).toEqual([]);
    expect(found("+4930123456789", "234567")).toEqual([]);
    expect(found("+4930123456789", "Telefon\u000008912345678\u0000")).toEqual(["08912345678"]);
  });

  it("a date with a time is a date; a number after a label's dot, with an extension, in DIN or Japanese forms is a number", () => {
    expect(found("+18005550199", "Posted 2026-01-05 09:15 by admin")).toEqual([]);
    expect(found("+442079460000", "Updated 01.03.2024 14:30")).toEqual([]);
    expect(found("+18005550199", "TEL.212-736-5000, fax 212-736-5001x204")).toEqual(["212-736-5000", "212-736-5001"]);
    expect(found("+4930123456789", "Tel.030 12345678, Fon 0221 / 12 34 56, Telefon: 040 - 123 456 78")).toEqual([
      "030 12345678",
      "0221 / 12 34 56",
      "040 - 123 456 78",
    ]);
    expect(found("+81312345678", "TEL.03-1234-5678 フリーダイヤル 0120-12-3456、03－1234－5678、03（1234）5678")).toEqual([
      "03-1234-5678",
      "0120-12-3456",
      "03－1234－5678",
      "03（1234）5678",
    ]);
  });

  it("never a range of years or of opening hours, in any country, and the number beside them still", () => {
    const text = "© 2019-2026 Firma. Open 09.00–17.30, Sat 9:00 - 13:00; 1999 – 2026, season 2024/2025.";
    for (const dest of ["+4532123456", "+4722123456", "+6561234567", "+85221234567", "+442079460000", "+4930123456789", "+33142685300", "+18005550199"]) {
      expect(found(dest, text), dest).toEqual([]);
      const national = phoneParts(dest).national;
      expect(found(dest, `${text} Tel. ${national}`), dest).toEqual([national]);
    }
  });

  it("a toll-free or shared-cost number written without the trunk prefix the country's other numbers take", () => {
    // Ireland: (01) 234 5678 and 1800 123 456 / 1850 123 456; Palestine's 1800 and 1700; the Philippines' 1800.
    expect(found("+35312345678", "Call (01) 234 5679, 1800 123 456 or 1850 123 456; not 1234 567 890.")).toEqual([
      "(01) 234 5679",
      "1800 123 456",
      "1850 123 456",
    ]);
    expect(found("+97022345678", "1800 123 456 / 1700 123 456")).toEqual(["1800 123 456", "1700 123 456"]);
    expect(found("+63212345678", "Toll-free 1800 1 234 5678")).toEqual(["1800 1 234 5678"]);
  });

  it("never an IPv4 address or a 00-prefixed EAN, in any country whose numbers have their digits; a number written with dots or separators still", () => {
    const text = "Server 192.168.100.200, gateway 203.0.113.195. Router 172.16.254.1 (v10.0.0.1).";
    for (const dest of ["+919876543210", "+12125550100", "+5511987654321", "+8613123456789", "+61291234567", "+972501234567"]) {
      expect(found(dest, text), dest).toEqual([]);
    }
    expect(found("+12125550100", `${text} Call 212.555.0101.`)).toEqual(["212.555.0101"]);
    // After 00 or 011 without any separator, 13 digits are as likely an EAN (a UPC's, 001…) as a call abroad.
    expect(found("+12125550100", "0012345678905")).toEqual([]);
    expect(found("+12125550100", "UPC 0012345678905, call 001 212 555 0104 or +12125550105")).toEqual(["001 212 555 0104", "+12125550105"]);
    // A part with a leading zero is no address's: Lausanne's number written with dots.
    expect(found("+41211234567", "Tél. 021.123.45.67")).toEqual(["021.123.45.67"]);
  });

  it("has no lookbehind, which Safari before 16.4 cannot compile (a page there would keep every number)", () => {
    for (const dest of ["+18005550199", "+442079460000", "+4930123456789", "+61291234567", "+33142685300", "+819012345678"]) {
      const parts = phoneParts(dest);
      for (const source of [pattern([parts]), pattern([parts, ANY_NUMBER], anyNumber([parts]))]) expect(source).not.toMatch(/\(\?<[=!]/);
    }
    // Bare digits still need a border or the text's start before them, and not a digit before the border.
    expect(found("+18005550199", "9\u00002125550100")).toEqual([]);
    expect(found("+18005550199", "Order 2125550100")).toEqual([]);
    expect(found("+18005550199", "Order:\u00002125550100")).toEqual(["2125550100"]);
  });

  it("compiles for every country, without a capturing group of its own (one would shift which pair a match is)", () => {
    for (const country of getCountries()) {
      const every = anyNumberOf(country);
      for (const source of [every.written, every.bare]) expect(RegExp(`${source}|`).exec("")!.length, country).toBe(1);
    }
  });

  it("in a country's own digits (NATIVE_DIGITS): compiles for every such country, without a capturing group of its own", () => {
    for (const country of getCountries()) {
      const cc = getCountryCallingCode(country);
      const zeros = NATIVE_DIGITS[cc];
      if (!zeros) continue;
      const native = inNativeDigits(anyNumberOf(country).written, zeros);
      expect(RegExp(`${native}|`).exec("")!.length, country).toBe(1);
      expect(native, country).toContain(`\\u${zeros[0]!.toString(16).toUpperCase().padStart(4, "0")}`);
    }
  });

  it("reads the first digits a plan allows", () => {
    expect(firstDigits("[2-9]\\d{9}|3\\d{6}")).toBe("2-93");
    expect(firstDigits("[1-357-9]\\d{9}|[18]\\d{8}|8\\d{6}")).toBe("1-357-9188");
    expect(firstDigits("(?:1|[368]\\d|4[0-8])\\d{3,13}|\\d")).toBe("0-9");
  });
});

describe("the replaceAll pool option", () => {
  it("is exclusive with a whitelist: one destination, else 400 and nothing stored (create and patch)", async () => {
    const acct = await createAccount();
    const base = { name: "All", trackingNumbers: freshNumbers(1), replaceAll: true };
    const bad = await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...base, id: "all", destinations: ["+12127365000", "+12127365001"] } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("replace_all_with_whitelist");
    expect(bad.json.error.details).toEqual([{ path: "destinations", value: "2", message: "with replaceAll, exactly one destination" }]);
    expect((await api("GET", "/v1/pools/all", { key: acct.adminKey })).status).toBe(404);
    const wrongType = await api("POST", "/v1/pools", { key: acct.adminKey, body: { ...base, id: "all", destinations: ["+12127365000"], replaceAll: "yes" } });
    expect(wrongType.status).toBe(400);

    await createPool(acct, { ...base, id: "all", destinations: ["+12127365000"] });
    expect((await api("GET", "/v1/pools/all", { key: acct.adminKey })).json.replaceAll).toBe(true);
    const whitelist = await api("PATCH", "/v1/pools/all", { key: acct.adminKey, body: { destinations: ["+12127365000", "+12127365001"] } });
    expect(whitelist.status).toBe(400);
    expect(whitelist.json.error.code).toBe("replace_all_with_whitelist");
    expect((await api("GET", "/v1/pools/all", { key: acct.adminKey })).json.destinations).toEqual(["+12127365000"]);

    // A whitelist pool may not switch it on either; off again, it takes a whitelist.
    await createPool(acct, { id: "list", name: "List", trackingNumbers: freshNumbers(1), destinations: ["+12127365000", "+12127365001"] });
    expect((await api("PATCH", "/v1/pools/list", { key: acct.adminKey, body: { replaceAll: true } })).status).toBe(400);
    expect(
      (await api("PATCH", "/v1/pools/all", { key: acct.adminKey, body: { replaceAll: false, destinations: ["+12127365000", "+12127365001"] } })).status,
    ).toBe(200);
  });

  it("the allocation's destinations end with ANY_NUMBER and its pattern finds every number, destinations first", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "all", name: "All", trackingNumbers: freshNumbers(1), destinations: ["+12127365000"], replaceAll: true, isDefault: true });
    const r = await allocate(acct.siteKey, sessionId());
    expect(r.status).toBe(200);
    expect(r.json.pools[0].destinations.map((d: { e164: string }) => d.e164)).toEqual(["+12127365000", "*"]);
    const re = RegExp(r.json.pattern, "g");
    // Groups: the destination, what is left alone (an IBAN, a long id: its pair has no number), every number.
    const hits = [..."Call (212) 736-5000 or 646-555-0100; $1,212.55 on 2026-11-25".matchAll(re)].map((m) => [m[1], m[3]]);
    expect(hits).toEqual([
      ["(212) 736-5000", undefined],
      [undefined, "646-555-0100"],
    ]);
    // Bare digits (a whole text, or after a node border) have the pattern's last group: the answer's
    // pairs repeat ANY_NUMBER's pair last for it, so the snippet swaps them like the others.
    const bare = [..."6465550100".matchAll(re), ..."Call:\u00006465550100".matchAll(re)].map((m) => m.slice(1).findIndex((g) => g));
    expect(bare).toEqual([3, 3]);
    expect(r.json.pairs.map((p: [{ e164: string }]) => p[0].e164)).toEqual(["+12127365000", "*", "*", "*"]);
    expect(r.json.pairs[1][1]).toBeNull();
    expect(r.json.pairs[3]).toEqual(r.json.pairs[2]);
    // Asked with another pool after it, that pool's destination is that pool's (its own group comes
    // before every number's), not the replaceAll pool's.
    await createPool(acct, { id: "ads", name: "Ads", trackingNumbers: freshNumbers(2), destinations: ["+12127365009"] });
    const two = await allocate(acct.siteKey, sessionId(), { pools: ["all", "ads"] });
    const m = RegExp(two.json.pattern).exec("Call (212) 736-5009")!;
    const pair = two.json.pairs[m.slice(1).findIndex((g) => g)];
    expect(pair[0].e164).toBe("+12127365009");
    expect(pair[1].e164).toBe(two.json.pools[1].number.e164);
    // Then that pool's number, as itself (already written on the page, a renewal leaves it), then every number.
    const adsNumber = two.json.pools[1].number.e164;
    expect(two.json.pairs.map((p: [{ e164: string }]) => p[0].e164)).toEqual(["+12127365000", "+12127365009", adsNumber, "*", "*", "*"]);
    expect(two.json.pairs[2][1].e164).toBe(adsNumber);
    // Another visitor, given the other number of that pool: its own number is found as itself too
    // (the patterns cached by destination must not hand it the first visitor's).
    const other = await allocate(acct.siteKey, sessionId(), { pools: ["all", "ads"] });
    const otherNumber = other.json.pools[1].number;
    expect(otherNumber.e164).not.toBe(adsNumber);
    const hit = RegExp(other.json.pattern).exec(`Sales ${otherNumber.national}`)!;
    expect(other.json.pairs[hit.slice(1).findIndex((g) => g)][0].e164).toBe(otherNumber.e164);
    // A pool without the option: only its destinations.
    await createPool(acct, { id: "list", name: "List", trackingNumbers: freshNumbers(1), destinations: ["+12127365000"] });
    const l = await allocate(acct.siteKey, sessionId(), { pools: ["list"] });
    expect(l.json.pools[0].destinations.map((d: { e164: string }) => d.e164)).toEqual(["+12127365000"]);
    expect("646-555-0100".match(RegExp(l.json.pattern))).toBeNull();
  });

  it("an imprint page: IBANs, parcel and account numbers stay as they are; the phone numbers beside them are swapped", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "de", name: "DE", trackingNumbers: ["+493012345678"], destinations: ["+493098765432"], replaceAll: true, isDefault: true });
    const r = await allocate(acct.siteKey, sessionId());
    expect(r.status).toBe(200);
    const swap = (text: string) => find(text, RegExp(r.json.pattern, "g"), r.json.pairs, (w: string, [d, n, mode]: Pair) => (n ? write(w, d, n, mode) : w));
    const kept = [
      "IBAN DE89 3704 0044 0532 0130 00",
      "IBAN: DE89370400440532013000",
      "IBAN NL91 ABNA 0417 1643 00",
      "IT60 X054 2811 1010 0000 0123 456",
      "Sendungsnummer 0034 0434 1612 3456 78",
      "Konto 1234 5678 9012 3456 78",
    ];
    for (const text of kept) expect(swap(`${text}, Tel. 030 98765432`)).toBe(`${text}, Tel. ${r.json.pools[0].number.national}`);
    // A number written with 00 and the longest groups is still a number.
    expect(swap("Tel. 0049 30 98765432")).not.toBe("Tel. 0049 30 98765432");
  });

  it("in Japan, every number in full width too: each visitor's answer writes its number in full width and never finds it again", async () => {
    const acct = await createAccount();
    const tracking = ["+81312340001", "+81312340002"];
    await createPool(acct, { id: "jp", name: "JP", trackingNumbers: tracking, destinations: ["+81312345678"], replaceAll: true, isDefault: true });
    const page = "大阪：０６－６１２３－４５６７、携帯：０９０－１２３４－５６７８、FAX 06-6123-4568";
    const written = new Set<string>();
    for (const session of [sessionId(), sessionId()]) {
      const r = await allocate(acct.siteKey, session);
      expect(r.status).toBe(200);
      const number = r.json.pools[0].number;
      const pattern = RegExp(r.json.pattern, "g");
      const swap = (text: string) => find(text, pattern, r.json.pairs, (w, [d, n, mode]) => (n ? write(w, d, n, mode) : w));
      const wide = number.national.replace(/[\d()-]/g, (c: string) => String.fromCharCode(c.charCodeAt(0) - 48 + 0xff10));
      expect(swap(page)).toBe(`大阪：${wide}、携帯：${wide}、FAX ${number.national}`);
      pattern.lastIndex = 0;
      expect(pattern.test(`電話 ${wide}`)).toBe(false);
      written.add(wide);
    }
    // Two visitors, two numbers, two patterns (the every-number part made once).
    expect(written.size).toBe(2);
  });
});
