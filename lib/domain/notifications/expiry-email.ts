import type { ExpiryAlertDetail } from '../events';
import { sourceKindLabel } from './source-labels';

/** An email (SNS email subscription) about one expiry alert, and the attributes subscribers filter on. */
export interface RenderedEmail {
  /** At most 100 characters (SNS's limit), ASCII-safe. */
  subject: string;
  body: string;
  /** SNS message attributes: subscription filter policies select on these. */
  attributes: EmailAttributes;
}

/**
 * Who an email is for, as the `audience` message attribute: `all` for every alert and the full digest (the
 * `alerts.emails` subscriptions filter on it), `owner` for an owner's own digest (owner subscriptions take it by
 * their `owner` filter; the full digest, owner `all`, does not reach them).
 */
export type EmailAudience = 'all' | 'owner';

/** The SNS message attributes of an email. */
export interface EmailAttributes {
  severity: string;
  source: string;
  owner: string;
  account: string;
  audience: EmailAudience;
}

/** SNS refuses subjects longer than this. */
export const MAX_SUBJECT_LENGTH = 100;

const days = (count: number) => `${count} day${count === 1 ? '' : 's'}`;

/** `expires in 1 day`, `expires in less than a day`, `expired 3 days ago`, `expired today`. */
export function describeTimeLeft(detail: Pick<ExpiryAlertDetail, 'daysLeft' | 'thresholdId'>): string {
  if (detail.thresholdId === 'expired') {
    // daysLeft counts whole days toward zero (expiry.ts wholeDaysLeft): 0 within a day of expiry.
    const ago = -detail.daysLeft;
    return ago <= 0 ? 'expired today' : `expired ${days(ago)} ago`;
  }
  return detail.daysLeft <= 0 ? 'expires in less than a day' : `expires in ${days(detail.daysLeft)}`;
}

export const displayNameOf = (detail: Pick<ExpiryAlertDetail, 'subjectCommonName' | 'dnsNames' | 'subject'>) =>
  detail.subjectCommonName ?? detail.dnsNames[0] ?? (detail.subject || '(no subject)');

/**
 * Subject `[certwarden] CRITICAL: api.example.com expires in 1 day (ACM, prod-eu-west-1)`; a body saying what
 * expires, where, who owns it, what uses it and how to renew it. Pure: the same alert renders the same email.
 */
export function renderExpiryEmail(detail: ExpiryAlertDetail): RenderedEmail {
  const name = displayNameOf(detail);
  const kind = sourceKindLabel(detail.sourceKind);
  const subject = snsSubject(
    `[certwarden] ${detail.severity.toUpperCase()}: ${name} ${describeTimeLeft(detail)} (${kind}, ${detail.source})`,
  );
  const where = [
    `${kind} ${detail.nativeId}`,
    detail.account ? `account ${detail.account}` : undefined,
    detail.region ? `region ${detail.region}` : undefined,
  ].filter(Boolean);
  const lines = [
    `${name} ${describeTimeLeft(detail)}: ${detail.thresholdId === 'expired' ? 'it was' : 'it is'} valid until ${detail.notAfter}.`,
    '',
    'What',
    `  Subject:      ${detail.subject || '(empty)'}`,
    `  Names:        ${detail.dnsNames.join(', ') || '(none)'}`,
    `  Issuer:       ${detail.issuer}`,
    `  Serial:       ${detail.serialNumber ?? '(unknown)'}`,
    `  Fingerprint:  ${detail.fingerprint} (SHA-256)`,
    `  Valid:        ${detail.notBefore} to ${detail.notAfter}${detail.isCA ? ' (a CA certificate)' : ''}`,
    '',
    'Where',
    `  ${where.join(', ')}`,
    `  Source:       ${detail.source}`,
    '',
    'Owner',
    `  ${detail.owner}`,
    '',
    'In use by',
    ...(detail.inUseBy.length ? detail.inUseBy.map((user) => `  ${user}`) : ['  (nothing known)']),
    '',
    'How to renew',
    `  ${detail.renewal.instructions}`,
    ...(detail.renewal.method ? [`  Renewal method: ${detail.renewal.method}`] : []),
    '',
    `Severity ${detail.severity}; threshold ${detail.thresholdId}; alert ${detail.alertId}.`,
    'You get this once per certificate and threshold. — certwarden',
  ];
  return {
    subject,
    body: `${lines.join('\n')}\n`,
    attributes: {
      severity: detail.severity,
      source: detail.source,
      owner: detail.owner,
      account: detail.account ?? 'none',
      audience: 'all',
    },
  };
}

/**
 * An SNS subject: printable ASCII (anything else becomes `?`), no line breaks, at most 100 characters (a longer
 * one is cut and ends with `~`). Every certwarden email subject goes through it.
 */
export function snsSubject(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 1)}~`;
}
