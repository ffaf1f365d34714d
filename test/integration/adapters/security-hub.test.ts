import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { NotificationError, SecurityHubPublisher } from '../../../lib/adapters/security-hub';
import {
  expiryAlertEvent,
  inventoryChangeEvent,
  policyViolationEvent,
  syncFailedEvent,
  type ExpiryAlertDetail,
  type InventoryChangeDetail,
  type PolicyViolationDetail,
} from '../../../lib/domain/events';
import { expiryFindingId, policyFindingId } from '../../../lib/domain/notifications/security-hub-finding';
import { startFakeSecurityHub, type FakeSecurityHub } from '../../support/fakes/security-hub-server';
import { inVirtualTime } from '../../support/virtual-time';
import { acmAlert } from '../../unit/domain/notifications/fixtures';

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const NEW_FP = 'cd'.repeat(32);

const violation: PolicyViolationDetail = {
  schemaVersion: 1,
  locationId: 'local-files:/etc/ssl/weak.pem',
  source: 'web-servers',
  sourceKind: 'local-files',
  nativeId: '/etc/ssl/weak.pem',
  owner: 'platform',
  fingerprint: 'ab'.repeat(32),
  subjectCommonName: 'weak.example.com',
  ruleId: 'rsa-min-key-size',
  severity: 'high',
  message: 'RSA key of 1024 bits; policy requires at least 2048',
  at: '2026-06-01T00:00:00.000Z',
};

const highAlert: ExpiryAlertDetail = {
  ...acmAlert,
  thresholdId: '7d',
  daysLeft: 6,
  severity: 'high',
  at: '2026-05-27T00:00:00.000Z',
};

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

let hub: FakeSecurityHub;
let client: SecurityHubClient;
let publisher: SecurityHubPublisher;

beforeAll(async () => {
  hub = await startFakeSecurityHub({ accountId: ACCOUNT, region: REGION });
  client = new SecurityHubClient({
    endpoint: hub.endpoint,
    region: REGION,
    credentials: hub.credentials,
    maxAttempts: 8,
  });
  publisher = new SecurityHubPublisher({ client, accountId: ACCOUNT, region: REGION });
});

afterAll(async () => {
  client.destroy();
  await hub.close();
});

beforeEach(() => {
  hub.findings.clear();
  hub.versions.clear();
  hub.log.length = 0;
  hub.faults.throttleNext = 0;
  hub.faults.throttleRate = 0;
  hub.faults.failIds.clear();
});

const imports = () => hub.log.filter((entry) => entry.operation === 'BatchImportFindings');

describe('SecurityHubPublisher', () => {
  it('a violation opens an ACTIVE, FAILED, NEW finding through the real SecurityHubClient', async () => {
    await publisher.publish([policyViolationEvent(violation, 'open')]);

    const id = policyFindingId(violation.locationId, violation.ruleId);
    expect([...hub.findings.keys()]).toEqual([id]);
    expect(hub.findings.get(id)).toMatchObject({
      RecordState: 'ACTIVE',
      Compliance: { Status: 'FAILED' },
      Workflow: { Status: 'NEW' },
      Severity: { Label: 'HIGH' },
      ProductArn: `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`,
    });
    expect(hub.log).toEqual([{ operation: 'BatchImportFindings', findings: 1, status: 200 }]);
  });

  it('its resolution archives the same finding in place and marks its workflow RESOLVED', async () => {
    await publisher.publish([policyViolationEvent(violation, 'open')]);
    await publisher.publish([policyViolationEvent({ ...violation, at: '2026-06-02T00:00:00.000Z' }, 'resolved')]);

    const id = policyFindingId(violation.locationId, violation.ruleId);
    expect(hub.findings.size).toBe(1);
    expect(hub.versions.get(id)).toBe(2);
    expect(hub.findings.get(id)).toMatchObject({
      CreatedAt: violation.at,
      UpdatedAt: '2026-06-02T00:00:00.000Z',
      RecordState: 'ARCHIVED',
      Compliance: { Status: 'PASSED' },
      Workflow: { Status: 'RESOLVED' },
    });
    expect(hub.log.map((entry) => entry.operation)).toEqual([
      'BatchImportFindings',
      'BatchImportFindings',
      'BatchUpdateFindings',
    ]);
  });

  it('a violation that comes back reopens the finding, and Security Hub sets its workflow back to NEW', async () => {
    await publisher.publish([
      policyViolationEvent(violation, 'open'),
      policyViolationEvent({ ...violation, at: '2026-06-02T00:00:00.000Z' }, 'resolved'),
    ]);
    await publisher.publish([policyViolationEvent({ ...violation, at: '2026-06-03T00:00:00.000Z' }, 'open')]);

    expect(hub.findings.get(policyFindingId(violation.locationId, violation.ruleId))).toMatchObject({
      RecordState: 'ACTIVE',
      Compliance: { Status: 'FAILED' },
      Workflow: { Status: 'NEW' },
    });
  });

  it("an expiring certificate's finding climbs from HIGH to CRITICAL in place, and its renewal resolves it", async () => {
    const id = expiryFindingId(acmAlert.locationId, acmAlert.fingerprint);

    await publisher.publish([expiryAlertEvent(highAlert)]);
    expect(hub.findings.get(id)).toMatchObject({ Severity: { Label: 'HIGH' }, RecordState: 'ACTIVE' });

    await publisher.publish([expiryAlertEvent(acmAlert)]);
    expect(hub.findings.size).toBe(1);
    expect(hub.findings.get(id)).toMatchObject({
      Severity: { Label: 'CRITICAL' },
      CreatedAt: highAlert.at,
      UpdatedAt: acmAlert.at,
      Resources: [{ Type: 'AwsCertificateManagerCertificate', Id: acmAlert.nativeId }],
    });

    await publisher.publish([inventoryChangeEvent(change({}))]);
    expect(hub.findings.size).toBe(1);
    expect(hub.versions.get(id)).toBe(3);
    expect(hub.findings.get(id)).toMatchObject({
      RecordState: 'ARCHIVED',
      Compliance: { Status: 'PASSED' },
      Workflow: { Status: 'RESOLVED' },
      CreatedAt: highAlert.at,
    });
  });

  it('removing the place resolves the finding of the certificate that was there', async () => {
    await publisher.publish([expiryAlertEvent(acmAlert)]);
    await publisher.publish([
      inventoryChangeEvent(change({ change: 'removed', fingerprint: acmAlert.fingerprint, previousFingerprint: null })),
    ]);

    expect(hub.findings.get(expiryFindingId(acmAlert.locationId, acmAlert.fingerprint))).toMatchObject({
      RecordState: 'ARCHIVED',
      Workflow: { Status: 'RESOLVED' },
    });
  });

  it('resolving a finding that was never opened is harmless: one archived, resolved finding', async () => {
    await publisher.publish([inventoryChangeEvent(change({}))]);

    expect([...hub.findings.values()]).toEqual([
      expect.objectContaining({ RecordState: 'ARCHIVED', Workflow: { Status: 'RESOLVED' } }),
    ]);
  });

  it('sends nothing for events that are not findings', async () => {
    await publisher.publish([
      expiryAlertEvent({ ...acmAlert, severity: 'warning' }),
      syncFailedEvent({
        schemaVersion: 1,
        source: 's',
        sourceKind: 'aws-acm',
        complete: true,
        errors: [],
        at: acmAlert.at,
      }),
    ]);
    expect(hub.log).toEqual([]);
  });

  it('batches more than 100 findings into calls of at most 100', async () => {
    const events = Array.from({ length: 250 }, (_, n) =>
      policyViolationEvent(
        { ...violation, locationId: `local-files:/etc/ssl/${n}.pem`, nativeId: `/etc/ssl/${n}.pem` },
        'open',
      ),
    );
    await publisher.publish(events);

    expect(imports().map((entry) => entry.findings)).toEqual([100, 100, 50]);
    expect(hub.findings.size).toBe(250);
  });

  it('two events about one finding in one publish land in order, in separate calls', async () => {
    await publisher.publish([expiryAlertEvent(highAlert), expiryAlertEvent(acmAlert)]);

    expect(imports().map((entry) => entry.findings)).toEqual([1, 1]);
    expect(hub.findings.get(expiryFindingId(acmAlert.locationId, acmAlert.fingerprint))?.Severity.Label).toBe(
      'CRITICAL',
    );
  });

  it.each(['LimitExceededException', 'TooManyRequestsException'] as const)(
    'throttling (429 %s) is retried by the SDK and nothing is lost',
    async (throttleError) => {
      hub.faults.throttleError = throttleError;
      hub.faults.throttleNext = 2;
      const events = Array.from({ length: 120 }, (_, n) =>
        policyViolationEvent({ ...violation, locationId: `local-files:/t/${n}.pem`, nativeId: `/t/${n}.pem` }, 'open'),
      );

      // In virtual time: the SDK's back-off after each throttle costs no real time.
      await inVirtualTime(() => publisher.publish(events));

      expect(hub.log.filter((entry) => entry.status === 429)).toHaveLength(2);
      expect(hub.findings.size).toBe(120);
    },
  );

  it('a FailedFindings entry becomes a NotificationError naming that event, while the rest are stored', async () => {
    const failing = policyViolationEvent({ ...violation, ruleId: 'sha1-signature' }, 'open');
    const events = [policyViolationEvent(violation, 'open'), failing, expiryAlertEvent(acmAlert)];
    const failingId = policyFindingId(violation.locationId, 'sha1-signature');
    hub.faults.failIds.add(failingId);

    const error = await publisher.publish(events).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    expect(error).toBeInstanceOf(NotificationError);
    expect((error as NotificationError).failed).toEqual([failing]);
    expect((error as NotificationError).message).toContain(failingId);
    expect((error as NotificationError).message).toContain('Policy Violation: InternalFailure');
    expect([...hub.findings.keys()].sort()).toEqual(
      [
        policyFindingId(violation.locationId, violation.ruleId),
        expiryFindingId(acmAlert.locationId, acmAlert.fingerprint),
      ].sort(),
    );
  });

  it('a call that still fails after the retries fails every event of its batch, and the others go on', async () => {
    const throttledClient = new SecurityHubClient({
      endpoint: hub.endpoint,
      region: REGION,
      credentials: hub.credentials,
      maxAttempts: 1,
    });
    hub.faults.throttleNext = 1;
    const first = Array.from({ length: 100 }, (_, n) =>
      policyViolationEvent({ ...violation, locationId: `local-files:/a/${n}.pem`, nativeId: `/a/${n}.pem` }, 'open'),
    );
    const last = policyViolationEvent(violation, 'open');

    const error = await new SecurityHubPublisher({ client: throttledClient, accountId: ACCOUNT, region: REGION })
      .publish([...first, last])
      .then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
    throttledClient.destroy();

    expect(error).toBeInstanceOf(NotificationError);
    expect((error as NotificationError).failed).toEqual(first);
    expect((error as NotificationError).message).toMatch(/LimitExceededException|TooManyRequestsException/);
    expect([...hub.findings.keys()]).toEqual([policyFindingId(violation.locationId, violation.ruleId)]);
  });
});
