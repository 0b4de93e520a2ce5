/** data-domain (dni-full.js): one session across a site's subdomains. */
import { store } from "./cache";
import { trace } from "./debug";
import { DEBUG } from "./flags";
import { warn } from "./main";

/**
 * Keeps the session in a cookie on `domain` (cache.ts) when it is this page's host or a parent of
 * it (`example.com` on `www.example.com`); anything else is warned and ignored (the session stays
 * in this origin's localStorage). A domain the browser will not set a cookie on (a public suffix)
 * falls back the same way at the first write.
 */
export const sessionDomain = (domain: string | undefined) => {
  if (!domain) return;
  const parent = domain.replace(/^\./, "").toLowerCase(),
    host = location.hostname;
  if (host == parent || host.endsWith("." + parent)) {
    store.domain = parent;
    DEBUG && trace(`data-domain: the session is kept in a cookie on ${parent}, shared by its subdomains`);
  } else warn(`data-domain ${domain} is not ${host} or a parent of it: ignored`);
};
