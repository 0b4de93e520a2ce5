/** A bought number's monthly renewals by calendar months (worker/domain/billing-month.ts) and when a parked one is released. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { beforeRenewal, RENEWAL_MARGIN_MS } from "../../worker/account/number-release";
import { addMonths, nextRenewal } from "../../worker/domain/billing-month";

const t = (iso: string) => Date.parse(iso);
const DAY = 86_400_000;

describe("monthly renewals", () => {
  it("fall on the purchase's day of the month, or a shorter month's last day", () => {
    expect(addMonths(t("2026-01-31T09:30:00Z"), 1)).toBe(t("2026-02-28T09:30:00Z"));
    expect(addMonths(t("2028-01-31T09:30:00Z"), 1)).toBe(t("2028-02-29T09:30:00Z"));
    expect(addMonths(t("2026-01-31T09:30:00Z"), 2)).toBe(t("2026-03-31T09:30:00Z"));
    expect(addMonths(t("2026-11-15T00:00:00Z"), 3)).toBe(t("2027-02-15T00:00:00Z"));
    expect(nextRenewal(t("2026-01-31T09:30:00Z"), t("2026-02-10T00:00:00Z"))).toBe(t("2026-02-28T09:30:00Z"));
    expect(nextRenewal(t("2026-01-31T09:30:00Z"), t("2026-02-28T09:30:00Z"))).toBe(t("2026-03-31T09:30:00Z"));
    // Bought a moment ago: the first renewal is a month away.
    expect(nextRenewal(t("2026-05-05T00:00:00Z"), t("2026-05-05T00:00:00Z"))).toBe(t("2026-06-05T00:00:00Z"));
  });

  it("a number parked days before its renewal a year on is released before that renewal, not a month after it", () => {
    // A 30-day month put the 12th renewal on Dec 27 and took one parked on Dec 28 to renew on Jan 26: billed for January.
    const bought = t("2026-01-01T12:00:00Z");
    const parked = t("2026-12-28T12:00:00Z");
    expect(beforeRenewal(bought, parked)).toBe(t("2026-12-30T12:00:00Z"));
    expect(beforeRenewal(bought, parked)).toBe(t("2027-01-01T12:00:00Z") - RENEWAL_MARGIN_MS);
    // Nearer than the margin: at once.
    expect(beforeRenewal(bought, t("2026-12-31T13:00:00Z"))).toBe(t("2026-12-31T13:00:00Z"));
  });

  it("is the first anniversary after now, for any purchase and any later time (property)", () => {
    const start = t("2020-01-01T00:00:00Z");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3650 * DAY }), fc.integer({ min: 0, max: 3650 * DAY }), (b, later) => {
        const bought = start + b;
        const now = bought + later;
        const r = nextRenewal(bought, now);
        expect(r).toBeGreaterThan(now);
        const k = [...Array(200).keys()].find((m) => m >= 1 && addMonths(bought, m) === r);
        expect(k).toBeDefined();
        if (k! > 1) expect(addMonths(bought, k! - 1)).toBeLessThanOrEqual(now);
        expect(r - now).toBeLessThanOrEqual(31 * DAY);
      }),
    );
  });
});
