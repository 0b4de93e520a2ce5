/**
 * The dashboard at /dashboard: sign in with the account's admin key (kept in this tab's
 * sessionStorage, sent only as an Authorization header), then calls first over a date range, then
 * the pools, reloaded every minute.
 *
 * Built by scripts/build-dashboard.mjs into worker/generated/dashboard.ts; served by
 * worker/http/routes/dashboard.ts. One concern a file: api.ts (the client), session.ts (the key),
 * range.ts (the date range), overview.ts (what is shown and when), views/ (each part of the page),
 * chart/ (uPlot and the data it plots).
 */
import { ApiError, createClient, endpoints } from "./api";
import { Overview } from "./overview";
import { pageElements } from "./page";
import { customRange, isPreset } from "./range";
import { adminKey } from "./session";
import { isGrouping } from "./views/groups";
import { isChartRange } from "./views/pool-chart";
import { callOfHash } from "./views/recent-calls";

const REFRESH_MS = 60_000;

const page = pageElements();
const overview = new Overview(endpoints(createClient(adminKey.get)), page, (e) => failed(e));
let timer: ReturnType<typeof setInterval> | undefined;

/** Why the tab was signed out, kept over the page's reload that follows (these words only, never the key). */
const SIGNED_OUT = "dni.signedOut";

function signedOut(message = ""): void {
  adminKey.clear();
  clearInterval(timer);
  if (!page.app.hidden) {
    // What the account showed goes with its key: the page starts afresh (without its #call/<id>), so
    // no one signing in next in this tab, not even with a wrong key, sees it hidden or for a moment.
    sessionStorage.setItem(SIGNED_OUT, message);
    location.replace(location.pathname);
    return;
  }
  page.app.hidden = true;
  page.signOut.hidden = true;
  page.who.textContent = "";
  page.login.hidden = false;
  page.loginError.textContent = message;
  page.failure.hidden = true;
}

/**
 * Shows `e` where it belongs: a refused key signs out; anything else is said under the range (an
 * alert, with Try again) until a load goes through — the minute's reload tries again too.
 */
function failed(e: unknown): void {
  if (e instanceof ApiError && e.unauthorized) {
    // The API's own words say why (a site key given, a rotated key).
    signedOut(`That key was not accepted: ${e.message}`);
    return;
  }
  page.failureText.textContent = `Could not load: ${e instanceof Error ? e.message : String(e)}.`;
  page.failure.hidden = false;
  // An action's failure (not a load's: loading() names its kind after this): only a reload clears it.
  failedKind = null;
}

/**
 * What a load loads: everything (a reload), the calls for a range (its totals, chart and groups),
 * the groups alone (another grouping), the pools (another chart range).
 */
type LoadKind = "all" | "calls" | "groups" | "pools";
/** The failures each kind of load, going through, shows to be over. */
const CLEARS: Record<LoadKind, readonly LoadKind[]> = {
  all: ["all", "calls", "groups", "pools"],
  calls: ["calls", "groups"],
  groups: ["groups"],
  pools: ["pools"],
};
/** Loads of each kind asked so far: only the latest of a kind says how it went. */
const asked: Record<LoadKind, number> = { all: 0, calls: 0, groups: 0, pools: 0 };
/** The kind of load whose failure is shown (null: none). */
let failedKind: LoadKind | null = null;

/**
 * Loads (what `work` loads) and says how it went: a load that goes through clears a failure of
 * what it loaded again (a range's calls do not clear the pools' failure; a reload clears any). An
 * earlier load of a kind that ends after a later one of that kind began (a slow minute's reload,
 * then Try again or the next minute's) neither clears the later one's failure nor raises its own
 * over it: a refused key still signs out.
 */
const loading = (kind: LoadKind, work: () => Promise<void>) => {
  const n = ++asked[kind];
  return work().then(
    () => {
      if (n === asked[kind] && (kind === "all" || (failedKind !== null && CLEARS[kind].includes(failedKind)))) {
        page.failure.hidden = true;
        failedKind = null;
      }
    },
    (e: unknown) => {
      if (n === asked[kind] || (e instanceof ApiError && e.unauthorized)) {
        failed(e);
        failedKind = kind;
      }
    },
  );
};

/** Loads everything again. */
const reload = () => loading("all", () => overview.load());

async function start(): Promise<void> {
  if (!adminKey.get()) {
    signedOut(sessionStorage.getItem(SIGNED_OUT) ?? "");
    sessionStorage.removeItem(SIGNED_OUT);
    return;
  }
  page.login.hidden = true;
  page.app.hidden = false;
  // Before the first load: if it fails (offline, a 5xx), the key can still be changed.
  page.signOut.hidden = false;
  await reload();
  if (!adminKey.get()) return;
  void overview.showCall(callOfHash(location.hash));
  clearInterval(timer);
  timer = setInterval(reload, REFRESH_MS);
}

page.login.addEventListener("submit", (ev) => {
  ev.preventDefault();
  adminKey.set(page.keyInput.value.trim());
  page.keyInput.value = "";
  void start();
});
page.signOut.addEventListener("click", () => signedOut());
page.retry.addEventListener("click", () => void reload());
page.moreNumbers.addEventListener("click", () => overview.moreNumbers().catch(failed));
page.replaceAll.addEventListener("change", () => overview.setReplaceAll(page.replaceAll.checked).catch(failed));
page.csvButton.addEventListener("click", () => overview.downloadCsv().catch(failed));
page.conversionsCheck.addEventListener("click", () => overview.checkConversions().catch(failed));
page.retentionForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  overview.saveRetention().catch(failed);
});
// The view's loads: one that goes through clears a failure an earlier one left.
page.customForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const [from, to] = [page.customFrom.value, page.customTo.value];
  // Dates that make no range load nothing (the form says why): no load to count.
  if (typeof customRange(from, to) === "string") void overview.setCustom(from, to).catch(failed);
  else void loading("calls", () => overview.setCustom(from, to));
});
for (const b of page.presetButtons) {
  b.addEventListener("click", () => {
    const p = b.dataset.preset;
    // Custom only shows its dates (nothing loads until they are submitted).
    if (p === "custom") void overview.setPreset(p).catch(failed);
    else if (isPreset(p)) void loading("calls", () => overview.setPreset(p));
  });
}
for (const b of page.groupButtons) {
  b.addEventListener("click", () => {
    const group = b.dataset.group;
    if (isGrouping(group)) void loading("groups", () => overview.setGrouping(group));
  });
}
for (const b of page.rangeButtons) {
  b.addEventListener("click", () => {
    const range = b.dataset.range;
    if (isChartRange(range)) void loading("pools", () => overview.setChartRange(range));
  });
}
page.detailClose.addEventListener("click", () => {
  location.hash = ""; // hashchange hides the detail
});
addEventListener("hashchange", () => {
  if (adminKey.get()) void overview.showCall(callOfHash(location.hash));
});
void start();
