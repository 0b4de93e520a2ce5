import { describe, expect, it, vi } from "vitest";
import type { Api, NumberPage } from "../../dashboard/api";
import { numbersTable, PAGE_SIZE } from "../../dashboard/views/numbers";

const figure = (number: string) => ({ number, state: "free" as const, expiresAt: null, lastShownAt: null, lastCalledAt: null, sessionsServed: 0 });

/** The numbers endpoint over a fixed list, paged as the API pages it (after the cursor, limit at a time). */
function numbersApi(all: Record<string, string[]>, pending?: Map<string, () => void>) {
  const asked: [string, string | null, number][] = [];
  const numbers = async (pool: string, after: string | null, limit: number): Promise<NumberPage> => {
    asked.push([pool, after, limit]);
    if (pending) await new Promise<void>((r) => pending.set(pool, r));
    const list = all[pool] ?? [];
    const start = after ? list.indexOf(after) + 1 : 0;
    const page = list.slice(start, start + limit);
    return { numbers: page.map(figure), nextCursor: start + limit < list.length ? page[page.length - 1]! : null };
  };
  return { api: { numbers } as unknown as Api, asked };
}

function dom() {
  const table = document.createElement("table");
  const body = table.createTBody();
  const more = document.createElement("button");
  return { body, more, rows: () => [...body.querySelectorAll("tr")].map((r) => r.querySelector("td")?.textContent) };
}

const range = (n: number, base = 18885550000) => Array.from({ length: n }, (_, i) => `+${base + i}`);

describe("numbers table", () => {
  it("shows a page, offers more while there are more, and appends the next page after the last shown", async () => {
    const list = range(PAGE_SIZE + 5);
    const { api, asked } = numbersApi({ web: list });
    const d = dom();
    const t = numbersTable(api, d.body, d.more);
    await t.show("web");
    expect(d.rows()).toEqual(list.slice(0, PAGE_SIZE));
    expect(d.more.hidden).toBe(false);
    await t.more();
    expect(d.rows()).toEqual(list);
    expect(d.more.hidden).toBe(true);
    expect(asked).toEqual([
      ["web", null, PAGE_SIZE],
      ["web", list[PAGE_SIZE - 1], PAGE_SIZE],
    ]);
  });

  it("replaces the rows when another pool is shown", async () => {
    const { api } = numbersApi({ a: range(3), b: range(2, 18775550000) });
    const d = dom();
    const t = numbersTable(api, d.body, d.more);
    await t.show("a");
    await t.show("b");
    expect(d.rows()).toEqual(range(2, 18775550000));
    expect(d.more.hidden).toBe(true);
  });

  it("drops a page that arrives after another pool was chosen", async () => {
    const pending = new Map<string, () => void>();
    const { api } = numbersApi({ a: range(3), b: range(2, 18775550000) }, pending);
    const d = dom();
    const t = numbersTable(api, d.body, d.more);
    const first = t.show("a");
    const second = t.show("b");
    await Promise.resolve();
    pending.get("b")!();
    await second;
    pending.get("a")!();
    await first;
    expect(d.rows()).toEqual(range(2, 18775550000));
  });

  it("appends the next page once when More numbers is pressed again before it arrives", async () => {
    const list = range(PAGE_SIZE + 5);
    const { api, asked } = numbersApi({ web: list });
    const d = dom();
    const t = numbersTable(api, d.body, d.more);
    await t.show("web");
    let open = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const numbers = api.numbers;
    api.numbers = async (...a) => {
      await gate;
      return numbers(...a);
    };
    const twice = Promise.all([t.more(), t.more()]);
    open();
    await twice;
    expect(d.rows()).toEqual(list);
    expect(asked).toHaveLength(2);
  });

  it("a next page answered after the table was shown afresh is dropped and asked again after the new rows, once", async () => {
    const pending = new Map<string, () => void>();
    const list = range(PAGE_SIZE + 5);
    const { api, asked } = numbersApi({ web: list }, pending);
    const d = dom();
    const t = numbersTable(api, d.body, d.more);
    const first = t.show("web");
    await Promise.resolve();
    pending.get("web")!();
    await first;
    const more = t.more();
    await Promise.resolve();
    const resolveMore = pending.get("web")!;
    const again = t.show("web");
    await Promise.resolve();
    pending.get("web")!();
    await again;
    resolveMore();
    // The dropped answer wrote nothing; the page is asked again after the reloaded rows.
    await vi.waitFor(() => expect(asked).toHaveLength(4));
    expect(d.rows()).toEqual(list.slice(0, PAGE_SIZE));
    pending.get("web")!();
    await more;
    expect(d.rows()).toEqual(list);
    expect(d.more.hidden).toBe(true);
    expect(asked.at(-1)).toEqual(["web", list[PAGE_SIZE - 1], PAGE_SIZE]);
  });

  it("More numbers pressed while the table reloads in place shows the page after the reloaded rows", async () => {
    const pending = new Map<string, () => void>();
    const list = range(2 * PAGE_SIZE + 5);
    const { api, asked } = numbersApi({ web: list }, pending);
    const d = dom();
    const t = numbersTable(api, d.body, d.more);
    const first = t.show("web");
    await Promise.resolve();
    pending.get("web")!();
    await first;
    const reload = t.show("web", true);
    const more = t.more();
    await Promise.resolve();
    expect(asked).toHaveLength(2); // the reload's request only: the next page's cursor comes with it
    pending.get("web")!();
    await reload;
    await vi.waitFor(() => expect(asked).toHaveLength(3));
    expect(asked.at(-1)).toEqual(["web", list[PAGE_SIZE - 1], PAGE_SIZE]);
    pending.get("web")!();
    await more;
    expect(d.rows()).toEqual(list.slice(0, 2 * PAGE_SIZE));
    expect(d.more.hidden).toBe(false);
  });

  it("a next page asked before another pool is shown is not appended to it", async () => {
    const pending = new Map<string, () => void>();
    const list = range(PAGE_SIZE + 5);
    const other = range(PAGE_SIZE + 1, 18775550000);
    const { api, asked } = numbersApi({ web: list, other }, pending);
    const d = dom();
    const t = numbersTable(api, d.body, d.more);
    const first = t.show("web");
    await Promise.resolve();
    pending.get("web")!();
    await first;
    const more = t.more();
    await Promise.resolve();
    const switched = t.show("other");
    await Promise.resolve();
    pending.get("other")!();
    await switched;
    pending.get("web")!();
    await more;
    expect(d.rows()).toEqual(other.slice(0, PAGE_SIZE));
    expect(asked).toHaveLength(3);
    // More now pages the pool shown.
    const next = t.more();
    await Promise.resolve();
    pending.get("other")!();
    await next;
    expect(d.rows()).toEqual(other);
  });

  it("says so for a pool with no numbers (e.g. its order not yet filled)", async () => {
    const { api } = numbersApi({ web: [] });
    const d = dom();
    const t = numbersTable(api, d.body, d.more);
    await t.show("web");
    expect(d.rows()).toEqual(["No numbers in this pool yet."]);
    expect(d.more.hidden).toBe(true);
  });

  it("shown again in place (the minute's reload) keeps the rows paged in, in one request", async () => {
    const list = range(PAGE_SIZE + 5);
    const { api, asked } = numbersApi({ web: list, other: range(3, 18775550000) });
    const d = dom();
    const t = numbersTable(api, d.body, d.more);
    await t.show("web");
    await t.more();
    await t.show("web", true);
    expect(d.rows()).toEqual(list);
    expect(d.more.hidden).toBe(true);
    expect(asked.at(-1)).toEqual(["web", null, PAGE_SIZE + 5]);
    await t.show("other", true);
    expect(asked.at(-1)).toEqual(["other", null, PAGE_SIZE]);
  });

  it("shown again in place keeps every row paged in past the API's 1,000 a request, each once, in order", async () => {
    const list = range(1000 + PAGE_SIZE + 5);
    const { api, asked } = numbersApi({ web: list });
    const d = dom();
    const t = numbersTable(api, d.body, d.more);
    await t.show("web");
    while (!d.more.hidden) await t.more();
    expect(d.rows()).toEqual(list);
    asked.length = 0;
    await t.show("web", true);
    expect(d.rows()).toEqual(list);
    expect(d.more.hidden).toBe(true);
    expect(asked).toEqual([
      ["web", null, 1000],
      ["web", list[999], PAGE_SIZE + 5],
    ]);
    // Paged to 1,200 of them: 1,200 again, and More offers the rest.
    await t.show("web");
    for (let i = 0; i < 5; i++) await t.more();
    await t.show("web", true);
    expect(d.rows()).toEqual(list.slice(0, 1000 + PAGE_SIZE));
    expect(d.more.hidden).toBe(false);
    await t.more();
    expect(d.rows()).toEqual(list);
  });
});
