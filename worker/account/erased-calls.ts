/**
 * Calls erased lately, so that a provider sending one of them again does not store it again. A
 * provider resends an inbound call it got no answer to in time (Vonage twice within seconds, others
 * on a timeout), and reports its status until it ends, hours later for a long call: erased while it
 * rang, such a call would come back whole. For ERASED_KEEP_MS after an erasure its id (as a SHA-256
 * hash, its key: the id itself is not kept) makes the inbound request get its answer — the caller
 * is still connected — with nothing stored or sent about it, and its status reports ignored.
 *
 * A call erased while still on the line keeps its route too (`route`), so that the route goes on as
 * planned: the provider asks us after the answer which attempt comes next (a failover agent, the
 * voicemail), what the agent hears, whether their press 1 takes the call. Without it a no-answer
 * would hang up on the caller, and an agent pressing 1 would be refused. What is kept is only what
 * those answers are made of: the plan decided from the pool's route (its steps: the business's
 * agents, messages and voicemail greeting), the tracking number dialled (the business's), and which
 * of the plan's agents took the call. Not the caller's number, not the visit's attribution (an
 * agent's whisper then names no source), not the attempts' log, not a recording's URL (a voicemail
 * left after the erasure stays only with the provider). It is kept only for a route that has
 * something left to answer after the first (routeGoesOn) of a call not reported over that came in
 * less than ERASED_KEEP_MS ago; it is forgotten when the caller's call reports its end (the
 * reference provider's reports never say that: there, with the id), else with the id. Recomputing
 * the plan instead would not do: the schedule and round robin turns move on, so a plan decided
 * again may ring other agents than the ones the provider is ringing, and a resend of the inbound
 * call is answered from the kept plan for the same reason. A resend once the route is forgotten (or
 * none was kept) is decided again, its round robin turn only looked at (CallStore.peekTurn), not
 * counted: it rings no one new, and a turn counted for it would make the next call skip an agent.
 *
 * Remembering an id and forgetting its call's rows happen in one transaction (CallDesk.forgetHere):
 * the key is made first, since hashing awaits, so no request can come in between and store a
 * resend or a report of a call whose row is gone but whose id is not yet remembered.
 */
import { sha256Hex } from "../platform/crypto";
import type { CallPlan } from "../voice/plan";
import { type CallRow, takenOf } from "./call-row";

/** How long an erased call id is remembered: the longest a provider's reports of a call may come (as HOT_MS allows for). */
export const ERASED_KEEP_MS = 2 * 86_400_000;

export const ERASED_CALLS_MIGRATION = `
  CREATE TABLE erased_calls (
    id_hash TEXT PRIMARY KEY,   -- SHA-256 of the provider's call id
    until INTEGER NOT NULL      -- forgotten after
  );`;

/** An erased call still on the line: its route (JSON KeptRoute), until the call ends. */
export const ERASED_ROUTES_MIGRATION = `
  ALTER TABLE erased_calls ADD COLUMN route TEXT;`;

/**
 * The ids past their time found by index: every erased id is remembered with a prune (an erasure
 * by caller remembers up to a batch of them in one transaction), which without it read the whole
 * table each time, up to two days of erasures.
 */
export const ERASED_UNTIL_MIGRATION = `
  CREATE INDEX erased_calls_until ON erased_calls (until);`;

/** Forgets the ids past their time (erased_calls_until). */
export const PRUNE_ERASED = "DELETE FROM erased_calls WHERE until < ?";

/** What an erased call still on the line keeps of its route: what the answers after the first are made of. */
export interface KeptRoute {
  plan: CallPlan;
  /** The tracking number the caller dialled (an attempt without its own caller id shows it to the agent). */
  dialled: string;
  /** Which of the plan's numbers took the call (a press 1, a bridge), once one did. */
  answeredBy: string | null;
}

/** The key an erased call is remembered by. */
export const erasedKey = (id: string): Promise<string> => sha256Hex(id);

/**
 * Whether a plan still has something to answer after the inbound call's answer: a next attempt,
 * a whisper or press 1 on the agent's leg, or a simultaneous ring's agent legs (the reference
 * provider's conference). A single plain forward, a message or a voicemail has nothing.
 */
const routeGoesOn = (plan: CallPlan): boolean =>
  plan.steps.length > 1 || plan.steps.some((s) => s.kind === "dial" && (s.whisper || s.confirm || s.to.length > 1));

export class ErasedCalls {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * Remembers an erased call by its key (made beforehand) until ERASED_KEEP_MS from now, and, when
   * it is still on the line (`live`: its row, the call not reported over), its route. No await: it
   * runs in the transaction that forgets the call's rows.
   */
  rememberKey(key: string, now: number, live: CallRow | null): void {
    const plan = live ? takenOf(live)?.plan : null;
    const route =
      live && plan && routeGoesOn(plan) && live.received_at + ERASED_KEEP_MS > now
        ? JSON.stringify({ plan, dialled: live.tracking_number, answeredBy: live.answered_by } satisfies KeptRoute)
        : null;
    // Erased again (a call's id named twice): its route, if kept, stays.
    this.sql.exec(
      "INSERT INTO erased_calls (id_hash, until, route) VALUES (?, ?, ?) ON CONFLICT (id_hash) DO UPDATE SET until = excluded.until, route = COALESCE(excluded.route, route)",
      key,
      now + ERASED_KEEP_MS,
      route,
    );
    this.prune(now);
  }

  /** Remembers these call ids (none of them on the line here: erased from a month's log). */
  async remember(ids: readonly string[], now: number): Promise<void> {
    const keys = await Promise.all(ids.map(erasedKey));
    for (const key of keys) this.rememberKey(key, now, null);
  }

  /** Forgets the ids past their time, with their routes (also from the daily upkeep). */
  prune(now: number): void {
    this.sql.exec(PRUNE_ERASED, now);
  }

  /** Whether this call was erased lately. */
  async has(id: string, now: number): Promise<boolean> {
    if (this.sql.exec("SELECT 1 FROM erased_calls LIMIT 1").toArray().length === 0) return false;
    return this.sql.exec("SELECT 1 FROM erased_calls WHERE id_hash = ? AND until >= ?", await erasedKey(id), now).toArray().length > 0;
  }

  /** The route an erased call still on the line keeps (null: none, or not erased). */
  route(key: string): KeptRoute | null {
    const row = this.sql.exec<{ route: string | null }>("SELECT route FROM erased_calls WHERE id_hash = ?", key).toArray()[0];
    return row?.route ? (JSON.parse(row.route) as KeptRoute) : null;
  }

  /** The first of the plan's numbers to take an erased call keeps it (as CallStore.claimAnsweredBy). True when `number` has it now. */
  claim(key: string, number: string): boolean {
    this.sql.exec(
      "UPDATE erased_calls SET route = json_set(route, '$.answeredBy', ?) WHERE id_hash = ? AND route IS NOT NULL AND json_extract(route, '$.answeredBy') IS NULL",
      number,
      key,
    );
    return this.route(key)?.answeredBy === number;
  }

  /** An erased call's plan as it goes on (CallStore.setPlan). */
  setPlan(key: string, plan: CallPlan): void {
    this.sql.exec("UPDATE erased_calls SET route = json_set(route, '$.plan', json(?)) WHERE id_hash = ? AND route IS NOT NULL", JSON.stringify(plan), key);
  }

  /** The caller's call has ended: nothing more is routed, its route is forgotten (the id stays remembered). */
  async over(id: string): Promise<void> {
    this.sql.exec("UPDATE erased_calls SET route = NULL WHERE id_hash = ? AND route IS NOT NULL", await erasedKey(id));
  }
}
