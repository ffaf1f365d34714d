import {
  alertUndeliveredEvent,
  type AlertUndeliveredDetail,
  DETAIL_TYPES,
  unknownCertificateIssuedEvent,
  type UnknownCertificateIssuedDetail,
  expiryAlertEvent,
  inventoryChangeEvent,
  policyViolationEvent,
  renewalEvent,
  revocationEvent,
  syncFailedEvent,
  type CertwardenEvent,
  type DetailType,
  type ExpiryAlertDetail,
  type PolicyViolationDetail,
  type RenewalDetail,
  type RevocationDetail,
} from '../../../../lib/domain/events';
import { EXPIRY_SEVERITIES } from '../../../../lib/domain/severity';
import { OCSF_CLASSES, OCSF_VERSION, toOcsf } from '../../../../lib/domain/notifications/siem-ocsf';
import schemaExtract from './fixtures/ocsf-1.3.0-required.json';
import { acmAlert, EVENT_OF_EVERY_TYPE, expiredFileAlert } from './fixtures';

/** The place a finding names: a certificate's in the inventory, or for one CT logged and no source holds, `ct:<finding id>`. */
const placeUidOf = (event: CertwardenEvent): string =>
  event.detailType === 'Unknown Certificate Issued'
    ? `ct:${event.detail.findingId}`
    : (event.detail as { locationId: string }).locationId;
const unknownIssued = EVENT_OF_EVERY_TYPE.find((event) => event.detailType === 'Unknown Certificate Issued')!;
const undelivered = EVENT_OF_EVERY_TYPE.find((event) => event.detailType === 'Alert Undelivered')!;

/**
 * Every OCSF event toOcsf makes, checked against the OCSF 1.3.0 schema itself: the required attributes, constraints,
 * attribute types and enum ids of its class (base_event <- finding <- class) and of every object in it, as extracted
 * from github.com/ocsf/ocsf-schema at tag 1.3.0 into fixtures/ocsf-1.3.0-required.json (its `source` names the commit
 * and files).
 */

interface Definition {
  name: string;
  required: string[];
  at_least_one?: string[];
  required_if_profile?: Record<string, string[]>;
  /** id -> caption. */
  enums?: Record<string, Record<string, string>>;
  /** enum attribute -> the attribute holding its caption. */
  siblings?: Record<string, string>;
  types: Record<string, string>;
}
interface ClassDefinition extends Definition {
  caption: string;
  class_uid: number;
  category_uid: number;
  category_name: string;
}
const schema = schemaExtract as unknown as {
  source: { repository: string; tag: string; commit: string; files: string[] };
  classes: Record<string, ClassDefinition>;
  objects: Record<string, Definition>;
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isRecord = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether `value` is of the schema's (primitive or object) type `type`; object types are checked in depth. */
function checkValue(value: Json, type: string, path: string, errors: string[]): void {
  if (type.endsWith('[]')) {
    if (!Array.isArray(value)) errors.push(`${path}: ${type} wanted, got ${JSON.stringify(value)}`);
    else value.forEach((item, i) => checkValue(item, type.slice(0, -2), `${path}[${i}]`, errors));
    return;
  }
  const ok = (test: boolean) => {
    if (!test) errors.push(`${path}: ${type} wanted, got ${JSON.stringify(value)}`);
  };
  switch (type) {
    case 'string_t':
      return ok(typeof value === 'string');
    case 'integer_t':
    case 'long_t':
      return ok(Number.isInteger(value));
    case 'timestamp_t':
      return ok(Number.isInteger(value) && (value as number) > 0);
    case 'float_t':
      return ok(typeof value === 'number' && Number.isFinite(value));
    case 'boolean_t':
      return ok(typeof value === 'boolean');
    case 'json_t':
      return ok(value !== null);
    case 'object':
      return ok(isRecord(value));
    default: {
      const definition = schema.objects[type];
      if (!definition) {
        errors.push(`${path}: object type ${type} is not in the extract; add it to fixtures/ocsf-1.3.0-required.json`);
        return;
      }
      if (!isRecord(value)) errors.push(`${path}: ${type} object wanted, got ${JSON.stringify(value)}`);
      else checkDefinition(value, definition, path, [], errors);
    }
  }
}

/** Required attributes, constraints, known attributes, types and enum ids of one class or object instance. */
function checkDefinition(
  value: Record<string, Json>,
  definition: Definition,
  path: string,
  profiles: string[],
  errors: string[],
  { partial = false } = {},
): void {
  const at = (key: string) => (path ? `${path}.${key}` : key);
  const required = partial
    ? []
    : [...definition.required, ...profiles.flatMap((profile) => definition.required_if_profile?.[profile] ?? [])];
  for (const key of required) {
    if (value[key] === undefined || value[key] === null) errors.push(`${at(key)}: required by ${definition.name}`);
  }
  if (
    !partial &&
    definition.at_least_one &&
    !definition.at_least_one.some((key) => value[key] !== undefined && value[key] !== null)
  )
    errors.push(`${path || definition.name}: ${definition.name} needs at least one of ${definition.at_least_one}`);
  for (const [key, attribute] of Object.entries(value)) {
    const type = definition.types[key];
    if (type === undefined) {
      errors.push(`${at(key)}: not an attribute of ${definition.name}`);
      continue;
    }
    if (attribute === null) {
      errors.push(`${at(key)}: null (leave the attribute out instead)`);
      continue;
    }
    checkValue(attribute, type, at(key), errors);
    const captions = definition.enums?.[key];
    if (!captions) continue;
    const caption = captions[String(attribute)];
    if (caption === undefined)
      errors.push(
        `${at(key)}: ${JSON.stringify(attribute)} is not one of ${definition.name}'s ids ${Object.keys(captions)}`,
      );
    const sibling = definition.siblings?.[key];
    if (
      caption !== undefined &&
      sibling &&
      attribute !== 99 &&
      value[sibling] !== undefined &&
      value[sibling] !== caption
    )
      errors.push(
        `${at(sibling)}: ${JSON.stringify(value[sibling])} is not the caption of ${key} ${attribute}, ${caption}`,
      );
  }
}

/** Everything the schema says is wrong with an OCSF event as it goes on the wire (JSON: undefined left out). */
function schemaErrors(event: Record<string, Json>): string[] {
  const definition = schema.classes[String(event.class_uid)];
  if (!definition) return [`class_uid ${event.class_uid} is not a class of the extract`];
  const errors: string[] = [];
  const profiles = isRecord(event.metadata) && Array.isArray(event.metadata.profiles) ? event.metadata.profiles : [];
  checkDefinition(event, definition, '', profiles as string[], errors);
  // resource_details.data is json_t, free for the schema; certwarden keeps the certificate there under the OCSF
  // certificate object's attribute names, so those must be its attributes, of its types (fingerprints in full), but
  // what certwarden does not know (a violation's issuer and serial) may be missing.
  (Array.isArray(event.resources) ? event.resources : []).forEach((resource, i) => {
    const certificate = isRecord(resource) && isRecord(resource.data) ? resource.data.certificate : undefined;
    if (certificate === undefined) return;
    const path = `resources[${i}].data.certificate`;
    if (!isRecord(certificate)) errors.push(`${path}: certificate object wanted`);
    else checkDefinition(certificate, schema.objects.certificate, path, [], errors, { partial: true });
  });
  return errors;
}

const wire = (event: CertwardenEvent) => {
  const ocsf = toOcsf(event);
  return ocsf === undefined ? undefined : (JSON.parse(JSON.stringify(ocsf)) as Record<string, Json>);
};

const violation: PolicyViolationDetail = {
  schemaVersion: 1,
  locationId: acmAlert.locationId,
  source: acmAlert.source,
  sourceKind: acmAlert.sourceKind,
  nativeId: acmAlert.nativeId,
  owner: 'payments',
  fingerprint: acmAlert.fingerprint,
  subjectCommonName: 'api.example.com',
  ruleId: 'rsa-min-key-size',
  severity: 'high',
  message: 'RSA key of 1024 bits; policy requires at least 2048 bits',
  at: acmAlert.at,
};
const revocation: RevocationDetail = {
  schemaVersion: 1,
  locationId: acmAlert.locationId,
  source: acmAlert.source,
  sourceKind: acmAlert.sourceKind,
  nativeId: acmAlert.nativeId,
  owner: 'payments',
  account: '111111111111',
  region: 'eu-west-1',
  inUseBy: [],
  fingerprint: acmAlert.fingerprint,
  serialNumber: '0a1b2c',
  issuer: acmAlert.issuer,
  revokedAt: acmAlert.at,
  reason: 'keyCompromise',
  via: 'ocsp',
  at: acmAlert.at,
};
const renewal: RenewalDetail = {
  schemaVersion: 1,
  locationId: acmAlert.locationId,
  source: acmAlert.source,
  sourceKind: acmAlert.sourceKind,
  nativeId: acmAlert.nativeId,
  owner: 'payments',
  account: null,
  region: null,
  inUseBy: [],
  renewalId: 'r-1',
  fingerprint: null,
  newFingerprint: null,
  method: 'manual',
  error: 'CA refused',
  at: acmAlert.at,
};

const expiring = (
  severity: ExpiryAlertDetail['severity'],
  more: Partial<ExpiryAlertDetail> = {},
): ExpiryAlertDetail => ({
  ...acmAlert,
  thresholdId: `${severity}-threshold`,
  alertId: `${acmAlert.locationId}#${acmAlert.fingerprint}#${severity}-threshold`,
  severity,
  ...more,
});

/** Findings: every detail type that maps, at every severity it can have, with and without its optional facts. */
const FINDINGS: Array<[string, CertwardenEvent]> = [
  ...EXPIRY_SEVERITIES.map((severity): [string, CertwardenEvent] => [
    `Certificate Expiring (${severity})`,
    expiryAlertEvent(expiring(severity)),
  ]),
  [
    'Certificate Expiring (no serial, account or region)',
    expiryAlertEvent(expiring('warning', { serialNumber: null, account: null, region: null, subjectCommonName: null })),
  ],
  ['Certificate Expired', expiryAlertEvent(expiredFileAlert)],
  ['Revocation Detected', revocationEvent(revocation)],
  [
    'Revocation Detected (no reason, no account or region)',
    revocationEvent({ ...revocation, reason: null, account: null, region: null }),
  ],
  ...(['info', 'low', 'medium', 'high', 'critical'] as const).flatMap((severity) =>
    (['open', 'resolved'] as const).map((state): [string, CertwardenEvent] => [
      `${state === 'open' ? 'Policy Violation' : 'Violation Resolved'} (${severity})`,
      policyViolationEvent({ ...violation, severity }, state),
    ]),
  ),
  [
    'Policy Violation (no fingerprint or common name)',
    policyViolationEvent({ ...violation, fingerprint: null, subjectCommonName: null }, 'open'),
  ],
  ['Unknown Certificate Issued (precert)', unknownIssued],
  [
    'Unknown Certificate Issued (certificate, no common name)',
    unknownCertificateIssuedEvent({
      ...(unknownIssued.detail as UnknownCertificateIssuedDetail),
      entryType: 'x509',
      fingerprint: 'ab'.repeat(32),
      subjectCommonName: null,
    }),
  ],
  ...EVENT_OF_EVERY_TYPE.filter(
    (event) =>
      event.detailType === 'Deployment Drift' ||
      event.detailType === 'Unknown Certificate Served' ||
      event.detailType === 'Served Certificate Resolved' ||
      event.detailType === 'Alert Undelivered',
  ).map((event): [string, CertwardenEvent] => [event.detailType, event]),
  [
    'Alert Undelivered (a violation, no alert id, no common name, owner or severity, failed 5 times)',
    alertUndeliveredEvent({
      ...(undelivered.detail as AlertUndeliveredDetail),
      eventType: 'Policy Violation',
      deliveryId: 'event:0123abcd',
      alertId: null,
      subjectCommonName: null,
      owner: null,
      severity: null,
      permanent: false,
      attempts: 5,
    }),
  ],
];

const inventory = (change: 'discovered' | 'renewed' | 'removed') =>
  inventoryChangeEvent({
    schemaVersion: 1,
    locationId: 'l',
    source: 's',
    sourceKind: 'aws-acm',
    nativeId: 'n',
    change,
    fingerprint: null,
    previousFingerprint: null,
    subjectCommonName: null,
    notAfter: null,
    owner: 'o',
    at: acmAlert.at,
  });

/** Realistic events for detail types that are not findings; any other non-finding type is tried with a bare detail. */
const NOT_FINDINGS: Partial<Record<DetailType, CertwardenEvent>> = {
  'Certificate Discovered': inventory('discovered'),
  'Certificate Changed': inventory('renewed'),
  'Certificate Removed': inventory('removed'),
  'Renewal Requested': renewalEvent('requested', renewal),
  'Renewal Succeeded': renewalEvent('succeeded', renewal),
  'Renewal Failed': renewalEvent('failed', renewal),
  'Sync Failed': syncFailedEvent({
    schemaVersion: 1,
    source: 's',
    sourceKind: 'aws-acm',
    complete: false,
    errors: [{ nativeId: 'n', message: 'denied' }],
    at: acmAlert.at,
  }),
};
const FINDING_TYPES: DetailType[] = [
  'Certificate Expiring',
  'Certificate Expired',
  'Revocation Detected',
  'Policy Violation',
  'Violation Resolved',
  'Unknown Certificate Issued',
  'Deployment Drift',
  'Unknown Certificate Served',
  'Served Certificate Resolved',
  'Alert Undelivered',
];

describe('the OCSF 1.3.0 schema extract', () => {
  it('names where it came from, and is the version toOcsf claims', () => {
    expect(schema.source).toMatchObject({ repository: 'https://github.com/ocsf/ocsf-schema', tag: OCSF_VERSION });
    expect(schema.source.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(schema.source.files).toEqual(
      expect.arrayContaining([
        'events/base_event.json',
        'events/findings/finding.json',
        'events/findings/detection_finding.json',
        'events/findings/compliance_finding.json',
        'dictionary.json',
      ]),
    );
  });

  it('has the classes toOcsf emits, under their ids and names', () => {
    for (const klass of Object.values(OCSF_CLASSES)) {
      expect(schema.classes[klass.uid]).toMatchObject({ class_uid: klass.uid, caption: klass.name });
    }
  });
});

describe('toOcsf against the OCSF 1.3.0 schema', () => {
  it.each(FINDINGS)(
    '%s: every required attribute, constraint, type and enum id of its class and objects',
    (_, event) => {
      const ocsf = wire(event);
      expect(ocsf).toBeDefined();
      expect(schemaErrors(ocsf!)).toEqual([]);
    },
  );

  it.each(FINDINGS)('%s: classification, time and metadata are consistent', (_, event) => {
    const ocsf = wire(event)!;
    const definition = schema.classes[String(ocsf.class_uid)];
    expect(ocsf).toMatchObject({
      category_uid: definition.category_uid,
      category_name: definition.category_name,
      class_name: definition.caption,
      type_uid: (ocsf.class_uid as number) * 100 + (ocsf.activity_id as number),
      metadata: { version: schema.source.tag },
    });
    expect(ocsf.class_uid).toBe(definition.category_uid * 1000 + (definition.class_uid % 1000));
    expect(String(ocsf.type_name)).toBe(`${definition.caption}: ${String(ocsf.activity_name)}`);
    expect(ocsf.time).toBe(Date.parse((event.detail as { at: string }).at));
    expect(Number.isInteger(ocsf.time)).toBe(true);
  });

  it.each(FINDINGS)('%s: names the certificate place as its one affected resource', (_, event) => {
    const ocsf = wire(event)!;
    expect(ocsf.resources).toEqual([expect.objectContaining({ uid: placeUidOf(event), type: 'Certificate' })]);
  });

  it('tries every finding detail type', () => {
    expect([...new Set(FINDINGS.map(([, event]) => event.detailType))].sort()).toEqual([...FINDING_TYPES].sort());
  });

  it.each(DETAIL_TYPES.filter((type) => !FINDING_TYPES.includes(type)))(
    '%s is not a finding: no OCSF event',
    (type) => {
      const event =
        NOT_FINDINGS[type] ?? ({ detailType: type, detail: { schemaVersion: 1, at: acmAlert.at } } as CertwardenEvent);
      expect(event.detailType).toBe(type);
      expect(toOcsf(event)).toBeUndefined();
    },
  );

  describe('the checker itself', () => {
    /** The expiry finding with the attribute at `path` set to `value` (left out when undefined). */
    const broken = (path: string, value: Json | undefined) => {
      const event = wire(expiryAlertEvent(acmAlert))!;
      const keys = path.split('.');
      const last = keys.pop()!;
      const parent = keys.reduce<Json>((node, key) => (node as Record<string, Json>)[key], event) as Record<
        string,
        Json
      >;
      if (value === undefined) delete parent[last];
      else parent[last] = value;
      return event;
    };

    it.each<[string, string, Json | undefined, RegExp]>([
      ['a missing required attribute', 'finding_info.title', undefined, /finding_info\.title: required/],
      ['a missing object attribute', 'metadata.product.vendor_name', undefined, /vendor_name: required by product/],
      ['an id outside the enum', 'severity_id', 7, /severity_id: 7 is not one of/],
      ['a wrongly typed time', 'time', '2026-06-01T00:00:00Z', /time: timestamp_t wanted/],
      ['an attribute the class lacks', 'certificate', {}, /certificate: not an attribute/],
      ['an entity with neither name nor uid', 'resources', [{ type: 'Certificate' }], /at least one of name,uid/],
      ['a null', 'message', null, /message: null/],
      ['a caption not of its id', 'severity', 'High', /severity: "High" is not the caption of severity_id 5/],
      ['a type_uid not of the class', 'type_uid', 200301, /type_uid: 200301 is not one of/],
      [
        'a certificate fingerprint without its algorithm',
        'resources.0.data.certificate.fingerprints.0.algorithm_id',
        undefined,
        /fingerprints\[0\]\.algorithm_id: required by fingerprint/,
      ],
      [
        'a certificate attribute of the wrong type',
        'resources.0.data.certificate.expiration_time',
        'soon',
        /expiration_time: timestamp_t wanted/,
      ],
    ])('catches %s', (_, path, value, error) => {
      expect(schemaErrors(broken(path, value)).join('\n')).toMatch(error);
    });
  });
});
