/**
 * Bots and crawlers get no lease: they keep seeing (and indexing) the real number, and cannot
 * drain a pool. A request is refused when its User-Agent is a known bot (isbot) or when it lacks
 * what every browser's fetch() sends: a User-Agent and an Accept-Language header, and, where the
 * browser sends Fetch Metadata, a script-initiated request (not a navigation, not typed in).
 * `navigator.webdriver` plays no part: automated test browsers with a normal UA are browsers.
 */
import { createMiddleware } from "hono/factory";
import { isbot } from "isbot";
import { remember } from "../../../shared/bounded-map";
import type { AppEnv } from "../app-env";
import { errorBody } from "../errors";

/**
 * isbot's verdict on recent User-Agents: its pattern is long and a page's visitors send few
 * distinct strings (a browser version each), so most allocations skip it. Bounded: the oldest goes first.
 */
const verdicts = new Map<string, boolean>();
const VERDICTS_KEPT = 500;

function knownBot(ua: string): boolean {
  return verdicts.get(ua) ?? remember(verdicts, VERDICTS_KEPT, ua, isbot(ua));
}

function botReason(headers: Headers): string | null {
  const ua = headers.get("User-Agent");
  if (!ua) return "no User-Agent";
  if (knownBot(ua)) return "known bot or crawler";
  if (!headers.get("Accept-Language")) return "no Accept-Language";
  const mode = headers.get("Sec-Fetch-Mode") || null;
  if (mode !== null && mode !== "cors" && mode !== "same-origin") return `Sec-Fetch-Mode ${mode}`;
  const site = headers.get("Sec-Fetch-Site") || null;
  if (site === "none") return "Sec-Fetch-Site none";
  return null;
}

/** Not async: a browser's request goes on without a hop of its own (profiled on the allocation path). */
export const browserOnly = () =>
  createMiddleware<AppEnv>((c, next) => {
    const reason = botReason(c.req.raw.headers);
    if (!reason) return next();
    c.header("Cache-Control", "no-store");
    return Promise.resolve(c.json(errorBody("not_a_browser", `No number for automated clients (${reason}); the page keeps its own number`), 403));
  });
