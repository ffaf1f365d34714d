/**
 * Validity periods counted the way RFC 5280 §4.1.2.5 and the CA/Browser Forum Baseline Requirements
 * (§1.6.1, §6.3.2) count them: from notBefore through notAfter *inclusive*, so a certificate whose two dates
 * are equal is valid for one second; a day is 86,400 seconds and any part of a day beyond whole days counts
 * as another day. A certificate with notAfter exactly 398 days after notBefore is therefore valid for
 * 398 days + 1 second = 399 days, over a 398-day limit (zlint issue #467 made the same correction).
 */

export const DAY_SECONDS = 86_400;

/** Seconds of validity, inclusive of the last second; 0 when notAfter is before notBefore. */
export function validitySeconds(notBefore: string | number, notAfter: string | number): number {
  const from = typeof notBefore === 'number' ? notBefore : Date.parse(notBefore);
  const to = typeof notAfter === 'number' ? notAfter : Date.parse(notAfter);
  if (!(to >= from)) return 0;
  // Certificate times have whole seconds; floor guards against millisecond inputs.
  return Math.floor((to - from) / 1000) + 1;
}

/** Validity in CA/B days: whole days, any remainder counting as one more. */
export function validityDays(notBefore: string | number, notAfter: string | number): number {
  return Math.ceil(validitySeconds(notBefore, notAfter) / DAY_SECONDS);
}

/** Whether a validity period fits within `maxDays` CA/B days (seconds inclusive ≤ maxDays × 86,400). */
export function withinDays(notBefore: string | number, notAfter: string | number, maxDays: number): boolean {
  return validitySeconds(notBefore, notAfter) <= maxDays * DAY_SECONDS;
}

/** One step of a maximum-validity schedule: certificates issued at or after `from` may last `days`. */
export interface ScheduleStep {
  /** ISO 8601 instant; absent for the first step (from the beginning of time). */
  from?: string;
  days: number;
}

/**
 * Maximum validity of publicly trusted TLS server certificates, CA/Browser Forum ballot SC-081v3 (BR §6.3.2):
 * 398 days before 15 March 2026, 200 days from then, 100 days from 15 March 2027, 47 days from 15 March 2029.
 * "Issued on or after" is judged by the certificate's notBefore; the dates are taken at 00:00:00 UTC.
 */
export const CABF_SC081_SCHEDULE: readonly ScheduleStep[] = Object.freeze([
  { days: 398 },
  { from: '2026-03-15T00:00:00Z', days: 200 },
  { from: '2027-03-15T00:00:00Z', days: 100 },
  { from: '2029-03-15T00:00:00Z', days: 47 },
]);

const parsedSchedules = new WeakMap<readonly ScheduleStep[], Array<{ from: number; days: number }>>();

/**
 * The maximum validity in days of a certificate issued at `issuedAt` (ms since the epoch) under `schedule`,
 * whose steps are in date order. Parsed schedules are cached by identity: rules call this per certificate.
 */
export function maxDaysAt(schedule: readonly ScheduleStep[], issuedAt: number): number {
  let parsed = parsedSchedules.get(schedule);
  if (!parsed) {
    parsed = schedule.map((step) => ({
      from: step.from === undefined ? -Infinity : Date.parse(step.from),
      days: step.days,
    }));
    parsedSchedules.set(schedule, parsed);
  }
  let days = parsed[0].days;
  for (const step of parsed) if (step.from <= issuedAt) days = step.days;
  return days;
}
