import { FULL } from "./flags";

/**
 * Where the snippet may keep things. `on`: false while data-consent has no granted consent (then
 * nothing is read or written: consent.ts). `domain`: data-domain, checked (domain.ts): the session
 * ("dni:s") is kept in a cookie on that domain, shared by its subdomains.
 */
export const store = { on: true, domain: "" };

/** The session cookie (data-domain): its name, and its JSON base64-encoded (no ; , or spaces). */
const COOKIE = "dni_s";
const readCookie = (): string => {
  const m = RegExp(`(?:^|; )${COOKIE}=([^;]+)`).exec(document.cookie);
  return m ? decodeURIComponent(escape(atob(m[1]!))) : "";
};
const writeCookie = (v: string, age = 31536000) => {
  // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is not in every browser the snippet supports.
  document.cookie = `${COOKIE}=${btoa(unescape(encodeURIComponent(v)))}; domain=${store.domain}; path=/; max-age=${age}; samesite=lax${location.protocol == "https:" ? "; secure" : ""}`;
};
const inCookie = (k: string) => FULL && store.domain && k == "dni:s";

/**
 * localStorage as JSON (the session in a cookie with data-domain). Blocked or full storage is
 * caught: the page view then works as a first view (a memory copy would never be read again: each
 * page view reads once, at its start).
 */
export const load = (k: string): any => {
  try {
    if (!FULL || store.on) return JSON.parse(inCookie(k) ? readCookie() : localStorage[k]);
  } catch {}
};

export const save = (k: string, o: unknown) => {
  try {
    if (FULL) {
      if (!store.on) return;
      if (inCookie(k)) {
        writeCookie(JSON.stringify(o));
        // A cookie the browser refused (data-domain a public suffix, cookies blocked): this origin's storage.
        if (readCookie() == JSON.stringify(o)) return;
        store.domain = "";
      }
    }
    localStorage[k] = JSON.stringify(o);
  } catch {}
};

/** Removes what the snippet stored (consent denied or withdrawn). */
export const forget = () => {
  try {
    localStorage.removeItem("dni:s");
    localStorage.removeItem("dni:a");
    if (store.domain) writeCookie("", 0);
  } catch {}
};
