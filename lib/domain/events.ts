import type { ExpirySeverity } from './severity';

/** What happened to a location in the inventory. */
export type ChangeKind = 'discovered' | 'renewed' | 'updated' | 'removed' | 'restored' | 'stale';

/** Every certwarden event carries this EventBridge source. */
export const EVENT_SOURCE = 'certwarden';

export interface InventoryChangeDetail {
  schemaVersion: 1;
  locationId: string;
  source: string;
  sourceKind: string;
  nativeId: string;
  change: PublishedChangeKind;
  fingerprint: string | null;
  previousFingerprint: string | null;
  subjectCommonName: string | null;
  notAfter: string | null;
  owner: string;
  at: string;
}

export interface SyncFailedDetail {
  schemaVersion: 1;
  source: string;
  sourceKind: string;
  /** False when the listing itself broke, so nothing could be marked removed. */
  complete: boolean;
  errors: Array<{ nativeId: string; message: string }>;
  at: string;
}

/**
 * A sync of a source (or of some of its scopes) read everything without an error. With Sync Failed, it tells
 * whoever waits on syncs (the expiry evaluation runs after each) that one has ended.
 */
export interface SyncCompletedDetail {
  schemaVersion: 1;
  source: string;
  sourceKind: string;
  /** The scopes this run synced; null when it synced the whole source. */
  scopes: string[] | null;
  counts: {
    discovered: number;
    renewed: number;
    updated: number;
    removed: number;
    restored: number;
    stale: number;
    unchanged: number;
  };
  startedAt: string;
  at: string;
}

/** A policy rule a certificate at a place breaks (Policy Violation), or no longer breaks (Violation Resolved). */
export interface PolicyViolationDetail {
  schemaVersion: 1;
  locationId: string;
  source: string;
  sourceKind: string;
  nativeId: string;
  owner: string;
  fingerprint: string | null;
  subjectCommonName: string | null;
  ruleId: string;
  severity: 'info' | 'low' | 'medium' | 'high' | 'critical';
  message: string;
  at: string;
}

/** Where a certificate lives, as every certificate event names it (never key material or secrets). */
export interface PlaceDetail {
  locationId: string;
  source: string;
  sourceKind: string;
  nativeId: string;
  owner: string;
  /** Account, subscription or project; null when the source has none. */
  account: string | null;
  region: string | null;
  /** What uses it: load balancer ARNs, target proxies, endpoints. */
  inUseBy: string[];
}

/** The place part of an event, from a place as the inventory holds it. */
export function placeDetailOf(place: {
  locationId: string;
  source: string;
  sourceKind: string;
  nativeId: string;
  owner: string;
  account?: string;
  region?: string;
  inUseBy?: string[];
}): PlaceDetail {
  return {
    locationId: place.locationId,
    source: place.source,
    sourceKind: place.sourceKind,
    nativeId: place.nativeId,
    owner: place.owner,
    account: place.account ?? null,
    region: place.region ?? null,
    inUseBy: place.inUseBy ?? [],
  };
}

/**
 * The provider reports a problem at a place that a person must fix, such as an issuance that failed or a domain a
 * managed certificate cannot be authorized for (it will never renew). Raised when the problem appears or
 * changes, not on every sync; it is a fact about the place, not an error of the sync.
 */
export interface ProvisioningFailedDetail extends PlaceDetail {
  schemaVersion: 1;
  /** The certificate the place holds meanwhile, if any. */
  fingerprint: string | null;
  /** The provider's own status word (FAILED, VALIDATION_TIMED_OUT, ACTIVE, …). */
  state: string | null;
  /** The provider's words for what failed. */
  problem: string;
  at: string;
}

/** A certificate crossed an expiry threshold (Certificate Expiring) or expired (Certificate Expired). */
export interface ExpiryAlertDetail extends PlaceDetail {
  schemaVersion: 1;
  /** `<locationId>#<fingerprint>#<thresholdId>`: the same alert always has the same id (dedupe key). */
  alertId: string;
  /** `60d`, `lifetime-33%`, `expired` (expiry.ts thresholdId). */
  thresholdId: string;
  fingerprint: string;
  serialNumber: string | null;
  subject: string;
  subjectCommonName: string | null;
  dnsNames: string[];
  issuer: string;
  notBefore: string;
  notAfter: string;
  /** Whole days left, rounded down; negative once expired. */
  daysLeft: number;
  severity: ExpirySeverity;
  isCA: boolean;
  /** How this place gets a new certificate. */
  renewal: { method: string | null; managed: boolean; instructions: string };
  at: string;
}

/** A renewal of the certificate at a place was asked for, went through, or failed. */
export interface RenewalDetail extends PlaceDetail {
  schemaVersion: 1;
  /** Ties the Requested, Succeeded and Failed events of one renewal together. */
  renewalId: string;
  /** The certificate being replaced. */
  fingerprint: string | null;
  /** The replacement, once known (Succeeded). */
  newFingerprint: string | null;
  /** `acm-managed`, `manual`, `key-vault-auto`, … */
  method: string;
  /** Why it failed (Failed only), in words for people. */
  error: string | null;
  at: string;
}

/** A certificate in the inventory was found revoked by its issuer. */
export interface RevocationDetail extends PlaceDetail {
  schemaVersion: 1;
  fingerprint: string;
  serialNumber: string;
  issuer: string;
  revokedAt: string;
  /** The CRL reason (`keyCompromise`, `superseded`, …), or null when none is given. */
  reason: string | null;
  /** How it was found. */
  via: 'crl' | 'ocsp';
  at: string;
}

/**
 * An event a target did not take and will not be sent again (Alert Undelivered): the target refused it for good
 * (a 4xx other than 408 and 429) or failed it as often as allowed. `certwarden list --undelivered` lists them.
 */
export interface AlertUndeliveredDetail {
  schemaVersion: 1;
  /** The target's name: `Slack (hooks.slack.com)`, `SIEM json (siem.example.com)`, `email (certwarden-alerts)`. */
  target: string;
  /** The event's identity across deliveries: `alert:<alertId>`, or `event:<content hash>`. */
  deliveryId: string;
  /** The detail type of the event not delivered. */
  eventType: string;
  alertId: string | null;
  locationId: string | null;
  subjectCommonName: string | null;
  owner: string | null;
  severity: string | null;
  /** The target's last answer (`HTTP 400 invalid_blocks`); never a URL or a credential. */
  reason: string;
  /** True when refused for good; false when it failed `attempts` times. */
  permanent: boolean;
  attempts: number;
  at: string;
}

/**
 * A renewal waits for a person (Approval Required), or waited in vain and failed closed (Approval Escalated): the
 * place is in the approval scope (lib/domain/approval.ts). `certwarden renew approve|deny <requestId>` answers it.
 */
export interface ApprovalDetail extends PlaceDetail {
  schemaVersion: 1;
  /** What `certwarden renew approve|deny` names. */
  requestId: string;
  /** The renewal waiting (RenewalDetail.renewalId). */
  renewalId: string;
  fingerprint: string;
  method: string;
  /** Why it needs approval: `tag approval=required`, `code-signing certificate`, `CA certificate`. */
  reason: string;
  /** Who asked for the renewal: `expiry-event`, `cli:alice`. */
  requestedBy: string;
  /** When the request stops waiting and the renewal fails closed. */
  expiresAt: string;
  at: string;
}

export type CertwardenEvent =
  | {
      detailType: 'Certificate Discovered' | 'Certificate Changed' | 'Certificate Removed';
      detail: InventoryChangeDetail;
    }
  | { detailType: 'Sync Failed'; detail: SyncFailedDetail }
  | { detailType: 'Sync Completed'; detail: SyncCompletedDetail }
  | { detailType: 'Policy Violation' | 'Violation Resolved'; detail: PolicyViolationDetail }
  | { detailType: 'Certificate Expiring' | 'Certificate Expired'; detail: ExpiryAlertDetail }
  | { detailType: 'Renewal Requested' | 'Renewal Succeeded' | 'Renewal Failed'; detail: RenewalDetail }
  | { detailType: 'Revocation Detected'; detail: RevocationDetail }
  | { detailType: 'Certificate Provisioning Failed'; detail: ProvisioningFailedDetail }
  | { detailType: 'Alert Undelivered'; detail: AlertUndeliveredDetail }
  | { detailType: 'Approval Required' | 'Approval Escalated'; detail: ApprovalDetail };

export type DetailType = CertwardenEvent['detailType'];

/** Every detail type certwarden publishes; each has `event-schemas/<kebab-case>.schema.json`. */
export const DETAIL_TYPES: readonly DetailType[] = [
  'Certificate Discovered',
  'Certificate Changed',
  'Certificate Removed',
  'Certificate Expiring',
  'Certificate Expired',
  'Policy Violation',
  'Violation Resolved',
  'Renewal Requested',
  'Renewal Succeeded',
  'Renewal Failed',
  'Revocation Detected',
  'Certificate Provisioning Failed',
  'Sync Failed',
  'Sync Completed',
  'Alert Undelivered',
  'Approval Required',
  'Approval Escalated',
];

/** `Certificate Expiring` → `certificate-expiring`: the schema file's name. */
export const schemaFileOf = (detailType: string): string =>
  `${detailType.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.schema.json`;

/** Changes the world hears about; a place going stale is told by its sync's Sync Failed event instead. */
export type PublishedChangeKind = Exclude<ChangeKind, 'stale'>;

const DETAIL_TYPE_OF_CHANGE: Record<
  PublishedChangeKind,
  'Certificate Discovered' | 'Certificate Changed' | 'Certificate Removed'
> = {
  discovered: 'Certificate Discovered',
  restored: 'Certificate Discovered',
  renewed: 'Certificate Changed',
  updated: 'Certificate Changed',
  removed: 'Certificate Removed',
};

export const inventoryChangeEvent = (detail: InventoryChangeDetail): CertwardenEvent => ({
  detailType: DETAIL_TYPE_OF_CHANGE[detail.change],
  detail,
});

export const syncFailedEvent = (detail: SyncFailedDetail): CertwardenEvent => ({ detailType: 'Sync Failed', detail });

export const syncCompletedEvent = (detail: SyncCompletedDetail): CertwardenEvent => ({
  detailType: 'Sync Completed',
  detail,
});

/** A violation found (`open`) or no longer there (`resolved`). */
export const policyViolationEvent = (detail: PolicyViolationDetail, state: 'open' | 'resolved'): CertwardenEvent => ({
  detailType: state === 'open' ? 'Policy Violation' : 'Violation Resolved',
  detail,
});

/** Certificate Expired for the `expired` threshold, Certificate Expiring for any other. */
export const expiryAlertEvent = (detail: ExpiryAlertDetail): CertwardenEvent => ({
  detailType: detail.thresholdId === 'expired' ? 'Certificate Expired' : 'Certificate Expiring',
  detail,
});

export const renewalEvent = (phase: 'requested' | 'succeeded' | 'failed', detail: RenewalDetail): CertwardenEvent => ({
  detailType:
    phase === 'requested' ? 'Renewal Requested' : phase === 'succeeded' ? 'Renewal Succeeded' : 'Renewal Failed',
  detail,
});

export const revocationEvent = (detail: RevocationDetail): CertwardenEvent => ({
  detailType: 'Revocation Detected',
  detail,
});

export const provisioningFailedEvent = (detail: ProvisioningFailedDetail): CertwardenEvent => ({
  detailType: 'Certificate Provisioning Failed',
  detail,
});

export const alertUndeliveredEvent = (detail: AlertUndeliveredDetail): CertwardenEvent => ({
  detailType: 'Alert Undelivered',
  detail,
});

/** A renewal waits for approval (`required`), or nobody answered in time and it failed closed (`escalated`). */
export const approvalEvent = (phase: 'required' | 'escalated', detail: ApprovalDetail): CertwardenEvent => ({
  detailType: phase === 'required' ? 'Approval Required' : 'Approval Escalated',
  detail,
});
