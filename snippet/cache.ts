import { FULL } from "./flags";

/**
 * Where the snippet may keep things: the session token ("dni:t") and the cached answer ("dni:a").
 * `on`: false while data-consent has no granted consent (then nothing is read or written:
 * consent.ts). `domain`: data-domain, checked (domain.ts): the session token is kept in a cookie on
 * that domain, shared by its subdomains.
 */
export const store = { on: true, domain: "" };

/** The session cookie (data-domain): its name, and its JSON base64-encoded (no ; , or spaces). */
const COOKIE = "dni_t";
const readCookie = (): string => {
  const match = RegExp(`(?:^|; )${COOKIE}=([^;]+)`).exec(document.cookie);
  return match ? decodeURIComponent(escape(atob(match[1]!))) : "";
};
const writeCookie = (json: string, age = 31536000) => {
  // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is not in every browser the snippet supports.
  document.cookie = `${COOKIE}=${btoa(unescape(encodeURIComponent(json)))}; domain=${store.domain}; path=/; max-age=${age}; samesite=lax${location.protocol == "https:" ? "; secure" : ""}`;
};
const inCookie = (key: string) => FULL && store.domain && key == "dni:t";

/**
 * localStorage as JSON (the session in a cookie with data-domain). Blocked or full storage is
 * caught: the page view then works as a first view (a memory copy would never be read again: each
 * page view reads once, at its start).
 */
export const load = (key: string): any => {
  try {
    // No cookie: this origin's storage, where a cookie the browser refused was kept instead (save).
    if (!FULL || store.on) return JSON.parse((inCookie(key) && readCookie()) || localStorage[key]);
  } catch {}
};

export const save = (key: string, value: unknown) => {
  try {
    if (FULL) {
      if (!store.on) return;
      if (inCookie(key)) {
        writeCookie(JSON.stringify(value));
        // A cookie the browser refused (data-domain a public suffix, cookies blocked): this origin's
        // storage. Taken: a copy kept there before goes (read when the cookie is gone, it would bring
        // an old session back).
        if (readCookie() == JSON.stringify(value)) return localStorage.removeItem(key);
        store.domain = "";
      }
    }
    localStorage[key] = JSON.stringify(value);
  } catch {}
};

/** Removes what the snippet stored (consent denied or withdrawn), and what an older snippet stored as "dni:s". */
export const forget = () => {
  try {
    for (const key of ["dni:t", "dni:a", "dni:s"]) localStorage.removeItem(key);
    if (store.domain) writeCookie("", 0);
  } catch {}
};
