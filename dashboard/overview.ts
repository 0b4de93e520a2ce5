/**
 * What the signed-in dashboard shows and when it reloads. Calls first, over the chosen date range:
 * the totals, calls per day, calls by source / campaign / landing page / pool, the recent calls (each
 * opening its detail), the CSV of the range, failing deliveries with Redeliver. Then the pools: a
 * card each, the utilization of all of them, the selected pool's numbers, its replaceAll setting and
 * where its numbers come from (autoscaling, number orders),
 * the ad conversions (each platform's setting, the recent calls' uploads). Last the account: the
 * snippet tag for the site, how long calls are kept.
 * Over 300 lines: it is the page's one state (the choices shown, what was asked last) and every load
 * that reads or moves it; the views it calls are pure and live in views/.
 */
import { type Account, type Api, ApiError, type Call, type CallGrouping, type CallStats, type HealthView, type Pool, type Range } from "./api";
import { markOn } from "./dom";
import { count } from "./format";
import type { PageElements } from "./page";
import { csvFileName, customRange, dateInput, type Preset, presetRange, rangeLabel } from "./range";
import { refusedRetention, renderSite, retentionPatch, savedRetention, savingRetention, showRetention } from "./views/account";
import { forgetRecording, renderCallDetail } from "./views/call-detail";
import { renderCallsChart } from "./views/calls-chart";
import { renderConversionCheck, renderConversions, renderPlatformStatus } from "./views/conversions";
import { failingDeliveries, renderDeliveries } from "./views/deliveries";
import { renderGroups } from "./views/groups";
import { type NumbersTable, numbersTable } from "./views/numbers";
import { type ChartRange, RANGES, renderPoolChart } from "./views/pool-chart";
import { markSelected, renderPools } from "./views/pools";
import { renderRecentCalls } from "./views/recent-calls";
import { refusedReplaceAll, savingReplaceAll, showReplaceAll } from "./views/replace-all";
import { renderSupply } from "./views/supply";
import { renderTotals } from "./views/totals";

/** Calls listed (and their ad conversions); the CSV has every call of the range. */
export const RECENT_CALLS = 50;
/** Failing and dead deliveries listed, each. */
const DELIVERIES = 50;

/**
 * Whether a failure is the key's refusal, which signs out whichever load it came from. Any other
 * failure of a load a newer choice has replaced is not shown: the newer one's outcome is (its alert,
 * or its figures, which an alert of the older one would wrongly call not loaded).
 */
const refused = (e: unknown): boolean => e instanceof ApiError && e.unauthorized;

export class Overview {
  private preset: Preset | "custom" = "7d";
  private custom: Range | null = null;
  private grouping: CallGrouping = "source";
  private chartRange: ChartRange = "day";
  /**
   * The choices whose figures the page shows (the last loads that went through). A choice whose load
   * fails, with nothing asked since, goes back to these, its button unpressed and theirs pressed
   * again: no button claims figures that are not on the page.
   */
  private shown: { preset: Preset | "custom"; custom: Range | null; grouping: CallGrouping; chartRange: ChartRange } = {
    preset: "7d",
    custom: null,
    grouping: "source",
    chartRange: "day",
  };
  private pools: Pool[] = [];
  /** The account as last loaded or saved. */
  private account: Account | null = null;
  private selected: string | null = null;
  private readonly numbers: NumbersTable;
  /**
   * Counts what was asked, so that an answer to an earlier choice (a slow 30 days after Today was
   * clicked, a reload started before a click) is dropped instead of drawn over the later one.
   */
  private asked = { calls: 0, groups: 0, pools: 0, supply: 0, detail: 0, account: 0, deliveries: 0, platforms: 0 };
  /** The link that opened the call's detail: Close brings the focus back to it. */
  private opener: HTMLElement | null = null;

  constructor(
    private readonly api: Api,
    private readonly page: PageElements,
    /** Where failures of what the user clicks go. */
    private readonly onError: (e: unknown) => void,
  ) {
    this.numbers = numbersTable(api, page.numbersBody, page.moreNumbers);
  }

  /** The range shown: a preset counted from now (so "today" moves on at midnight), or the custom dates. */
  range(): Range {
    return this.preset === "custom" && this.custom ? this.custom : presetRange(this.preset === "custom" ? "7d" : this.preset, Date.now());
  }

  /** Loads everything; keeps the selected pool if it still exists, else the default pool, else the first. */
  async load(): Promise<void> {
    const asked = ++this.asked.account;
    const account = await this.api.account();
    // A retention saved meanwhile (its answer is newer) or a later load: this answer is not drawn.
    if (asked === this.asked.account) {
      this.account = account;
      this.page.who.textContent = account.name;
      renderSite({ tag: this.page.snippetTag, origins: this.page.origins }, account, location.origin);
      // Not over what is being saved (showRetention leaves what is being typed).
      const form = this.retentionForm();
      if (form.save.getAttribute("aria-disabled") !== "true") showRetention(form, account);
    }
    this.page.signOut.hidden = false;
    await Promise.all([this.loadCalls(), this.loadDeliveries(), this.loadPools(account.defaultPool), this.loadConversionSettings()]);
    this.page.updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  }

  /** Everything that depends on the date range. */
  async loadCalls(): Promise<void> {
    const { page, api } = this;
    const range = this.range();
    const { preset, custom, grouping } = this;
    const asked = { calls: ++this.asked.calls, groups: ++this.asked.groups };
    let stats: CallStats;
    let calls: Call[];
    try {
      [stats, calls] = await Promise.all([api.callStats(range, grouping), api.calls(range, RECENT_CALLS)]);
    } catch (e) {
      if (asked.calls === this.asked.calls) this.backToShownRange();
      if (asked.groups === this.asked.groups) this.backToShownGrouping();
      if (asked.calls !== this.asked.calls && asked.groups !== this.asked.groups && !refused(e)) return;
      throw e;
    }
    if (asked.calls !== this.asked.calls) return;
    this.shown.preset = preset;
    this.shown.custom = custom;
    page.rangeLabel.textContent = rangeLabel(range);
    renderTotals(page.totals, stats.total);
    renderCallsChart(page.callsChart, stats, range);
    if (asked.groups === this.asked.groups) {
      renderGroups(page.groupsBody, page.groupHead, stats.groups ?? [], grouping, stats.total.calls);
      this.shown.grouping = grouping;
    }
    renderRecentCalls(page.callsBody, page.callsEmpty, calls);
    page.callsNote.textContent =
      stats.total.calls > calls.length ? `The ${calls.length} most recent of ${count(stats.total.calls)} calls; the CSV has all of them.` : "";
    renderConversions(page.conversionsBody, page.conversionsEmpty, calls);
  }

  /** The range's buttons as `preset` says (pressed), the custom dates' form open with Custom. */
  private markPreset(preset: Preset | "custom"): void {
    markOn(this.page.presetButtons, (b) => b.dataset.preset === preset);
    this.page.customForm.hidden = preset !== "custom";
  }

  /**
   * A range's load failed: the range shown is the one chosen again, its button pressed. While the
   * custom dates' form is open (their Show failed), Custom stays pressed with the dates as typed, as
   * before Show was pressed.
   */
  private backToShownRange(): void {
    this.preset = this.shown.preset;
    this.custom = this.shown.custom;
    if (this.page.customForm.hidden) this.markPreset(this.preset);
  }

  private backToShownGrouping(): void {
    this.grouping = this.shown.grouping;
    markOn(this.page.groupButtons, (b) => b.dataset.group === this.grouping);
  }

  async setPreset(preset: Preset | "custom"): Promise<void> {
    this.markPreset(preset);
    if (preset === "custom") {
      const r = this.custom ?? this.range();
      this.page.customFrom.value ||= dateInput(r.from);
      this.page.customTo.value ||= dateInput(r.to - 1);
      return; // shown when the dates are submitted
    }
    this.preset = preset;
    await this.loadCalls();
  }

  /** The custom dates as submitted; an error sentence beside them when they do not make a range. */
  async setCustom(from: string, to: string): Promise<void> {
    const r = customRange(from, to);
    this.page.customError.textContent = typeof r === "string" ? r : "";
    if (typeof r === "string") return;
    this.preset = "custom";
    this.custom = r;
    await this.loadCalls();
  }

  async setGrouping(by: CallGrouping): Promise<void> {
    this.grouping = by;
    markOn(this.page.groupButtons, (b) => b.dataset.group === by);
    const asked = ++this.asked.groups;
    let stats: CallStats;
    try {
      stats = await this.api.callStats(this.range(), by);
    } catch (e) {
      if (asked === this.asked.groups) this.backToShownGrouping();
      else if (!refused(e)) return;
      throw e;
    }
    if (asked !== this.asked.groups) return;
    renderGroups(this.page.groupsBody, this.page.groupHead, stats.groups ?? [], by, stats.total.calls);
    this.shown.grouping = by;
  }

  /** Downloads the range's calls as the API's CSV (fetched with the key as a header, saved from a blob). */
  async downloadCsv(): Promise<void> {
    const button = this.page.csvButton;
    // Pressed again while a long range's export is being made: still one file. (Not disabled: the
    // keyboard's focus stays on it.)
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    button.textContent = "Preparing the CSV…";
    try {
      const range = this.range();
      const blob = await this.api.callsCsv(range);
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = csvFileName(range);
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
    } finally {
      button.removeAttribute("aria-disabled");
      button.textContent = "Download CSV";
    }
  }

  async loadDeliveries(): Promise<void> {
    const asked = ++this.asked.deliveries;
    const [failing, dead] = await Promise.all([this.api.deliveries("failing", DELIVERIES), this.api.deliveries("dead", DELIVERIES)]);
    if (asked !== this.asked.deliveries) return;
    renderDeliveries(this.page.deliveriesBody, this.page.deliveriesEmpty, failingDeliveries(failing, dead), (id, button, note) => {
      // Marked disabled, not disabled: a disabled button loses the keyboard's focus (as Download CSV).
      if (button.getAttribute("aria-disabled") === "true") return;
      button.setAttribute("aria-disabled", "true");
      note.textContent = "Sending…";
      this.api.redeliver(id).then(
        () => {
          note.textContent = "Queued: sent again within seconds.";
        },
        (e: unknown) => {
          button.removeAttribute("aria-disabled");
          // A key refused meanwhile (revoked, rotated) signs out, as a load's does.
          if (e instanceof ApiError && e.unauthorized) this.onError(e);
          else note.textContent = e instanceof Error ? e.message : String(e);
        },
      );
    });
  }

  /** Each ad platform's setting: uploading or paused, and Google's diagnostics (GET /v1/account/conversions). */
  async loadConversionSettings(): Promise<void> {
    const asked = ++this.asked.platforms;
    const settings = await this.api.conversionSettings();
    if (asked === this.asked.platforms) renderPlatformStatus(this.page.conversionsStatus, settings);
  }

  /** Tests the ad platforms' connection (POST /v1/account/conversions/check) and shows each one's answer. */
  async checkConversions(): Promise<void> {
    const { conversionsCheck: button, conversionsChecked: list } = this.page;
    // Marked disabled, not disabled: a disabled button loses the keyboard's focus.
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    list.hidden = false;
    list.textContent = "Checking…";
    try {
      renderConversionCheck(list, await this.api.checkConversions());
    } catch (e) {
      if (e instanceof ApiError && e.unauthorized) throw e;
      renderConversionCheck(list, { failure: e instanceof Error ? e.message : String(e) });
    } finally {
      button.removeAttribute("aria-disabled");
    }
  }

  /**
   * Shows one call's detail (from the URL's #call/<id>), or hides it (null). Only the latest
   * choice's answer is drawn: a slow answer for a call left since draws nothing. A refused key signs out.
   */
  async showCall(id: string | null): Promise<void> {
    const { page } = this;
    const asked = ++this.asked.detail;
    if (id === null) {
      forgetRecording();
      // Closed: the focus goes back to the link that opened it (it would be lost with the hidden detail).
      // If the minute's reload redrew it meanwhile, to the link to the same call.
      const lost = page.detail.contains(document.activeElement) || document.activeElement === document.body;
      const href = this.opener?.getAttribute("href");
      const back = this.opener?.isConnected ? this.opener : [...page.app.querySelectorAll("a")].find((a) => a.getAttribute("href") === href);
      page.detail.hidden = true;
      if (lost) back?.focus();
      this.opener = null;
      return;
    }
    if (document.activeElement instanceof HTMLAnchorElement) this.opener = document.activeElement;
    page.detail.hidden = false;
    page.detailTitle.textContent = "Call";
    page.detailBody.textContent = "Loading…";
    page.detail.scrollIntoView({ block: "start" });
    try {
      const call = await this.api.call(id);
      if (asked !== this.asked.detail) return;
      renderCallDetail(
        page.detailBody,
        page.detailTitle,
        call,
        (caller) => this.eraseCaller(caller).catch(this.onError),
        // A refused key signs out, as every other request's does; the detail says why all the same.
        (id) =>
          this.api.recording(id).catch((e: unknown) => {
            if (e instanceof ApiError && e.unauthorized) this.onError(e);
            throw e;
          }),
      );
    } catch (e) {
      if (e instanceof ApiError && e.unauthorized) return this.onError(e);
      if (asked !== this.asked.detail) return;
      page.detailBody.textContent = e instanceof Error ? e.message : String(e);
    }
    // The keyboard's place moves to what was opened (a screen reader reads its title).
    page.detailTitle.focus({ preventScroll: true });
  }

  /**
   * An erasure request by phone number: every call from it, everywhere it is kept (asked to confirm
   * first); the detail then says how many, and the calls reload without them.
   */
  async eraseCaller(caller: string): Promise<void> {
    if (!confirm(`Erase every call from ${caller}? Their records, deliveries and visits' click ids are deleted for good.`)) return;
    forgetRecording();
    const { page } = this;
    // The detail is the erasure's now: another call opened meanwhile is not written over.
    const asked = ++this.asked.detail;
    page.detailBody.textContent = "Erasing…";
    let n: number;
    try {
      n = await this.api.eraseCaller(caller);
    } catch (e) {
      if (e instanceof ApiError && e.unauthorized) throw e;
      // Said where it was asked for (what was erased before the failure stays erased).
      if (asked === this.asked.detail) {
        page.detailBody.textContent = `The erasure of calls from ${caller} did not finish: ${e instanceof Error ? e.message : String(e)}. Erase again to go on.`;
        // The Erase button it was on went with the detail's body: the focus goes to the detail's title.
        page.detailTitle.focus();
      }
      await this.loadCalls();
      return;
    }
    if (asked === this.asked.detail) {
      page.detailTitle.textContent = "Erased";
      page.detailBody.textContent = `Erased ${n} call${n === 1 ? "" : "s"} from ${caller}.`;
      page.detailTitle.focus();
    }
    await this.loadCalls();
  }

  /** The pool cards and the utilization chart (one health answer per pool serves both), then the selected pool's numbers. */
  async loadPools(defaultPool: string | null = null): Promise<void> {
    const { page, api } = this;
    const range = this.chartRange;
    const r = RANGES[range];
    const asked = ++this.asked.pools;
    let pools: Pool[];
    let health: HealthView[];
    try {
      pools = await api.pools();
      health = await Promise.all(pools.map((p) => api.health(p.id, r.minutes, r.step)));
    } catch (e) {
      if (asked === this.asked.pools) {
        // The chart's range shown is the one chosen again.
        this.chartRange = this.shown.chartRange;
        markOn(this.page.rangeButtons, (b) => b.dataset.range === this.chartRange);
      } else if (!refused(e)) return;
      throw e;
    }
    if (asked !== this.asked.pools) return;
    this.shown.chartRange = range;
    this.pools = pools;
    renderPools(page.pools, this.pools, health, (id) => this.showPool(id).catch(this.onError));
    renderPoolChart(page.utilChart, health, range);
    page.utilLegend.textContent = this.pools.length
      ? `Peak concurrent leases as a share of each pool's numbers (${r.label}). Hover the chart for each pool's value at that time.`
      : "";
    const pick = [this.selected, defaultPool].find((id) => id && this.pools.some((p) => p.id === id)) ?? this.pools[0]?.id;
    // The same pool again (a reload): its numbers keep the rows paged in.
    if (pick) await this.showPool(pick, pick === this.selected);
  }

  /**
   * Selects a pool: its card outlined, its replaceAll setting shown, its numbers listed (`reload`: as
   * many as were), and where they come from (its autoscaling and number orders).
   */
  async showPool(id: string, reload = false): Promise<void> {
    this.selected = id;
    markSelected(this.page.pools, id);
    const pool = this.pools.find((p) => p.id === id);
    this.page.numbersTitle.textContent = `Numbers — ${pool?.name ?? id}`;
    const control = this.replaceAllControl();
    // A reload while the box's change is being saved (its pools asked before the save ended), or
    // after a refusal was said: the box and its words stay as they are, not put back.
    const busy = control.box.getAttribute("aria-disabled") === "true" || control.note.classList.contains("err");
    if (pool && !(reload && busy)) showReplaceAll(control, pool);
    await Promise.all([this.numbers.show(id, reload), this.loadSupply(id)]);
  }

  /** The pool's autoscaling and orders; an answer for a pool no longer selected (another was clicked since) is dropped. */
  private async loadSupply(id: string): Promise<void> {
    const asked = ++this.asked.supply;
    let orders: Awaited<ReturnType<Api["orders"]>>, autoscale: Awaited<ReturnType<Api["autoscale"]>>;
    try {
      [orders, autoscale] = await Promise.all([this.api.orders(id), this.api.autoscale(id)]);
    } catch (e) {
      // Failed for a pool no longer chosen: not said over the one shown (a refused key still signs out).
      if (asked !== this.asked.supply && !refused(e)) return;
      throw e;
    }
    if (asked !== this.asked.supply) return;
    const { page } = this;
    renderSupply({ autoscale: page.autoscale, body: page.ordersBody, empty: page.ordersEmpty }, orders, autoscale);
  }

  /**
   * Turns the selected pool's replaceAll on or off. A refusal (a pool with a whitelist of
   * destinations) is shown beside the box in the API's words; a refused key still signs out.
   */
  async setReplaceAll(on: boolean): Promise<void> {
    const pool = this.pools.find((p) => p.id === this.selected);
    if (!pool) return;
    const control = this.replaceAllControl();
    // Pressed while the last change is being saved: undone, nothing sent.
    if (control.box.getAttribute("aria-disabled") === "true") {
      control.box.checked = !on;
      return;
    }
    savingReplaceAll(control);
    let changed: Pool;
    try {
      changed = await this.api.setReplaceAll(pool.id, on);
    } catch (e) {
      if (e instanceof ApiError && e.unauthorized) throw e;
      // Another pool selected meanwhile: its box shows its own setting, not this one's refusal.
      if (this.selected === pool.id) refusedReplaceAll(control, pool, e instanceof Error ? e.message : String(e));
      return;
    }
    this.pools = this.pools.map((p) => (p.id === changed.id ? changed : p));
    if (this.selected === changed.id) showReplaceAll(control, changed);
    // The cards say it too: reloaded with their health.
    await this.loadPools();
  }

  /**
   * Saves how long calls are kept. A refusal is shown beside the form in the API's words (the form
   * shows the account's settings again); a refused key still signs out.
   */
  async saveRetention(): Promise<void> {
    const form = this.retentionForm();
    const account = this.account;
    if (!account || form.save.getAttribute("aria-disabled") === "true") return;
    savingRetention(form);
    // Loads of the account asked before this save answer older values: not drawn over it.
    ++this.asked.account;
    try {
      this.account = await this.api.patchAccount(retentionPatch(form));
    } catch (e) {
      refusedRetention(form, account, e instanceof Error ? e.message : String(e));
      if (e instanceof ApiError && e.unauthorized) throw e;
      return;
    }
    savedRetention(form, this.account);
  }

  private retentionForm() {
    const p = this.page;
    return { form: p.retentionForm, calls: p.keepCalls, archive: p.keepArchive, save: p.keepSave, note: p.keepNote };
  }

  private replaceAllControl() {
    return { box: this.page.replaceAll, note: this.page.replaceNote };
  }

  /** Switches the utilization chart's range. */
  async setChartRange(range: ChartRange): Promise<void> {
    this.chartRange = range;
    markOn(this.page.rangeButtons, (b) => b.dataset.range === range);
    await this.loadPools();
  }

  moreNumbers(): Promise<void> {
    return this.numbers.more();
  }
}
