import { describe, expect, it } from "vitest";
import type { AutoscaleView, Order } from "../../dashboard/api";
import { when } from "../../dashboard/format";
import { autoscaleLine, ORDERS_SHOWN, orderProgress, orderWhat, orderWhy, renderSupply } from "../../dashboard/views/supply";

const T = Date.UTC(2031, 0, 5, 10);

function order(over: Partial<Order> = {}): Order {
  return {
    id: "ord_4Kq9xW2mZpL0aB7cD1eF",
    poolId: "web",
    provider: "twilio",
    request: { country: "US", type: "local", areaCode: "510", quantity: 5, fallback: "wait", sameStateOnly: false },
    status: "completed",
    progress: { searched: 12, bought: 5, configured: 5, added: 5, skipped: 0 },
    numbers: [],
    attempts: 0,
    lastError: null,
    nextAttemptAt: null,
    createdAt: T,
    updatedAt: T,
    ...over,
  };
}

function autoscale(over: Partial<AutoscaleView> = {}): AutoscaleView {
  return {
    pool: "web",
    config: {
      min: 3,
      max: 12,
      target: 0.01,
      cooldownMinutes: 60,
      dryRun: false,
      numbers: { country: "US", type: "local", areaCode: "510", fallback: "wait", sameStateOnly: false },
    },
    size: 6,
    onOrder: 2,
    nextCheckAt: T + 60_000,
    events: [
      {
        at: T,
        action: "grow",
        from: 6,
        to: 8,
        peak: 7,
        reason: "peak 7 needs 8 for a 1 % chance of a full pool",
        dryRun: false,
        orderId: "ord_1",
        removed: [],
        reused: [],
      },
      { at: T - 86_400_000, action: "first_fill", from: 0, to: 6, peak: 0, reason: "min", dryRun: false, orderId: "ord_0", removed: [], reused: [] },
    ],
    ...over,
  };
}

const nodes = () => {
  const table = document.createElement("table");
  table.hidden = true;
  return { autoscale: document.createElement("p"), body: table.createTBody(), empty: document.createElement("p"), table };
};

describe("where a pool's numbers come from", () => {
  it("an order reads as what it asked, how far it got and why it is stuck", () => {
    expect(orderWhat(order())).toBe("5 local numbers in US, area code 510, from Twilio");
    expect(orderWhat(order({ provider: "plivo", request: { ...order().request, type: "tollfree", areaCode: undefined, quantity: 1 } }))).toBe(
      "1 toll-free number in US, from Plivo",
    );
    expect(orderProgress(order())).toBe("5 of 5 in the pool");
    const stuck = order({
      status: "waiting",
      progress: { searched: 9, bought: 3, configured: 3, added: 2, skipped: 1 },
      lastError: "Phone Number Requires an Address (Twilio 21631)",
      nextAttemptAt: T + 3_600_000,
    });
    expect(orderProgress(stuck)).toBe("2 of 5 in the pool (3 bought, 1 taken by others first)");
    expect(orderWhy(stuck)).toBe(`Phone Number Requires an Address (Twilio 21631) · next try ${when(T + 3_600_000)}`);
    // A failed order tries no more: its reason alone.
    expect(orderWhy(order({ status: "failed", lastError: "refused", nextAttemptAt: T }))).toBe("refused");
    expect(orderWhy(order())).toBe("");
  });

  it("autoscaling in one line: bounds, size now and on order, the latest step; or off", () => {
    expect(autoscaleLine(autoscale())).toBe(
      `Autoscaling: 3–12 numbers; 6 numbers now, 2 on order. Last step: grow 6 → 8 (peak 7) on ${when(T)}: peak 7 needs 8 for a 1 % chance of a full pool.`,
    );
    expect(autoscaleLine(autoscale({ config: { ...autoscale().config, dryRun: true }, events: [], onOrder: 0, size: 1 }))).toBe(
      "Autoscaling (dry run: recommends, buys nothing): 3–12 numbers; 1 number now. No step yet.",
    );
    expect(autoscaleLine(null)).toMatch(/^Autoscaling: off\./);
  });

  it("renders the latest orders newest first (at most ORDERS_SHOWN), or a sentence when there are none", () => {
    const n = nodes();
    const orders = Array.from({ length: ORDERS_SHOWN + 3 }, (_, i) =>
      order({ id: `ord_${i}`, createdAt: T + i * 1000, status: i === ORDERS_SHOWN + 2 ? "running" : "completed" }),
    );
    renderSupply(n, orders, autoscale());
    expect(n.table.hidden).toBe(false);
    expect(n.empty.hidden).toBe(true);
    const rows = [...n.body.querySelectorAll("tr")];
    expect(rows).toHaveLength(ORDERS_SHOWN);
    expect(rows[0]!.querySelector("td")!.textContent).toBe(when(T + (ORDERS_SHOWN + 2) * 1000));
    expect(rows[0]!.querySelector(".st")!.className).toBe("st running");
    expect(n.autoscale.textContent).toMatch(/^Autoscaling: 3–12/);
    // Another pool, without orders or autoscaling: the old rows go.
    renderSupply(n, [], null);
    expect(n.body.querySelectorAll("tr")).toHaveLength(0);
    expect(n.table.hidden).toBe(true);
    expect(n.empty.hidden).toBe(false);
    expect(n.autoscale.textContent).toMatch(/^Autoscaling: off/);
  });

  it("text from the API is shown as text", () => {
    const n = nodes();
    renderSupply(n, [order({ status: "failed", lastError: "<img src=x onerror=alert(1)>" })], null);
    expect(n.body.querySelector("img")).toBeNull();
    expect(n.body.querySelectorAll("td")[4]!.textContent).toBe("<img src=x onerror=alert(1)>");
  });
});
