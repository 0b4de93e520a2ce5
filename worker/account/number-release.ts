/**
 * Giving bought numbers back. A number edge-dni bought is released at its provider only when no
 * pool of the account routes it any more: it was removed (or its pool deleted) and its last
 * possible lease + grace is over (the registry's `released_until`), and it was not put back in a
 * pool meanwhile. Until then it keeps routing calls to its pool. A number autoscaling removed is
 * parked instead: providers bill a month up front with no proration, so it is kept (and reused
 * first by the pool's next grow) until its month is about to renew, then released. A number an
 * order bought and never put in its pool (the order failed or was canceled first) is released at
 * once; one it ordered and the provider has not filled yet (`ordered`, e.g. Telnyx regulatory
 * requirements) has its pending order canceled, or, filled meanwhile, is released as a number.
 * Failed releases retry with backoff, for as long as it takes: a pending number whose cancel is
 * refused is looked at again until it is active and can be released, never left to be billed.
 */
import { nextRenewal } from "../domain/billing-month";
import type { NumberApi } from "../numbers/types";
import type { OrderingProvider } from "../schemas/orders";
import type { ProviderNumberRow } from "./number-orders";
import { orderRetryMs } from "./order-runner";

/**
 * Failed releases after which the account is told (a `number.release_failing` alert, once a
 * number): with the backoff from 30 s to an hour, about five hours of trying. The number is still
 * billed meanwhile, and only the account can fix what the provider answers (credentials, a cancel
 * it refuses).
 */
export const RELEASE_ALERT_ATTEMPTS = 12;

/**
 * Numbers to give back: added to a pool and no pool holds them (live or within lease + grace);
 * parked by autoscaling (release_next_at: shortly before their next renewal, set when parked); or
 * bought or still on order by an order that ended (failed, canceled) before they reached its pool:
 * paid for, or about to be, of no use.
 */
const GIVE_BACK = `(p.state IN ('added', 'parked') OR (p.state IN ('ordered', 'bought', 'configured')
  AND EXISTS (SELECT 1 FROM number_orders o WHERE o.id = p.order_id AND o.status IN ('failed', 'canceled'))))`;
/** Bought numbers no pool holds (live or within lease + grace), by when they may be released. */
const IDLE = `FROM provider_numbers p WHERE ${GIVE_BACK} AND NOT EXISTS (
  SELECT 1 FROM pool_numbers n WHERE n.number = p.number AND (n.released_until IS NULL OR n.released_until > ?))`;

/** A parked number is released this long before its next month would be billed. */
export const RENEWAL_MARGIN_MS = 2 * 86_400_000;

/**
 * When a number bought at `boughtAt`, idle from `now`, is released: shortly before its next monthly
 * renewal, by calendar months from its purchase (domain/billing-month.ts; what is paid is used to the
 * end), or at once when that renewal is nearer than the margin.
 */
export function beforeRenewal(boughtAt: number, now: number): number {
  return Math.max(now, nextRenewal(boughtAt, now) - RENEWAL_MARGIN_MS);
}

/**
 * Numbers given back in one sweep: each is a request to its provider (two for Telnyx), and an alarm
 * run has a subrequest limit and holds deliveries and pushes behind it. A deleted pool of thousands
 * of bought numbers is given back over several runs; the alarm comes back at once while some are due.
 */
export const RELEASES_PER_SWEEP = 50;

export class NumberRelease {
  /** Numbers whose release is with their provider now: a pool save refuses them (account.ts) until it answers. */
  private readonly inFlight = new Set<string>();

  constructor(private readonly sql: SqlStorage) {}

  /** Of `numbers`, those being given back at their provider at this moment. */
  releasing(numbers: readonly string[]): string[] {
    return numbers.filter((n) => this.inFlight.has(n));
  }

  /** When the sweep next has something to do: a held number's routing end, or a retry. */
  nextDue(): number | null {
    const t = this.sql
      .exec<{ t: number | null }>(
        `SELECT MIN(MAX(COALESCE(p.release_next_at, 0), COALESCE((SELECT n.released_until FROM pool_numbers n WHERE n.number = p.number), 0))) AS t
         FROM provider_numbers p WHERE ${GIVE_BACK} AND NOT EXISTS (SELECT 1 FROM pool_numbers n WHERE n.number = p.number AND n.released_until IS NULL)`,
      )
      .one().t;
    // 0: no hold and no retry pending (its pool row is already purged): due now.
    return t === null ? null : Math.max(t, Date.now());
  }

  /** Release every number that is due; `api` is null when the provider's credentials are gone. */
  async sweep(
    api: (provider: OrderingProvider) => Promise<NumberApi | null>,
    now: number,
    alert: (key: string, payload: unknown) => Promise<void>,
  ): Promise<void> {
    // Not a number a pool save is claiming at this moment (its journal entry is written before it
    // asks the Directory and awaits: the number is in no pool yet, and was released under it).
    const DUE = `SELECT p.* ${IDLE} AND (p.release_next_at IS NULL OR p.release_next_at <= ?)
      AND NOT EXISTS (SELECT 1 FROM directory_journal j WHERE j.number = p.number AND j.op = 'claim')`;
    const due = this.sql.exec<ProviderNumberRow>(`${DUE} ORDER BY COALESCE(p.release_next_at, 0), p.number LIMIT ?`, now, now, RELEASES_PER_SWEEP).toArray();
    for (const listed of due) {
      const client = await api(listed.provider);
      // Read again after each await: a pool saved meanwhile (re-created, the number added back) holds it now.
      const row = this.sql.exec<ProviderNumberRow>(`${DUE} AND p.number = ?`, now, now, listed.number).toArray()[0];
      if (!row) continue;
      let r: Awaited<ReturnType<NumberApi["release"]>>;
      this.inFlight.add(row.number);
      try {
        r = !client
          ? { ok: false as const, error: { kind: "retry" as const, reason: `no ${row.provider} credentials` } }
          : row.state === "ordered"
            ? await client.releaseOrdered(row.number, row.order_id, row.provider_id)
            : await client.release(row.provider_id);
      } finally {
        this.inFlight.delete(row.number);
      }
      if (r.ok) {
        this.sql.exec(
          "UPDATE provider_numbers SET state = 'released', released_at = ?, release_error = NULL, release_next_at = NULL WHERE number = ?",
          now,
          row.number,
        );
      } else {
        const attempts = row.release_attempts + 1;
        const wait = Math.max(orderRetryMs(attempts), r.error.kind === "retry" ? (r.error.retryAfterMs ?? 0) : 0);
        console.warn("numbers: release failed", { number: row.number, provider: row.provider, reason: r.error.reason });
        this.sql.exec(
          "UPDATE provider_numbers SET release_attempts = ?, release_next_at = ?, release_error = ? WHERE number = ?",
          attempts,
          now + wait,
          r.error.reason,
          row.number,
        );
        if (attempts === RELEASE_ALERT_ATTEMPTS)
          await alert(`number-release-failing/${row.number}`, {
            type: "number.release_failing",
            number: row.number,
            provider: row.provider,
            attempts,
            reason: r.error.reason,
            message: `${row.number} could not be given back at ${row.provider} after ${attempts} attempts (${r.error.reason}): it is still billed. Releasing goes on being tried, an hour apart.`,
            remedies: [
              {
                message: `Check the ${row.provider} credentials (PATCH /v1/account/voice) and what ${row.provider} answers; or release the number in its console.`,
              },
            ],
            at: now,
          });
      }
    }
  }
}
