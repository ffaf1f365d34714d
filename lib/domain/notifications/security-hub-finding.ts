import { createHash } from 'node:crypto';
import type {
  CertwardenEvent,
  ExpiryAlertDetail,
  InventoryChangeDetail,
  PolicyViolationDetail,
  UnknownCertificateIssuedDetail,
} from '../events';
import { displayNameOf } from './expiry-email';
import { servedMessage } from './served-message';

/**
 * certwarden events as AWS Security Hub findings in the AWS Security Finding Format (ASFF), imported with
 * BatchImportFindings under the account's default product. Pure: no SDK types; the shapes below are the subset
 * of `AwsSecurityFinding` certwarden fills, structurally assignable to the SDK's.
 *
 * Two kinds of finding, each with an Id that stays the same for the life of the issue, so that every later
 * import updates the same finding in place instead of adding one:
 * - a policy violation: `certwarden/policy/<locationId>/<ruleId>`, opened by Policy Violation and closed by
 *   Violation Resolved;
 * - a served certificate (Deployment Drift, Unknown Certificate Served): `certwarden/drift|unknown-served/<locationId>/
 *   <fingerprint>`, opened once by its alert and closed by Served Certificate Resolved;
 * - an expiry: `certwarden/expiry/<locationId>/<fingerprint>`, one per certificate at a place, opened by the
 *   first high or critical Certificate Expiring, raised to critical in place, and closed when the place's
 *   certificate is renewed (Certificate Changed, `renewed`) or the place is removed (Certificate Removed).
 *
 * Closing a finding: the provider's side of "fixed" is `RecordState: ARCHIVED` (and `Compliance.Status:
 * PASSED`). The Workflow status is not the provider's: after a finding is created BatchImportFindings ignores
 * `Workflow` (with Note, UserDefinedFields and VerificationState), which only BatchUpdateFindings changes
 * (API_BatchImportFindings; "BatchImportFindings for finding providers" in the Security Hub user guide).
 * Security Hub sets Workflow to RESOLVED by itself only for its own control findings that pass; for ours it
 * only resets NOTIFIED/RESOLVED back to NEW when a finding goes from ARCHIVED to ACTIVE or from PASSED to
 * FAILED (API_Workflow). So a closing finding carries `Workflow: RESOLVED` (honoured only if the import
 * creates it) and the adapter follows the import with a BatchUpdateFindings setting Workflow RESOLVED on the
 * findings it archived (`isClosingFinding`); when the issue comes back, Security Hub's own reset gives NEW.
 *
 * Closing a finding that was never opened (a warning-only certificate renewed, a place removed before it
 * crossed the high threshold): BatchImportFindings creates it, already ARCHIVED, PASSED and RESOLVED. That is
 * accepted rather than avoided: knowing whether it exists would cost a GetFindings per event (another call
 * and permission, and racy anyway); an archived finding is hidden by Security Hub's default ACTIVE filter,
 * needs no action, ages out with Security Hub's retention, and records that the certificate was replaced.
 *
 * Severity and Types are sent both top-level and in FindingProviderFields: the documented way for a provider
 * to change them on an existing finding is FindingProviderFields, and Security Hub only copies them to the
 * top level while the customer has not overridden those there with BatchUpdateFindings.
 *
 * No key material or secret ever goes into a finding: only names, fingerprints, places and dates.
 */

/** The ASFF schema version every finding declares. */
export const ASFF_SCHEMA_VERSION = '2018-10-08';
/** Security Hub's limits on the fields certwarden fills (characters). */
export const ASFF_LIMITS = { id: 512, title: 256, description: 1024, recommendation: 512, otherValue: 1024 };

export type AsffSeverityLabel = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

/** Where findings are imported: the account (the caller's own) and region of its default product. */
export interface SecurityHubTarget {
  accountId: string;
  region: string;
  /** @default 'aws' */
  partition?: string;
  /**
   * What every finding Id starts with: the deployment's name prefix (`certwarden-staging` for a stage), so that two
   * stages in one account and region keep their findings apart rather than update and archive each other's.
   * @default DEFAULT_FINDING_PREFIX
   */
  findingPrefix?: string;
}

/** The finding Id prefix of the default stage (`certwarden/policy/…`): the Ids findings have always had. */
export const DEFAULT_FINDING_PREFIX = 'certwarden';

export interface AsffResource {
  Type: 'Other' | 'AwsCertificateManagerCertificate';
  Id: string;
  Partition: string;
  Region: string;
  Details: { Other: Record<string, string> };
}

export interface AsffFinding {
  SchemaVersion: string;
  Id: string;
  ProductArn: string;
  GeneratorId: string;
  AwsAccountId: string;
  Types: string[];
  CreatedAt: string;
  UpdatedAt: string;
  Severity: { Label: AsffSeverityLabel; Original: string };
  FindingProviderFields: { Severity: { Label: AsffSeverityLabel; Original: string }; Types: string[] };
  Title: string;
  Description: string;
  Remediation?: { Recommendation: { Text: string } };
  ProductFields: Record<string, string>;
  Resources: AsffResource[];
  Compliance: { Status: 'PASSED' | 'FAILED' };
  RecordState: 'ACTIVE' | 'ARCHIVED';
  Workflow: { Status: 'NEW' | 'RESOLVED' };
}

/** certwarden severities (policy and expiry) to ASFF labels. */
export const SEVERITY_LABELS: Record<string, AsffSeverityLabel> = {
  info: 'INFORMATIONAL',
  low: 'LOW',
  warning: 'MEDIUM',
  medium: 'MEDIUM',
  high: 'HIGH',
  critical: 'CRITICAL',
};

/** Expiry severities that make a finding; info and warning stay in email and chat. */
const EXPIRY_FINDING_SEVERITIES = new Set(['high', 'critical']);

export const POLICY_TYPE = 'Software and Configuration Checks/Industry and Regulatory Standards/Certificate Policy';
export const EXPIRY_TYPE = 'Software and Configuration Checks/Certificate Lifecycle/Certificate Expiry';
export const UNKNOWN_ISSUED_TYPE = 'Unusual Behaviors/Certificate Transparency/Unknown Certificate Issued';
/** A TLS endpoint serving what the inventory says it should not: an old certificate, or one no source holds. */
export const SERVED_TYPE = 'Software and Configuration Checks/Certificate Lifecycle/Served Certificate';

/** `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`: findings of the account itself. */
export const defaultProductArn = (target: SecurityHubTarget): string =>
  `arn:${target.partition ?? 'aws'}:securityhub:${target.region}:${target.accountId}:product/${target.accountId}/default`;

/** Keeps an Id within Security Hub's 512 characters: a location id too long is replaced by its SHA-256. */
function findingId(
  kind: 'policy' | 'expiry' | 'ct' | 'drift' | 'unknown-served',
  locationId: string,
  last: string,
  prefix = DEFAULT_FINDING_PREFIX,
): string {
  const id = `${prefix}/${kind}/${locationId}/${last}`;
  if (id.length <= ASFF_LIMITS.id) return id;
  return `${prefix}/${kind}/sha256:${createHash('sha256').update(locationId).digest('hex')}/${last}`;
}

/** The finding of a policy rule broken at a place. */
export const policyFindingId = (locationId: string, ruleId: string, prefix?: string): string =>
  findingId('policy', locationId, ruleId, prefix);

/** The finding of a certificate's expiry at a place. */
export const expiryFindingId = (locationId: string, fingerprint: string, prefix?: string): string =>
  findingId('expiry', locationId, fingerprint, prefix);

/** True for a finding that closes its issue: the adapter marks its Workflow RESOLVED after importing it. */
export const isClosingFinding = (finding: AsffFinding): boolean => finding.RecordState === 'ARCHIVED';

const clip = (text: string, limit: number): string => (text.length <= limit ? text : `${text.slice(0, limit - 1)}…`);

const ACM_ARN = /^arn:(aws[a-z-]*):acm:([a-z0-9-]+):\d{12}:certificate\/.+$/;
/** An AWS ARN naming a region (ACM, Private CA, IoT; IAM's are global and name none). */
const REGIONAL_ARN = /^arn:(aws[a-z-]*):[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d):/;

interface PlaceFacts {
  locationId: string;
  source: string;
  sourceKind: string;
  nativeId: string;
  owner: string;
}

/**
 * The place as an ASFF resource: the ACM certificate itself when it is one, else `Other` named by its id. Its
 * partition and region are those of its ARN, else the target's: a file, a Key Vault or a Google Cloud place has
 * no AWS region (a path or a provider's location is not one). Both come from the native id, which every event of
 * the place carries, so the finding that closes it names the same region as the one that opened it.
 */
function resourceOf(place: PlaceFacts, target: SecurityHubTarget, details: Record<string, string | null>) {
  const acm = place.sourceKind === 'aws-acm' ? ACM_ARN.exec(place.nativeId) : null;
  const arn = REGIONAL_ARN.exec(place.nativeId);
  const other: Record<string, string> = {};
  for (const [key, value] of Object.entries({
    locationId: place.locationId,
    source: place.source,
    sourceKind: place.sourceKind,
    owner: place.owner,
    ...details,
  })) {
    if (value !== null && value !== '') other[key] = clip(value, ASFF_LIMITS.otherValue);
  }
  const resource: AsffResource = {
    Type: acm ? 'AwsCertificateManagerCertificate' : 'Other',
    Id: place.nativeId,
    Partition: arn?.[1] ?? target.partition ?? 'aws',
    Region: arn?.[2] ?? target.region,
    Details: { Other: other },
  };
  return resource;
}

interface FindingParts {
  id: string;
  generatorId: string;
  type: string;
  severity: AsffSeverityLabel;
  originalSeverity: string;
  at: string;
  title: string;
  description: string;
  recommendation?: string;
  closing: boolean;
  productFields: Record<string, string | null>;
  resource: AsffResource;
}

function finding(parts: FindingParts, target: SecurityHubTarget): AsffFinding {
  const at = new Date(parts.at).toISOString();
  const severity = { Label: parts.severity, Original: parts.originalSeverity };
  const productFields: Record<string, string> = {};
  for (const [key, value] of Object.entries(parts.productFields)) {
    if (value !== null) productFields[`certwarden/${key}`] = clip(value, 2048);
  }
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: parts.id,
    ProductArn: defaultProductArn(target),
    GeneratorId: parts.generatorId,
    AwsAccountId: target.accountId,
    Types: [parts.type],
    // Security Hub keeps the CreatedAt it has; a provider that does not remember the first sighting sends now.
    CreatedAt: at,
    UpdatedAt: at,
    Severity: severity,
    FindingProviderFields: { Severity: severity, Types: [parts.type] },
    Title: clip(parts.title, ASFF_LIMITS.title),
    Description: clip(parts.description, ASFF_LIMITS.description),
    ...(parts.recommendation
      ? { Remediation: { Recommendation: { Text: clip(parts.recommendation, ASFF_LIMITS.recommendation) } } }
      : {}),
    ProductFields: productFields,
    Resources: [parts.resource],
    Compliance: { Status: parts.closing ? 'PASSED' : 'FAILED' },
    RecordState: parts.closing ? 'ARCHIVED' : 'ACTIVE',
    Workflow: { Status: parts.closing ? 'RESOLVED' : 'NEW' },
  };
}

function policyFinding(
  detail: PolicyViolationDetail,
  resolved: boolean,
  target: SecurityHubTarget,
  detailType: string,
): AsffFinding {
  const name = detail.subjectCommonName ?? detail.nativeId;
  return finding(
    {
      id: policyFindingId(detail.locationId, detail.ruleId, target.findingPrefix),
      generatorId: `certwarden/policy/${detail.ruleId}`,
      type: POLICY_TYPE,
      // A passed check is informational, as Security Hub's own control findings are; Original keeps the rule's.
      severity: resolved ? 'INFORMATIONAL' : (SEVERITY_LABELS[detail.severity] ?? 'INFORMATIONAL'),
      originalSeverity: detail.severity,
      at: detail.at,
      title: `${resolved ? 'Resolved: ' : ''}${detail.ruleId}: ${name}`,
      description: resolved
        ? `No longer breaks certificate policy rule ${detail.ruleId} (was: ${detail.message}).`
        : detail.message,
      closing: resolved,
      productFields: {
        event: detailType,
        ruleId: detail.ruleId,
        locationId: detail.locationId,
        source: detail.source,
        owner: detail.owner,
      },
      resource: resourceOf(detail, target, {
        fingerprint: detail.fingerprint,
        subjectCommonName: detail.subjectCommonName,
      }),
    },
    target,
  );
}

function expiryFinding(detail: ExpiryAlertDetail, target: SecurityHubTarget, detailType: string): AsffFinding {
  const name = displayNameOf(detail);
  const expired = detail.daysLeft < 0 || detail.thresholdId === 'expired';
  const when = expired
    ? `expired on ${detail.notAfter}`
    : `expires on ${detail.notAfter} (${detail.daysLeft} day${detail.daysLeft === 1 ? '' : 's'} left)`;
  return finding(
    {
      id: expiryFindingId(detail.locationId, detail.fingerprint, target.findingPrefix),
      generatorId: 'certwarden/expiry',
      type: EXPIRY_TYPE,
      severity: SEVERITY_LABELS[detail.severity],
      originalSeverity: detail.severity,
      at: detail.at,
      title: `Certificate ${expired ? 'expired' : 'expiring'}: ${name}`,
      description:
        `The certificate ${name} (issuer ${detail.issuer}, serial ${detail.serialNumber ?? 'unknown'}) at ` +
        `${detail.nativeId} ${when}. Owner: ${detail.owner}. Source: ${detail.source}.` +
        (detail.inUseBy.length > 0 ? ` In use by: ${detail.inUseBy.join(', ')}.` : ''),
      recommendation: detail.renewal.instructions,
      closing: false,
      productFields: {
        event: detailType,
        thresholdId: detail.thresholdId,
        daysLeft: String(detail.daysLeft),
        locationId: detail.locationId,
        source: detail.source,
        owner: detail.owner,
        account: detail.account,
      },
      resource: resourceOf(detail, target, {
        fingerprint: detail.fingerprint,
        subjectCommonName: detail.subjectCommonName,
        issuer: detail.issuer,
        serialNumber: detail.serialNumber,
        notAfter: detail.notAfter,
        inUseBy: detail.inUseBy.length > 0 ? detail.inUseBy.join(',') : null,
      }),
    },
    target,
  );
}

/** Closes the expiry finding of `fingerprint` at the place of an inventory change. */
function expiryClosing(
  detail: InventoryChangeDetail,
  fingerprint: string,
  target: SecurityHubTarget,
  detailType: string,
): AsffFinding {
  const name = detail.subjectCommonName ?? detail.nativeId;
  const how =
    detail.change === 'renewed'
      ? `was replaced by certificate ${detail.fingerprint ?? 'unknown'}`
      : 'is no longer there (the place was removed)';
  return finding(
    {
      id: expiryFindingId(detail.locationId, fingerprint, target.findingPrefix),
      generatorId: 'certwarden/expiry',
      type: EXPIRY_TYPE,
      severity: 'INFORMATIONAL',
      originalSeverity: 'resolved',
      at: detail.at,
      title: `Resolved (${detail.change}): certificate expiry at ${name}`,
      description: `The certificate ${fingerprint} at ${detail.nativeId} ${how} on ${detail.at}. Owner: ${detail.owner}. Source: ${detail.source}.`,
      closing: true,
      productFields: {
        event: detailType,
        change: detail.change,
        locationId: detail.locationId,
        source: detail.source,
        owner: detail.owner,
      },
      resource: resourceOf(detail, target, {
        fingerprint,
        newFingerprint: detail.change === 'renewed' ? detail.fingerprint : null,
        subjectCommonName: detail.subjectCommonName,
      }),
    },
    target,
  );
}

/**
 * A certificate for our names that CT logged and no source holds: one finding per issued certificate (issuer and
 * serial), whose resource is the certificate as the log names it. Nothing in certwarden closes it: a person who
 * finds it legitimate archives it (and adds the issuer or key to the allowlist).
 */
function unknownIssuedFinding(
  detail: UnknownCertificateIssuedDetail,
  target: SecurityHubTarget,
  detailType: string,
): AsffFinding {
  const name = detail.subjectCommonName ?? detail.dnsNames[0] ?? detail.subject;
  const place = {
    locationId: `ct:${detail.findingId}`,
    source: detail.log,
    sourceKind: 'certificate-transparency',
    nativeId: `${detail.logUrl}#${detail.index}`,
    owner: 'unowned',
  };
  return finding(
    {
      id: findingId('ct', detail.findingId, 'unknown-issued', target.findingPrefix),
      generatorId: 'certwarden/ct/unknown-certificate-issued',
      type: UNKNOWN_ISSUED_TYPE,
      severity: SEVERITY_LABELS[detail.severity],
      originalSeverity: detail.severity,
      at: detail.at,
      title: `Unknown certificate issued: ${name}`,
      description:
        `A ${detail.entryType === 'precert' ? 'precertificate' : 'certificate'} for ${detail.dnsNames.join(', ') || detail.subject} ` +
        `(issuer ${detail.issuer}, serial ${detail.serialNumber}) was logged in CT log ${detail.log} at entry ` +
        `${detail.index} on ${detail.loggedAt}, and no source of the inventory holds it.`,
      recommendation:
        'Find who requested it. If it is legitimate, add its source to certwarden or its issuer or key to ct.allowlist; if not, have the CA revoke it.',
      closing: false,
      productFields: {
        event: detailType,
        log: detail.log,
        index: String(detail.index),
        domains: detail.domains.join(','),
      },
      resource: resourceOf(place, target, {
        fingerprint: detail.fingerprint,
        subjectCommonName: detail.subjectCommonName,
        issuer: detail.issuer,
        serialNumber: detail.serialNumber,
        notAfter: detail.notAfter,
      }),
    },
    target,
  );
}

/**
 * The Security Hub findings an event opens, updates or closes; none for events that are not findings
 * (discoveries, updates, sync failures, renewals, revocations, expiry alerts below high).
 */
export function toSecurityHubFindings(event: CertwardenEvent, target: SecurityHubTarget): AsffFinding[] {
  switch (event.detailType) {
    case 'Policy Violation':
    case 'Violation Resolved':
      return [policyFinding(event.detail, event.detailType === 'Violation Resolved', target, event.detailType)];
    case 'Certificate Expiring':
    case 'Certificate Expired':
      return EXPIRY_FINDING_SEVERITIES.has(event.detail.severity)
        ? [expiryFinding(event.detail, target, event.detailType)]
        : [];
    case 'Certificate Changed':
      return event.detail.change === 'renewed' && event.detail.previousFingerprint
        ? [expiryClosing(event.detail, event.detail.previousFingerprint, target, event.detailType)]
        : [];
    case 'Certificate Removed':
      return event.detail.fingerprint
        ? [expiryClosing(event.detail, event.detail.fingerprint, target, event.detailType)]
        : [];
    case 'Unknown Certificate Issued':
      return [unknownIssuedFinding(event.detail, target, event.detailType)];
    case 'Deployment Drift':
    case 'Unknown Certificate Served':
    case 'Served Certificate Resolved':
      return [servedFinding(event, target)];
    default:
      return [];
  }
}

/**
 * A served certificate the inventory says should not be there, one finding per endpoint, certificate and kind:
 * opened by its alert (raised once, its alert ledger entry) and archived by Served Certificate Resolved when the
 * endpoint serves another certificate, the one served becomes right, or the endpoint is no longer scanned.
 */
function servedFinding(
  event: Extract<
    CertwardenEvent,
    { detailType: 'Deployment Drift' | 'Unknown Certificate Served' | 'Served Certificate Resolved' }
  >,
  target: SecurityHubTarget,
): AsffFinding {
  const detail = event.detail;
  const resolved = event.detailType === 'Served Certificate Resolved';
  const kind = resolved ? event.detail.resolves : event.detailType;
  const drift = kind === 'Deployment Drift';
  const recommendation = (): string | undefined => {
    if (event.detailType === 'Deployment Drift')
      return `Deploy the renewed certificate (${event.detail.inventory.fingerprint}) to ${detail.endpoint} and reload the service.`;
    if (event.detailType === 'Unknown Certificate Served')
      return `Find who deployed this certificate to ${detail.endpoint}; add its source to certwarden or replace it with a managed one.`;
    return undefined;
  };
  return finding(
    {
      id: findingId(drift ? 'drift' : 'unknown-served', detail.locationId, detail.fingerprint, target.findingPrefix),
      generatorId: drift ? 'certwarden/deployment-drift' : 'certwarden/unknown-certificate-served',
      type: SERVED_TYPE,
      severity: resolved ? 'INFORMATIONAL' : (SEVERITY_LABELS[detail.severity] ?? 'MEDIUM'),
      originalSeverity: resolved ? 'resolved' : detail.severity,
      at: detail.at,
      title: `${resolved ? 'Resolved: ' : ''}${kind}: ${detail.endpoint}`,
      description: servedMessage(event),
      recommendation: recommendation(),
      closing: resolved,
      productFields: {
        event: event.detailType,
        locationId: detail.locationId,
        source: detail.source,
        owner: detail.owner,
      },
      resource: resourceOf(detail, target, {
        fingerprint: detail.fingerprint,
        subjectCommonName: detail.subjectCommonName,
        serverName: detail.serverName,
        notAfter: detail.notAfter,
      }),
    },
    target,
  );
}
