/** Sessions and their first touch. */
import type { SourceContext } from "../shared/protocol";
import { load, save } from "./cache";

export interface Session {
  /** Session id. */
  i: string;
  /** First touch (the worker names its source and picks its pools by the source rules). */
  s: SourceContext;
  /** The first touch's values of the CAMPAIGN parameters. */
  c: (string | null)[];
}

/** Campaign parameters: a new value of any of them starts a new session. */
const CAMPAIGN = "gclid gbraid wbraid dclid msclkid fbclid ttclid li_fat_id utm_source utm_medium".split(" ");

/**
 * This page view's session: the stored one, whose first touch is kept, unless there is none or this
 * visit comes from a different campaign click (a new click id: gclid, gbraid, wbraid, dclid, msclkid, fbclid, ttclid, li_fat_id; or another utm_source or
 * utm_medium than the first touch's); then a new one: a new id and a new first touch (the landing
 * URL, which carries utm_* and the click ids, the referrer, the GA client id from the _ga cookie).
 * A session has no idle timeout: the lease decides how long a number stays; a later visit keeps its
 * first touch.
 */
export const session = (): Session => {
  const q = new URLSearchParams(location.search),
    c = CAMPAIGN.map((k) => q.get(k));
  let o: Session | undefined = load("dni:s");
  if (!o || c.some((v, j) => v && v != o!.c[j]))
    save(
      "dni:s",
      (o = {
        // The id: 128 random bits as four decimal numbers joined by "-" (SESSION_ID_PATTERN).
        i: crypto.getRandomValues(new Uint32Array(4)).join("-"),
        s: { landing: location.href, referrer: document.referrer, gaClientId: (/_ga=GA\d\.\d+\.(\d+\.\d+)/.exec(document.cookie) || [])[1] },
        c,
      }),
    );
  return o;
};
