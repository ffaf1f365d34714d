import {
  expiryAlertEvent,
  inventoryChangeEvent,
  policyViolationEvent,
  renewalEvent,
  revocationEvent,
  syncFailedEvent,
  type CertwardenEvent,
  type ExpiryAlertDetail,
  type InventoryChangeDetail,
  type PolicyViolationDetail,
} from '../../../../lib/domain/events';
import {
  ASFF_SCHEMA_VERSION,
  defaultProductArn,
  expiryFindingId,
  isClosingFinding,
  policyFindingId,
  toSecurityHubFindings,
  type AsffFinding,
} from '../../../../lib/domain/notifications/security-hub-finding';
import { acmAlert, EVENT_OF_EVERY_TYPE, expiredFileAlert } from './fixtures';

const TARGET = { accountId: '222222222222', region: 'eu-central-1' };
const PRODUCT_ARN = 'arn:aws:securityhub:eu-central-1:222222222222:product/222222222222/default';
const OLD_FP = 'ab'.repeat(32);
const NEW_FP = 'cd'.repeat(32);

const violation: PolicyViolationDetail = {
  schemaVersion: 1,
  locationId: 'local-files:/etc/ssl/weak.pem',
  source: 'web-servers',
  sourceKind: 'local-files',
  nativeId: '/etc/ssl/weak.pem',
  owner: 'platform',
  fingerprint: OLD_FP,
  subjectCommonName: 'weak.example.com',
  ruleId: 'rsa-min-key-size',
  severity: 'high',
  message: 'RSA key of 1024 bits; policy requires at least 2048',
  at: '2026-06-01T00:00:00.000Z',
};

const highAlert: ExpiryAlertDetail = { ...acmAlert, thresholdId: '7d', daysLeft: 6, severity: 'high' };

const change = (overrides: Partial<InventoryChangeDetail>): InventoryChangeDetail => ({
  schemaVersion: 1,
  locationId: acmAlert.locationId,
  source: acmAlert.source,
  sourceKind: 'aws-acm',
  nativeId: acmAlert.nativeId,
  change: 'renewed',
  fingerprint: NEW_FP,
  previousFingerprint: acmAlert.fingerprint,
  subjectCommonName: 'api.example.com',
  notAfter: '2027-06-01T00:00:00.000Z',
  owner: 'payments',
  at: '2026-06-01T12:00:00.000Z',
  ...overrides,
});

const only = (event: CertwardenEvent): AsffFinding => {
  const findings = toSecurityHubFindings(event, TARGET);
  expect(findings).toHaveLength(1);
  return findings[0];
};

describe('toSecurityHubFindings', () => {
  const everyFinding: Array<[string, CertwardenEvent]> = [
    ['Policy Violation', policyViolationEvent(violation, 'open')],
    ['Violation Resolved', policyViolationEvent(violation, 'resolved')],
    ['Certificate Expiring', expiryAlertEvent(highAlert)],
    ['Certificate Expired', expiryAlertEvent(expiredFileAlert)],
    ['Certificate Changed (renewed)', inventoryChangeEvent(change({}))],
    [
      'Certificate Removed',
      inventoryChangeEvent(change({ change: 'removed', fingerprint: OLD_FP, previousFingerprint: null })),
    ],
    ...EVENT_OF_EVERY_TYPE.filter(
      (event) =>
        event.detailType === 'Deployment Drift' ||
        event.detailType === 'Unknown Certificate Served' ||
        event.detailType === 'Served Certificate Resolved',
    ).map((event): [string, CertwardenEvent] => [event.detailType, event]),
  ];

  it('a served certificate is an ACTIVE finding per endpoint, certificate and kind, with what to do', () => {
    const [drift, unknown] = EVENT_OF_EVERY_TYPE.filter(
      (event) => event.detailType === 'Deployment Drift' || event.detailType === 'Unknown Certificate Served',
    ).map(only);
    const served = 'cd'.repeat(32);
    expect(drift).toMatchObject({
      Id: `certwarden/drift/tls-endpoint:api.example.com:443/${served}`,
      Severity: { Label: 'HIGH', Original: 'high' },
      Title: 'Deployment Drift: api.example.com:443',
      RecordState: 'ACTIVE',
      Remediation: { Recommendation: { Text: expect.stringContaining('Deploy the renewed certificate') } },
    });
    expect(unknown).toMatchObject({
      Id: `certwarden/unknown-served/tls-endpoint:api.example.com:443/${served}`,
      Severity: { Label: 'MEDIUM', Original: 'medium' },
      RecordState: 'ACTIVE',
    });
  });

  it('Served Certificate Resolved archives the finding its alert opened: the same Id, PASSED, RESOLVED', () => {
    const [drift, resolved] = ['Deployment Drift', 'Served Certificate Resolved'].map((type) =>
      only(EVENT_OF_EVERY_TYPE.find((event) => event.detailType === type)!),
    );
    expect(resolved).toMatchObject({
      Id: drift.Id,
      GeneratorId: drift.GeneratorId,
      Severity: { Label: 'INFORMATIONAL', Original: 'resolved' },
      Title: 'Resolved: Deployment Drift: api.example.com:443',
      RecordState: 'ARCHIVED',
      Compliance: { Status: 'PASSED' },
      Workflow: { Status: 'RESOLVED' },
    });
    expect(resolved.Description).toContain('resolved: the endpoint serves api.example.com');
    expect(resolved.Remediation).toBeUndefined();
    expect(isClosingFinding(resolved)).toBe(true);
    expect(isClosingFinding(drift)).toBe(false);
  });

  it.each(everyFinding)('%s: a finding with every field BatchImportFindings requires', (_, event) => {
    const finding = only(event);
    expect(finding).toMatchObject({
      SchemaVersion: ASFF_SCHEMA_VERSION,
      ProductArn: PRODUCT_ARN,
      AwsAccountId: '222222222222',
    });
    expect(finding.SchemaVersion).toBe('2018-10-08');
    for (const field of ['Id', 'GeneratorId', 'Title', 'Description', 'CreatedAt', 'UpdatedAt'] as const) {
      expect(typeof finding[field]).toBe('string');
      expect(finding[field].length).toBeGreaterThan(0);
    }
    expect(finding.Types).toHaveLength(1);
    expect(finding.Types[0]).toMatch(/^Software and Configuration Checks\/[^/]+\/[^/]+$/);
    expect(finding.FindingProviderFields).toEqual({ Severity: finding.Severity, Types: finding.Types });
    expect(finding.Severity.Label).toMatch(/^(INFORMATIONAL|LOW|MEDIUM|HIGH|CRITICAL)$/);
    expect(finding.Resources).toHaveLength(1);
    expect(finding.Resources[0].Id).toBe((event.detail as { nativeId: string }).nativeId);
    expect(finding.CreatedAt).toBe(new Date(event.detail.at).toISOString());
    expect(finding.UpdatedAt).toBe(finding.CreatedAt);
    expect(finding.Title.length).toBeLessThanOrEqual(256);
    expect(finding.Description.length).toBeLessThanOrEqual(1024);
  });

  it('opens one high finding per certificate CT logged that no source holds, named by its issuer and serial', () => {
    const event = EVENT_OF_EVERY_TYPE.find((candidate) => candidate.detailType === 'Unknown Certificate Issued')!;
    if (event.detailType !== 'Unknown Certificate Issued') throw new Error('fixture missing');
    const finding = only(event);
    expect(finding).toMatchObject({
      Id: `certwarden/ct/${event.detail.findingId}/unknown-issued`,
      GeneratorId: 'certwarden/ct/unknown-certificate-issued',
      Types: ['Unusual Behaviors/Certificate Transparency/Unknown Certificate Issued'],
      Severity: { Label: 'HIGH', Original: 'high' },
      Title: 'Unknown certificate issued: login.example.com',
      RecordState: 'ACTIVE',
      Compliance: { Status: 'FAILED' },
      Resources: [
        {
          Type: 'Other',
          Id: `${event.detail.logUrl}#${event.detail.index}`,
          Region: TARGET.region,
          Details: {
            Other: expect.objectContaining({ issuer: event.detail.issuer, serialNumber: event.detail.serialNumber }),
          },
        },
      ],
    });
    expect(finding.Description).toContain('was logged in CT log argon at entry 4711');
    // The same certificate logged again (another log, a later entry) updates the same finding.
    expect(only({ ...event, detail: { ...event.detail, log: 'xenon', index: 1 } }).Id).toBe(finding.Id);
  });

  it("starts every finding's Id with the stage's prefix, the default stage's as it always was", () => {
    const staged = { ...TARGET, findingPrefix: 'certwarden-staging' };
    for (const event of EVENT_OF_EVERY_TYPE) {
      const defaults = toSecurityHubFindings(event, TARGET).map(({ Id }) => Id);
      const stage = toSecurityHubFindings(event, staged).map(({ Id }) => Id);
      expect(defaults.every((id) => id.startsWith('certwarden/'))).toBe(true);
      expect(stage).toEqual(defaults.map((id) => id.replace(/^certwarden\//, 'certwarden-staging/')));
    }
    expect(EVENT_OF_EVERY_TYPE.flatMap((event) => toSecurityHubFindings(event, TARGET)).length).toBeGreaterThan(4);
    expect(only(policyViolationEvent(violation, 'open')).Id).toBe(
      policyFindingId(violation.locationId, violation.ruleId),
    );
  });

  it('names the default product of the partition when one is given', () => {
    expect(defaultProductArn({ ...TARGET, partition: 'aws-us-gov' })).toBe(
      'arn:aws-us-gov:securityhub:eu-central-1:222222222222:product/222222222222/default',
    );
    expect(only(policyViolationEvent(violation, 'open')).ProductArn).toBe(PRODUCT_ARN);
  });

  describe('policy violations', () => {
    it('a Policy Violation is an ACTIVE, FAILED, NEW finding with the rule and the place in its Id', () => {
      const finding = only(policyViolationEvent(violation, 'open'));
      expect(finding).toMatchObject({
        Id: 'certwarden/policy/local-files:/etc/ssl/weak.pem/rsa-min-key-size',
        GeneratorId: 'certwarden/policy/rsa-min-key-size',
        Severity: { Label: 'HIGH', Original: 'high' },
        Title: 'rsa-min-key-size: weak.example.com',
        Description: violation.message,
        Compliance: { Status: 'FAILED' },
        RecordState: 'ACTIVE',
        Workflow: { Status: 'NEW' },
      });
      expect(isClosingFinding(finding)).toBe(false);
    });

    it('Violation Resolved updates the same Id: PASSED, ARCHIVED, RESOLVED for a finding it creates', () => {
      const open = only(policyViolationEvent(violation, 'open'));
      const resolved = only(policyViolationEvent({ ...violation, at: '2026-06-02T00:00:00.000Z' }, 'resolved'));
      expect(resolved.Id).toBe(open.Id);
      expect(resolved).toMatchObject({
        Compliance: { Status: 'PASSED' },
        RecordState: 'ARCHIVED',
        Workflow: { Status: 'RESOLVED' },
        Severity: { Label: 'INFORMATIONAL', Original: 'high' },
        UpdatedAt: '2026-06-02T00:00:00.000Z',
      });
      expect(isClosingFinding(resolved)).toBe(true);
    });

    it.each([
      ['info', 'INFORMATIONAL'],
      ['low', 'LOW'],
      ['medium', 'MEDIUM'],
      ['high', 'HIGH'],
      ['critical', 'CRITICAL'],
    ] as const)('severity %s is %s', (severity, label) => {
      expect(only(policyViolationEvent({ ...violation, severity }, 'open')).Severity.Label).toBe(label);
    });

    it('ids are stable: the same rule at the same place, whatever else changes', () => {
      const first = only(policyViolationEvent(violation, 'open'));
      const later = only(
        policyViolationEvent(
          { ...violation, message: 'other words', severity: 'critical', at: '2027-01-01T00:00:00Z' },
          'open',
        ),
      );
      expect(later.Id).toBe(first.Id);
      expect(only(policyViolationEvent({ ...violation, ruleId: 'sha1-signature' }, 'open')).Id).not.toBe(first.Id);
      expect(policyFindingId(violation.locationId, violation.ruleId)).toBe(first.Id);
    });
  });

  describe('expiry', () => {
    it.each(['info', 'warning'] as const)('a %s expiry alert makes no finding', (severity) => {
      expect(toSecurityHubFindings(expiryAlertEvent({ ...acmAlert, severity }), TARGET)).toEqual([]);
    });

    it.each([
      ['high', 'HIGH'],
      ['critical', 'CRITICAL'],
    ] as const)('a %s expiry alert is an ACTIVE %s finding', (severity, label) => {
      const finding = only(expiryAlertEvent({ ...acmAlert, severity }));
      expect(finding).toMatchObject({
        Id: `certwarden/expiry/${acmAlert.locationId}/${acmAlert.fingerprint}`,
        GeneratorId: 'certwarden/expiry',
        Severity: { Label: label, Original: severity },
        Compliance: { Status: 'FAILED' },
        RecordState: 'ACTIVE',
        Workflow: { Status: 'NEW' },
        Remediation: { Recommendation: { Text: acmAlert.renewal.instructions } },
      });
    });

    it('one finding per certificate at a place: crossing thresholds keeps the Id and raises the severity', () => {
      const high = only(expiryAlertEvent(highAlert));
      const critical = only(expiryAlertEvent(acmAlert));
      const expired = only(
        expiryAlertEvent({ ...acmAlert, thresholdId: 'expired', daysLeft: -1, at: '2026-06-03T00:00:00.000Z' }),
      );
      expect(new Set([high.Id, critical.Id, expired.Id]).size).toBe(1);
      expect([high, critical, expired].map((finding) => finding.Severity.Label)).toEqual([
        'HIGH',
        'CRITICAL',
        'CRITICAL',
      ]);
      expect(expired.Title).toBe('Certificate expired: api.example.com');
      expect(expiryFindingId(acmAlert.locationId, acmAlert.fingerprint)).toBe(high.Id);
    });

    it('an ACM certificate is the AwsCertificateManagerCertificate resource, in its own partition and region', () => {
      const [resource] = only(expiryAlertEvent(acmAlert)).Resources;
      expect(resource).toMatchObject({
        Type: 'AwsCertificateManagerCertificate',
        Id: acmAlert.nativeId,
        Partition: 'aws',
        Region: 'eu-west-1',
      });
      expect(resource.Details.Other).toMatchObject({
        fingerprint: acmAlert.fingerprint,
        owner: 'payments',
        source: 'prod-eu-west-1',
        sourceKind: 'aws-acm',
        locationId: acmAlert.locationId,
      });
    });

    it('any other place is an Other resource named by its native id, in the target region', () => {
      const [resource] = only(expiryAlertEvent(expiredFileAlert)).Resources;
      expect(resource).toMatchObject({
        Type: 'Other',
        Id: '/etc/ssl/old.pem',
        Partition: 'aws',
        Region: 'eu-central-1',
      });
    });

    it('an aws-acm place whose id is not an ACM ARN is an Other resource', () => {
      const [resource] = only(expiryAlertEvent({ ...acmAlert, nativeId: 'not-an-arn' })).Resources;
      expect(resource.Type).toBe('Other');
    });
  });

  describe('closing expiry findings', () => {
    it('a renewal closes the finding of the previous certificate at that place', () => {
      const open = only(expiryAlertEvent(acmAlert));
      const closing = only(inventoryChangeEvent(change({})));
      expect(closing.Id).toBe(open.Id);
      expect(closing).toMatchObject({
        Compliance: { Status: 'PASSED' },
        RecordState: 'ARCHIVED',
        Workflow: { Status: 'RESOLVED' },
        Severity: { Label: 'INFORMATIONAL' },
      });
      expect(closing.Resources[0].Details.Other).toMatchObject({
        fingerprint: acmAlert.fingerprint,
        newFingerprint: NEW_FP,
      });
      expect(isClosingFinding(closing)).toBe(true);
    });

    it('a removal closes the finding of the certificate that was there', () => {
      const open = only(expiryAlertEvent(expiredFileAlert));
      const closing = only(
        inventoryChangeEvent(
          change({
            change: 'removed',
            locationId: expiredFileAlert.locationId,
            nativeId: expiredFileAlert.nativeId,
            sourceKind: 'local-files',
            fingerprint: expiredFileAlert.fingerprint,
            previousFingerprint: null,
          }),
        ),
      );
      expect(closing.Id).toBe(open.Id);
      expect(closing.RecordState).toBe('ARCHIVED');
    });

    it.each<[string, Partial<ExpiryAlertDetail>, string]>([
      ['an ACM certificate', {}, 'eu-west-1'],
      [
        'an IoT certificate',
        {
          sourceKind: 'aws-iot',
          nativeId: 'arn:aws:iot:ap-south-1:111111111111:cert/abc',
          locationId: 'aws-iot:arn:aws:iot:ap-south-1:111111111111:cert/abc',
          region: 'ap-south-1',
        },
        'ap-south-1',
      ],
      // A file is in no region: not its directory (what local files once put there), the target's.
      [
        'a file',
        {
          sourceKind: 'local-files',
          nativeId: '/etc/ssl/old.pem',
          locationId: 'local-files:/etc/ssl/old.pem',
          region: '/etc/ssl',
        },
        'eu-central-1',
      ],
      [
        'a Key Vault certificate',
        {
          sourceKind: 'azure-key-vault',
          nativeId: 'https://kv.vault.azure.net/certificates/api',
          locationId: 'azure-key-vault:https://kv.vault.azure.net/certificates/api',
          region: 'westeurope',
        },
        'eu-central-1',
      ],
    ])('the finding that closes %s names the region of the one that opened it', (_, place, region) => {
      const alert = { ...acmAlert, ...place };
      const open = only(expiryAlertEvent(alert));
      const closing = only(
        inventoryChangeEvent(
          change({ locationId: alert.locationId, sourceKind: alert.sourceKind, nativeId: alert.nativeId }),
        ),
      );
      expect(closing.Id).toBe(open.Id);
      expect(open.Resources[0].Region).toBe(region);
      expect(closing.Resources[0].Region).toBe(region);
    });

    it.each<[string, Partial<InventoryChangeDetail>]>([
      ['a change that is not a renewal', { change: 'updated', previousFingerprint: null }],
      ['a renewal without a previous certificate', { previousFingerprint: null }],
      ['a removed place that had no certificate', { change: 'removed', fingerprint: null, previousFingerprint: null }],
      ['a discovery', { change: 'discovered', previousFingerprint: null }],
    ])('%s makes no finding', (_, overrides) => {
      expect(toSecurityHubFindings(inventoryChangeEvent(change(overrides)), TARGET)).toEqual([]);
    });
  });

  it.each<[string, CertwardenEvent]>([
    [
      'Sync Failed',
      syncFailedEvent({
        schemaVersion: 1,
        source: 's',
        sourceKind: 'aws-acm',
        complete: true,
        errors: [],
        at: acmAlert.at,
      }),
    ],
    [
      'Renewal Requested',
      renewalEvent('requested', {
        ...acmAlert,
        renewalId: 'r1',
        fingerprint: acmAlert.fingerprint,
        newFingerprint: null,
        method: 'manual',
        error: null,
      }),
    ],
    [
      'Revocation Detected',
      revocationEvent({
        ...acmAlert,
        serialNumber: '0a',
        revokedAt: acmAlert.at,
        reason: null,
        via: 'crl',
      }),
    ],
  ])('%s makes no finding', (_, event) => {
    expect(toSecurityHubFindings(event, TARGET)).toEqual([]);
  });

  it('clips title, description and recommendation to Security Hub limits', () => {
    const long = 'x'.repeat(5000);
    const violationFinding = only(
      policyViolationEvent({ ...violation, message: long, subjectCommonName: long }, 'open'),
    );
    expect(violationFinding.Description).toHaveLength(1024);
    expect(violationFinding.Description.endsWith('…')).toBe(true);
    expect(violationFinding.Title).toHaveLength(256);
    const expiry = only(expiryAlertEvent({ ...acmAlert, renewal: { ...acmAlert.renewal, instructions: long } }));
    expect(expiry.Remediation?.Recommendation.Text).toHaveLength(512);
  });

  it('keeps an Id within 512 characters when the location id is very long', () => {
    const locationId = `local-files:/${'deep/'.repeat(200)}cert.pem`;
    const finding = only(policyViolationEvent({ ...violation, locationId }, 'open'));
    expect(finding.Id.length).toBeLessThanOrEqual(512);
    expect(finding.Id).toMatch(/^certwarden\/policy\/sha256:[0-9a-f]{64}\/rsa-min-key-size$/);
    expect(only(policyViolationEvent({ ...violation, locationId, at: '2027-01-01T00:00:00Z' }, 'open')).Id).toBe(
      finding.Id,
    );
  });

  it('never carries key material', () => {
    const label = ['PRIVATE', 'KEY'].join(' ');
    for (const [, event] of everyFinding) {
      const text = JSON.stringify(toSecurityHubFindings(event, TARGET));
      expect(text).not.toContain(label);
      expect(text).not.toContain('-----BEGIN');
    }
  });
});
