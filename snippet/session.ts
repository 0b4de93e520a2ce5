/** Sessions and their first-touch source. */
import type { SourceContext } from "../shared/protocol";
import { pick, type Rule } from "../shared/rules";
import { load, save } from "./cache";

export interface Session {
  /** Session id. */
  i: string;
  /** First-touch source. */
  s: SourceContext;
  /**
   * Pools to draw from: the rule's, else data-pool's (comma-separated, no spaces), else [] (the
   * account's default pool); null when rules exist, none matched and there is no data-pool: the
   * original numbers stay.
   */
  p: string[] | null;
  /** The first touch's values of the CAMPAIGN parameters. */
  c: (string | null)[];
}

/** Campaign parameters: a new value of any of them starts a new session. */
const CAMPAIGN = "gclid msclkid fbclid utm_source utm_medium".split(" ");

/**
 * This page view's session: the stored one, whose first touch is kept, unless there is none or this
 * visit comes from a different campaign click (a new gclid/msclkid/fbclid, or another utm_source or
 * utm_medium than the first touch's); then a new one: a new id and a new first touch (the source
 * rule's name, the landing URL, which carries utm_* and the click ids, the referrer, the GA client
 * id from the _ga cookie) and the pools its rule picks. A session has no idle timeout: the lease
 * decides how long a number stays; a later visit keeps its first touch.
 */
export const session = (rules: Rule[], pool?: string): Session => {
  const q = new URLSearchParams(location.search),
    c = CAMPAIGN.map((k) => q.get(k)),
    ref = document.referrer,
    d = pool ? pool.split(",") : [];
  let o: Session | undefined = load("dni:s"),
    h = "",
    g: RegExpExecArray | null | undefined,
    r: Rule | undefined,
    s: any;
  if (!o || c.some((v, j) => v && v != o!.c[j])) {
    try {
      g = /_ga=GA\d\.\d+\.(\d+\.\d+)/.exec(document.cookie);
      h = new URL(ref).hostname;
    } catch {}
    if (h == location.hostname) h = "";
    r = pick(rules, q, h);
    s = {
      name: r && r.n != "*" ? r.n : h ? "referral" : "direct",
      landing: location.href,
      referrer: ref,
      gaClientId: (g || [])[1],
    };
    // The id: 128 random bits as four decimal numbers joined by "-" (SESSION_ID_PATTERN).
    save("dni:s", (o = { i: crypto.getRandomValues(new Uint32Array(4)).join("-"), s, p: r ? r.p || d : rules[0] && !pool ? null : d, c }));
  }
  return o;
};
