import { contentHash } from '../content-hash';
import type { CertwardenEvent } from '../events';

/** What a dead letter says of the event it holds (what `certwarden list --undelivered` shows of it). */
export interface DescribedEvent {
  detailType: string;
  /** The expiry alert's id, when the event is one. */
  alertId: string | null;
  locationId: string | null;
  subjectCommonName: string | null;
  owner: string | null;
  severity: string | null;
}

/**
 * The identity of an event across deliveries: an expiry alert's id (a rerun of evaluate re-publishes the same
 * alert as a new event with the same id), else a hash of its content (an SQS redelivery carries the same body).
 */
export function deliveryIdOf(event: CertwardenEvent): string {
  // Only an expiry alert is keyed by its alert id: an Alert Undelivered names the alert it tells of, and keyed
  // the same it would pass for that alert, already taken or given up by the target.
  return event.detailType === 'Certificate Expiring' || event.detailType === 'Certificate Expired'
    ? `alert:${event.detail.alertId}`
    : `event:${contentHash([event.detailType, event.detail])}`;
}

/** The fields of a dead letter that describe the event. */
export function describeEvent(event: CertwardenEvent): DescribedEvent {
  const detail = event.detail as unknown as Record<string, unknown>;
  const text = (field: string) => (typeof detail[field] === 'string' ? (detail[field] as string) : null);
  return {
    detailType: event.detailType,
    alertId: text('alertId'),
    locationId: text('locationId'),
    subjectCommonName: text('subjectCommonName'),
    owner: text('owner'),
    severity: text('severity'),
  };
}
