import {
  expiryAlertEvent,
  inventoryChangeEvent,
  policyViolationEvent,
  DETAIL_TYPES,
  type CertwardenEvent,
} from '../../../../lib/domain/events';
import { toOcsf } from '../../../../lib/domain/notifications/siem-ocsf';
import { toSiemJson } from '../../../../lib/domain/notifications/siem-json';
import { acmAlert, EVENT_OF_EVERY_TYPE, expiredFileAlert, violation } from './fixtures';
import { schemaProblems, schemaValidators } from '../events/event-schemas';
import { SIEM_JSON_SCHEMA, siemJsonProblems } from '../../../support/siem-json-schema';

const at = (value: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], value);

/** The events OCSF has a finding for: expiry, revocation, violations and their resolution. */
const FINDINGS = EVENT_OF_EVERY_TYPE.filter((event) =>
  [
    'Certificate Expiring',
    'Certificate Expired',
    'Revocation Detected',
    'Policy Violation',
    'Violation Resolved',
  ].includes(event.detailType),
);

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
      event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      timestamp: '2026-06-01T00:00:00.000Z',
      event_type: 'certificate_expiring',
      alert_id: acmAlert.alertId,
      threshold_id: '1d',
      rule_id: null,
      certificate_fingerprint: acmAlert.fingerprint,
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

  it('names the rule and the finding of a violation, null where the event does not say', () => {
    expect(toSiemJson(policyViolationEvent(violation, 'open'))).toMatchObject({
      event_type: 'policy_violation',
      alert_id: `${violation.locationId}#rsa-min-key-size`,
      rule_id: 'rsa-min-key-size',
      threshold_id: null,
      certificate_subject: 'api.example.com',
      certificate_serial: null,
    });
  });
});

describe('deduplication keys', () => {
  /** The same alert sent again on a later run: another time and days left, the same certificate and threshold. */
  const resent = { ...acmAlert, at: '2026-06-01T06:00:00.000Z', daysLeft: 0 };

  it('gives an alert sent again the same event id and alert id', () => {
    const first = toSiemJson(expiryAlertEvent(acmAlert));
    const again = toSiemJson(expiryAlertEvent(resent));
    expect(first.event_id).toMatch(/^[0-9a-f]{32}$/);
    expect(again.event_id).toBe(first.event_id);
    expect(again.alert_id).toBe(first.alert_id);
    expect(again.timestamp).not.toBe(first.timestamp);
  });

  it('keeps the OCSF finding uid of an alert sent again, and it is the JSON alert id', () => {
    const uid = (event: CertwardenEvent) =>
      (toOcsf(event) as unknown as { finding_info: { uid: string } }).finding_info.uid;
    expect(uid(expiryAlertEvent(resent))).toBe(uid(expiryAlertEvent(acmAlert)));
    for (const event of FINDINGS) expect(uid(event)).toBe(toSiemJson(event).alert_id);
  });

  it('tells apart the alerts of two thresholds, and a violation from its resolution', () => {
    const thirtyDays = { ...acmAlert, thresholdId: '30d', alertId: acmAlert.alertId.replace(/#1d$/, '#30d') };
    expect(toSiemJson(expiryAlertEvent(thirtyDays)).event_id).not.toBe(toSiemJson(expiryAlertEvent(acmAlert)).event_id);
    const open = toSiemJson(policyViolationEvent(violation, 'open'));
    const resolved = toSiemJson(policyViolationEvent(violation, 'resolved'));
    expect(resolved.alert_id).toBe(open.alert_id);
    expect(resolved.event_id).not.toBe(open.event_id);
  });

  it('gives every distinct event of every type its own event id', () => {
    const ids = EVENT_OF_EVERY_TYPE.map((event) => toSiemJson(event).event_id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('the SIEM JSON record schema', () => {
  it('has a fixture of every detail type, each valid against its event schema', () => {
    expect(new Set(EVENT_OF_EVERY_TYPE.map((event) => event.detailType))).toEqual(new Set(DETAIL_TYPES));
    const validators = schemaValidators();
    expect(EVENT_OF_EVERY_TYPE.flatMap((event) => schemaProblems(validators, event))).toEqual([]);
  });

  it('lists the event_type of every detail type, and no other', () => {
    const made = new Set(EVENT_OF_EVERY_TYPE.map((event) => toSiemJson(event).event_type));
    expect(new Set(SIEM_JSON_SCHEMA.properties.event_type.enum)).toEqual(made);
  });

  it.each(EVENT_OF_EVERY_TYPE.map((event) => [event.detailType, event] as const))(
    'describes the record of %s',
    (_type, event) => {
      expect(siemJsonProblems(toSiemJson(event))).toEqual([]);
    },
  );

  it('refuses a record without its dedup keys or with a field it does not describe', () => {
    const { event_id: _id, ...record } = toSiemJson(expiryAlertEvent(acmAlert));
    expect(siemJsonProblems(record)).not.toEqual([]);
    expect(siemJsonProblems({ ...toSiemJson(expiryAlertEvent(acmAlert)), extra: 1 })).not.toEqual([]);
    expect(siemJsonProblems({ ...toSiemJson(expiryAlertEvent(acmAlert)), alert_id: null })).not.toEqual([]);
  });
});
