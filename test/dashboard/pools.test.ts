import { describe, expect, it } from "vitest";
import { alertSetting, barPercent, cardLines, HEALTH_WORDS, markSelected, renderPools } from "../../dashboard/views/pools";
import { health, pool } from "./fixtures";

describe("pool cards", () => {
  it("fills the bar by utilization, capped to 0..100 %", () => {
    expect(barPercent(0.304)).toBe(30);
    expect(barPercent(1.4)).toBe(100);
    expect(barPercent(-0.1)).toBe(0);
  });

  it("sums a pool up in its lines, with the open episode when there is one", () => {
    const opened = Date.UTC(2031, 0, 5, 9);
    const lines = cardLines(pool({ id: "web", status: "warning" }), health({ episode: { openedAt: opened, cause: "threshold", exhaustedAt: null } }));
    // The alert setting is worded apart from the health state: "Alerts on" beside "Healthy" reads as no contradiction.
    expect(lines.ids).toBe("web · Alerts on, at 80 % full");
    expect(cardLines(pool({ status: "recycle" }), health()).ids).toBe("web · Alerts off (status recycle)");
    expect(alertSetting("warning", 0.65)).toBe("Alerts on, at 65 % full");
    expect(HEALTH_WORDS).toEqual({ ok: "Healthy", warning: "Near full", exhausted: "Full" });
    expect(lines.fill).toBe("6 of 20 leased (30 %) · 14 free · 7-day peak 9");
    expect(lines.counters).toBe("12 allocations · 1 recycled early · 0 overflow · 2 refused");
    expect(lines.episode).toBe(`Alert open since ${new Date(opened).toLocaleString()}`);
    const dry = cardLines(pool(), health({ episode: { openedAt: opened, cause: "exhausted", exhaustedAt: opened + 60_000 } }));
    expect(dry.episode).toBe(`Alert open since ${new Date(opened).toLocaleString()} · ran dry ${new Date(opened + 60_000).toLocaleString()}`);
    expect(cardLines(pool(), health()).episode).toBeNull();
    const big = health({ numbers: { total: 1200, leased: 1100, free: 100, held: 0, retiring: 0, overflow: 0 }, peak7d: 1150, utilization: 1100 / 1200 });
    expect(cardLines(pool(), { ...big, counters: { ...big.counters, allocations: 45678 } })).toMatchObject({
      fill: "1,100 of 1,200 leased (92 %) · 100 free · 7-day peak 1,150",
      counters: "45,678 allocations · 1 recycled early · 0 overflow · 2 refused",
    });
  });

  it("renders a card per pool with its state, shows names as text, and selects on click", () => {
    const grid = document.createElement("section");
    const chosen: string[] = [];
    const evil = '<img src=x onerror="alert(1)">';
    renderPools(grid, [pool({ id: "a", name: evil }), pool({ id: "b", name: "Ads" })], [health({ state: "warning" }), health({ state: "exhausted" })], (id) =>
      chosen.push(id),
    );
    const cards = [...grid.querySelectorAll<HTMLButtonElement>(".pool")];
    expect(cards.map((c) => c.className)).toEqual(["card pool warning", "card pool exhausted"]);
    expect(cards[0]!.querySelector("strong")?.textContent).toBe(evil);
    expect(cards.map((c) => c.querySelector(".tag")?.textContent)).toEqual(["Near full", "Full"]);
    expect(grid.querySelector("img")).toBeNull();
    // Named by the pool's name alone (its heading), described by its figures.
    const part = (ids: string | null) => (ids ?? "").split(" ").map((id) => grid.querySelector(`#${id}`)?.textContent);
    expect(cards.map((c) => part(c.getAttribute("aria-labelledby")))).toEqual([[evil], ["Ads"]]);
    expect(part(cards[1]!.getAttribute("aria-describedby"))[0]).toBe("Full");
    // A pool without numbers (its order not yet filled) is not "Full": it has none yet.
    const none = { total: 0, leased: 0, free: 0, held: 0, retiring: 0, overflow: 0 };
    const fresh = document.createElement("section");
    renderPools(fresh, [pool({ id: "new" })], [health({ state: "exhausted", utilization: 0, numbers: none })], () => {});
    expect(fresh.querySelector(".tag")?.textContent).toBe("No numbers yet");
    // Not styled as a full pool (red).
    expect(fresh.querySelector(".pool")?.className).toBe("card pool empty");
    expect(cards[0]!.querySelector<HTMLElement>(".bar i")?.style.width).toBe("30%");
    cards[1]!.click();
    expect(chosen).toEqual(["b"]);
    markSelected(grid, "b");
    expect(cards.map((c) => c.classList.contains("sel"))).toEqual([false, true]);
  });

  it("says how to create a pool when there is none", () => {
    const grid = document.createElement("section");
    grid.textContent = "old";
    renderPools(grid, [], [], () => {});
    expect(grid.textContent).toBe("No pools yet: create one with POST /v1/pools.");
  });
});
