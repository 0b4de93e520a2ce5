/**
 * Build variants (scripts/build-snippet.mjs). The default dni.js leaves out consent, data-domain and
 * debug, and loads dni-full.js, which has them, when a page asks for one (index.ts); tests (no
 * build) have everything.
 */
declare const DNI_FULL: boolean | undefined;

/** dni-full.js: data-consent, data-domain and the debug report. */
export const FULL = typeof DNI_FULL == "undefined" || DNI_FULL;
/** The debug report (debug.ts): in dni-full.js. */
export const DEBUG = FULL;
