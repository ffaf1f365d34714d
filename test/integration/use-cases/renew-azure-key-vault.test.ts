import { createHash } from 'node:crypto';
import { DynamoRenewalLedger } from '../../../lib/adapters/dynamodb-renewal-ledger';
import { AzureKeyVaultSource, createKeyVaultClient } from '../../../lib/connectors/azure-key-vault';
import { AzureKeyVaultRenewer } from '../../../lib/connectors/azure-key-vault-renewer';
import type { PollSettings } from '../../../lib/connectors/renewal-poll';
import type { RenewalDetail } from '../../../lib/domain/events';
import { fixedClock } from '../../../lib/ports/clock';
import { locationIdOf } from '../../../lib/ports/certificate-source';
import type { RenewalAttempt } from '../../../lib/ports/renewal-ledger';
import { checkRenewal, renew } from '../../../lib/use-cases/renew';
import { syncSource } from '../../../lib/use-cases/sync';
import {
  FakeKeyVault,
  LeafFactory,
  StubTokenCredential,
  makeFakeTls,
  type FakeIssuance,
  type FakeTls,
} from '../../support/fakes/key-vault-server';
import { useEmbeddedDynamoDb } from '../../support/inventory';
import { inVirtualTime } from '../../support/virtual-time';
import { RecordingPublisher } from '../evaluate/estate';

/** A Key Vault certificate renewed through the real CertificateClient against the vault's wire fake, on dynalite. */
const dynamo = useEmbeddedDynamoDb();
const clock = fixedClock('2026-06-01T00:00:00.000Z');
const credential = new StubTokenCredential();

let tls: FakeTls;
let leaves: LeafFactory;
let vault: FakeKeyVault;
beforeAll(async () => {
  [tls, leaves] = await Promise.all([makeFakeTls(), LeafFactory.create()]);
});
beforeEach(async () => {
  vault = await FakeKeyVault.start({ tls, token: credential.token });
});
afterEach(() => vault.close());

const clientFor = (url: string) =>
  createKeyVaultClient(url, credential, { tlsOptions: { ca: tls.caPem }, disableChallengeResourceVerification: true });

/** Syncs the vault, then asks for a renewal of `name`, with the events it emitted. */
async function syncAndRenew(name: string) {
  const inventory = await dynamo.inventory();
  const source = new AzureKeyVaultSource({
    name: 'kv',
    vaults: [{ url: vault.url }],
    clientFor: (v) => clientFor(v.url),
  });
  await inVirtualTime(() => syncSource({ source, store: inventory.store, clock }));
  const events = new RecordingPublisher();
  const report = await inVirtualTime(() =>
    renew({
      locationId: locationIdOf('azure-key-vault', vault.placeId(name)),
      store: inventory.store,
      ledger: new DynamoRenewalLedger(inventory.client, inventory.tableName, clock),
      renewerFor: () => new AzureKeyVaultRenewer({ clientFor }),
      events,
      clock,
      requestedBy: 'alice',
    }),
  );
  return { report, events: events.events };
}

describe('renewing a Key Vault certificate', () => {
  it('orders a new version with its own policy, waits for the order and ends with Renewal Succeeded', async () => {
    vault.add('shop', { der: await leaves.issue('shop.example.com'), policy: { issuerName: 'DigiCert' } });
    const next = await leaves.issue('shop.example.com', new Date('2027-06-01T00:00:00Z'));
    vault.issuances.set('shop', { polls: 2, der: next });

    const { report, events } = await syncAndRenew('shop');

    expect(report).toMatchObject({ outcome: 'succeeded', decision: { method: 'key-vault-version' } });
    expect(report.attempt?.newFingerprint).toBe(createHash('sha256').update(next).digest('hex'));
    expect(vault.state()).toEqual([`${vault.placeId('shop')} ${report.attempt?.newFingerprint}`]);
    expect(vault.requestCount('createCertificate')).toBe(1);
    expect(events.map((event) => event.detailType)).toEqual(['Renewal Requested', 'Renewal Succeeded']);
  });

  it("reports the issuer's error verbatim with Renewal Failed", async () => {
    vault.add('pay', { der: await leaves.issue('pay.example.com'), policy: { issuerName: 'DigiCert' } });
    const refusal = 'Order 4711 rejected by DigiCert: organization validation expired for Example Ltd';
    vault.issuances.set('pay', { polls: 1, error: { code: 'CertificateIssuanceFailed', message: refusal } });

    const { report, events } = await syncAndRenew('pay');

    expect(report.outcome).toBe('failed');
    expect((events.at(-1)?.detail as RenewalDetail).error).toBe(
      `the issuer refused (DigiCert): CertificateIssuanceFailed: ${refusal}`,
    );
    expect(vault.state()).toHaveLength(1);
  });
});

/** The deployed workflow's function: one look at the order, then `pending` (functions/renew/handler.ts). */
const ONE_LOOK: PollSettings = { timeoutMs: 0 };
const sha256 = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');

/** The vault synced into a fresh inventory, and the renewal use cases on it, each call with the real SDK client. */
async function renewalWorld() {
  const inventory = await dynamo.inventory();
  const ledger = new DynamoRenewalLedger(inventory.client, inventory.tableName, clock);
  const events = new RecordingPublisher();
  const source = new AzureKeyVaultSource({
    name: 'kv',
    vaults: [{ url: vault.url }],
    clientFor: (v) => clientFor(v.url),
  });
  const context = (poll?: PollSettings) => ({
    store: inventory.store,
    ledger,
    renewerFor: () => new AzureKeyVaultRenewer({ clientFor, poll }),
    events,
    clock,
  });
  const sync = () => inVirtualTime(() => syncSource({ source, store: inventory.store, clock }));
  await sync();
  const look = (attempt: RenewalAttempt) =>
    checkRenewal({
      ...context(),
      locationId: attempt.locationId,
      fingerprint: attempt.fingerprint,
      renewalId: attempt.renewalId,
      giveUpAfterMs: 60 * 60_000,
    });
  const placeOf = (name: string) => inventory.store.getLocation(locationIdOf('azure-key-vault', vault.placeId(name)));
  return {
    ledger,
    sync,
    placeOf,
    /** Renewal Requested, Succeeded, Failed… as published, in order. */
    events: () => events.events.map((event) => event.detailType),
    renew: (name: string, poll?: PollSettings, options: { dryRun?: boolean } = {}) =>
      inVirtualTime(() =>
        renew({
          ...context(poll),
          locationId: locationIdOf('azure-key-vault', vault.placeId(name)),
          requestedBy: 'alice',
          ...options,
        }),
      ),
    /** The workflow's CheckRenewal step: one look at a pending attempt. */
    check: (attempt: RenewalAttempt) => inVirtualTime(() => look(attempt)),
    /** `times` looks at once. */
    checkAtOnce: (attempt: RenewalAttempt, times: number) =>
      inVirtualTime(() => Promise.all(Array.from({ length: times }, () => look(attempt)))),
  };
}

/**
 * `name` at the vault (its issuer `issuerName`) with its next order planned as `order` (a new version: `next`),
 * synced, and renewed as the deployed workflow's start does: ordered, one look, and the attempt left `pending`.
 */
async function orderLeftPending(name: string, order: Omit<FakeIssuance, 'der'>, issuerName = 'DigiCert') {
  vault.add(name, { der: await leaves.issue(`${name}.example.com`), policy: { issuerName } });
  const next = await leaves.issue(`${name}.example.com`, new Date('2027-06-01T00:00:00Z'));
  vault.issuances.set(name, { ...order, der: next });
  const world = await renewalWorld();
  const started = await world.renew(name, ONE_LOOK);
  expect(started.outcome).toBe('pending');
  return { world, started, attempt: started.attempt!, next };
}

describe('watching a Key Vault order the renewal left pending', () => {
  it('looks at the order until Key Vault has the new version, ends the attempt once with Renewal Succeeded, and the next sync sees it', async () => {
    const { world, attempt, next } = await orderLeftPending('shop', { polls: 3 });

    const firstLook = await world.check(attempt);
    const secondLook = await world.check(attempt);
    const afterwards = await world.check(attempt);
    await world.sync();

    expect(firstLook).toMatchObject({ outcome: 'pending' });
    expect(firstLook.message).toBe(
      `Key Vault's order for ${vault.placeId('shop')} is still in progress at DigiCert (Pending issuance.); run renew again to check`,
    );
    expect(secondLook).toMatchObject({ outcome: 'succeeded', attempt: { newFingerprint: sha256(next) } });
    expect(afterwards).toMatchObject({ outcome: 'succeeded', message: 'attempt succeeded' });
    expect(world.events()).toEqual(['Renewal Requested', 'Renewal Succeeded']);
    expect(await world.ledger.attempt(attempt)).toMatchObject({ state: 'succeeded', newFingerprint: sha256(next) });
    expect(vault.requestCount('createCertificate')).toBe(1);
    expect((await world.placeOf('shop'))?.fingerprint).toBe(sha256(next));
  });

  it("ends an order the issuer refuses after a pending look with Renewal Failed, in the issuer's code and words verbatim", async () => {
    const refusal = 'Order 4711 rejected by DigiCert: organization validation expired for Example Ltd';
    const { world, attempt } = await orderLeftPending('pay', {
      polls: 3,
      error: { code: 'CertificateIssuanceFailed', message: refusal },
    });

    const firstLook = await world.check(attempt);
    const secondLook = await world.check(attempt);

    const words = `the issuer refused (DigiCert): CertificateIssuanceFailed: ${refusal}`;
    expect([firstLook.outcome, secondLook.outcome]).toEqual(['pending', 'failed']);
    expect(secondLook.message).toBe(words);
    expect(world.events()).toEqual(['Renewal Requested', 'Renewal Failed']);
    expect(await world.ledger.attempt(attempt)).toMatchObject({ state: 'failed', message: words });
    expect((await world.placeOf('pay'))?.lastRenewal).toMatchObject({ outcome: 'failed', error: words });
    expect(vault.state()).toHaveLength(1);
  });

  it('ends an order cancelled at the vault with Renewal Failed saying so', async () => {
    const { world, attempt } = await orderLeftPending('pay', { polls: 2, cancelled: true }, 'GlobalSign');

    const look = await world.check(attempt);

    expect(look).toMatchObject({
      outcome: 'failed',
      message: 'the issuer refused (GlobalSign): order cancelled (Certificate operation cancelled.)',
    });
    expect(world.events()).toEqual(['Renewal Requested', 'Renewal Failed']);
  });

  it("ends an order someone deleted at the vault with Renewal Failed in Key Vault's words, and orders nothing", async () => {
    const { world, attempt } = await orderLeftPending('shop', { polls: 5 });

    await clientFor(vault.url).deleteCertificateOperation('shop');
    const look = await world.check(attempt);

    expect(look.outcome).toBe('failed');
    expect(look.message).toBe(
      'getCertificateOperation: PendingCertificateNotFound: Pending certificate not found: shop ' +
        '(the order or the certificate is gone from the vault: renew again to order anew)',
    );
    expect(world.events()).toEqual(['Renewal Requested', 'Renewal Failed']);
    expect(vault.requestCount('createCertificate')).toBe(1);
  });

  it('looks through throttling: the client retries a 429 after its Retry-After, with the production retry settings', async () => {
    const { world, attempt, next } = await orderLeftPending('shop', { polls: 2 });

    vault.throttleNext(3, 2);
    const look = await world.check(attempt);

    expect(look).toMatchObject({ outcome: 'succeeded', attempt: { newFingerprint: sha256(next) } });
    expect(vault.statusCount(429)).toBe(3);
  });

  it('leaves the attempt pending while the vault does not answer, and the look after the outage ends it', async () => {
    const { world, attempt, next } = await orderLeftPending('shop', { polls: 2 });

    vault.faults.failEveryCallWith = 503;
    const duringOutage = await world.check(attempt);
    vault.faults.failEveryCallWith = null;
    const afterOutage = await world.check(attempt);

    expect(duringOutage).toMatchObject({
      outcome: 'pending',
      message: `Key Vault did not answer about the order for ${vault.placeId('shop')} (ServiceUnavailable: vault unavailable (injected)); run renew again to check`,
    });
    expect(afterOutage).toMatchObject({ outcome: 'succeeded', attempt: { newFingerprint: sha256(next) } });
    expect(world.events()).toEqual(['Renewal Requested', 'Renewal Succeeded']);
  });

  it('tells the new version from the renewed certificate when a sync saw it before the look did', async () => {
    const { world, attempt, next } = await orderLeftPending('shop', { polls: 2 });

    // Someone looks at the order in the portal (it completes), and a scheduled sync runs before the workflow looks.
    await clientFor(vault.url).getCertificateOperation('shop');
    await world.sync();
    const look = await world.check(attempt);

    expect((await world.placeOf('shop'))?.fingerprint).toBe(sha256(next));
    expect(look).toMatchObject({ outcome: 'succeeded', attempt: { newFingerprint: sha256(next) } });
  });

  it('announces an attempt two looks end at once a single time', async () => {
    const { world, attempt } = await orderLeftPending('shop', { polls: 2 });

    // The workflow's look and a person's `certwarden renew` at the same moment.
    const looks = await world.checkAtOnce(attempt, 2);

    expect(looks.map((look) => look.outcome)).toEqual(['succeeded', 'succeeded']);
    expect(world.events()).toEqual(['Renewal Requested', 'Renewal Succeeded']);
  });

  it('renewing a place again while its order is in progress looks at that order instead of ordering a second time', async () => {
    const { world, attempt, next } = await orderLeftPending('shop', { polls: 3 });

    const planned = await world.renew('shop', undefined, { dryRun: true });
    const again = await world.renew('shop');
    const third = await world.renew('shop');

    expect(planned).toMatchObject({
      outcome: 'planned',
      message: `renewal ${attempt.renewalId} pending at the provider since ${attempt.requestedAt}: would look at it again, not renew`,
    });
    expect([again.outcome, third.outcome]).toEqual(['pending', 'succeeded']);
    expect(again.message).toMatch(/still in progress at DigiCert \(Pending issuance\.\); run renew again to check$/);
    expect([again.attempt?.renewalId, third.attempt?.renewalId]).toEqual([attempt.renewalId, attempt.renewalId]);
    expect(third.attempt).toMatchObject({ attempt: 1, newFingerprint: sha256(next) });
    expect(vault.requestCount('createCertificate')).toBe(1);
    expect(world.events()).toEqual(['Renewal Requested', 'Renewal Succeeded']);
  });
});
