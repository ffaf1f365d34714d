import type { CertwardenEvent } from '../events';

/** The plain JSON shape for SIEMs without OCSF: one flat object per event. */
export interface SiemJsonEvent {
  /** When it happened (ISO 8601). */
  timestamp: string;
  /** `certificate_expiring`, `policy_violation`, … (the detail type in snake case). */
  event_type: string;
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
}

const snake = (detailType: string) => detailType.toLowerCase().replace(/[^a-z0-9]+/g, '_');

/** The flat JSON form of any certwarden event; fields an event does not carry are null. */
export function toSiemJson(event: CertwardenEvent): SiemJsonEvent {
  const detail = event.detail as unknown as Record<string, unknown>;
  const text = (key: string) => (typeof detail[key] === 'string' ? (detail[key] as string) : null);
  const inUseBy = Array.isArray(detail.inUseBy) ? (detail.inUseBy as string[]) : [];
  const locationId = text('locationId');
  const removed = event.detailType === 'Certificate Removed';
  return {
    timestamp: text('at') ?? new Date(0).toISOString(),
    event_type: snake(event.detailType),
    certificate_subject: text('subject') ?? text('subjectCommonName'),
    certificate_serial: text('serialNumber'),
    issuer: text('issuer'),
    expiration_date: text('notAfter'),
    deployment_status: removed ? 'removed' : inUseBy.length > 0 ? 'in_use' : locationId ? 'deployed' : 'unknown',
    target_systems: inUseBy.length > 0 ? inUseBy : text('nativeId') ? [text('nativeId')!] : [],
    severity: text('severity'),
    owner: text('owner'),
    location_id: locationId,
  };
}
