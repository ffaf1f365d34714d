import type { RevocationReason } from './revocation';
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
 * Someone had a certificate revoked with `certwarden revoke` (Certificate Revoked, high). Apart from Revocation
 * Detected, which is what a check learns from the issuer (OCSP, CRL): this is an act, with who asked and why, and
 * for a certificate no configured Private CA issued it is a request the issuing CA has yet to carry out.
 */
export interface CertificateRevokedDetail extends PlaceDetail {
  schemaVersion: 1;
  fingerprint: string;
  serialNumber: string;
  issuer: string;
  /** RFC 5280 name of the reason given. */
  reason: RevocationReason;
  /**
   * `revoked`: the configured ACM Private CA revoked it; `issuer-must-revoke`: certwarden cannot, the issuing CA
   * (`issuer`) must, and the certificate is valid until it does.
   */
  outcome: 'revoked' | 'issuer-must-revoke';
  /** The Private CA that revoked it; null for `issuer-must-revoke`. */
  certificateAuthorityArn: string | null;
  /** Who ran the command (`cli:<user>`). */
  requestedBy: string;
  /** Every live place holding the certificate (what to replace), this one's included. */
  places: string[];
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
 * A certificate for a monitored domain appeared in a Certificate Transparency log and no source of the inventory
 * holds it (nor, for a precertificate, its final certificate): someone may have had a certificate issued for our
 * names. Raised once per issued certificate (issuer and serial), however many logs hold it.
 */
export interface UnknownCertificateIssuedDetail {
  schemaVersion: 1;
  /** SHA-256 of the issuer and serial number (certificate-transparency.ts issuedCertificateId): the dedupe key. */
  findingId: string;
  /** The log's configured name and URL, and the entry's index in it. */
  log: string;
  logUrl: string;
  index: number;
  entryType: 'x509' | 'precert';
  /** When the log took the entry. */
  loggedAt: string;
  /** SHA-256 of the certificate's DER; null for a precertificate. */
  fingerprint: string | null;
  serialNumber: string;
  subject: string;
  subjectCommonName: string | null;
  dnsNames: string[];
  issuer: string;
  /** SHA-256 of the issuer's SubjectPublicKeyInfo, when the entry tells it. */
  issuerSpkiSha256: string | null;
  spkiSha256: string;
  notBefore: string;
  notAfter: string;
  /** The monitored domains its names fall under. */
  domains: string[];
  severity: 'high';
  at: string;
}

/**
 * A certificate a TLS endpoint serves that the inventory says should not be there: the endpoint's name has a newer
 * certificate in a cloud source (Deployment Drift: renewed but not deployed), or no source holds the served one at
 * all (Unknown Certificate Served). Raised once per endpoint and served certificate (an alert ledger entry).
 */
export interface ServedCertificateDetail extends PlaceDetail {
  schemaVersion: 1;
  /** `<locationId>#<fingerprint>#<deployment-drift | unknown-served>`: the same alert always has the same id. */
  alertId: string;
  /** Where it is served: `host:port`, or `<protocol>://host:port` when reached by STARTTLS. */
  endpoint: string;
  /** The SNI name asked for; null when none was sent (an IP address). */
  serverName: string | null;
  fingerprint: string;
  subject: string;
  subjectCommonName: string | null;
  dnsNames: string[];
  issuer: string;
  notBefore: string;
  notAfter: string;
  severity: 'medium' | 'high';
  at: string;
}

/** The inventory's newer certificate for a name an endpoint serves an older one for. */
export interface DeploymentDriftDetail extends ServedCertificateDetail {
  /** The name both certificates are for. */
  name: string;
  inventory: {
    fingerprint: string;
    locationId: string;
    source: string;
    sourceKind: string;
    notBefore: string;
    notAfter: string;
  };
}

/**
 * A Deployment Drift or Unknown Certificate Served no longer holds: the endpoint serves another certificate, the
 * one it serves is now the newest (or now held by a source), or the endpoint is no longer scanned. Carries the
 * raised alert's fields (its `alertId`, the certificate it was about), so a consumer closes what it opened.
 */
export interface ServedCertificateResolvedDetail extends Omit<ServedCertificateDetail, 'severity'> {
  /** The alert this closes. */
  resolves: 'Deployment Drift' | 'Unknown Certificate Served';
  /** Why, for people: `serves 3f…9a now`, `a source holds it now (acm)`, `no longer scanned`. */
  resolution: string;
  severity: 'info';
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
  | { detailType: 'Certificate Revoked'; detail: CertificateRevokedDetail }
  | { detailType: 'Certificate Provisioning Failed'; detail: ProvisioningFailedDetail }
  | { detailType: 'Alert Undelivered'; detail: AlertUndeliveredDetail }
  | { detailType: 'Unknown Certificate Issued'; detail: UnknownCertificateIssuedDetail }
  | { detailType: 'Deployment Drift'; detail: DeploymentDriftDetail }
  | { detailType: 'Unknown Certificate Served'; detail: ServedCertificateDetail }
  | { detailType: 'Served Certificate Resolved'; detail: ServedCertificateResolvedDetail }
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
  'Certificate Revoked',
  'Unknown Certificate Issued',
  'Deployment Drift',
  'Unknown Certificate Served',
  'Served Certificate Resolved',
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

export const certificateRevokedEvent = (detail: CertificateRevokedDetail): CertwardenEvent => ({
  detailType: 'Certificate Revoked',
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

export const unknownCertificateIssuedEvent = (detail: UnknownCertificateIssuedDetail): CertwardenEvent => ({
  detailType: 'Unknown Certificate Issued',
  detail,
});

export const deploymentDriftEvent = (
  detail: DeploymentDriftDetail,
): Extract<CertwardenEvent, { detailType: 'Deployment Drift' }> => ({
  detailType: 'Deployment Drift',
  detail,
});

export const unknownCertificateServedEvent = (
  detail: ServedCertificateDetail,
): Extract<CertwardenEvent, { detailType: 'Unknown Certificate Served' }> => ({
  detailType: 'Unknown Certificate Served',
  detail,
});

export const servedCertificateResolvedEvent = (detail: ServedCertificateResolvedDetail): CertwardenEvent => ({
  detailType: 'Served Certificate Resolved',
  detail,
});

/** A renewal waits for approval (`required`), or nobody answered in time and it failed closed (`escalated`). */
export const approvalEvent = (phase: 'required' | 'escalated', detail: ApprovalDetail): CertwardenEvent => ({
  detailType: phase === 'required' ? 'Approval Required' : 'Approval Escalated',
  detail,
});
