/**
 * A number written otherwise nationally than internationally: Argentina's mobiles are +54 9 11
 * 2345-6789 and, nationally, 011 15-2345-6789 (the 9 left out, a 15 after the area code). The
 * allocation's pattern and pairs, run through the snippet's own find and write.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { phoneParts } from "../../shared/phone";
import type { AllocateResponse } from "../../shared/protocol";
import { write } from "../../snippet/format";
import { find } from "../../snippet/match";
import { allocate, createAccount, createPool, poolStub, sessionId } from "./helpers";

const swapped = (a: AllocateResponse, text: string) =>
  find(text, RegExp(a.pattern, "g"), a.pairs, (written, [destination, number, mode]) => (number ? write(written, destination, number, mode) : written));

const MOBILE = "+5491123456789";
const OTHER_MOBILE = "+5491187654321";
const LANDLINE = "+541187654321";

describe("Argentina's mobiles", () => {
  it("have their national form's groups beside the international ones", () => {
    expect(phoneParts(MOBILE)).toMatchObject({ nsn: "91123456789", trunk: "0", groups: ["9", "11", "2345", "6789"], inland: ["11", "15", "2345", "6789"] });
    expect(phoneParts(LANDLINE).inland).toBeUndefined();
  });

  it("are found written nationally and internationally, and another mobile or a landline written in each form", async () => {
    const text = "Llamá al 011 15-2345-6789, (011) 15-2345-6789, 11 15 2345-6789 o +54 9 11 2345-6789.";
    const acct = await createAccount();
    await createPool(acct, { id: "ar", name: "AR", trackingNumbers: [OTHER_MOBILE], destinations: [MOBILE], isDefault: true });
    const answer = (await allocate(acct.siteKey, sessionId())).json as AllocateResponse;
    expect(swapped(answer, text)).toBe("Llamá al 011 15-8765-4321, (011) 15-8765-4321, 11 15 8765-4321 o +54 9 11 8765-4321.");

    const other = await createAccount();
    await createPool(other, { id: "ar", name: "AR", trackingNumbers: [LANDLINE], destinations: [MOBILE], isDefault: true });
    const landline = (await allocate(other.siteKey, sessionId())).json as AllocateResponse;
    // The separators from the last: the dash stays before the last group.
    expect(swapped(landline, text)).toBe("Llamá al 011 8765-4321, (011) 8765-4321, 11 8765-4321 o +54 11 8765-4321.");
  });

  it("a mobile tracking number in place of a landline: the 15 nationally, the 9 internationally", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "ar", name: "AR", trackingNumbers: ["+5491187654322"], destinations: ["+541123456789"], isDefault: true });
    const answer = (await allocate(acct.siteKey, sessionId())).json as AllocateResponse;
    // The area code's parentheses are the landline's: a mobile is written in its own national form there.
    expect(swapped(answer, "Tel. 011 2345-6789 / (011) 2345-6789 / +54 11 2345 6789")).toBe("Tel. 011 15 8765-4322 / 011 15-8765-4322 / +54 9 11 8765 4322");
  });

  it("a tracking number's parts stored before, wrong, are made again when it is leased", async () => {
    const acct = await createAccount();
    const mobile = "+5491187654323";
    await createPool(acct, { id: "ar", name: "AR", trackingNumbers: [mobile], destinations: ["+541123456789"], isDefault: true });
    // As an older version stored them: the national form's digit runs, trunk prefix and all.
    const stale = { e164: mobile, cc: "54", nsn: "91187654323", trunk: "", national: "011 15-8765-4323", groups: ["011", "15", "8765", "4323"] };
    await runInDurableObject(poolStub(acct.accountId, "ar"), (_instance, state) => {
      expect(state.storage.sql.exec("UPDATE numbers SET parts = ? WHERE number = ?", JSON.stringify(stale), mobile).rowsWritten).toBe(1);
    });
    const answer = (await allocate(acct.siteKey, sessionId())).json as AllocateResponse;
    expect(answer.pools[0]!.number).toEqual(phoneParts(mobile));
    expect(swapped(answer, "Tel. 011 2345-6789")).toBe("Tel. 011 15 8765-4323");
  });

  it("a destination's parts stored before, wrong, are made again when the pool object loads", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "ar", name: "AR", trackingNumbers: ["+5491187654324"], destinations: ["+5491123456780"], isDefault: true });
    const stub = poolStub(acct.accountId, "ar");
    // As an older version stored the pushed settings: no inland groups, the national form's digit runs as groups.
    await runInDurableObject(stub, (_instance, state) => {
      const row = state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'settings'").one();
      const settings = JSON.parse(row.value) as { destinations: Record<string, unknown>[] };
      settings.destinations = settings.destinations.map(({ inland: _, ...d }) => ({ ...d, trunk: "", groups: ["011", "15", "2345", "6780"] }));
      state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'settings'", JSON.stringify(settings));
    });
    await evictDurableObject(stub);
    const answer = (await allocate(acct.siteKey, sessionId())).json as AllocateResponse;
    expect(answer.pools[0]!.destinations).toEqual([phoneParts("+5491123456780")]);
    expect(swapped(answer, "Llamá al 011 15-2345-6780")).toBe("Llamá al 011 15-8765-4324");
  });
});

describe("an area code in parentheses", () => {
  const LONDON = "+442079460958";
  const UK_MOBILE = "+447911123456";

  it("is not written around a tracking number without one, in the answer the worker gives", async () => {
    const acct = await createAccount();
    await createPool(acct, { id: "uk", name: "UK", trackingNumbers: [UK_MOBILE], destinations: [LONDON], isDefault: true });
    const answer = (await allocate(acct.siteKey, sessionId())).json as AllocateResponse;
    expect(answer.pools[0]!.number).toMatchObject({ e164: UK_MOBILE, area: false });
    expect(answer.pools[0]!.destinations[0]).toMatchObject({ e164: LONDON, area: true });
    expect(swapped(answer, "Call (020) 7946 0958, 020 7946 0958 or +44 (20) 7946 0958")).toBe("Call 07911 123456, 07911 123456 or +44 7911 123456");
  });

  it("parts stored before `area` was, of the tracking number and the destinations, are made again", async () => {
    const UK_MOBILE = "+447911123457";
    const acct = await createAccount();
    await createPool(acct, { id: "uk", name: "UK", trackingNumbers: [UK_MOBILE], destinations: [LONDON], isDefault: true });
    const stub = poolStub(acct.accountId, "uk");
    // As an older version stored them: the same parts without `area` (taken as having one).
    await runInDurableObject(stub, (_instance, state) => {
      const { area: _, ...stale } = phoneParts(UK_MOBILE);
      expect(state.storage.sql.exec("UPDATE numbers SET parts = ? WHERE number = ?", JSON.stringify(stale), UK_MOBILE).rowsWritten).toBe(1);
      const row = state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'settings'").one();
      const settings = JSON.parse(row.value) as { destinations: Record<string, unknown>[] };
      settings.destinations = settings.destinations.map(({ area: _area, ...d }) => d);
      state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'settings'", JSON.stringify(settings));
    });
    await evictDurableObject(stub);
    const answer = (await allocate(acct.siteKey, sessionId())).json as AllocateResponse;
    expect(answer.pools[0]!.number).toEqual(phoneParts(UK_MOBILE));
    expect(answer.pools[0]!.destinations).toEqual([phoneParts(LONDON)]);
    expect(swapped(answer, "Call (020) 7946 0958")).toBe("Call 07911 123457");
  });
});
