import { createHash } from 'node:crypto';
import { DynamoAlertLedger } from '../../../lib/adapters/dynamodb-alert-ledger';
import { DynamoRenewalLedger } from '../../../lib/adapters/dynamodb-renewal-ledger';
import { AwsAcmRenewer, type AwsAcmRenewerOptions } from '../../../lib/connectors/aws-acm-renewer';
import { AwsAcmSource } from '../../../lib/connectors/aws-acm';
import { AwsClientFactory } from '../../../lib/connectors/aws-clients';
import type { CertwardenEvent, ExpiryAlertDetail, RenewalDetail } from '../../../lib/domain/events';
import { locationIdOf } from '../../../lib/ports/certificate-source';
import { ALL_ALERT_SHARDS, evaluateExpiry } from '../../../lib/use-cases/evaluate';
import { renew } from '../../../lib/use-cases/renew';
import { syncSource } from '../../../lib/use-cases/sync';
import { issueCertificate } from '../../../lib/x509/factory';
import { FakeAcm, type FakeAcmCertificate } from '../../support/fakes/acm-server';
import { AwsFault, startFakeAws, type FakeAwsServer } from '../../support/fakes/aws-json-server';
import { FakePca, type FakeCertificateAuthority } from '../../support/fakes/pca-server';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { inVirtualTime } from '../../support/virtual-time';
import { schemaProblems, schemaValidators } from '../../unit/domain/events/event-schemas';
import { MovableClock, RecordingPublisher } from '../evaluate/estate';

const dynamo = useEmbeddedDynamoDb();
const NOW = new Date('2026-06-01T00:00:00.000Z');
const DAY = 86_400_000;
const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';

interface World {
  acm: FakeAcm;
  pca: FakePca;
  authority: FakeCertificateAuthority;
  aws: FakeAwsServer;
  inventory: TestInventory;
  clock: MovableClock;
  events: RecordingPublisher;
  renewer: AwsAcmRenewer;
  sync(): Promise<void>;
  /** A renewal request, in virtual time. */
  renewAt(arn: string): ReturnType<typeof renew>;
  /** The same, outside virtual time: to run several in one. */
  request(arn: string): ReturnType<typeof renew>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * ACM and ACM Private CA fakes on 127.0.0.1, the real SDK clients in the production retry configuration, the
 * inventory on dynalite; syncs and renewals in virtual time so that retries and polls cost no real time.
 */
async function world(options: Partial<AwsAcmRenewerOptions> = {}): Promise<World> {
  const acm = await FakeAcm.create(NOW);
  const pca = new FakePca(NOW, { issuing: true, issuePolls: 2 });
  const authority = await pca.add({ accountId: ACCOUNT, region: REGION, commonName: 'Issuing CA' });
  const aws = await startFakeAws({ services: [acm.service, pca.service], seed: 5 });
  const clients = new AwsClientFactory({ credentials: aws.callerCredentials(ACCOUNT), endpoint: aws.endpoint });
  cleanups.push(async () => {
    clients.destroy();
    await aws.close();
  });
  const inventory = await dynamo.inventory();
  const clock = new MovableClock(NOW);
  const events = new RecordingPublisher();
  const renewer = new AwsAcmRenewer({ clients, issuingCertificateAuthorities: [authority.arn], ...options });
  const source = new AwsAcmSource({ name: 'acm', clients, accounts: [{ accountId: ACCOUNT }], regions: [REGION] });
  return {
    acm,
    pca,
    authority,
    aws,
    inventory,
    clock,
    events,
    renewer,
    sync: async () => {
      await inVirtualTime(() => syncSource({ source, store: inventory.store, clock }));
    },
    request,
    renewAt: (arn) => inVirtualTime(() => request(arn)),
  };
  function request(arn: string) {
    return renew({
      locationId: locationIdOf('aws-acm', arn),
      store: inventory.store,
      ledger: new DynamoRenewalLedger(inventory.client, inventory.tableName, clock),
      renewerFor: (kind) => (kind === 'aws-acm' ? renewer : undefined),
      events,
      clock,
      requestedBy: 'alice',
    });
  }
}

/** An imported ACM certificate issued by the fake Private CA (its key made here and thrown away). */
async function importedFromPca(w: World, daysLeft = 20): Promise<FakeAcmCertificate> {
  const certificate = w.acm.add({
    accountId: ACCOUNT,
    region: REGION,
    domainName: 'api.example.com',
    type: 'IMPORTED',
  });
  const issued = await issueCertificate({
    subject: 'CN=api.example.com',
    dns: ['api.example.com'],
    issuer: w.authority.installed!.certificate,
    notBefore: new Date(NOW.getTime() - 70 * DAY),
    notAfter: new Date(NOW.getTime() + daysLeft * DAY),
  });
  certificate.keyAlgorithm = 'EC_prime256v1';
  certificate.issued = {
    pem: issued.pem,
    chainPem: w.authority.installed!.certificate.pem,
    notBefore: issued.certificate.notBefore,
    notAfter: issued.certificate.notAfter,
    serial: issued.certificate.serialNumber,
    fingerprint: createHash('sha256').update(issued.der).digest('hex'),
  };
  return certificate;
}

const detailTypes = (events: CertwardenEvent[]) => events.map((event) => event.detailType);
const renewalDetails = (events: CertwardenEvent[]) => events.map((event) => event.detail as RenewalDetail);

describe('renewing an ACM private certificate', () => {
  it('calls RenewCertificate, waits for the new body and ends with Renewal Succeeded', async () => {
    const w = await world();
    const certificate = w.acm.add({ accountId: ACCOUNT, region: REGION, domainName: 'a.internal', type: 'PRIVATE' });
    const before = certificate.issued!.fingerprint;
    await w.sync();

    const report = await w.renewAt(certificate.arn);

    expect(report).toMatchObject({ outcome: 'succeeded', decision: { method: 'acm-private-ca' } });
    expect(w.acm.renewCalls).toEqual([certificate.arn]);
    expect(report.attempt?.newFingerprint).toBe(w.acm.get(certificate.arn).issued!.fingerprint);
    expect(report.attempt?.newFingerprint).not.toBe(before);
    expect(detailTypes(w.events.events)).toEqual(['Renewal Requested', 'Renewal Succeeded']);
    const validators = schemaValidators();
    for (const event of w.events.events) expect(schemaProblems(validators, event)).toEqual([]);
  });

  it("reports ACM's failure reason with Renewal Failed", async () => {
    const w = await world();
    const certificate = w.acm.add({ accountId: ACCOUNT, region: REGION, domainName: 'b.internal', type: 'PRIVATE' });
    certificate.renewalFailure = 'PCA_ACCESS_DENIED';
    await w.sync();

    const report = await w.renewAt(certificate.arn);

    expect(report.outcome).toBe('failed');
    expect(renewalDetails(w.events.events).at(-1)).toMatchObject({
      error: 'managed renewal FAILED (PCA_ACCESS_DENIED)',
    });
    expect(detailTypes(w.events.events)).toEqual(['Renewal Requested', 'Renewal Failed']);
  });

  it('renews once when the same request is delivered twice at once, and not again after it succeeded', async () => {
    const w = await world();
    const certificate = w.acm.add({ accountId: ACCOUNT, region: REGION, domainName: 'c.internal', type: 'PRIVATE' });
    await w.sync();

    const [first, second] = await inVirtualTime(() =>
      Promise.all([w.request(certificate.arn), w.request(certificate.arn)]),
    );
    const third = await w.renewAt(certificate.arn);

    expect([first.outcome, second.outcome].sort()).toEqual(['duplicate', 'succeeded']);
    expect(third.outcome).toBe('duplicate');
    expect(w.acm.renewCalls).toHaveLength(1);
    expect(detailTypes(w.events.events)).toEqual(['Renewal Requested', 'Renewal Succeeded']);
  });

  it('is seen by the next sync at the same place, whose alerts are armed again for the new certificate', async () => {
    const w = await world();
    const certificate = w.acm.add({
      accountId: ACCOUNT,
      region: REGION,
      domainName: 'd.internal',
      type: 'PRIVATE',
      daysLeft: 10,
      daysOld: 90,
    });
    const before = certificate.issued!.fingerprint;
    await w.sync();
    const ledger = new DynamoAlertLedger(w.inventory.client, w.inventory.tableName, w.clock);
    const evaluate = async () => {
      const emitted: ExpiryAlertDetail[] = [];
      await evaluateExpiry({
        store: w.inventory.store,
        ledger,
        events: new RecordingPublisher(),
        clock: w.clock,
        shards: ALL_ALERT_SHARDS,
        onEmitted: (event) => emitted.push(event.detail as ExpiryAlertDetail),
      });
      return emitted;
    };
    const beforeRenewal = await evaluate();

    const report = await w.renewAt(certificate.arn);
    await w.sync();
    const place = await w.inventory.store.getLocation(locationIdOf('aws-acm', certificate.arn));
    // To where the new certificate stands as the old one did: 10 days left, so the same threshold is crossed.
    w.clock.advance(Date.parse(place!.certificate!.notAfter) - 10 * DAY - w.clock.now().getTime());
    const afterRenewal = await evaluate();

    expect(place?.fingerprint).toBe(report.attempt?.newFingerprint);
    // The renewal's end stays on the place once the sync has brought the certificate it made.
    expect(place?.lastRenewal).toEqual({
      outcome: 'succeeded',
      at: report.attempt?.finishedAt,
      error: null,
      newFingerprint: report.attempt?.newFingerprint,
    });
    const thresholds = (alerts: ExpiryAlertDetail[]) => alerts.map((alert) => alert.thresholdId);
    expect(new Set(beforeRenewal.map((alert) => alert.fingerprint))).toEqual(new Set([before]));
    expect(new Set(afterRenewal.map((alert) => alert.fingerprint))).toEqual(new Set([report.attempt?.newFingerprint]));
    // One alert each (the most urgent threshold crossed), the same one: armed again, not remembered as sent.
    expect(thresholds(beforeRenewal)).toEqual(['14d']);
    expect(thresholds(afterRenewal)).toEqual(thresholds(beforeRenewal));
  });
});

describe('an Amazon-issued certificate', () => {
  it('is not renewed by certwarden: a renewal waiting for DNS validation is reported with the record to fix', async () => {
    const w = await world();
    const certificate = w.acm.add({
      accountId: ACCOUNT,
      region: REGION,
      domainName: 'www.example.com',
      inUseBy: ['arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/web/1'],
    });
    certificate.renewalSummary = {
      status: 'PENDING_VALIDATION',
      domains: [
        {
          domain: 'www.example.com',
          status: 'PENDING_VALIDATION',
          cname: ['_a1.www.example.com.', '_b2.acm-validations.aws.'],
        },
      ],
    };
    await w.sync();

    const report = await w.renewAt(certificate.arn);

    expect(report.outcome).toBe('failed');
    expect(renewalDetails(w.events.events).at(-1)?.error).toBe(
      'managed renewal PENDING_VALIDATION; domains: www.example.com PENDING_VALIDATION: CNAME _a1.www.example.com. → _b2.acm-validations.aws.',
    );
    expect(w.acm.renewCalls).toEqual([]);
  });
});

describe('re-issuing an imported certificate at a configured Private CA', () => {
  it('issues for a new key, imports at the same ARN, and never lets the key out', async () => {
    const w = await world();
    const certificate = await importedFromPca(w);
    await w.sync();
    const importAt = w.acm.service.operations.ImportCertificate;
    const keys: string[] = [];
    w.acm.service.operations.ImportCertificate = (input, context) => {
      const pem = Buffer.from(String(input.PrivateKey), 'base64').toString('utf8');
      keys.push(pem.replace(/-----[A-Z ]+-----|\s/g, ''));
      return importAt(input, context);
    };

    const report = await w.renewAt(certificate.arn);

    expect(report).toMatchObject({ outcome: 'succeeded', decision: { method: 'pca-reissue' } });
    expect(w.pca.issued).toHaveLength(1);
    expect(w.acm.imports).toEqual([{ arn: certificate.arn, fingerprint: w.pca.issued[0].fingerprint }]);
    expect(report.attempt?.newFingerprint).toBe(w.pca.issued[0].fingerprint);
    expect(keys).toHaveLength(1);
    const everything = JSON.stringify([report, w.events.events, await w.inventory.scanAll()]);
    expect(everything).not.toContain('PRIVATE KEY');
    for (let at = 0; at + 32 <= keys[0].length; at += 32) expect(everything).not.toContain(keys[0].slice(at, at + 32));
  });

  it('retries an import that was throttled and failed with 5xx, with the same key and one issued certificate', async () => {
    const w = await world();
    const certificate = await importedFromPca(w);
    await w.sync();
    const importAt = w.acm.service.operations.ImportCertificate;
    let refusals = 0;
    w.acm.service.operations.ImportCertificate = (input, context) => {
      refusals++;
      if (refusals === 1) throw new AwsFault('ThrottlingException', 'Rate exceeded', 400);
      if (refusals === 2) throw new AwsFault('InternalFailure', 'We encountered an internal error.', 500);
      return importAt(input, context);
    };

    const report = await w.renewAt(certificate.arn);

    expect(report.outcome).toBe('succeeded');
    expect(refusals).toBe(3);
    expect(w.pca.issueCalls).toBe(1);
    expect(w.pca.issued).toHaveLength(1);
    expect(w.acm.imports).toHaveLength(1);
  });

  it('fails an attempt whose import never goes through, and the next attempt starts over with a new key', async () => {
    const w = await world();
    const certificate = await importedFromPca(w);
    await w.sync();
    const importAt = w.acm.service.operations.ImportCertificate;
    w.acm.service.operations.ImportCertificate = () => {
      throw new AwsFault('ServiceUnavailable', 'Service unavailable.', 503);
    };
    const failed = await w.renewAt(certificate.arn);
    w.acm.service.operations.ImportCertificate = importAt;

    const retried = await w.renewAt(certificate.arn);

    expect(failed.outcome).toBe('failed');
    expect(failed.message).toMatch(
      /^ImportCertificate: ServiceUnavailable: Service unavailable\. \(after 10 attempts\)/,
    );
    expect(retried).toMatchObject({ outcome: 'succeeded', attempt: { attempt: 2 } });
    expect(w.pca.issued).toHaveLength(2);
    expect(w.acm.imports).toEqual([{ arn: certificate.arn, fingerprint: w.pca.issued[1].fingerprint }]);
    expect(detailTypes(w.events.events)).toEqual([
      'Renewal Requested',
      'Renewal Failed',
      'Renewal Requested',
      'Renewal Succeeded',
    ]);
    const ledger = new DynamoRenewalLedger(w.inventory.client, w.inventory.tableName, w.clock);
    expect(await ledger.attemptsAt(locationIdOf('aws-acm', certificate.arn))).toEqual([
      expect.objectContaining({
        attempt: 2,
        state: 'succeeded',
        method: 'pca-reissue',
        requestedBy: 'alice',
        newFingerprint: w.pca.issued[1].fingerprint,
        renewalId: retried.attempt?.renewalId,
      }),
    ]);
  });

  it('leaves an imported certificate of another issuer to a person, naming its owner', async () => {
    const w = await world();
    const certificate = w.acm.add({
      accountId: ACCOUNT,
      region: REGION,
      domainName: 'legacy.example.com',
      type: 'IMPORTED',
      tags: { owner: 'payments' },
    });
    await w.sync();

    const report = await w.renewAt(certificate.arn);

    expect(report).toMatchObject({ outcome: 'failed', decision: { method: 'manual' } });
    expect(report.message).toBe(`manual renewal required: payments renews ${certificate.arn} by hand`);
    expect(w.pca.issueCalls).toBe(0);
  });
});
