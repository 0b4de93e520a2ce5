/**
 * The grace window's edges: a call exactly `graceSeconds` after its lease ended is still that
 * visit's; a millisecond later it is nobody's. Also at the lease's own end.
 */
import { describe, expect, it } from "vitest";
import { at, callBody, callId, callWorld, getCall, ring, T0, visit } from "./calls-helpers";
import { useTestClock } from "./helpers";

describe("attribution at the grace boundary", () => {
  useTestClock(T0);

  it("live at the lease's end, in grace up to end + grace inclusive, unattributed one ms after", async () => {
    const { acct, voice } = await callWorld(1, { leaseSeconds: 60, graceSeconds: 120 });
    const v = await visit(acct);
    const end = T0 + 60_000;
    at(end + 120_000 + 5_000);
    const cases: [number, boolean, string][] = [
      [end - 1, true, "live"],
      [end, true, "grace"],
      [end + 120_000, true, "grace"],
      [end + 120_001, false, "no_lease"],
    ];
    for (const [startedAt, attributed, reason] of cases) {
      const id = callId();
      await ring(voice.callbackUrl, callBody(id, v.number, startedAt));
      expect({ startedAt, ...(await getCall(acct, id)).json }).toMatchObject({ startedAt, attributed, reason, session: attributed ? v.session : null });
    }
  });
});
