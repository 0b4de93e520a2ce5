/**
 * data-consent (dni-full.js): the snippet waits for the visitor's consent before it stores anything
 * or sends what identifies the visitor. Signals, the latest wins:
 *
 * - `dni("consent", true | false)`: everything granted / denied;
 * - Google Consent Mode v2: `gtag("consent", "default" | "update", {…})` on the dataLayer, those
 *   pushed before the snippet and after. Defaults are the base, whatever the order: any other signal
 *   overrides them. A default scoped with `region` (ISO 3166-2: "ES", "US-CA") applies to visitors
 *   there only, the most specific match winning key by key (subdivision over country over the
 *   default without a region, whatever the order they were pushed in); where the visitor is comes
 *   from the worker (GET /v1/region), asked once, only when such a default exists, and no decision
 *   waits on a default until it answers. Unknown there (or no answer): a scoped default is taken
 *   where it denies, never where it grants (privacy-safe). An update with a `region` is skipped.
 *   A default's `wait_for_update` (ms, up to 10 s) holds every decision until an update comes or it
 *   ends. A denial by defaults alone stores nothing but erases nothing: a returning visitor's CMP
 *   restores their grant moments later (only the visitor's own denial erases);
 * - IAB TCF v2 (`__tcfapi`): purpose 1 (store on a device) for the storages, 1 and 7 for ad user
 *   data, 3 and 4 for ad personalisation; all granted where GDPR does not apply.
 *
 * Storage (the session, the cached allocation) and the GA client id need analytics_storage (else
 * ad_storage); click ids need ad_storage. Without storage consent: nothing is stored (what was is
 * removed) and, with data-consent="anonymous", the page still gets a number for a session kept in
 * memory only (each such page view leases its own); otherwise nothing is swapped. Granted later on
 * the page: the session is stored (the same id, so the same number) and the page swapped, no reload.
 * The consent state is sent with every allocation (source.consent) and stored with the lease.
 */
import type { AllocateRequest, ConsentState, ConsentValue, RegionResponse } from "../shared/protocol";
import { forget, save, store } from "./cache";
import type { Config } from "./config";
import { debug, trace } from "./debug";
import { DEBUG } from "./flags";
import { type Api, start, warn } from "./main";
import { anonymous, session, touch, type Visit } from "./session";

/** Consent Mode's names → the protocol's. */
const NAMES: Record<string, keyof ConsentState> = {
  ad_storage: "adStorage",
  analytics_storage: "analyticsStorage",
  ad_user_data: "adUserData",
  ad_personalization: "adPersonalization",
};

const every = (value: ConsentValue): ConsentState => ({ adStorage: value, analyticsStorage: value, adUserData: value, adPersonalization: value });

const REGION = "the visitor's region";

/** A Consent Mode default: its values and, when scoped by region, the ISO 3166-2 codes (upper case). */
interface Default {
  values: ConsentState;
  regions?: string[];
}

/**
 * How specifically a default scoped to `codes` matches a visitor in `visitor`: 3 a subdivision, 2 a
 * country, 0 none; negative when only maybe (the visitor's country or subdivision is unknown).
 */
const match = (codes: string[], visitor: Partial<RegionResponse>) => {
  let sure = 0,
    maybe = 0;
  for (const code of codes) {
    const i = code.indexOf("-"),
      level = i > 0 ? 3 : 2;
    if (i > 0 ? visitor.subdivision == code : visitor.country == code) sure = Math.max(sure, level);
    else if (i > 0 ? !visitor.subdivision && (!visitor.country || visitor.country == code.slice(0, i)) : !visitor.country) maybe = Math.max(maybe, level);
  }
  return sure >= maybe ? sure : -maybe;
};

export const gated = (config: Config): Api => {
  const page = self as any,
    /** Consent Mode defaults, in the order pushed. */
    defaults: Default[] = [],
    /** Every other signal (Consent Mode updates, dni("consent"), TCF), merged: the latest wins, over any default. */
    over: ConsentState = {},
    anon = config.consent == "anonymous",
    /** A Consent Mode command on the dataLayer (gtag pushes its `arguments`): kept as a default or merged into `over`. */
    read = (command: any, fields?: any, values?: any, regions?: any) => {
      if (command && command[0] == "consent" && (command[1] == "default" || command[1] == "update") && (fields = command[2]) && typeof fields == "object") {
        values = {};
        for (const name in NAMES) if (fields[name] == "granted" || fields[name] == "denied") values[NAMES[name]!] = fields[name];
        regions = [].concat(fields.region || []).map((code) => String(code).toUpperCase());
        if (command[1] == "update") {
          if (regions.length) return DEBUG && trace("consent: a Consent Mode update with a region is skipped (region applies to defaults only)");
          Object.assign(over, values);
          return 1;
        }
        if (fields.wait_for_update > 0) {
          // The page's CMP sends the visitor's choice within this long (up to 10 s here): defaults
          // decide nothing until then (a returning visitor's grant does not begin with a denial).
          updating++;
          setTimeout(
            () => {
              updating--;
              if (!off) decide("Consent Mode (wait_for_update over)");
            },
            Math.min(+fields.wait_for_update, 1e4),
          );
        }
        if (!regions.length) defaults.push({ values });
        else {
          defaults.push({ values, regions });
          if (!asked) {
            asked = 1;
            DEBUG && trace(`consent: a Consent Mode default for region ${regions}: asking ${config.api}/v1/region where the visitor is`);
            // Given up after 2 s, as the allocation is: then unknown.
            const abort = new AbortController();
            setTimeout(() => abort.abort(), 2e3);
            fetch(config.api + "/v1/region", { credentials: "omit", signal: abort.signal })
              .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
              .catch((why) => warn(`the visitor's region is unknown (${why}): Consent Mode defaults scoped by region are taken where they deny`))
              .then((answer: any) => {
                where = answer || {};
                if (!off) decide(REGION);
              });
          }
        }
        return 1;
      }
    },
    /**
     * The Consent Mode defaults that apply to this visitor, key by key: the most specific match (the
     * later of two alike); one of unknown match only where it denies.
     */
    defaulted = (visitor: Partial<RegionResponse>, say?: boolean) => {
      const out: any = {},
        /** How specifically each key's value so far matched. */
        fitOf: any = {};
      for (const given of defaults) {
        const fit = given.regions ? match(given.regions, visitor) : 1,
          keys: string[] = [];
        for (const key in given.values) {
          const value = (given.values as any)[key],
            level = fit > 0 ? fit : value == "denied" ? -fit : 0;
          if (level && level >= (fitOf[key] || 0)) (out[key] = value), (fitOf[key] = level), keys.push(key);
        }
        if (DEBUG && given.regions && say)
          trace(
            `consent: the Consent Mode default for region ${given.regions} ${fit > 0 ? "applies to" : fit ? "may apply to (where it denies)" : "does not apply to"} this visitor (${visitor.subdivision || visitor.country || "region unknown"})${keys.length ? `: ${keys}` : ""}`,
          );
      }
      return out as ConsentState;
    },
    dataLayer: any[] = (page.dataLayer = page.dataLayer || []),
    push = dataLayer.push;
  /** What runs: "" before any signal, then granted, anonymous (denied, a number kept in memory) or denied. */
  let mode = "",
    state: ConsentState = {},
    /** Where the visitor is (GET /v1/region; {} when unknown): undefined until answered. */
    where: Partial<RegionResponse> | undefined,
    asked: any,
    off: any,
    /** Consent Mode defaults' wait_for_update still running. */
    updating = 0,
    inner: Api | undefined,
    visit: Visit | undefined,
    tcfListener: number | undefined,
    go: () => void;
  const ready = new Promise<void>((resolve) => (go = resolve)),
    /**
     * Applies the state: starts, stops or restarts the snippet when what it may do changed. Called
     * from the page's own gtag()/dataLayer.push, its CMP's callback and dni("consent"): nothing it
     * throws may reach them (the page's next step would not run).
     */
    decide = (from: string) => {
      try {
        apply(from);
      } catch (e) {
        warn(e);
      }
    },
    apply = (from: string) => {
      // Before the region is known, a default scoped by region decides nothing: only what overrides
      // every key such a default sets (then the answer cannot change the outcome).
      if (!where && !defaults.every((given) => !given.regions || Object.keys(given.values).every((key) => key in over)))
        return DEBUG && trace(`consent: ${from}: waiting for the visitor's region (a Consent Mode default is scoped by region)`);
      if (updating && !over.analyticsStorage && !over.adStorage)
        return DEBUG && trace(`consent: ${from}: waiting for the CMP's update (Consent Mode wait_for_update)`);
      const was = state;
      state = { ...defaulted(where || {}, from == REGION), ...over };
      /** The key that decides storage, and its value; an explicit signal's (in `over`) or only the page's defaults'. */
      const key = state.analyticsStorage ? "analyticsStorage" : "adStorage",
        storage = state[key];
      if (!storage) return DEBUG && trace(`consent: ${from} gave no ad_storage or analytics_storage yet: waiting`);
      const ads = state.adStorage == "granted",
        next = storage == "granted" ? (ads ? "granted" : "granted, no ads") : anon ? "anonymous" : "denied";
      DEBUG && trace(`consent (${from}):`, JSON.stringify(state), "→", next);
      // Less allowed than before (withdrawn, ads denied, ad user data denied…): the session's lease
      // and token still hold what they were given (click ids, the GA client id, a granted state),
      // until a renewal that may be hours away (a live cached answer asks nothing). Told at once, so a
      // call meanwhile uploads no conversion; key by key, a change that leaves the mode as it was too.
      const asked = visit,
        withdrawn = (Object.keys(was) as (keyof ConsentState)[]).filter((k) => was[k] == "granted" && state[k] == "denied");
      if (asked && withdrawn.length)
        // With no token yet, the first request may be in flight: its answer sets the token (main.ts)
        // within its 2 s, and leased with what was granted then. Told once it has come, unless the
        // snippet was stopped or what was withdrawn was granted again meanwhile.
        asked.token
          ? told(asked.token)
          : setTimeout(() => {
              if (!off && asked.token && withdrawn.every((k) => state[k] == "denied")) told(asked.token);
            }, 2500);
      if (next == mode) {
        if (visit) visit.source.consent = { ...state };
        return;
      }
      mode = next;
      if (inner) inner.stop!();
      inner = undefined;
      store.on = storage == "granted";
      // Erased on a visitor's denial or withdrawal only: a page's default denial comes before its
      // CMP restores a returning visitor's grant, and must not end their session on every page view.
      if (!store.on && over[key]) forget();
      if (next == "denied") {
        DEBUG && trace("consent denied: nothing is stored, asked or swapped (data-consent; data-consent=anonymous would show a number)");
        visit = undefined;
      } else {
        // The session this page view has, if any, goes on (the same number; from anonymous, stored
        // from now on: the worker fills in what its first touch withheld); a withdrawal begins a
        // new one, kept in memory.
        visit = store.on ? session(visit && visit.token, ads) : anonymous();
        // An answer stores only a new token (main.ts): the one kept in memory until now is stored here.
        if (store.on && visit.token) save("dni:t", visit.token);
        visit.source.consent = { ...state };
        inner = start(config, visit);
      }
      go();
    },
    /** One allocation request with the session's token and a touch as the consent now allows: the worker rewrites the lease and token. */
    told = (token: string) => {
      DEBUG && trace("consent: less is allowed now: the session's lease is told (its click ids or GA client id dropped)");
      fetch(config.api + "/v1/allocate", {
        method: "POST",
        credentials: "omit",
        keepalive: true,
        body: JSON.stringify({
          key: config.key,
          pool: config.pool,
          sources: config.sources,
          token,
          // As the consent now allows: click ids only with ad storage, the GA cookies only with analytics storage.
          source: { ...touch(state.adStorage == "granted", state.analyticsStorage == "granted", state.adStorage == "granted"), consent: { ...state } },
        } satisfies AllocateRequest),
      }).catch(warn);
    },
    api = ((command: string, arg?: any, callback?: any) =>
      command == "consent"
        ? (Object.assign(over, every(arg ? "granted" : "denied")), decide('dni("consent")'), Promise.resolve())
        : api.number(arg).then(callback)) as Api;
  api.number = (destination) => ready.then(() => (inner ? inner.number(destination) : null));

  // Consent Mode: what is on the dataLayer already (one decision for all of it), then each push.
  if (dataLayer.filter((command) => read(command)).length) decide("Consent Mode");
  dataLayer.push = function (this: any, ...pushed: any[]) {
    const length = push.apply(this, pushed);
    if (pushed.filter((command) => read(command)).length) decide("Consent Mode");
    return length;
  };
  // IAB TCF v2: a decision once the CMP has loaded the visitor's choice or the visitor has made one.
  // A CMP without the IAB stub may define __tcfapi after the snippet: looked for again at load.
  const tcf = () =>
    typeof page.__tcfapi == "function" &&
    (page.__tcfapi("addEventListener", 2, (data: any, ok: boolean) => {
      if (!ok || !data) return;
      tcfListener = data.listenerId;
      if (data.eventStatus != "tcloaded" && data.eventStatus != "useractioncomplete") return;
      const consents = (data.purpose && data.purpose.consents) || {},
        yes = (...purposes: number[]): ConsentValue => (data.gdprApplies === false || purposes.every((purpose) => consents[purpose]) ? "granted" : "denied");
      Object.assign(over, { adStorage: yes(1), analyticsStorage: yes(1), adUserData: yes(1, 7), adPersonalization: yes(3, 4) });
      decide("TCF");
    }),
    true);
  if (!tcf() && document.readyState != "complete") addEventListener("load", tcf, { once: true });
  if (DEBUG && debug.on && !mode)
    trace('data-consent: waiting for a consent signal (dni("consent", …), Consent Mode or TCF) before anything is stored or swapped');

  api.stop = () => {
    off = 1;
    if (inner) inner.stop!();
    dataLayer.push = push;
    removeEventListener("load", tcf);
    if (tcfListener !== undefined) page.__tcfapi("removeEventListener", 2, () => {}, tcfListener);
  };
  return api;
};
