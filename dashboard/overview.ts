/**
 * What the signed-in dashboard shows and when it reloads: the account, the pool cards, the selected
 * pool's utilization and numbers, calls by source over the last 30 days, the latest calls' ad conversions.
 */
import type { Api, Pool } from "./api";
import type { PageElements } from "./page";
import { renderCallsBySource } from "./views/calls-by-source";
import { renderConversions } from "./views/conversions";
import { type NumbersTable, numbersTable } from "./views/numbers";
import { markSelected, renderPools } from "./views/pools";
import { RANGES, type RangeName, renderUtilization, utilizationLegend } from "./views/utilization";

const CALLS_DAYS = 30;
/** Calls whose ad conversion uploads are listed. */
const LATEST_CALLS = 50;
const DAY = 86_400_000;

export class Overview {
  private pools: Pool[] = [];
  private selected: string | null = null;
  private range: RangeName = "day";
  private readonly numbers: NumbersTable;

  constructor(
    private readonly api: Api,
    private readonly page: PageElements,
    /** Where failures of what the user clicks go (a pool card). */
    private readonly onError: (e: unknown) => void,
  ) {
    this.numbers = numbersTable(api, page.numbersBody, page.moreNumbers);
  }

  /** Loads everything; keeps the selected pool if it still exists, else the default pool, else the first. */
  async load(): Promise<void> {
    const { page, api } = this;
    const account = await api.account();
    page.who.textContent = account.name;
    page.signOut.hidden = false;
    this.pools = await api.pools();
    const health = await Promise.all(this.pools.map((p) => api.health(p.id, 0)));
    renderPools(page.pools, this.pools, health, (id) => this.showPool(id).catch(this.onError));
    const pick = [this.selected, account.defaultPool].find((id) => id && this.pools.some((p) => p.id === id)) ?? this.pools[0]?.id;
    if (pick) await this.showPool(pick);
    renderCallsBySource(page.callsChart, page.callsLegend, await api.callStats(Date.now() - CALLS_DAYS * DAY), Date.now());
    renderConversions(page.conversionsBody, page.conversionsEmpty, await api.latestCalls(LATEST_CALLS));
    page.updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  }

  /** Selects a pool: its utilization over the chosen range and its numbers. */
  async showPool(id: string): Promise<void> {
    const { page, api } = this;
    this.selected = id;
    markSelected(page.pools, id);
    const name = this.pools.find((p) => p.id === id)?.name ?? id;
    const range = this.range;
    const r = RANGES[range];
    const h = await api.health(id, r.minutes, r.step);
    if (this.selected !== id || this.range !== range) return; // a newer choice is loading
    page.utilTitle.textContent = `Utilization — ${name}`;
    page.utilLegend.textContent = utilizationLegend(h, range);
    renderUtilization(page.utilChart, h);
    page.numbersTitle.textContent = `Numbers — ${name}`;
    await this.numbers.show(id);
  }

  /** Switches the utilization chart's range. */
  async setRange(range: RangeName): Promise<void> {
    this.range = range;
    for (const b of this.page.rangeButtons) b.classList.toggle("on", b.dataset.range === range);
    if (this.selected) await this.showPool(this.selected);
  }

  moreNumbers(): Promise<void> {
    return this.numbers.more();
  }
}
