/**
 * The R2 archive of calls past an account's retention: one NDJSON object per account and UTC day,
 * `calls/<account>/<YYYY-MM-DD>.ndjson`, one call per line as the API shows it (without delivery
 * status), oldest first. Pure helpers; CallLog writes, the account object erases, the route reads.
 */
import type { ErasureKey } from "../account/call-store";
import type { Call } from "../schemas/calls";

export type ArchivedCall = Omit<Call, "deliveries">;

export const archivePrefix = (accountId: string) => `calls/${accountId}/`;
export const archiveKey = (accountId: string, day: string) => `${archivePrefix(accountId)}${day}.ndjson`;

function parse(ndjson: string): ArchivedCall[] {
  return ndjson
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ArchivedCall);
}

const render = (calls: ArchivedCall[]) => calls.map((c) => `${JSON.stringify(c)}\n`).join("");

/** An archived day with `calls` added (a call archived before is replaced by its newer copy). */
export function mergeArchive(existing: string, calls: Call[]): string {
  const byId = new Map(parse(existing).map((c) => [c.id, c]));
  for (const { deliveries: _d, ...c } of calls) byId.set(c.id, c);
  return render([...byId.values()].sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
}

/** An archived day without call `id` (text "" when nothing is left), and the call: null when it was not there. */
export function withoutCall(ndjson: string, id: string): { text: string; erased: ArchivedCall } | null {
  const calls = parse(ndjson);
  const erased = calls.find((c) => c.id === id);
  return erased ? { text: render(calls.filter((c) => c.id !== id)), erased } : null;
}

/** An archived day without the calls an erasure request names (a caller's, a visit's): null when it held none; "" when nothing is left. */
export function withoutMatching(ndjson: string, key: ErasureKey): { text: string; erased: ArchivedCall[] } | null {
  const calls = parse(ndjson);
  const kept = calls.filter((c) => c[key.by] !== key.value);
  return kept.length === calls.length ? null : { text: render(kept), erased: calls.filter((c) => c[key.by] === key.value) };
}

/**
 * A bounded look through the archive for an erasure request (a caller's calls, a visit's): up to
 * `days` archived days after `after` (their keys sort by date), and the calls it names in each that has some. `next`: where
 * the next look starts (null: no day is left). Nothing is changed (dropMatchingArchived).
 */
export async function findMatchingArchived(
  bucket: R2Bucket,
  accountId: string,
  key: ErasureKey,
  after: string | null,
  days: number,
): Promise<{ found: { key: string; calls: ArchivedCall[] }[]; next: string | null }> {
  const list = await bucket.list({ prefix: archivePrefix(accountId), limit: days, ...(after ? { startAfter: after } : {}) });
  const found: { key: string; calls: ArchivedCall[] }[] = [];
  for (const obj of list.objects) {
    const body = await bucket.get(obj.key);
    const text = body ? await body.text() : "";
    // Cheap test first: most days do not mention the value at all.
    const next = text.includes(JSON.stringify(key.value)) ? withoutMatching(text, key) : null;
    if (next) found.push({ key: obj.key, calls: next.erased });
  }
  const last = list.objects.at(-1)?.key;
  return { found, next: list.truncated && last ? last : null };
}

/** Remove the calls an erasure request names from these archived days (read again: a day left empty is deleted). */
export async function dropMatchingArchived(bucket: R2Bucket, days: readonly string[], key: ErasureKey): Promise<void> {
  for (const day of days) {
    const body = await bucket.get(day);
    const next = body ? withoutMatching(await body.text(), key) : null;
    if (next === null) continue;
    if (next.text) await bucket.put(day, next.text, { httpMetadata: { contentType: "application/x-ndjson" } });
    else await bucket.delete(day);
  }
}

/**
 * Delete the account's archived days before `beforeDay` (YYYY-MM-DD), the oldest thousand at most
 * (one list, one bulk delete: the keys sort by day). `through`: the last day deleted; `more`: older
 * days may be left; `empty`: no archived day is left at all.
 */
export async function pruneArchive(bucket: R2Bucket, accountId: string, beforeDay: string): Promise<{ through: string | null; more: boolean; empty: boolean }> {
  const list = await bucket.list({ prefix: archivePrefix(accountId), limit: 1000 });
  const bound = archiveKey(accountId, beforeDay);
  const old = list.objects.map((o) => o.key).filter((key) => key < bound);
  if (old.length) await bucket.delete(old);
  const all = old.length === list.objects.length;
  const last = old.at(-1);
  return { through: last ? dayOfKey(last) : null, more: all && list.truncated, empty: all && !list.truncated };
}

/** An archived day's object key's day (YYYY-MM-DD). */
const dayOfKey = (key: string) => key.slice(-"YYYY-MM-DD.ndjson".length, -".ndjson".length);

/** Remove a call from one archived day (its object key); true when the day held it. */
async function eraseFromDay(bucket: R2Bucket, key: string, id: string): Promise<ArchivedCall | null> {
  const body = await bucket.get(key);
  if (!body) return null;
  const text = await body.text();
  // Cheap test first: most days do not mention the id at all.
  if (!text.includes(JSON.stringify(id))) return null;
  const next = withoutCall(text, id);
  if (next === null) return null;
  if (next.text) await bucket.put(key, next.text, { httpMetadata: { contentType: "application/x-ndjson" } });
  else await bucket.delete(key);
  return next.erased;
}

/** Remove a call from these archived days (where the account's index says it may be); the call as it was archived, or null when none held it. */
export async function eraseArchivedIn(bucket: R2Bucket, accountId: string, id: string, days: readonly string[]): Promise<ArchivedCall | null> {
  let found: ArchivedCall | null = null;
  for (const day of days) found = (await eraseFromDay(bucket, archiveKey(accountId, day), id)) ?? found;
  return found;
}

/**
 * Remove a call from every archived day of the account up to `throughDay` (the days archived
 * before the account indexed its archived calls: account/archived-calls.ts); the call, or null when no day held it.
 */
export async function eraseArchived(bucket: R2Bucket, accountId: string, id: string, throughDay: string): Promise<ArchivedCall | null> {
  const bound = archiveKey(accountId, throughDay);
  let found: ArchivedCall | null = null;
  let cursor: string | undefined;
  do {
    const list = await bucket.list({ prefix: archivePrefix(accountId), ...(cursor ? { cursor } : {}) });
    for (const obj of list.objects) {
      // The keys sort by day: none after the bound is looked at.
      if (obj.key > bound) return found;
      found = (await eraseFromDay(bucket, obj.key, id)) ?? found;
    }
    cursor = list.truncated ? list.cursor : undefined;
  } while (cursor);
  return found;
}
