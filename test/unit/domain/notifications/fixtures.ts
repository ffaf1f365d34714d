import {
  alertUndeliveredEvent,
  deploymentDriftEvent,
  unknownCertificateServedEvent,
  expiryAlertEvent,
  inventoryChangeEvent,
  policyViolationEvent,
  provisioningFailedEvent,
  renewalEvent,
  revocationEvent,
  syncCompletedEvent,
  syncFailedEvent,
  type CertwardenEvent,
  type ExpiryAlertDetail,
  type InventoryChangeDetail,
  type PolicyViolationDetail,
  type RenewalDetail,
  type ServedCertificateDetail,
} from '../../../../lib/domain/events';

const FP = '3f'.repeat(32);

/** An ACM certificate of prod-eu-west-1 with one day left. */
export const acmAlert: ExpiryAlertDetail = {
  schemaVersion: 1,
  alertId: `aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/abc#${FP}#1d`,
  thresholdId: '1d',
  locationId: 'aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/abc',
  source: 'prod-eu-west-1',
  sourceKind: 'aws-acm',
  nativeId: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc',
  owner: 'payments',
  account: '111111111111',
  region: 'eu-west-1',
  inUseBy: ['arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/api/50dc6c495c0c9188'],
  fingerprint: FP,
  serialNumber: '0a1b2c',
  subject: 'CN=api.example.com',
  subjectCommonName: 'api.example.com',
  dnsNames: ['api.example.com', 'www.api.example.com'],
  issuer: 'CN=Example Issuing CA,O=Example Corp',
  notBefore: '2025-06-02T00:00:00.000Z',
  notAfter: '2026-06-02T00:00:00.000Z',
  daysLeft: 1,
  severity: 'critical',
  isCA: false,
  renewal: {
    method: 'manual',
    managed: false,
    instructions:
      'Imported into ACM: issue a new certificate and re-import it into the same ARN (aws acm import-certificate --certificate-arn …), or switch to an ACM-issued certificate.',
  },
  at: '2026-06-01T00:00:00.000Z',
};

/** A file certificate that expired three days ago. */
export const expiredFileAlert: ExpiryAlertDetail = {
  ...acmAlert,
  alertId: `local-files:/etc/ssl/old.pem#${FP}#expired`,
  thresholdId: 'expired',
  locationId: 'local-files:/etc/ssl/old.pem',
  source: 'web-servers',
  sourceKind: 'local-files',
  nativeId: '/etc/ssl/old.pem',
  account: null,
  region: null,
  inUseBy: [],
  subject: 'CN=old.example.com',
  subjectCommonName: 'old.example.com',
  dnsNames: ['old.example.com'],
  daysLeft: -3,
  renewal: {
    method: null,
    managed: false,
    instructions: 'A file on disk: issue a new certificate, replace the file and reload the service that reads it.',
  },
};

const place = {
  locationId: acmAlert.locationId,
  source: acmAlert.source,
  sourceKind: acmAlert.sourceKind,
  nativeId: acmAlert.nativeId,
  owner: acmAlert.owner,
  account: acmAlert.account,
  region: acmAlert.region,
  inUseBy: acmAlert.inUseBy,
};

export const change = (kind: InventoryChangeDetail['change']): InventoryChangeDetail => ({
  schemaVersion: 1,
  locationId: place.locationId,
  source: place.source,
  sourceKind: place.sourceKind,
  nativeId: place.nativeId,
  change: kind,
  fingerprint: FP,
  previousFingerprint: kind === 'renewed' ? 'ab'.repeat(32) : null,
  subjectCommonName: acmAlert.subjectCommonName,
  notAfter: acmAlert.notAfter,
  owner: place.owner,
  at: acmAlert.at,
});

/** A policy violation of the ACM certificate. */
export const violation: PolicyViolationDetail = {
  schemaVersion: 1,
  locationId: place.locationId,
  source: place.source,
  sourceKind: place.sourceKind,
  nativeId: place.nativeId,
  owner: place.owner,
  fingerprint: FP,
  subjectCommonName: acmAlert.subjectCommonName,
  ruleId: 'rsa-min-key-size',
  severity: 'high',
  message: 'RSA key of 1024 bits; policy requires at least 2048 bits',
  at: acmAlert.at,
};

const renewal = (error: string | null, newFingerprint: string | null): RenewalDetail => ({
  schemaVersion: 1,
  ...place,
  renewalId: 'r-1',
  fingerprint: FP,
  newFingerprint,
  method: 'manual',
  error,
  at: acmAlert.at,
});

/** One event of every detail type (for the SIEM's formats, which forward them all), by their real constructors. */
/** A certificate served at an endpoint, as the drift and unknown-certificate events name it. */
export function served(kind: string, severity: ServedCertificateDetail['severity']): ServedCertificateDetail {
  const endpoint = 'api.example.com:443';
  const served = 'cd'.repeat(32);
  return {
    schemaVersion: 1,
    locationId: `tls-endpoint:${endpoint}`,
    source: 'web',
    sourceKind: 'tls-endpoint',
    nativeId: endpoint,
    owner: 'payments',
    account: null,
    region: null,
    inUseBy: [endpoint],
    alertId: `tls-endpoint:${endpoint}#${served}#${kind}`,
    endpoint,
    serverName: 'api.example.com',
    fingerprint: served,
    subject: 'CN=api.example.com',
    subjectCommonName: 'api.example.com',
    dnsNames: ['api.example.com'],
    issuer: 'CN=Amazon RSA 2048 M02,O=Amazon,C=US',
    notBefore: '2025-09-01T00:00:00.000Z',
    notAfter: '2026-06-20T00:00:00.000Z',
    severity,
    at: acmAlert.at,
  };
}

export const EVENT_OF_EVERY_TYPE: CertwardenEvent[] = [
  inventoryChangeEvent(change('discovered')),
  inventoryChangeEvent(change('renewed')),
  inventoryChangeEvent(change('removed')),
  expiryAlertEvent(acmAlert),
  expiryAlertEvent(expiredFileAlert),
  policyViolationEvent(violation, 'open'),
  policyViolationEvent(violation, 'resolved'),
  renewalEvent('requested', renewal(null, null)),
  renewalEvent('succeeded', renewal(null, 'ab'.repeat(32))),
  renewalEvent('failed', renewal('DNS validation record missing', null)),
  revocationEvent({
    schemaVersion: 1,
    ...place,
    fingerprint: FP,
    serialNumber: acmAlert.serialNumber!,
    issuer: acmAlert.issuer,
    revokedAt: acmAlert.at,
    reason: 'keyCompromise',
    via: 'ocsp',
    at: acmAlert.at,
  }),
  provisioningFailedEvent({
    schemaVersion: 1,
    ...place,
    fingerprint: null,
    state: 'FAILED',
    problem: 'issuance FAILED (CAA_ERROR)',
    at: acmAlert.at,
  }),
  syncFailedEvent({
    schemaVersion: 1,
    source: place.source,
    sourceKind: place.sourceKind,
    complete: false,
    errors: [{ nativeId: place.nativeId, message: 'AccessDenied' }],
    at: acmAlert.at,
  }),
  syncCompletedEvent({
    schemaVersion: 1,
    source: place.source,
    sourceKind: place.sourceKind,
    scopes: null,
    counts: { discovered: 1, renewed: 0, updated: 0, removed: 0, restored: 0, stale: 0, unchanged: 41 },
    startedAt: acmAlert.at,
    at: acmAlert.at,
  }),
  alertUndeliveredEvent({
    schemaVersion: 1,
    target: 'Slack (hooks.slack.com)',
    deliveryId: `alert:${acmAlert.alertId}`,
    eventType: 'Certificate Expiring',
    alertId: acmAlert.alertId,
    locationId: acmAlert.locationId,
    subjectCommonName: acmAlert.subjectCommonName,
    owner: acmAlert.owner,
    severity: acmAlert.severity,
    reason: 'HTTP 400 invalid_blocks',
    permanent: true,
    attempts: 1,
    at: acmAlert.at,
  }),
  deploymentDriftEvent({
    ...served('deployment-drift', 'high'),
    name: 'api.example.com',
    inventory: {
      fingerprint: FP,
      locationId: place.locationId,
      source: place.source,
      sourceKind: place.sourceKind,
      notBefore: '2026-05-01T00:00:00.000Z',
      notAfter: '2026-08-01T00:00:00.000Z',
    },
  }),
  unknownCertificateServedEvent(served('unknown-served', 'medium')),
];
