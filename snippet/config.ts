/** Configuration, from the script tag's data attributes. */
export interface Config {
  /** data-key: the public site key (pk_…). */
  key: string;
  /** data-api: the worker's origin (any path is ignored; default: the script's own origin). */
  api: string;
  /** data-pool: the default pool id(s), comma-separated. */
  pool?: string;
  /** data-sources: the source rules (snippet/README.md). */
  sources?: string;
  /** data-hide (present: on): anti-flicker, hides what looks like a number until swapped, 1 s at most. */
  hide?: string;
  /** data-hydrate (present: on): the page is server-rendered and hydrated by React (hydrate.ts); most are recognised without it. */
  hydrate?: string;
  /** data-consent (present: on; "anonymous": a number even when denied): wait for consent (consent.ts). */
  consent?: string;
  /** data-domain: keep the session in a cookie on this parent domain, shared by its subdomains (domain.ts). */
  domain?: string;
  /** data-debug (present: on): the console report (debug.ts), as `?dni_debug=1` in the page's URL. */
  debug?: string;
}

export const config = (script: HTMLScriptElement): Config => ({ ...script.dataset, api: new URL(script.dataset.api || script.src).origin }) as Config;
