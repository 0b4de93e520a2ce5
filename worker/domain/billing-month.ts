/**
 * When a bought number's next month is billed. Providers bill a number monthly on the anniversary of
 * its purchase (Twilio: the full month up front, no proration), a calendar month: a 30-day month
 * drifts from it by five days a year, so a number parked a few days before its real renewal was
 * taken to renew a month later, released after the real one, and billed a month more. A purchase on
 * the 29th–31st renews on the last day of a shorter month (the margin covers a provider that
 * renews on the 1st of the next instead).
 */

/** `at` moved by `months` calendar months in UTC, its day of the month kept or, past the month's end, the last day. */
export function addMonths(at: number, months: number): number {
  const d = new Date(at);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + months;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(d.getUTCDate(), last), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/** The first monthly renewal of a number bought at `boughtAt` that is after `now`. */
export function nextRenewal(boughtAt: number, now: number): number {
  const from = new Date(boughtAt);
  const to = new Date(Math.max(now, boughtAt));
  // Whole months between the two dates: the renewal is that one or the next.
  let months = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth();
  while (addMonths(boughtAt, months) <= now) months++;
  while (months > 1 && addMonths(boughtAt, months - 1) > now) months--;
  return addMonths(boughtAt, Math.max(1, months));
}
