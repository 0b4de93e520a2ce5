/**
 * A URL parsed once per isolate for as long as it is the latest few asked for: one allocation reads
 * its landing URL in several places (the session's campaign, the source rules, the stored source),
 * and parsing is most of what each of them costs (profiled). Callers must not change what they get.
 * Null for an absent or unparsable URL (parsing never throws out of here).
 */
import { remember } from "./bounded-map";

const recent = new Map<string, URL | null>();
const KEPT = 8;

export function parsedUrl(text: string | undefined): Readonly<URL> | null {
  if (!text) return null;
  const url = recent.get(text);
  if (url !== undefined) return url;
  let parsed: URL | null;
  try {
    parsed = new URL(text);
  } catch {
    parsed = null;
  }
  return remember(recent, KEPT, text, parsed);
}
