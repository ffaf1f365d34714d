/** Expiry classification: which alert thresholds a certificate has crossed at a given instant. */

export const DAY_MS = 86_400_000;

export interface ExpiryThresholds {
  /** Days before notAfter at which to alert. @default [60, 30, 14, 7, 1] */
  days: number[];
  /**
   * Alert when this fraction of the lifetime remains. It also decides which day thresholds apply: one that
   * comes before this point is not an alert for this certificate, since its renewal is not yet due (a 47-day
   * certificate is not "30 days from expiry" news 17 days after issue, while a 1-year one is).
   * @default 1/3
   */
  lifetimeFraction: number;
}

export const DEFAULT_EXPIRY_THRESHOLDS: ExpiryThresholds = { days: [60, 30, 14, 7, 1], lifetimeFraction: 1 / 3 };

export type CrossedThreshold =
  { kind: 'days'; days: number } | { kind: 'lifetime'; fraction: number; days: number } | { kind: 'expired' };

export interface ExpiryAssessment {
  /** {@link wholeDaysLeft}: whole days to expiry, or since it as a negative number. */
  daysLeft: number;
  expired: boolean;
  notYetValid: boolean;
  lifetimeDays: number;
  /** Every threshold crossed, least urgent first ({@link compareThresholdIds}); empty while the certificate is healthy. */
  crossed: CrossedThreshold[];
  /** The most urgent threshold crossed, or null. */
  mostUrgent: CrossedThreshold | null;
}

export interface Validity {
  notBefore: string;
  notAfter: string;
}

/** A stable name for a crossed threshold, used in alert dedupe keys and output: `60d`, `lifetime-33%`, `expired`. */
export function thresholdId(threshold: CrossedThreshold): string {
  switch (threshold.kind) {
    case 'days':
      return `${threshold.days}d`;
    case 'lifetime':
      return `lifetime-${Math.round(threshold.fraction * 100)}%`;
    case 'expired':
      return 'expired';
  }
}

/**
 * Whole days from `now` to `notAfter`, counted toward zero on both sides of expiry: 4 days 23 hours left is 4,
 * expired 5 days and 1 minute ago is −5, and anything within a day of expiry (either side) is 0. The one
 * definition of `daysLeft` in events, tables and messages, so that "expired 5 days ago" reads the same
 * everywhere (rounding down made it −6).
 */
export function wholeDaysLeft(notAfter: number, now: number): number {
  return Math.trunc((notAfter - now) / DAY_MS) || 0; // `|| 0`: never −0
}

/**
 * Orders threshold ids (thresholdId) most urgent first, as numbers, not text (`1d` before `14d`): `expired`,
 * then day thresholds by days, then `lifetime-N%`. The lifetime threshold is always the least urgent of those
 * crossed, because a day threshold applies to a certificate only when it comes after its lifetime threshold
 * (applicableThresholds); an id this does not know goes last.
 */
export function compareThresholdIds(a: string, b: string): number {
  return thresholdRank(a) - thresholdRank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function thresholdRank(id: string): number {
  if (id === 'expired') return -1;
  const days = /^(\d+)d$/.exec(id);
  if (days) return Number(days[1]);
  const lifetime = /^lifetime-(\d+)%$/.exec(id);
  // Past every day threshold; a smaller remaining fraction is the more urgent of two (configs differ).
  return lifetime ? 1e9 + Number(lifetime[1]) : 2e9;
}

/**
 * What one place alerts now: only its most urgent crossed threshold, and only if that was never settled (sent,
 * or passed over); every less urgent crossed threshold not yet settled is passed over, so that it is never sent
 * later. A certificate first seen expired gets one `expired` alert, not seven; one crossing 30d and 14d between
 * two runs gets `14d`. `crossed` is assessExpiry's, least urgent first.
 */
export function planAlert(
  crossed: readonly CrossedThreshold[],
  isSettled: (thresholdId: string) => boolean,
): { alert: CrossedThreshold | null; passOver: CrossedThreshold[] } {
  const settled = (threshold: CrossedThreshold) => isSettled(thresholdId(threshold));
  const mostUrgent = crossed.at(-1);
  return {
    alert: mostUrgent && !settled(mostUrgent) ? mostUrgent : null,
    passOver: crossed.slice(0, -1).filter((threshold) => !settled(threshold)),
  };
}

/** A threshold measured in days before expiry: a day threshold, or the lifetime one. */
type DayThreshold = Extract<CrossedThreshold, { days: number }>;

/** Whether a certificate with this many days left (exact, fractional) has crossed a threshold of `days`. */
const hasCrossed = (daysLeftExact: number, days: number): boolean => daysLeftExact <= days;

/**
 * The lifetime threshold and the day thresholds that apply to a certificate of this lifetime, most distant
 * first; none for a certificate without a lifetime (notAfter not after notBefore), which alerts only on expiry.
 */
function applicableThresholds(lifetimeDays: number, thresholds: ExpiryThresholds): DayThreshold[] {
  if (!(lifetimeDays > 0)) return [];
  const renewalDueDays = lifetimeDays * thresholds.lifetimeFraction;
  const applicable: DayThreshold[] = [
    { kind: 'lifetime', fraction: thresholds.lifetimeFraction, days: renewalDueDays },
    ...[...new Set(thresholds.days)]
      .filter((days) => days > 0 && days <= renewalDueDays)
      .map((days) => ({ kind: 'days' as const, days })),
  ];
  // Most distant (least urgent) first. Only day thresholds at or after the lifetime one apply, so the lifetime
  // threshold is always first; on the same day it goes before the day threshold (it is the earlier news).
  return applicable.sort((a, b) => b.days - a.days || (a.kind === 'lifetime' ? -1 : b.kind === 'lifetime' ? 1 : 0));
}

const lifetimeDaysOf = (notBefore: number, notAfter: number): number => Math.max(0, (notAfter - notBefore) / DAY_MS);

export function assessExpiry(
  validity: Validity,
  now: Date,
  thresholds: ExpiryThresholds = DEFAULT_EXPIRY_THRESHOLDS,
): ExpiryAssessment {
  const notBefore = Date.parse(validity.notBefore);
  const notAfter = Date.parse(validity.notAfter);
  const msLeft = notAfter - now.getTime();
  const lifetimeDays = lifetimeDaysOf(notBefore, notAfter);
  const daysLeftExact = msLeft / DAY_MS;
  const expired = msLeft <= 0;

  const crossed: CrossedThreshold[] = applicableThresholds(lifetimeDays, thresholds).filter((threshold) =>
    hasCrossed(daysLeftExact, threshold.days),
  );
  if (expired) crossed.push({ kind: 'expired' });

  return {
    daysLeft: wholeDaysLeft(notAfter, now.getTime()),
    expired,
    notYetValid: now.getTime() < notBefore,
    lifetimeDays,
    crossed,
    mostUrgent: crossed.at(-1) ?? null,
  };
}

/**
 * The first instant after `after` at which assessExpiry will find one more threshold crossed (a day threshold,
 * the lifetime one, or expiry itself), or null when none is left (expiry is behind `after`, or a date is not
 * readable). The expiry evaluation looks at a place again at this instant, and not before: nothing about its
 * alerts changes in between.
 */
export function nextThresholdAt(
  validity: Validity,
  after: Date,
  thresholds: ExpiryThresholds = DEFAULT_EXPIRY_THRESHOLDS,
): Date | null {
  const notBefore = Date.parse(validity.notBefore);
  const notAfter = Date.parse(validity.notAfter);
  const instants = [
    ...applicableThresholds(lifetimeDaysOf(notBefore, notAfter), thresholds).map(({ days }) =>
      firstInstantCrossing(notAfter, days),
    ),
    notAfter, // expired from notAfter on (no time left)
  ];
  const next = Math.min(...instants.filter((instant) => instant > after.getTime()));
  return Number.isFinite(next) ? new Date(next) : null;
}

/**
 * The first whole millisecond at which a threshold of `days` counts as crossed: `notAfter - days` rounded to the
 * millisecond and nudged to where assessExpiry's own arithmetic agrees (a lifetime threshold is fractional days).
 */
function firstInstantCrossing(notAfter: number, days: number): number {
  const crossedAt = (instant: number) => hasCrossed((notAfter - instant) / DAY_MS, days);
  let instant = Math.ceil(notAfter - days * DAY_MS);
  if (!Number.isFinite(instant)) return instant; // a threshold beyond any date: never the next one
  while (!crossedAt(instant)) instant++;
  while (crossedAt(instant - 1)) instant--;
  return instant;
}
