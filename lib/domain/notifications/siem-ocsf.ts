import type { CertwardenEvent, ExpiryAlertDetail, PolicyViolationDetail, RevocationDetail } from '../events';
import { alertIdOf, unknownIssuedMessage } from './siem-json';
import { displayNameOf } from './expiry-email';
import { servedMessage } from './served-message';

/** The OCSF version these events follow. */
export const OCSF_VERSION = '1.3.0';

/** OCSF classes certwarden emits (category 2, Findings). */
export const OCSF_CLASSES = {
  /** A risk found on a resource: an expiring, expired or revoked certificate. */
  detectionFinding: { uid: 2004, name: 'Detection Finding' },
  /** A resource evaluated against a policy: a violation found or resolved. */
  complianceFinding: { uid: 2003, name: 'Compliance Finding' },
} as const;

const FINDINGS_CATEGORY = { uid: 2, name: 'Findings' };
/** Finding activities: 1 Create, 2 Update, 3 Close. */
const ACTIVITY = {
  create: { id: 1, name: 'Create' },
  update: { id: 2, name: 'Update' },
  close: { id: 3, name: 'Close' },
};
/** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
const SEVERITY: Record<string, { id: number; name: string }> = {
  info: { id: 1, name: 'Informational' },
  low: { id: 2, name: 'Low' },
  warning: { id: 3, name: 'Medium' },
  medium: { id: 3, name: 'Medium' },
  high: { id: 4, name: 'High' },
  critical: { id: 5, name: 'Critical' },
};

export type OcsfEvent = Record<string, unknown> & {
  class_uid: number;
  category_uid: number;
  type_uid: number;
  activity_id: number;
  severity_id: number;
  time: number;
  metadata: { version: string; product: { name: string; vendor_name: string }; uid: string };
};

const metadata = (uid: string) => ({
  version: OCSF_VERSION,
  uid,
  product: { name: 'certwarden', vendor_name: 'certwarden' },
});

interface CertificateFacts {
  locationId: string;
  name: string;
  subject: string | null;
  issuer: string | null;
  serialNumber: string | null;
  fingerprint: string | null;
  notAfter: string | null;
  notBefore: string | null;
  owner: string;
  account: string | null;
  region: string | null;
  sourceKind: string | null;
  source: string | null;
}

/**
 * What is known of the certificate, under the attribute names and types of OCSF's `certificate` object
 * (objects/certificate.json, fingerprints as objects/fingerprint.json). OCSF has no null: what is not known is left
 * out, so a violation's certificate (no issuer or serial) is a partial one, which `data` (json_t) allows.
 */
function certificateData(facts: CertificateFacts) {
  return {
    ...(facts.subject !== null ? { subject: facts.subject } : {}),
    ...(facts.issuer !== null ? { issuer: facts.issuer } : {}),
    ...(facts.serialNumber !== null ? { serial_number: facts.serialNumber } : {}),
    ...(facts.notBefore !== null ? { created_time: Date.parse(facts.notBefore) } : {}),
    ...(facts.notAfter !== null ? { expiration_time: Date.parse(facts.notAfter) } : {}),
    fingerprints: facts.fingerprint ? [{ algorithm: 'SHA-256', algorithm_id: 3, value: facts.fingerprint }] : [],
  };
}

/**
 * The certificate as OCSF's affected resource (resource_details, objects/resource_details.json), with the
 * certificate's facts in `data.certificate` (see certificateData).
 */
function certificateResource(facts: CertificateFacts) {
  return {
    uid: facts.locationId,
    name: facts.name,
    type: 'Certificate',
    owner: { name: facts.owner },
    ...(facts.region ? { region: facts.region } : {}),
    labels: [
      ...(facts.source ? [`source:${facts.source}`] : []),
      ...(facts.sourceKind ? [`source_kind:${facts.sourceKind}`] : []),
      ...(facts.account ? [`account:${facts.account}`] : []),
    ],
    data: { certificate: certificateData(facts) },
  };
}

function base(
  klass: (typeof OCSF_CLASSES)[keyof typeof OCSF_CLASSES],
  activity: { id: number; name: string },
  severity: string,
  at: string,
  uid: string,
) {
  const level = SEVERITY[severity] ?? SEVERITY.info;
  return {
    class_uid: klass.uid,
    class_name: klass.name,
    category_uid: FINDINGS_CATEGORY.uid,
    category_name: FINDINGS_CATEGORY.name,
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: klass.uid * 100 + activity.id,
    type_name: `${klass.name}: ${activity.name}`,
    severity_id: level.id,
    severity: level.name,
    time: Date.parse(at),
    metadata: metadata(uid),
  };
}

const expiryFacts = (detail: ExpiryAlertDetail | RevocationDetail, name: string, notBefore: string | null) => ({
  locationId: detail.locationId,
  name,
  subject: 'subject' in detail ? detail.subject : null,
  issuer: detail.issuer,
  serialNumber: detail.serialNumber,
  fingerprint: detail.fingerprint,
  notAfter: 'notAfter' in detail ? detail.notAfter : null,
  notBefore,
  owner: detail.owner,
  account: detail.account,
  region: detail.region,
  sourceKind: detail.sourceKind,
  source: detail.source,
});

/**
 * The OCSF form of an event: expiring, expired and revoked certificates as Detection Findings, policy violations
 * (and their resolution) as Compliance Findings, each with the certificate as the affected resource; an alert about
 * a place that another target gave up on (Alert Undelivered) as an update of that alert's finding. Events that are
 * not findings (inventory changes, sync failures, renewals) have none: undefined.
 */
export function toOcsf(event: CertwardenEvent): OcsfEvent | undefined {
  switch (event.detailType) {
    case 'Certificate Expiring':
    case 'Certificate Expired': {
      const detail = event.detail;
      const name = displayNameOf(detail);
      const uid = alertIdOf(event)!;
      return {
        ...base(OCSF_CLASSES.detectionFinding, ACTIVITY.create, detail.severity, detail.at, uid),
        message: `${name} ${event.detailType === 'Certificate Expired' ? 'expired' : 'expires'} on ${detail.notAfter}`,
        status_id: 1,
        status: 'New',
        finding_info: {
          uid,
          title: `${event.detailType}: ${name}`,
          desc: detail.renewal.instructions,
          types: ['Certificate Expiry'],
          analytic: {
            uid: detail.thresholdId,
            name: `expiry threshold ${detail.thresholdId}`,
            type_id: 1,
            type: 'Rule',
          },
        },
        resources: [certificateResource(expiryFacts(detail, name, detail.notBefore))],
        remediation: { desc: detail.renewal.instructions },
        unmapped: { in_use_by: detail.inUseBy, days_left: detail.daysLeft },
      };
    }
    case 'Revocation Detected': {
      const detail = event.detail;
      const uid = alertIdOf(event)!;
      return {
        ...base(OCSF_CLASSES.detectionFinding, ACTIVITY.create, 'critical', detail.at, uid),
        message: `certificate ${detail.serialNumber} was revoked on ${detail.revokedAt}${detail.reason ? ` (${detail.reason})` : ''}`,
        status_id: 1,
        status: 'New',
        finding_info: {
          uid,
          title: `Revocation Detected: ${detail.serialNumber} from ${detail.issuer}`,
          types: ['Certificate Revocation'],
        },
        resources: [certificateResource(expiryFacts(detail, detail.nativeId, null))],
        unmapped: { in_use_by: detail.inUseBy, via: detail.via },
      };
    }
    case 'Unknown Certificate Issued': {
      const detail = event.detail;
      const uid = alertIdOf(event)!;
      const name = detail.subjectCommonName ?? detail.dnsNames[0] ?? detail.subject;
      return {
        ...base(OCSF_CLASSES.detectionFinding, ACTIVITY.create, detail.severity, detail.at, uid),
        message: unknownIssuedMessage(detail),
        status_id: 1,
        status: 'New',
        finding_info: {
          uid,
          title: `Unknown Certificate Issued: ${name} from ${detail.issuer}`,
          types: ['Certificate Transparency'],
        },
        resources: [
          certificateResource({
            locationId: `ct:${detail.findingId}`,
            name,
            subject: detail.subject,
            issuer: detail.issuer,
            serialNumber: detail.serialNumber,
            fingerprint: detail.fingerprint,
            notAfter: detail.notAfter,
            notBefore: detail.notBefore,
            owner: 'unowned',
            account: null,
            region: null,
            sourceKind: 'certificate-transparency',
            source: detail.log,
          }),
        ],
        unmapped: {
          log_url: detail.logUrl,
          index: detail.index,
          entry_type: detail.entryType,
          domains: detail.domains,
        },
      };
    }
    case 'Policy Violation':
    case 'Violation Resolved': {
      const detail: PolicyViolationDetail = event.detail;
      const resolved = event.detailType === 'Violation Resolved';
      const uid = alertIdOf(event)!;
      return {
        ...base(
          OCSF_CLASSES.complianceFinding,
          resolved ? ACTIVITY.close : ACTIVITY.create,
          detail.severity,
          detail.at,
          `${uid}#${event.detailType}`,
        ),
        message: detail.message,
        status_id: resolved ? 4 : 1,
        status: resolved ? 'Resolved' : 'New',
        finding_info: { uid, title: `${detail.ruleId}: ${detail.subjectCommonName ?? detail.locationId}` },
        compliance: {
          standards: ['certwarden certificate policy'],
          control: detail.ruleId,
          status_id: resolved ? 1 : 3,
          status: resolved ? 'Pass' : 'Fail',
        },
        resources: [
          certificateResource({
            locationId: detail.locationId,
            name: detail.subjectCommonName ?? detail.nativeId,
            subject: null,
            issuer: null,
            serialNumber: null,
            fingerprint: detail.fingerprint,
            notAfter: null,
            notBefore: null,
            owner: detail.owner,
            account: null,
            region: null,
            sourceKind: detail.sourceKind,
            source: detail.source,
          }),
        ],
      };
    }
    case 'Deployment Drift':
    case 'Unknown Certificate Served':
    case 'Served Certificate Resolved': {
      const detail = event.detail;
      const uid = alertIdOf(event)!;
      // A resolution closes the finding its alert opened: the same finding uid, its own event uid.
      const resolved = event.detailType === 'Served Certificate Resolved';
      const finding = resolved ? event.detail.resolves : event.detailType;
      return {
        ...base(
          OCSF_CLASSES.detectionFinding,
          resolved ? ACTIVITY.close : ACTIVITY.create,
          detail.severity,
          detail.at,
          resolved ? `${uid}#${event.detailType}` : uid,
        ),
        message: servedMessage(event),
        status_id: resolved ? 4 : 1,
        status: resolved ? 'Resolved' : 'New',
        finding_info: {
          uid,
          title: `${finding}: ${detail.endpoint}`,
          types: [finding],
        },
        resources: [
          certificateResource({
            locationId: detail.locationId,
            name: detail.endpoint,
            subject: detail.subject,
            issuer: detail.issuer,
            serialNumber: null,
            fingerprint: detail.fingerprint,
            notAfter: detail.notAfter,
            notBefore: detail.notBefore,
            owner: detail.owner,
            account: detail.account,
            region: detail.region,
            sourceKind: detail.sourceKind,
            source: detail.source,
          }),
        ],
        unmapped: { in_use_by: detail.inUseBy, server_name: detail.serverName },
      };
    }
    case 'Alert Undelivered': {
      const detail = event.detail;
      if (detail.locationId === null) return undefined;
      // The finding the undelivered alert opened (an expiry alert's id), updated: a SIEM sees who was not told.
      const uid = detail.alertId ?? detail.deliveryId;
      const name = detail.subjectCommonName ?? detail.locationId;
      return {
        ...base(
          OCSF_CLASSES.detectionFinding,
          ACTIVITY.update,
          detail.severity ?? 'info',
          detail.at,
          `${uid}#undelivered#${detail.target}`,
        ),
        message:
          `${detail.eventType} for ${name} not delivered to ${detail.target}` +
          `${detail.permanent ? ' (refused)' : ` after ${detail.attempts} attempts`}: ${detail.reason}`,
        status_id: 1,
        status: 'New',
        finding_info: { uid, title: `${detail.eventType} not delivered: ${name}`, types: ['Alert Undelivered'] },
        resources: [
          certificateResource({
            locationId: detail.locationId,
            name,
            subject: null,
            issuer: null,
            serialNumber: null,
            fingerprint: null,
            notAfter: null,
            notBefore: null,
            owner: detail.owner ?? 'unowned',
            account: null,
            region: null,
            sourceKind: null,
            source: null,
          }),
        ],
        unmapped: { target: detail.target, permanent: detail.permanent, attempts: detail.attempts },
      };
    }
    default:
      return undefined;
  }
}
