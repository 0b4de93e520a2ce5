import { describe, expect, it } from "vitest";
import { listWords, routeWords } from "../../dashboard/route-words";
import { renderPools } from "../../dashboard/views/pools";
import { health, pool } from "./fixtures";

const A = "+12127365101";
const B = "+12127365102";

describe("a pool's route in words", () => {
  it("without a route: the first destination", () => {
    expect(routeWords(pool({ destinations: [A], whisper: true }))).toEqual([`Every call: forward to ${A} (with a whisper).`]);
  });

  it("every kind of step reads as a clause, each tried when the one before is not answered", () => {
    expect(
      listWords([
        { type: "forward", to: A, ringSeconds: 25, whisper: false, callerId: null },
        { type: "failover", to: [A, B], ringSeconds: 20, whisper: true, callerId: B },
        { type: "ring", to: [A, B], ringSeconds: 25, confirm: true, whisper: false, callerId: null },
        { type: "roundRobin", to: [A, B], ringSeconds: 15, sticky: true, whisper: false, callerId: null },
        { type: "voicemail", greeting: "Leave a message", maxSeconds: 120 },
      ]),
    ).toBe(
      `forward to ${A} for 25 s; if nobody answers, try ${A}, then ${B}, 20 s each (with a whisper, showing ${B}); if nobody answers, ` +
        `ring ${A} and ${B} at once for 25 s, the first to press 1 gets the call; if nobody answers, ` +
        `round robin over ${A} and ${B}, 15 s each, repeat callers to their last agent; if nobody answers, take a voicemail (up to 120 s).`,
    );
  });

  it("a schedule: weekdays grouped, holidays, otherwise, the time zone and recording", () => {
    const weekday = [{ from: "09:00", to: "17:00", steps: "open" }];
    const lines = routeWords(
      pool({
        route: {
          start: null,
          recording: { disclosure: "This call may be recorded." },
          lists: {
            open: [{ type: "forward", to: A, ringSeconds: 25, whisper: false, callerId: null }],
            closed: [{ type: "message", text: "We are closed" }],
          },
          schedule: {
            timeZone: "America/New_York",
            weekly: { mon: weekday, tue: weekday, wed: weekday, thu: weekday, fri: weekday },
            exceptions: [{ date: "2031-12-25", hours: [], name: "Christmas Day" }],
            otherwise: "closed",
          },
        },
      }),
    );
    expect(lines).toEqual([
      "Calls are recorded; callers first hear “This call may be recorded.”.",
      `Mon–Fri 09:00–17:00: forward to ${A} for 25 s.`,
      "Christmas Day (2031-12-25): closed all day.",
      "Otherwise: say “We are closed” and hang up.",
      "Times are America/New_York local time.",
    ]);
  });

  it("is shown on the pool's card, as text", () => {
    const grid = document.createElement("section");
    renderPools(grid, [pool({ destinations: ['<b onclick="x">'] })], [health()], () => undefined);
    const route = grid.querySelector(".route")!;
    expect(route.textContent).toBe('Every call: forward to <b onclick="x">.');
    expect(route.querySelector("b")).toBeNull();
  });
});
