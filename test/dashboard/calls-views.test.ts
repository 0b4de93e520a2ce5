/** The calls parts of the page: totals, calls by group, recent calls with their links, a call's detail, failing deliveries. */
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../../dashboard/api";
import { deliveryLines, detailPairs, forgetRecording, isRecorded, renderCallDetail } from "../../dashboard/views/call-detail";
import { deliveryLine, failingDeliveries, renderDeliveries } from "../../dashboard/views/deliveries";
import { GROUPS_SHOWN, groupRows, renderGroups } from "../../dashboard/views/groups";
import { callHref, callLine, callOfHash, renderRecentCalls } from "../../dashboard/views/recent-calls";
import { totalTiles } from "../../dashboard/views/totals";
import { call, delivery } from "./fixtures";

describe("calls views", () => {
  it("totals: calls, the attribution rate, the answered share, talk time", () => {
    expect(totalTiles({ calls: 3, attributed: 2, answered: 1, talkSeconds: 42 }).map((t) => [t.label, t.value, t.note])).toEqual([
      ["Calls", "3", "3 calls in the range"],
      ["Attribution rate", "67 %", "2 matched to a visit"],
      ["Answered", "33 %", "1 picked up"],
      ["Talk time", "42 s", "of the answered calls"],
    ]);
    expect(totalTiles({ calls: 0, attributed: 0, answered: 0, talkSeconds: 0 })[1]!.value).toBe("—");
  });

  it("writes counts of thousands as the viewer's locale does (en-US: 12,345), in the tiles and the groups", () => {
    expect(totalTiles({ calls: 12345, attributed: 9876, answered: 4321, talkSeconds: 0 }).map((t) => [t.value, t.note])).toEqual([
      ["12,345", "12,345 calls in the range"],
      ["80 %", "9,876 matched to a visit"],
      ["35 %", "4,321 picked up"],
      ["0 s", "of the answered calls"],
    ]);
    const body = document.createElement("table").createTBody();
    renderGroups(body, document.createElement("th"), [{ key: "spring", calls: 12345, attributed: 1, answered: 1, talkSeconds: 1 }], "campaign", 20000);
    expect(body.querySelector(".num")?.textContent).toBe("12,345");
    // The share bar says its share to a screen reader.
    expect([body.querySelector(".bar")?.getAttribute("role"), body.querySelector(".bar")?.getAttribute("aria-label")]).toEqual(["img", "62 % of the calls"]);
  });

  it("groups: a null key named for the grouping, each group's share of all calls", () => {
    const groups = [
      { key: "spring", calls: 3, attributed: 3, answered: 1, talkSeconds: 9 },
      { key: null, calls: 1, attributed: 0, answered: 0, talkSeconds: 0 },
    ];
    expect(groupRows(groups, "campaign", 4)).toEqual([
      { name: "spring", calls: 3, share: 0.75, attributed: "100 %", answered: "33 %" },
      { name: "(no campaign)", calls: 1, share: 0.25, attributed: "0 %", answered: "0 %" },
    ]);
    expect(groupRows([{ ...groups[1]! }], "source", 1)[0]!.name).toBe("(unattributed)");
    const body = document.createElement("table").createTBody();
    const head = document.createElement("th");
    renderGroups(body, head, [{ key: "<b>x</b>", calls: 1, attributed: 1, answered: 0, talkSeconds: 0 }], "landing", 2);
    expect(head.textContent).toBe("Landing page");
    expect(body.querySelector("b")).toBeNull();
    expect(body.querySelector(".key")?.textContent).toBe("<b>x</b>");
    expect(body.querySelector<HTMLElement>(".bar i")?.style.width).toBe("50%");
    renderGroups(body, head, [], "pool", 0);
    expect(body.textContent).toBe("No calls in this range.");
  });

  it("groups past the first 50 are one row: how many more, their calls, share and rates summed", () => {
    const groups = Array.from({ length: 1203 }, (_, i) => ({ key: `/page-${i}`, calls: 2, attributed: 1, answered: i % 2, talkSeconds: 0 }));
    const rows = groupRows(groups, "landing", 2406);
    expect(rows).toHaveLength(GROUPS_SHOWN + 1);
    expect(rows[GROUPS_SHOWN - 1]!.name).toBe(`/page-${GROUPS_SHOWN - 1}`);
    expect(rows.at(-1)).toEqual({ name: "1,153 more", calls: 2306, share: 2306 / 2406, attributed: "50 %", answered: "25 %" });
    const body = document.createElement("table").createTBody();
    renderGroups(body, document.createElement("th"), groups, "landing", 2406);
    expect(body.querySelectorAll("tr")).toHaveLength(GROUPS_SHOWN + 1);
    // Exactly 50: no summary row.
    expect(groupRows(groups.slice(0, GROUPS_SHOWN), "landing", 100)).toHaveLength(GROUPS_SHOWN);
  });

  it("recent calls: source, campaign, outcome and duration, each linking to its detail by id", () => {
    expect(callLine(call())).toMatchObject({ source: "google-ads", campaign: "spring", pool: "web", outcome: "answered", duration: "0:42", href: "#call/CA1" });
    expect(callLine(call({ attributed: false, source: null, outcome: null, talkSeconds: null }))).toMatchObject({
      source: "(unattributed)",
      campaign: "—",
      outcome: "in progress",
      duration: "—",
    });
    expect(callHref("CA 1/#x")).toBe("#call/CA%201%2F%23x");
    expect(callOfHash(callHref("CA 1/#x"))).toBe("CA 1/#x");
    expect(callOfHash("#call/%E0%A4%A")).toBeNull();
    expect(callOfHash("")).toBeNull();
    const body = document.createElement("table").createTBody();
    const empty = document.createElement("p");
    renderRecentCalls(body, empty, [call({ id: "<i>1</i>" })]);
    expect(empty.hidden).toBe(true);
    expect(body.querySelector("a")?.getAttribute("href")).toBe("#call/%3Ci%3E1%3C%2Fi%3E");
    expect(body.querySelector("i")).toBeNull();
    renderRecentCalls(body, empty, []);
    expect(empty.hidden).toBe(false);
  });

  it("a call's detail: its facts in words, empty ones left out, and what was sent where", () => {
    const c = call({
      deliveries: [
        {
          id: "7",
          kind: "webhook",
          event: "call",
          status: "pending",
          attempts: 2,
          lastStatus: 500,
          lastError: null,
          nextAttemptAt: 1,
          deliveredAt: null,
          createdAt: 0,
        },
      ],
    });
    const pairs = Object.fromEntries(detailPairs(c));
    expect(pairs).toMatchObject({
      "Call id": "CA1",
      Attributed: "yes: the number was leased to a visit when the call started",
      Campaign: "spring",
      "utm source / medium": "google / cpc",
      "Click ids": "gclid",
      Route: "transfer to +18005550199",
      Outcome: "answered",
      "Talk time": "0:42",
    });
    expect(detailPairs(call({ source: null, attributed: false, reason: "no_lease" })).map(([k]) => k)).not.toContain("Campaign");
    expect(deliveryLines(c)).toEqual(["Call webhook · call: pending after 2 attempts — HTTP 500"]);
    const node = document.createElement("div");
    const title = document.createElement("h3");
    renderCallDetail(node, title, c);
    expect([...node.querySelectorAll("dt")].map((d) => d.textContent)).toContain("Deliveries");
  });

  it("a recording is fetched through the API on Listen, then plays from a blob and can be saved; marked in the table; a non-https URL is no recording", async () => {
    const url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1";
    const voicemail = call({ outcome: "no-answer", talkSeconds: 0, recordingUrl: url });
    expect(isRecorded(voicemail)).toBe(true);
    for (const bad of [null, "http://media.example/r.mp3", "javascript:alert(1)", "not a url"]) expect(isRecorded(call({ recordingUrl: bad }))).toBe(false);
    const asked: string[] = [];
    const node = document.createElement("div");
    document.body.append(node);
    renderCallDetail(node, document.createElement("h3"), voicemail, undefined, async (id) => {
      asked.push(id);
      return new Blob([new Uint8Array([0x49, 0x44, 0x33])], { type: "audio/mpeg" });
    });
    expect([...node.querySelectorAll("dt")].map((d) => d.textContent)).toContain("Recording");
    // Nothing is fetched (nor the provider's URL linked) before Listen is pressed.
    expect(asked).toEqual([]);
    expect(node.querySelector(`a[href="${url}"]`)).toBeNull();
    const listen = [...node.querySelectorAll("button")].find((b) => b.textContent === "Listen")!;
    listen.click();
    await vi.waitFor(() => expect(node.querySelector("audio")).not.toBeNull());
    expect(asked).toEqual([voicemail.id]);
    const audio = node.querySelector("audio")!;
    expect(audio.controls).toBe(true);
    expect(audio.src).toMatch(/^blob:/);
    const save = node.querySelector<HTMLAnchorElement>("a[download]")!;
    expect([save.getAttribute("href"), save.download]).toEqual([audio.src, `recording-${voicemail.id}.mp3`]);
    expect(node.querySelector("[role=status]")!.textContent).toBe("Ready to play.");
    // Another call's detail (or the detail closed, or the caller's calls erased) lets the audio go.
    const revoked = vi.spyOn(URL, "revokeObjectURL");
    forgetRecording();
    expect(revoked).toHaveBeenCalledWith(audio.src);
    revoked.mockRestore();
    node.remove();
    const none = document.createElement("div");
    renderCallDetail(none, document.createElement("h3"), call({ recordingUrl: "javascript:alert(1)" }), undefined, async () => new Blob());
    expect([...none.querySelectorAll("dt")].map((d) => d.textContent)).not.toContain("Recording");
    expect([callLine(voicemail).recorded, callLine(call()).recorded]).toEqual(["recorded", ""]);
    const body = document.createElement("tbody");
    renderRecentCalls(body, document.createElement("p"), [voicemail]);
    expect(body.textContent).toContain("no-answer · recorded");
  });

  it("a recording the API cannot fetch says why in the API's words, and Listen can be pressed again", async () => {
    const node = document.createElement("div");
    let tries = 0;
    renderCallDetail(node, document.createElement("h3"), call({ recordingUrl: "https://api-us.nexmo.com/v1/files/f" }), undefined, async () => {
      tries++;
      throw new ApiError(409, "Vonage serves recordings only with a token signed by the application's private key");
    });
    const listen = [...node.querySelectorAll("button")].find((b) => b.textContent === "Listen")!;
    listen.click();
    await vi.waitFor(() => expect(node.querySelector("[role=status]")!.textContent).toContain("application's private key"));
    expect(listen.disabled).toBe(false);
    expect(node.querySelector("audio")).toBeNull();
    listen.click();
    await vi.waitFor(() => expect(tries).toBe(2));
  });

  it("a recording that comes after the detail moved on to another call is not shown, nor given a URL", async () => {
    let release: (b: Blob) => void = () => undefined;
    const holder = document.createElement("div");
    document.body.append(holder);
    const node = document.createElement("div");
    holder.append(node);
    renderCallDetail(
      node,
      document.createElement("h3"),
      call({ recordingUrl: "https://api.twilio.com/r" }),
      undefined,
      () => new Promise<Blob>((r) => (release = r)),
    );
    const made = vi.spyOn(URL, "createObjectURL");
    [...node.querySelectorAll("button")].find((b) => b.textContent === "Listen")!.click();
    // Another call's detail replaces this one before the file came.
    node.replaceChildren();
    release(new Blob([new Uint8Array([1])], { type: "audio/mpeg" }));
    await new Promise((r) => setTimeout(r, 0));
    expect(made).not.toHaveBeenCalled();
    expect(node.querySelector("audio")).toBeNull();
    made.mockRestore();
    holder.remove();
  });

  it("a withheld caller id is said so, with what the provider sent, and offers no erasure; a caller's number does", () => {
    const erased: string[] = [];
    const render = (c: ReturnType<typeof call>) => {
      const node = document.createElement("div");
      renderCallDetail(node, document.createElement("h3"), c, (caller) => erased.push(caller));
      return node;
    };
    const withheld = call({ caller: "+266696687", callerWithheld: true });
    expect(Object.fromEntries(detailPairs(withheld)).Caller).toBe("withheld (sent as +266696687)");
    expect(Object.fromEntries(detailPairs(call({ caller: null, callerWithheld: true }))).Caller).toBe("withheld");
    expect(render(withheld).querySelector("button")).toBeNull();
    const known = render(call());
    expect(Object.fromEntries(detailPairs(call())).Caller).toBe("+13105550123");
    known.querySelector("button")!.click();
    expect(erased).toEqual(["+13105550123"]);
  });

  it("failing deliveries: failing and dead in one list newest first, in words, Redeliver per row", () => {
    const list = failingDeliveries(
      [delivery({ id: "9" }), delivery({ id: "10" })],
      [delivery({ id: "2", status: "dead", attempts: 12, nextAttemptAt: null }), delivery({ id: "9" })],
    );
    expect(list.map((d) => d.id)).toEqual(["10", "9", "2"]);
    expect(deliveryLine(list[2]!)).toMatchObject({ what: "Call webhook · call", state: "dead", tries: "gave up after 12 attempts", why: "HTTP 500" });
    expect(deliveryLine(delivery({ kind: "ga4", attempts: 1, lastError: null, lastStatus: null }))).toMatchObject({
      what: "GA4 · call",
      state: "failing",
      tries: `retrying: 1 attempt, next ${new Date(Date.UTC(2031, 0, 5, 11)).toLocaleString()}`,
      why: "no answer",
    });
    const body = document.createElement("table").createTBody();
    const empty = document.createElement("p");
    const clicked: string[] = [];
    renderDeliveries(body, empty, list, (id, button) => {
      clicked.push(id);
      button.disabled = true;
    });
    expect(empty.hidden).toBe(true);
    const buttons = [...body.querySelectorAll<HTMLButtonElement>("button.redeliver")];
    expect(buttons.map((b) => b.textContent)).toEqual(["Redeliver", "Redeliver", "Redeliver"]);
    buttons[1]!.click();
    expect(clicked).toEqual(["9"]);
    expect(buttons[1]!.disabled).toBe(true);
    expect(body.querySelector("a")?.getAttribute("href")).toBe("#call/CA1");
  });
});
