/**
 * The session's source context as stored with a lease. The snippet sends little (the rule's name,
 * the landing URL, the referrer, the GA client id) to stay small; utm_* and click ids are read
 * here from the landing URL when not sent. Over-long values are cut, not refused: losing a
 * visitor's attribution to a long URL would be worse than keeping its first 2 KB.
 */
import type { Source } from "../schemas/allocate";

const URL_MAX = 2048;
const VALUE_MAX = 200;
const NAME_MAX = 64;

const UTM = ["source", "medium", "campaign", "term", "content"] as const;
const CLICK_IDS = ["gclid", "msclkid", "fbclid"] as const;

const cut = (s: string | undefined, max: number) => (s === undefined ? undefined : s.slice(0, max));

export function enrichSource(input: Source | undefined): Source | null {
  if (!input) return null;
  const out: Source = {};
  if (input.name !== undefined) out.name = cut(input.name, NAME_MAX)!;
  if (input.referrer !== undefined) out.referrer = cut(input.referrer, URL_MAX)!;
  if (input.landing !== undefined) out.landing = cut(input.landing, URL_MAX)!;
  if (input.gaClientId !== undefined) out.gaClientId = input.gaClientId;
  let params: URLSearchParams | null = null;
  try {
    if (input.landing) params = new URL(input.landing).searchParams;
  } catch {
    params = null;
  }
  const utm: NonNullable<Source["utm"]> = {};
  for (const k of UTM) {
    const v = input.utm?.[k] ?? params?.get(`utm_${k}`) ?? undefined;
    if (v) utm[k] = cut(v, VALUE_MAX)!;
  }
  if (Object.keys(utm).length) out.utm = utm;
  const clickIds: NonNullable<Source["clickIds"]> = {};
  for (const k of CLICK_IDS) {
    const v = input.clickIds?.[k] ?? params?.get(k) ?? undefined;
    if (v) clickIds[k] = cut(v, VALUE_MAX)!;
  }
  if (Object.keys(clickIds).length) out.clickIds = clickIds;
  return out;
}
