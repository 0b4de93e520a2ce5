/**
 * What-if replay: a pool shard's recorded asks (lease starts and renewals) and calls, played
 * again against a pool of another size or lease, with the same allocator as the pool object's
 * (pool/leases.ts): a new session takes the number free longest, else the exhaustion policy
 * (recycle the lease that ends first, the one seen longest ago; the overflow number; or none); a
 * renewal extends the lease if the last one was at least min(lease/4, 60 s) ago; a call goes to the
 * last lease begun on its number by the call's start, if it was live then or ended within grace.
 *
 * Which visit made a call is not known, only which visits had its number on screen: every session
 * whose last ask was answered with that number, told a lease end no more than grace before the
 * call (and the session the pool attributed it to). The call is shared equally among them (a
 * recycled visitor still showing the number is as likely the caller as the new holder). A replay
 * counts a visit's share right when the replayed pool would attribute a call on the number *that
 * visit* was shown in the replay to that visit. Calls no visit had on screen are `unknown`.
 *
 * Renewals: the recorded ones are replayed as they came. With a shorter lease the snippet would
 * have asked more often, so between two asks of one visit close enough to be the snippet's own
 * cadence, asks are added at the replayed lease's cadence.
 *
 * At the pool's real size and lease (and a history that starts with the pool empty) the replay
 * makes the same choices as the pool did, so its figures equal what happened.
 *
 * (Over 300 lines: one simulation — the replayed allocator, the added renewals and the shares of
 * each call — whose parts read and change the same state; apart, each would need the others' insides.)
 */
import type { ExhaustionPolicy } from "../schemas/pool";

/** Days of history a pool keeps for the replay. */
export const REPLAY_DAYS = 7;

/** A session asked for a number: what the pool answered and how. */
export interface AskEvent {
  kind: "ask";
  t: number;
  session: string;
  /** The number it was given (the overflow number too), null for none. */
  number: string | null;
  /** The lease end it was told (null for none). */
  told: number | null;
  /** It held no live lease: a new session. */
  fresh: boolean;
  /** A new session found no free number. */
  dry: boolean;
  /** It got a number recycled early from another session. */
  recycled: boolean;
}

/** A call on one of the pool's numbers (its start time) and the session it was attributed to. */
export interface CallEvent {
  kind: "call";
  t: number;
  number: string;
  session: string | null;
}

export type ReplayEvent = AskEvent | CallEvent;

export interface ReplayConfig {
  /** Numbers to replay with (this shard's share). */
  numbers: number;
  leaseMs: number;
  graceMs: number;
  policy: ExhaustionPolicy;
  /** The pool has an overflow number (policy `overflow` without one refuses). */
  overflowNumber: boolean;
  /** The lease the history was recorded with (the snippet's renewal cadence came from it). */
  realLeaseMs: number;
  /** Events before this time are played to fill the pool, not counted. */
  countFrom: number;
}

/** Mergeable figures (sums): of what happened, or of a replay. */
export interface ReplayFigures {
  newSessions: number;
  /** New sessions that found no free number. */
  foundFull: number;
  /** New sessions given a number recycled early from another session. */
  recycledEarly: number;
  calls: number;
  /** Calls (shares of calls) that go to the visit that made them. */
  right: number;
  /** Calls no visit had on screen (right at no size). */
  unknown: number;
}

export const emptyFigures = (): ReplayFigures => ({ newSessions: 0, foundFull: 0, recycledEarly: 0, calls: 0, right: 0, unknown: 0 });

export function addFigures(a: ReplayFigures, b: ReplayFigures): ReplayFigures {
  return {
    newSessions: a.newSessions + b.newSessions,
    foundFull: a.foundFull + b.foundFull,
    recycledEarly: a.recycledEarly + b.recycledEarly,
    calls: a.calls + b.calls,
    right: a.right + b.right,
    unknown: a.unknown + b.unknown,
  };
}

export interface Shares {
  newSessions: number;
  calls: number;
  /** Share of new sessions that found the pool full. */
  foundFull: number;
  /** Share of new sessions that got a number recycled early. */
  recycledEarly: number;
  /** Share of calls attributed to the visit that made them. */
  rightVisit: number;
  /** Share of calls a known visit made that went to another visit or none. */
  wrongVisit: number;
  /** Share of calls no visit had on screen. */
  unknown: number;
}

export function sharesOf(f: ReplayFigures): Shares {
  const per = (x: number, n: number) => (n > 0 ? Math.round((x / n) * 1e6) / 1e6 : 0);
  return {
    newSessions: f.newSessions,
    calls: f.calls,
    foundFull: per(f.foundFull, f.newSessions),
    recycledEarly: per(f.recycledEarly, f.newSessions),
    rightVisit: per(f.right, f.calls),
    wrongVisit: per(f.calls - f.right - f.unknown, f.calls),
    unknown: per(f.unknown, f.calls),
  };
}

/** How long after an ask the snippet asks again (pool/leases.ts renewAt). */
export const RECYCLE_RECHECK_MS = 120_000;
export const RENEW_MIN_MS = 60_000;
export function cadenceMs(leaseMs: number, policy: ExhaustionPolicy): number {
  const normal = (3 * leaseMs) / 4;
  return policy === "recycle" ? Math.min(normal, RECYCLE_RECHECK_MS) : normal;
}
/** Two asks of a visit this far apart (or closer) are its snippet's renewals: the page stayed open. */
const continuous = (gap: number, cadence: number) => gap <= cadence * 1.5 + 10_000;

interface Lease {
  session: string;
  start: number;
  expires: number;
  ended: number | null;
  lastShown: number;
}

/** What the replayed pool shows a session: a number (index), the overflow number, or none. */
type Shown = { num: number; lease: Lease } | { num: "overflow" | null; lease: null; told: number | null };

/** A binary min-heap (entries checked for staleness by the caller). */
class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      const x = a[i]!;
      a[i] = a[p]!;
      a[p] = x;
      i = p;
    }
  }
  peek(): T | undefined {
    return this.items[0];
  }
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        const x = a[i]!;
        a[i] = a[m]!;
        a[m] = x;
        i = m;
      }
    }
    return top;
  }
}

type Entry = { key: number; seq: number; num: number; lease: Lease };
const byKey = (a: Entry, b: Entry) => a.key < b.key || (a.key === b.key && a.seq < b.seq);

/** The replayed pool: the allocator of pool/leases.ts on abstract numbers 0 … n−1. */
class ReplayPool {
  private readonly holder: (Lease | null)[];
  private readonly history: Lease[][];
  /** Free numbers, longest free first: leases end in time order, so a queue keeps that order. */
  private readonly free: number[];
  private freeHead = 0;
  private readonly expiry = new Heap<Entry>(byKey);
  private seq = 0;
  readonly shown = new Map<string, Shown>();

  constructor(private readonly cfg: ReplayConfig) {
    this.holder = Array.from({ length: cfg.numbers }, () => null);
    this.history = Array.from({ length: cfg.numbers }, () => []);
    this.free = Array.from({ length: cfg.numbers }, (_, i) => i);
  }

  /** A session asks at `t`: renew its live lease, or lease it a number as a new session. */
  ask(session: string, t: number): { fresh: boolean; dry: boolean; recycled: boolean } {
    this.expireDue(t);
    const own = this.shown.get(session);
    if (own?.lease && this.holder[own.num as number] === own.lease) {
      const lease = own.lease;
      if (t - lease.lastShown >= Math.min(this.cfg.leaseMs / 4, RENEW_MIN_MS)) {
        lease.expires = Math.max(lease.expires, t + this.cfg.leaseMs);
        lease.lastShown = t;
        this.track(own.num as number, lease);
      }
      return { fresh: false, dry: false, recycled: false };
    }
    if (this.freeHead < this.free.length) {
      this.lease(this.free[this.freeHead++]!, session, t);
      if (this.freeHead > 1024 && this.freeHead * 2 > this.free.length) {
        this.free.splice(0, this.freeHead);
        this.freeHead = 0;
      }
      return { fresh: true, dry: false, recycled: false };
    }
    if (this.cfg.policy === "recycle") {
      const victim = this.popValid(this.expiry, (e) => e.lease.expires);
      if (victim) {
        victim.lease.ended = t;
        this.lease(victim.num, session, t);
        return { fresh: true, dry: true, recycled: true };
      }
    }
    const overflow = this.cfg.policy === "overflow" && this.cfg.overflowNumber;
    this.shown.set(session, overflow ? { num: "overflow", lease: null, told: t + this.cfg.leaseMs } : { num: null, lease: null, told: null });
    return { fresh: true, dry: true, recycled: false };
  }

  /** What a session is shown now, as a recorded ask would say it (numbers named `#0` … `#n−1`). */
  answer(session: string): { number: string | null; told: number | null } {
    const s = this.shown.get(session);
    if (!s || s.num === null) return { number: null, told: null };
    if (s.num === "overflow") return { number: "overflow", told: s.told };
    return { number: `#${s.num}`, told: s.lease?.expires ?? null };
  }

  /** Whether a call at `t` on what `session` was shown would be attributed to `session`. */
  attributesTo(session: string, t: number): boolean {
    const s = this.shown.get(session);
    if (!s || typeof s.num !== "number") return false;
    const lease = this.leaseAt(s.num, t);
    return lease !== null && lease.session === session;
  }

  /** The session a call on number `num` at `t` is attributed to. */
  holderAt(num: number, t: number): string | null {
    return this.leaseAt(num, t)?.session ?? null;
  }

  private leaseAt(num: number, t: number): Lease | null {
    const h = this.history[num]!;
    let lo = 0;
    let hi = h.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (h[mid]!.start <= t) lo = mid + 1;
      else hi = mid;
    }
    const lease = lo > 0 ? h[lo - 1]! : null;
    if (!lease) return null;
    return (lease.ended ?? lease.expires) + this.cfg.graceMs < t ? null : lease;
  }

  private lease(num: number, session: string, t: number): void {
    const lease: Lease = { session, start: t, expires: t + this.cfg.leaseMs, ended: null, lastShown: t };
    this.holder[num] = lease;
    this.history[num]!.push(lease);
    this.shown.set(session, { num, lease });
    this.track(num, lease);
  }

  private track(num: number, lease: Lease): void {
    this.expiry.push({ key: lease.expires, seq: this.seq++, num, lease });
  }

  private expireDue(t: number): void {
    for (;;) {
      const top = this.expiry.peek();
      if (!top || top.key > t) return;
      this.expiry.pop();
      if (this.holder[top.num] !== top.lease || top.lease.expires !== top.key) continue;
      top.lease.ended = top.lease.expires;
      this.holder[top.num] = null;
      this.free.push(top.num);
    }
  }

  /** The first entry of `heap` still current (its lease holds its number, with this key). */
  private popValid(heap: Heap<Entry>, keyOf: (e: Entry) => number): Entry | null {
    for (let e = heap.pop(); e; e = heap.pop()) if (this.holder[e.num] === e.lease && keyOf(e) === e.key) return e;
    return null;
  }
}

/** A visit as a script: when its snippet asked, and when it called the number it was shown. */
export interface VisitScript {
  session: string;
  asks: number[];
  calls: number[];
}

/**
 * The log a pool of `cfg.numbers` would record for these visits (numbers named `#0` …, the
 * overflow number `overflow`): histories for tests and what-if examples. A call is made on the
 * number its visit was shown then (none shown: no call).
 */
export function recordVisits(visits: readonly VisitScript[], cfg: Omit<ReplayConfig, "realLeaseMs" | "countFrom">): ReplayEvent[] {
  type Step = { t: number; session: string; call: boolean; seq: number };
  const steps: Step[] = [];
  let seq = 0;
  for (const v of visits) {
    for (const t of v.asks) steps.push({ t, session: v.session, call: false, seq: seq++ });
    for (const t of v.calls) steps.push({ t, session: v.session, call: true, seq: seq++ });
  }
  steps.sort((a, b) => a.t - b.t || a.seq - b.seq);
  const pool = new ReplayPool({ ...cfg, realLeaseMs: cfg.leaseMs, countFrom: 0 });
  const events: ReplayEvent[] = [];
  for (const s of steps) {
    if (s.call) {
      const number = pool.answer(s.session).number;
      if (number === null) continue;
      const holder = number === "overflow" ? null : pool.holderAt(Number(number.slice(1)), s.t);
      events.push({ kind: "call", t: s.t, number, session: holder });
    } else {
      const r = pool.ask(s.session, s.t);
      events.push({ kind: "ask", t: s.t, session: s.session, ...pool.answer(s.session), ...r });
    }
  }
  return events;
}

/** Who had each number on screen in what actually happened: the candidates for its calls. */
class Screens {
  private readonly of = new Map<string, { number: string | null; told: number | null }>();
  private readonly by = new Map<string, Map<string, number>>();

  shown(e: AskEvent): void {
    const before = this.of.get(e.session);
    if (before?.number && before.number !== e.number) this.by.get(before.number)?.delete(e.session);
    this.of.set(e.session, { number: e.number, told: e.told });
    if (e.number !== null) {
      const m = this.by.get(e.number) ?? new Map<string, number>();
      this.by.set(e.number, m);
      m.set(e.session, e.told ?? e.t);
    }
  }

  /** Sessions showing `number` with a lease end no more than grace before `t` (stale ones are dropped). */
  candidates(number: string, t: number, graceMs: number): string[] {
    const m = this.by.get(number);
    if (!m) return [];
    const out: string[] = [];
    for (const [session, told] of m) {
      if (told + graceMs >= t) out.push(session);
      else m.delete(session);
    }
    return out;
  }
}

/** The events in log order, with the asks the snippet would have added at a shorter lease's cadence. */
function withCadence(events: readonly ReplayEvent[], cfg: ReplayConfig): Iterable<ReplayEvent | { kind: "synthetic"; t: number; session: string }> {
  const real = cadenceMs(cfg.realLeaseMs, cfg.policy);
  const step = cadenceMs(cfg.leaseMs, cfg.policy);
  if (step >= real) return events;
  const last = new Map<string, number>();
  const added: { kind: "synthetic"; t: number; session: string }[] = [];
  for (const e of events) {
    if (e.kind !== "ask") continue;
    const prev = last.get(e.session);
    if (prev !== undefined && continuous(e.t - prev, real))
      for (let t = prev + step; t < e.t; t += step) added.push({ kind: "synthetic", t, session: e.session });
    last.set(e.session, e.t);
  }
  added.sort((a, b) => a.t - b.t);
  const merged: (ReplayEvent | (typeof added)[number])[] = [];
  let i = 0;
  for (const e of events) {
    while (i < added.length && added[i]!.t < e.t) merged.push(added[i++]!);
    merged.push(e);
  }
  while (i < added.length) merged.push(added[i++]!);
  return merged;
}

/** Replay `events` (one shard's log, in order) under `cfg`: what happened, and what would have. */
export function replay(events: readonly ReplayEvent[], cfg: ReplayConfig): { actual: ReplayFigures; replayed: ReplayFigures } {
  const pool = new ReplayPool(cfg);
  const screens = new Screens();
  const actual = emptyFigures();
  const replayed = emptyFigures();
  for (const e of withCadence(events, cfg)) {
    const counted = e.t >= cfg.countFrom;
    if (e.kind === "synthetic") {
      const r = pool.ask(e.session, e.t);
      if (counted) count(replayed, r);
    } else if (e.kind === "ask") {
      screens.shown(e);
      const r = pool.ask(e.session, e.t);
      if (counted) {
        count(actual, e);
        count(replayed, r);
      }
    } else if (counted) {
      const seen = screens.candidates(e.number, e.t, cfg.graceMs);
      if (e.session !== null && !seen.includes(e.session)) seen.push(e.session);
      actual.calls++;
      replayed.calls++;
      if (seen.length === 0) {
        actual.unknown++;
        replayed.unknown++;
        continue;
      }
      const share = 1 / seen.length;
      if (e.session !== null) actual.right += share;
      for (const s of seen) if (pool.attributesTo(s, e.t)) replayed.right += share;
    }
  }
  return { actual, replayed };
}

function count(f: ReplayFigures, r: { fresh: boolean; dry: boolean; recycled: boolean }): void {
  if (!r.fresh) return;
  f.newSessions++;
  if (r.dry) f.foundFull++;
  if (r.recycled) f.recycledEarly++;
}

/** N numbers split over shards in proportion to what each has now (evenly when none has any). */
export function splitNumbers(total: number, current: readonly number[]): number[] {
  const sum = current.reduce((a, b) => a + b, 0);
  const weights = sum > 0 ? current : current.map(() => 1);
  const wsum = sum > 0 ? sum : current.length;
  const exact = weights.map((w) => (total * w) / wsum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i]! += 1;
    left--;
  }
  return out;
}
