/**
 * A destination whose national form leaves out its country's trunk prefix (Brazil's `(11)
 * 3333-4444`) is still found written with it (`(011) 3333-4444`, older pages' long-distance 0),
 * and the tracking number is written in that shape: the allocation's pattern (domain/trunk.ts)
 * run through the snippet's own find and write.
 */
import { describe, expect, it } from "vitest";
import { phoneParts } from "../../shared/phone";
import type { AllocateResponse } from "../../shared/protocol";
import { write } from "../../snippet/format";
import { find } from "../../snippet/match";
import { unwrittenTrunk } from "../../worker/domain/trunk";
import { allocate, createAccount, createPool, sessionId } from "./helpers";

const SAO_PAULO = "+551133334444";
const RIO = "+552140001234";
const NEW_YORK = "+12127365000";

/** The page's text as the snippet writes it with this answer. */
const swapped = (a: AllocateResponse, text: string) =>
  find(text, RegExp(a.pattern, "g"), a.pairs, (written, [destination, number, mode]) => (number ? write(written, destination, number, mode) : written));

describe("a trunk prefix the national form leaves out", () => {
  it("is the country's prefix for Brazil's and Peru's numbers, none for the NANP (its 1 is the country code) or where the form writes it", () => {
    expect(unwrittenTrunk(phoneParts(SAO_PAULO))).toBe("0");
    expect(unwrittenTrunk(phoneParts("+51912345678"))).toBe("0");
    expect(unwrittenTrunk(phoneParts(NEW_YORK))).toBe("");
    expect(unwrittenTrunk(phoneParts("+442079460958"))).toBe("");
    expect(unwrittenTrunk(phoneParts("+34912345678"))).toBe("");
  });

  it("is found with it or without, and the tracking number written in the same shape; nothing else changes", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "br", name: "BR", trackingNumbers: [RIO], destinations: [SAO_PAULO, NEW_YORK], isDefault: true });
    const r = await allocate(acct.siteKey, sessionId());
    expect(r.status).toBe(200);
    const answer = r.json as AllocateResponse;
    // The pairs keep the parts as the national form writes them (the snippet writes by them).
    expect(answer.pairs[0]![0].trunk).toBe("");
    expect(swapped(answer, "Ligue (011) 3333-4444, (11) 3333-4444, 011 3333 4444 ou +55 (0)11 3333-4444.")).toBe(
      "Ligue (021) 4000-1234, (21) 4000-1234, 021 4000 1234 ou +55 (0)21 4000-1234.",
    );
    // A longer run of digits is not the number; the NANP destination is found as before (with its
    // 1, the country code), the tracking number of another country written in its national form.
    expect(swapped(answer, "Pedido 1011 3333-4444, 0011 3333 4444.")).toBe("Pedido 1011 3333-4444, 0011 3333 4444.");
    expect(swapped(answer, "NY 1-212-736-5000, (212) 736-5000")).toBe("NY (21) 4000-1234, (21) 4000-1234");
  });

  it("the answer writes a tracking number with its own trunk prefix: a 1800 number for a Sydney one, and back", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "au", name: "AU", trackingNumbers: ["+611800123456"], destinations: ["+61298765432"], isDefault: true });
    const answer = (await allocate(acct.siteKey, sessionId())).json as AllocateResponse;
    // Found in seven forms (the area code in parentheses, with the 0 inside them, without, and after a
    // country code: a 1800 number has none; after a country code with its 0, `+61 (0)2`; after a
    // country code; with the 0; without), each written its own way; the first three each in four
    // groups (the page's dashes or dots after the area code, a capital label glued to it, or else).
    expect(answer.pairs).toHaveLength(3 * 4 + 4);
    expect(swapped(answer, "Call (02) 9876 5432, 02-9876-5432, +61 (0)2 9876 5432 or +61 2 9876 5432.")).toBe(
      "Call 1800 123 456, 1800-123-456, +61 1800 123 456 or +61 1800 123 456.",
    );

    const back = await createAccount();
    await createPool(back, { id: "au", name: "AU", trackingNumbers: ["+61298765432"], destinations: ["+611800123456"], isDefault: true });
    const other = (await allocate(back.siteKey, sessionId())).json as AllocateResponse;
    expect(swapped(other, "Freecall 1800 123 456 or +61 1800 123 456")).toBe("Freecall 02 9876 5432 or +61 2 9876 5432");
  });
});
