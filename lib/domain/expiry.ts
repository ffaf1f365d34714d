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
  /** Whole days left, rounded down; negative once expired. */
  daysLeft: number;
  expired: boolean;
  notYetValid: boolean;
  lifetimeDays: number;
  /** Every threshold crossed, most urgent last; empty while the certificate is healthy. */
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

export function assessExpiry(
  validity: Validity,
  now: Date,
  thresholds: ExpiryThresholds = DEFAULT_EXPIRY_THRESHOLDS,
): ExpiryAssessment {
  const notBefore = Date.parse(validity.notBefore);
  const notAfter = Date.parse(validity.notAfter);
  const msLeft = notAfter - now.getTime();
  const lifetimeDays = Math.max(0, (notAfter - notBefore) / DAY_MS);
  const daysLeftExact = msLeft / DAY_MS;
  const renewalDueDays = lifetimeDays * thresholds.lifetimeFraction;
  const expired = msLeft <= 0;

  const lifetime: CrossedThreshold = { kind: 'lifetime', fraction: thresholds.lifetimeFraction, days: renewalDueDays };
  const applicable: Array<Extract<CrossedThreshold, { days: number }>> = [
    lifetime,
    ...[...new Set(thresholds.days)]
      .filter((days) => days > 0 && days <= renewalDueDays)
      .map((days) => ({ kind: 'days' as const, days })),
  ];
  // Most distant first; the lifetime threshold goes before a day threshold on the same day (it is the earlier news).
  applicable.sort((a, b) => b.days - a.days || (a.kind === 'lifetime' ? -1 : b.kind === 'lifetime' ? 1 : 0));
  const crossed: CrossedThreshold[] = applicable.filter(
    (threshold) => lifetimeDays > 0 && daysLeftExact <= threshold.days,
  );
  if (expired) crossed.push({ kind: 'expired' });

  return {
    daysLeft: Math.floor(daysLeftExact),
    expired,
    notYetValid: now.getTime() < notBefore,
    lifetimeDays,
    crossed,
    mostUrgent: crossed.at(-1) ?? null,
  };
}
