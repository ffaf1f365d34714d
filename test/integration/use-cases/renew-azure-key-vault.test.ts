import { createHash } from 'node:crypto';
import { DynamoRenewalLedger } from '../../../lib/adapters/dynamodb-renewal-ledger';
import { AzureKeyVaultSource, createKeyVaultClient } from '../../../lib/connectors/azure-key-vault';
import { AzureKeyVaultRenewer } from '../../../lib/connectors/azure-key-vault-renewer';
import type { RenewalDetail } from '../../../lib/domain/events';
import { fixedClock } from '../../../lib/ports/clock';
import { locationIdOf } from '../../../lib/ports/certificate-source';
import { renew } from '../../../lib/use-cases/renew';
import { syncSource } from '../../../lib/use-cases/sync';
import {
  FakeKeyVault,
  LeafFactory,
  StubTokenCredential,
  makeFakeTls,
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
