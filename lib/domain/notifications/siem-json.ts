import { contentHash } from '../content-hash';
import type { CertwardenEvent, UnknownCertificateIssuedDetail } from '../events';
import { certificateRevokedWords } from './certificate-revoked-words';
import { servedMessage } from './served-message';

/**
 * The plain JSON shape for SIEMs without OCSF: one flat object per event. Its JSON Schema is
 * siem-json-record-schema.json beside this file (the tests hold every record to it).
 */
export interface SiemJsonEvent {
  /**
   * The record's deduplication key (32 hex): the same fact always has the same id, however often it is
   * delivered. An expiry alert's is derived from its alert id, so a resend on a later run (new `timestamp`,
   * fewer days left) keeps it; any other event's from its whole content.
   */
  event_id: string;
  /** When it happened (ISO 8601). */
  timestamp: string;
  /** `certificate_expiring`, `policy_violation`, … (the detail type in snake case). */
  event_type: string;
  /**
   * The alert or finding the record is about, as OCSF's `finding_info.uid`: an expiry alert's
   * `<locationId>#<fingerprint>#<thresholdId>`, a violation's `<locationId>#<ruleId>` (its resolution has the same),
   * a revocation's `<locationId>#<fingerprint>#revoked`; null for events that are no alert.
   */
  alert_id: string | null;
  /** The expiry threshold crossed (`60d`, `lifetime-33%`, `expired`); null for other events. */
  threshold_id: string | null;
  /** The policy rule broken or no longer broken; null for other events. */
  rule_id: string | null;
  /** SHA-256 of the certificate's DER (hex), when the event names a certificate. */
  certificate_fingerprint: string | null;
  certificate_subject: string | null;
  certificate_serial: string | null;
  issuer: string | null;
  expiration_date: string | null;
  /** `in_use` (something uses it), `deployed` (at a place, no user known), `removed`, or `unknown`. */
  deployment_status: 'in_use' | 'deployed' | 'removed' | 'unknown';
  /** What uses it, else the place it lives. */
  target_systems: string[];
  severity: string | null;
  owner: string | null;
  location_id: string | null;
  /**
   * What went wrong, in words, where the event says: a violation's message, a provider's problem, a renewal's
   * error, an undelivered alert's target and its answer; null otherwise.
   */
  message: string | null;
}

const snake = (detailType: string) => detailType.toLowerCase().replace(/[^a-z0-9]+/g, '_');

/**
 * The alert or finding an event is about, stable across deliveries (OCSF `finding_info.uid`, SIEM JSON
 * `alert_id`); undefined for events that are no alert.
 */
export function alertIdOf(event: CertwardenEvent): string | undefined {
  switch (event.detailType) {
    case 'Certificate Expiring':
    case 'Certificate Expired':
      return event.detail.alertId;
    case 'Revocation Detected':
      return `${event.detail.locationId}#${event.detail.fingerprint}#revoked`;
    case 'Policy Violation':
    case 'Violation Resolved':
      return `${event.detail.locationId}#${event.detail.ruleId}`;
    case 'Alert Undelivered':
      return event.detail.alertId ?? undefined;
    case 'Unknown Certificate Issued':
      return `ct#${event.detail.findingId}`;
    case 'Deployment Drift':
    case 'Unknown Certificate Served':
    case 'Served Certificate Resolved':
      return event.detail.alertId;
    default:
      return undefined;
  }
}

/** SiemJsonEvent.message. */
function messageOf(event: CertwardenEvent): string | null {
  switch (event.detailType) {
    case 'Policy Violation':
    case 'Violation Resolved':
      return event.detail.message;
    case 'Certificate Provisioning Failed':
      return event.detail.problem;
    case 'Renewal Failed':
      return event.detail.error;
    case 'Certificate Revoked':
      return certificateRevokedWords(event.detail);
    case 'Unknown Certificate Issued':
      return unknownIssuedMessage(event.detail);
    case 'Alert Undelivered':
      return `${event.detail.target} ${event.detail.permanent ? 'refused it for good' : `failed it ${event.detail.attempts} times`}: ${event.detail.reason}`;
    case 'Deployment Drift':
    case 'Unknown Certificate Served':
    case 'Served Certificate Resolved':
      return servedMessage(event);
    default:
      return null;
  }
}

/** The record's deduplication key (SiemJsonEvent.event_id). */
function eventIdOf(event: CertwardenEvent): string {
  const expiry = event.detailType === 'Certificate Expiring' || event.detailType === 'Certificate Expired';
  return contentHash([event.detailType, expiry ? event.detail.alertId : event.detail]);
}

/** The flat JSON form of any certwarden event; fields an event does not carry are null. */
export function toSiemJson(event: CertwardenEvent): SiemJsonEvent {
  const detail = event.detail as unknown as Record<string, unknown>;
  const text = (key: string) => (typeof detail[key] === 'string' ? (detail[key] as string) : null);
  const inUseBy = Array.isArray(detail.inUseBy) ? (detail.inUseBy as string[]) : [];
  const locationId = text('locationId');
  const removed = event.detailType === 'Certificate Removed';
  return {
    event_id: eventIdOf(event),
    timestamp: text('at') ?? new Date(0).toISOString(),
    event_type: snake(event.detailType),
    alert_id: alertIdOf(event) ?? null,
    threshold_id: text('thresholdId'),
    rule_id: text('ruleId'),
    certificate_fingerprint: text('fingerprint'),
    certificate_subject: text('subject') ?? text('subjectCommonName'),
    certificate_serial: text('serialNumber'),
    issuer: text('issuer'),
    expiration_date: text('notAfter'),
    deployment_status: removed ? 'removed' : inUseBy.length > 0 ? 'in_use' : locationId ? 'deployed' : 'unknown',
    target_systems: inUseBy.length > 0 ? inUseBy : text('nativeId') ? [text('nativeId')!] : [],
    severity: text('severity'),
    owner: text('owner'),
    location_id: locationId,
    message: messageOf(event),
  };
}

/** What an Unknown Certificate Issued event says, in words (SIEM JSON and OCSF messages). */
export const unknownIssuedMessage = (detail: UnknownCertificateIssuedDetail): string =>
  `${detail.entryType === 'precert' ? 'precertificate' : 'certificate'} for ${detail.dnsNames.join(', ') || detail.subject} ` +
  `(serial ${detail.serialNumber}, issuer ${detail.issuer}) logged in ${detail.log} at entry ${detail.index}; ` +
  `the inventory does not hold it`;
