/** How urgent an expiry alert is, by the time left on the certificate. */

import { DAY_MS } from './expiry';

export const EXPIRY_SEVERITIES = ['info', 'warning', 'high', 'critical'] as const;
export type ExpirySeverity = (typeof EXPIRY_SEVERITIES)[number];

export interface SeverityThresholds {
  /** At or below this many days left: `warning`. @default 30 */
  warningDays: number;
  /** At or below this many days left: `high`. @default 7 */
  highDays: number;
  /** At or below this many days left, or expired: `critical`. @default 1 */
  criticalDays: number;
}

export const DEFAULT_SEVERITY_THRESHOLDS: SeverityThresholds = { warningDays: 30, highDays: 7, criticalDays: 1 };

export interface SeverityInput {
  notAfter: string;
  /** A CA certificate takes everything it issued down with it: one level higher. */
  isCA: boolean;
}

const raise = (severity: ExpirySeverity): ExpirySeverity =>
  EXPIRY_SEVERITIES[Math.min(EXPIRY_SEVERITIES.indexOf(severity) + 1, EXPIRY_SEVERITIES.length - 1)];

/**
 * The severity of a certificate's expiry at `now`: `info` above 30 days left, `warning` at ≤ 30, `high` at ≤ 7,
 * `critical` at ≤ 1 or once expired (days counted exactly, not rounded); a CA certificate one level higher.
 */
export function expirySeverity(
  certificate: SeverityInput,
  now: Date,
  thresholds: SeverityThresholds = DEFAULT_SEVERITY_THRESHOLDS,
): ExpirySeverity {
  const daysLeft = (Date.parse(certificate.notAfter) - now.getTime()) / DAY_MS;
  const base: ExpirySeverity =
    daysLeft <= thresholds.criticalDays
      ? 'critical'
      : daysLeft <= thresholds.highDays
        ? 'high'
        : daysLeft <= thresholds.warningDays
          ? 'warning'
          : 'info';
  return certificate.isCA ? raise(base) : base;
}

export const expirySeverityRank = (severity: ExpirySeverity): number => EXPIRY_SEVERITIES.indexOf(severity);

/**
 * The severities that digest mode (`alerts.digest`) leaves to the daily digest instead of alerting one by one:
 * `info` and `warning`. High and critical alerts always go out at once.
 */
export const DIGESTED_SEVERITIES: readonly ExpirySeverity[] = ['info', 'warning'];

/** An expiry alert of this severity is listed in the daily digest (in digest mode) rather than sent alone. */
export const isDigestedSeverity = (severity: ExpirySeverity): boolean => DIGESTED_SEVERITIES.includes(severity);

/** The severities of expiry alert also sent to the escalation topic (`alerts.escalationEmails`). */
export const ESCALATED_SEVERITIES: readonly ExpirySeverity[] = ['high', 'critical'];
