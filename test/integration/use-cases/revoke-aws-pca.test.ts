import { DynamoRevocationLedger } from '../../../lib/adapters/dynamodb-revocation-ledger';
import { HttpRevocationChecker } from '../../../lib/adapters/http-revocation-checker';
import { AwsAcmSource } from '../../../lib/connectors/aws-acm';
import { AwsClientFactory } from '../../../lib/connectors/aws-clients';
import { AwsPcaSource } from '../../../lib/connectors/aws-pca';
import { AwsPcaRevoker } from '../../../lib/connectors/aws-pca-revoker';
import { RevocationRefusedError } from '../../../lib/domain/errors';
import type { CertificateRevokedDetail } from '../../../lib/domain/events';
import type { RevocationReason } from '../../../lib/domain/revocation';
import { locationIdOf } from '../../../lib/ports/certificate-source';
import { checkRevocation } from '../../../lib/use-cases/check-revocation';
import { revoke } from '../../../lib/use-cases/revoke';
import { syncSource } from '../../../lib/use-cases/sync';
import { FakeAcm } from '../../support/fakes/acm-server';
import { AwsFault, startFakeAws, type FakeAwsServer } from '../../support/fakes/aws-json-server';
import { importedFromPca } from '../../support/fakes/pca-imported';
import { FakePca, type FakeCertificateAuthority } from '../../support/fakes/pca-server';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { inVirtualTime } from '../../support/virtual-time';
import { schemaProblems, schemaValidators } from '../../unit/domain/events/event-schemas';
import { MovableClock, RecordingPublisher } from '../evaluate/estate';

/**
 * `revoke()` against the ACM and ACM Private CA wire fakes with the real SDK clients in the production retry
 * configuration, the inventory on dynalite, certificates issued at test time by the fake CA (which serves its CRL).
 */
const dynamo = useEmbeddedDynamoDb();
const NOW = new Date();
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
  ledger: DynamoRevocationLedger;
  sync(): Promise<void>;
  revokeAt(arn: string, reason?: RevocationReason): ReturnType<typeof revoke>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function world(configured: (authority: FakeCertificateAuthority) => string[] = (a) => [a.arn]): Promise<World> {
  const acm = await FakeAcm.create(NOW);
  const pca = new FakePca(NOW);
  await pca.serveCrls();
  const authority = await pca.add({ accountId: ACCOUNT, region: REGION, commonName: 'Issuing CA' });
  const aws = await startFakeAws({ services: [acm.service, pca.service], seed: 7 });
  const clients = new AwsClientFactory({ credentials: aws.callerCredentials(ACCOUNT), endpoint: aws.endpoint });
  cleanups.push(async () => {
    clients.destroy();
    await aws.close();
    await pca.close();
  });
  const inventory = await dynamo.inventory();
  const clock = new MovableClock(NOW);
  const events = new RecordingPublisher();
  const ledger = new DynamoRevocationLedger(inventory.client, inventory.tableName);
  const revoker = new AwsPcaRevoker({ clients, certificateAuthorities: configured(authority) });
  const scope = { clients, accounts: [{ accountId: ACCOUNT }], regions: [REGION] };
  // The CA's own place (an aws-pca source) puts its certificate in the inventory, the issuer a check needs.
  const sources = [new AwsAcmSource({ name: 'acm', ...scope }), new AwsPcaSource({ name: 'pca', ...scope })];
  return {
    acm,
    pca,
    authority,
    aws,
    inventory,
    clock,
    events,
    ledger,
    sync: async () => {
      for (const source of sources) await inVirtualTime(() => syncSource({ source, store: inventory.store, clock }));
    },
    revokeAt: (arn, reason = 'keyCompromise') =>
      inVirtualTime(() =>
        revoke({
          locationId: locationIdOf('aws-acm', arn),
          reason,
          store: inventory.store,
          ledger,
          revoker,
          events,
          clock,
          requestedBy: 'cli:alice',
        }),
      ),
  };
}

/** An ACM certificate of the account imported from the fake Private CA (or another), in use by a load balancer. */
const importedFrom = (w: World, authority = w.authority, domainName = 'api.example.com') =>
  importedFromPca(w.acm, w.pca, authority, {
    domainName,
    inUseBy: [`arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/shop/1`],
    accountId: ACCOUNT,
    now: NOW,
  });

describe('revoking a certificate issued by a configured ACM Private CA', () => {
  it('calls RevokeCertificate with the CA, the serial in hex and the reason, and the CA lists it revoked', async () => {
    const w = await world();
    const { certificate, issued } = await importedFrom(w);
    await w.sync();

    const report = await w.revokeAt(certificate.arn);

    expect(report.outcome).toBe('revoked');
    expect(w.pca.revokeCalls).toEqual([
      {
        CertificateAuthorityArn: w.authority.arn,
        CertificateSerial: issued.certificate.certificate.serialNumber.toLowerCase().match(/../g)!.join(':'),
        RevocationReason: 'KEY_COMPROMISE',
      },
    ]);
    expect(w.authority.revoked.get(issued.serial)?.reason).toBe('KEY_COMPROMISE');
  });

  it('is then reported revoked by a revocation check of the CA’s CRL, with the reason', async () => {
    const w = await world();
    const { certificate, issued } = await importedFrom(w);
    await w.sync();
    await w.revokeAt(certificate.arn);
    const checker = new HttpRevocationChecker({ clock: w.clock });

    const answer = await checker.check({ der: issued.certificate.der, issuer: w.authority.installed!.certificate.der });
    checker.close();

    expect(answer).toMatchObject({ status: 'revoked', reason: 'keyCompromise', via: 'crl' });
  });

  it('records who, when, why, the serial and the CA once, and marks every place of the certificate revoked', async () => {
    const w = await world();
    const { certificate } = await importedFrom(w);
    await w.sync();
    const locationId = locationIdOf('aws-acm', certificate.arn);

    const report = await w.revokeAt(certificate.arn, 'superseded');

    expect(await w.ledger.recordOf(report.fingerprint)).toEqual({
      fingerprint: report.fingerprint,
      serialNumber: report.serialNumber,
      issuer: 'CN=Issuing CA',
      reason: 'superseded',
      outcome: 'revoked',
      certificateAuthorityArn: w.authority.arn,
      locationId,
      requestedBy: 'cli:alice',
      at: NOW.toISOString(),
      note: null,
    });
    const place = await w.inventory.store.getLocation(locationId);
    expect(place?.revocation).toMatchObject({ status: 'revoked', reason: 'superseded', via: 'certwarden' });
    expect(place?.nextRevocationCheckAt).toBeUndefined();
  });

  it('announces Certificate Revoked (schema-valid), and a later check does not announce Revocation Detected again', async () => {
    const w = await world();
    const { certificate } = await importedFrom(w);
    await w.sync();

    await w.revokeAt(certificate.arn);
    const checker = new HttpRevocationChecker({ clock: w.clock });
    await checkRevocation({ store: w.inventory.store, checker, clock: w.clock, events: w.events });
    checker.close();

    expect(w.events.events.map((event) => event.detailType)).toEqual(['Certificate Revoked']);
    const detail = w.events.events[0].detail as CertificateRevokedDetail;
    expect(detail).toMatchObject({
      outcome: 'revoked',
      reason: 'keyCompromise',
      certificateAuthorityArn: w.authority.arn,
      requestedBy: 'cli:alice',
      places: [locationIdOf('aws-acm', certificate.arn)],
    });
    expect(schemaProblems(schemaValidators(), w.events.events[0])).toEqual([]);
  });

  it('answers with a runbook: every place of the certificate, what uses it, its owner and the command that replaces it', async () => {
    const w = await world();
    const { certificate } = await importedFrom(w);
    await w.sync();
    const locationId = locationIdOf('aws-acm', certificate.arn);

    const report = await w.revokeAt(certificate.arn);

    expect(report.replace).toEqual([
      {
        locationId,
        nativeId: certificate.arn,
        owner: 'unowned',
        account: ACCOUNT,
        region: REGION,
        inUseBy: certificate.inUseBy,
        next: `certwarden renew ${locationId}`,
      },
    ]);
  });

  it('does nothing again when repeated: no second call, record or event, and says who revoked it', async () => {
    const w = await world();
    const { certificate } = await importedFrom(w);
    await w.sync();
    await w.revokeAt(certificate.arn);

    const again = await w.revokeAt(certificate.arn, 'superseded');

    expect(again.outcome).toBe('duplicate');
    expect(again.message).toBe(
      `already revoked at ${w.authority.arn} by cli:alice at ${NOW.toISOString()} (keyCompromise): nothing done again`,
    );
    expect(w.pca.revokeCalls).toHaveLength(1);
    expect(w.events.events).toHaveLength(1);
    expect((await w.ledger.recordOf(again.fingerprint))?.reason).toBe('keyCompromise');
  });

  it('records a certificate the CA had revoked already (RequestAlreadyProcessedException) with the CA’s words', async () => {
    const w = await world();
    const { certificate, issued } = await importedFrom(w);
    await w.sync();
    w.authority.revoked.set(issued.serial, { reason: 'SUPERSEDED', at: NOW });

    const report = await w.revokeAt(certificate.arn);

    expect(report.outcome).toBe('already-revoked');
    expect(report.record?.note).toMatch(/has already been revoked/);
    expect(w.events.events.map((event) => event.detailType)).toEqual(['Certificate Revoked']);
  });

  it('goes through throttling with the SDK’s retries', async () => {
    const w = await world();
    const { certificate } = await importedFrom(w);
    await w.sync();
    w.aws.faults.throttleNext = 3;

    const report = await w.revokeAt(certificate.arn);

    expect(report.outcome).toBe('revoked');
    expect(w.pca.revokeCalls.length).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['a CA no longer ACTIVE', (w: World) => void (w.authority.status = 'DISABLED'), /InvalidStateException/],
    [
      'a serial the CA does not know',
      (w: World) => void w.pca.issued.splice(0),
      /ResourceNotFoundException: Could not find certificate with serial/,
    ],
    [
      'a CA that keeps failing',
      (w: World) =>
        void (w.pca.service.operations.RevokeCertificate = () => {
          throw new AwsFault('ServiceUnavailable', 'Service unavailable.', 503);
        }),
      /ServiceUnavailable: Service unavailable\. \(after 10 attempts\)/,
    ],
  ])('fails on %s, recording and announcing nothing', async (_, arrange, message) => {
    const w = await world();
    const { certificate } = await importedFrom(w);
    await w.sync();
    arrange(w);

    const failure = w.revokeAt(certificate.arn);

    await expect(failure).rejects.toThrow(RevocationRefusedError);
    await expect(failure).rejects.toThrow(message);
    expect(w.events.events).toEqual([]);
    const place = await w.inventory.store.getLocation(locationIdOf('aws-acm', certificate.arn));
    expect(await w.ledger.recordOf(place!.fingerprint!)).toBeUndefined();
    expect(place?.revocation?.status).not.toBe('revoked');
  });
});

describe('revoking a certificate no configured Private CA issued', () => {
  it('leaves it to the issuing CA, naming it, still records and announces, and does not mark it revoked', async () => {
    const w = await world(() => []);
    const { certificate } = await importedFrom(w);
    await w.sync();

    const report = await w.revokeAt(certificate.arn);

    expect(report).toMatchObject({ outcome: 'issuer-must-revoke', certificateAuthorityArn: null });
    expect(report.message).toMatch(/its issuing CA \(CN=Issuing CA\) must revoke it/);
    expect(w.pca.revokeCalls).toEqual([]);
    expect(w.events.events.map((event) => (event.detail as CertificateRevokedDetail).outcome)).toEqual([
      'issuer-must-revoke',
    ]);
    expect((await w.ledger.recordOf(report.fingerprint))?.outcome).toBe('issuer-must-revoke');
    const place = await w.inventory.store.getLocation(locationIdOf('aws-acm', certificate.arn));
    expect(place?.revocation?.status).not.toBe('revoked');
  });

  it('does not take a configured CA of the same name for its issuer: its key did not sign the certificate', async () => {
    const w = await world();
    const lookalike = await w.pca.add({ accountId: '222222222222', region: REGION, commonName: 'Issuing CA' });
    const { certificate } = await importedFrom(w, lookalike);
    await w.sync();

    const report = await w.revokeAt(certificate.arn);

    expect(report.outcome).toBe('issuer-must-revoke');
    expect(w.pca.revokeCalls).toEqual([]);
  });
});
