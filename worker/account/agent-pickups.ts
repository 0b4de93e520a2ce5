/**
 * The seconds an agent spent before being bridged (a whisper, the press-1 prompt): from their
 * pick-up to their bridge or keypress, by the times our callbacks arrive. The leg's duration counts
 * from the pick-up, so these are taken off its talk time (CallRouting.settle). Where the report of
 * the bridge cannot carry the pick-up time in its URL, the pick-up is kept on the call
 * (`calls.pickups`, JSON {"<step>:<number>": ms}).
 */

/**
 * The whole seconds from `from` (ms: an agent's pick-up) to `now`, or null when unknown or not
 * plausible (negative, over 10 minutes).
 */
export function heldSeconds(from: number | null, now: number): number | null {
  if (from === null || !Number.isFinite(from)) return null;
  const secs = Math.floor((now - from) / 1000);
  return secs >= 0 && secs <= 600 ? secs : null;
}

/** The key an agent's pick-up is kept under: the attempt and the number. */
export const pickupKey = (step: number, number: string) => `${step}:${number}`;

/** When the agent `key` picked up, as kept in a call's `pickups`, or null. */
export function pickupOf(pickups: string | null, key: string): number | null {
  if (!pickups) return null;
  try {
    const at = (JSON.parse(pickups) as Record<string, unknown>)[key];
    return typeof at === "number" ? at : null;
  } catch {
    return null;
  }
}
