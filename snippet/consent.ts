/**
 * data-consent (dni-full.js): the snippet waits for the visitor's consent before it stores anything
 * or sends what identifies the visitor. Signals, the latest wins:
 *
 * - `dni("consent", true | false)`: everything granted / denied;
 * - Google Consent Mode v2: `gtag("consent", "default" | "update", {…})` on the dataLayer, those
 *   pushed before the snippet and after (entries with a `region` are skipped: the snippet does not
 *   know the visitor's region);
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
import type { ConsentState, ConsentValue } from "../shared/protocol";
import { forget, save, store } from "./cache";
import type { Config } from "./config";
import { debug, trace } from "./debug";
import { DEBUG } from "./flags";
import { type Api, start } from "./main";
import { anonymous, session, type Visit } from "./session";

/** Consent Mode's names → the protocol's. */
const NAMES: Record<string, keyof ConsentState> = {
  ad_storage: "adStorage",
  analytics_storage: "analyticsStorage",
  ad_user_data: "adUserData",
  ad_personalization: "adPersonalization",
};

const every = (v: ConsentValue): ConsentState => ({ adStorage: v, analyticsStorage: v, adUserData: v, adPersonalization: v });

export const gated = (c: Config): Api => {
  const w = self as any,
    state: ConsentState = {},
    anon = c.consent == "anonymous",
    /** A Consent Mode command on the dataLayer (gtag pushes its `arguments`): merged into state. */
    read = (e: any, o?: any) => {
      if (e && e[0] == "consent" && (e[1] == "default" || e[1] == "update") && (o = e[2]) && typeof o == "object" && !o.region) {
        for (const k in NAMES) if (o[k] == "granted" || o[k] == "denied") state[NAMES[k]!] = o[k];
        return 1;
      }
    },
    dl: any[] = (w.dataLayer = w.dataLayer || []),
    push = dl.push;
  /** What runs: "" before any signal, then granted, anonymous (denied, a number kept in memory) or denied. */
  let mode = "",
    inner: Api | undefined,
    visit: Visit | undefined,
    tcfListener: number | undefined,
    go: () => void;
  const ready = new Promise<void>((r) => (go = r)),
    /** Applies the state: starts, stops or restarts the snippet when what it may do changed. */
    decide = (from: string) => {
      const storage = state.analyticsStorage || state.adStorage;
      if (!storage) return DEBUG && trace(`consent: ${from} gave no ad_storage or analytics_storage yet: waiting`);
      const ads = state.adStorage == "granted",
        next = storage == "granted" ? (ads ? "granted" : "granted, no ads") : anon ? "anonymous" : "denied";
      DEBUG && trace(`consent (${from}):`, JSON.stringify(state), "→", next);
      if (next == mode) {
        if (visit) visit.source.consent = { ...state };
        return;
      }
      mode = next;
      if (inner) inner.stop!();
      inner = undefined;
      store.on = storage == "granted";
      if (!store.on) forget();
      if (next == "denied") {
        DEBUG && trace("consent denied: nothing is stored, asked or swapped (data-consent; data-consent=anonymous would show a number)");
        visit = undefined;
      } else {
        // The session this page view has, if any, goes on (the same number; from anonymous, stored
        // from now on: the worker fills in what its first touch withheld); a withdrawal begins a
        // new one, kept in memory.
        visit = store.on ? session(ads, visit && visit.token) : anonymous();
        // An answer stores only a new token (main.ts): the one kept in memory until now is stored here.
        if (store.on && visit.token) save("dni:t", visit.token);
        visit.source.consent = { ...state };
        inner = start(c, visit);
      }
      go();
    },
    api = ((m: string, x?: any, cb?: any) =>
      m == "consent" ? (Object.assign(state, every(x ? "granted" : "denied")), decide('dni("consent")'), Promise.resolve()) : api.number(x).then(cb)) as Api;
  api.number = (x) => ready.then(() => (inner ? inner.number(x) : null));

  // Consent Mode: what is on the dataLayer already (one decision for all of it), then each push.
  if (dl.filter((e) => read(e)).length) decide("Consent Mode");
  dl.push = function (this: any, ...a: any[]) {
    const r = push.apply(this, a);
    if (a.filter((e) => read(e)).length) decide("Consent Mode");
    return r;
  };
  // IAB TCF v2: a decision once the CMP has loaded the visitor's choice or the visitor has made one.
  // A CMP without the IAB stub may define __tcfapi after the snippet: looked for again at load.
  const tcf = () =>
    typeof w.__tcfapi == "function" &&
    (w.__tcfapi("addEventListener", 2, (d: any, ok: boolean) => {
      if (!ok || !d) return;
      tcfListener = d.listenerId;
      if (d.eventStatus != "tcloaded" && d.eventStatus != "useractioncomplete") return;
      const p = (d.purpose && d.purpose.consents) || {},
        yes = (...n: number[]): ConsentValue => (d.gdprApplies === false || n.every((i) => p[i]) ? "granted" : "denied");
      Object.assign(state, { adStorage: yes(1), analyticsStorage: yes(1), adUserData: yes(1, 7), adPersonalization: yes(3, 4) });
      decide("TCF");
    }),
    true);
  if (!tcf() && document.readyState != "complete") addEventListener("load", tcf, { once: true });
  if (DEBUG && debug.on && !mode)
    trace('data-consent: waiting for a consent signal (dni("consent", …), Consent Mode or TCF) before anything is stored or swapped');

  api.stop = () => {
    if (inner) inner.stop!();
    dl.push = push;
    removeEventListener("load", tcf);
    if (tcfListener !== undefined) w.__tcfapi("removeEventListener", 2, () => {}, tcfListener);
  };
  return api;
};
