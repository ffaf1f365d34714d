import {
  expiryAlertEvent,
  inventoryChangeEvent,
  policyViolationEvent,
  revocationEvent,
  type CertwardenEvent,
  type PolicyViolationDetail,
} from '../../../../lib/domain/events';
import { toOcsf } from '../../../../lib/domain/notifications/siem-ocsf';
import { toSiemJson } from '../../../../lib/domain/notifications/siem-json';
import { acmAlert, expiredFileAlert } from './fixtures';

const at = (value: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);

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

const FINDINGS: CertwardenEvent[] = [
  expiryAlertEvent(acmAlert),
  expiryAlertEvent(expiredFileAlert),
  revocationEvent({
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
  }),
  policyViolationEvent(violation, 'open'),
  policyViolationEvent(violation, 'resolved'),
];

describe('toOcsf', () => {
  // Required attributes, types and enum ids against the OCSF 1.3.0 schema itself: siem-ocsf-schema.test.ts.
  it.each(FINDINGS.map((event) => [event.detailType, event] as const))(
    '%s names the certificate as the affected resource',
    (_type, event) => {
      const [resource] = (toOcsf(event) as unknown as { resources: Array<Record<string, unknown>> }).resources;
      expect(resource).toMatchObject({ uid: (event.detail as { locationId: string }).locationId, type: 'Certificate' });
      expect(at(resource, 'data.certificate.fingerprints.0.value')).toBe(acmAlert.fingerprint);
    },
  );

  it('makes expiry a Detection Finding with the alert id, severity and expiration time', () => {
    expect(toOcsf(expiryAlertEvent(acmAlert))).toMatchObject({
      class_uid: 2004,
      activity_id: 1,
      severity_id: 5,
      finding_info: { uid: acmAlert.alertId },
      resources: [
        { data: { certificate: { serial_number: '0a1b2c', expiration_time: Date.parse(acmAlert.notAfter) } } },
      ],
    });
  });

  it('makes a violation a Compliance Finding that fails, and its resolution one that closes and passes', () => {
    expect(toOcsf(policyViolationEvent(violation, 'open'))).toMatchObject({
      class_uid: 2003,
      activity_id: 1,
      status: 'New',
      compliance: { control: 'rsa-min-key-size', status: 'Fail' },
    });
    expect(toOcsf(policyViolationEvent(violation, 'resolved'))).toMatchObject({
      class_uid: 2003,
      activity_id: 3,
      status: 'Resolved',
      compliance: { status: 'Pass' },
    });
  });

  it('has no OCSF form for events that are not findings', () => {
    expect(
      toOcsf(
        inventoryChangeEvent({
          schemaVersion: 1,
          locationId: 'l',
          source: 's',
          sourceKind: 'aws-acm',
          nativeId: 'n',
          change: 'discovered',
          fingerprint: null,
          previousFingerprint: null,
          subjectCommonName: null,
          notAfter: null,
          owner: 'o',
          at: acmAlert.at,
        }),
      ),
    ).toBeUndefined();
  });
});

describe('toSiemJson', () => {
  it('flattens an expiry alert into the plain shape', () => {
    expect(toSiemJson(expiryAlertEvent(acmAlert))).toEqual({
      timestamp: '2026-06-01T00:00:00.000Z',
      event_type: 'certificate_expiring',
      certificate_subject: 'CN=api.example.com',
      certificate_serial: '0a1b2c',
      issuer: 'CN=Example Issuing CA,O=Example Corp',
      expiration_date: '2026-06-02T00:00:00.000Z',
      deployment_status: 'in_use',
      target_systems: acmAlert.inUseBy,
      severity: 'critical',
      owner: 'payments',
      location_id: acmAlert.locationId,
    });
  });

  it('names the place as the target when nothing is known to use it', () => {
    expect(toSiemJson(expiryAlertEvent(expiredFileAlert))).toMatchObject({
      event_type: 'certificate_expired',
      deployment_status: 'deployed',
      target_systems: ['/etc/ssl/old.pem'],
    });
  });

  it('has every field of the shape for any event, null where the event does not say', () => {
    const json = toSiemJson(policyViolationEvent(violation, 'open'));
    expect(Object.keys(json).sort()).toEqual(
      [
        'timestamp',
        'event_type',
        'certificate_subject',
        'certificate_serial',
        'issuer',
        'expiration_date',
        'deployment_status',
        'target_systems',
        'severity',
        'owner',
        'location_id',
      ].sort(),
    );
    expect(json).toMatchObject({
      event_type: 'policy_violation',
      certificate_subject: 'api.example.com',
      certificate_serial: null,
    });
  });
});
