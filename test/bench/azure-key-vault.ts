import { randomUUID } from 'node:crypto';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { DynamoDbMeter } from '../../lib/adapters/dynamodb-meter';
import { ensureInventoryTable, startEmbeddedDynamoDb } from '../../lib/adapters/embedded-dynamodb';
import { AzureKeyVaultSource, createKeyVaultClient } from '../../lib/connectors/azure-key-vault';
import { systemClock } from '../../lib/ports/clock';
import { syncSource, type SyncReport } from '../../lib/use-cases/sync';
import {
  LeafFactory,
  StubTokenCredential,
  makeFakeTls,
  startFakeVaults,
  type FakeKeyVault,
} from '../support/fakes/key-vault-server';

export interface BenchRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

const VAULTS = 4;
const PER_VAULT = 2_500;

/**
 * Syncs 10,000 certificates in 4 fake vaults (the real SDK over TLS) into an in-memory dynalite, then
 * resyncs them unchanged: API calls by operation, wall time and DynamoDB write requests of each. The
 * resync's target is the listing alone, 25 certificates a page, without one `getCertificate`.
 */
export async function benchAzureKeyVault(): Promise<BenchRow[]> {
  const [tls, leaves] = await Promise.all([makeFakeTls(), LeafFactory.create()]);
  const credential = new StubTokenCredential();
  const vaults = await startFakeVaults(VAULTS, { tls, token: credential.token });
  const dynamo = await startEmbeddedDynamoDb();
  const client = createDocumentClient({ endpoint: dynamo.endpoint });
  try {
    const ders = await Promise.all(
      Array.from({ length: VAULTS * PER_VAULT }, (_, index) => leaves.issue(`host-${index}.example.com`)),
    );
    vaults.forEach((vault, v) => {
      for (let i = 0; i < PER_VAULT; i++) {
        vault.add(`cert-${String(i).padStart(5, '0')}`, {
          der: ders[v * PER_VAULT + i],
          tags: { owner: `team-${i % 20}` },
        });
      }
    });

    const table = `bench-key-vault-${randomUUID()}`;
    await ensureInventoryTable(client, table);
    const meter = new DynamoDbMeter().attach(client);
    const store = new DynamoInventoryStore(client, table);
    const source = new AzureKeyVaultSource({
      name: 'bench-key-vault',
      vaults: vaults.map((vault) => ({ url: vault.url })),
      clientFor: (vault) =>
        createKeyVaultClient(vault.url, credential, {
          tlsOptions: { ca: tls.caPem },
          disableChallengeResourceVerification: true,
        }),
    });

    const measure = async () => {
      for (const vault of vaults) vault.resetCounts();
      meter.reset();
      const started = process.hrtime.bigint();
      const report = await syncSource({ source, store, clock: systemClock });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return { report, seconds, calls: callsOf(vaults), writes: meter.writeRequests };
    };
    const first = await measure();
    const resync = await measure();

    const pages = vaults.reduce((sum, vault) => sum + vault.pagesPerListing(), 0);
    const listOnly = [...resync.calls].every(([operation]) => operation === 'listCertificates');
    const rows: BenchRow[] = [
      { figure: 'Key Vault: certificates synced', value: `${VAULTS * PER_VAULT} in ${VAULTS} vaults` },
      { figure: 'Key Vault first sync: API calls by operation', value: describeCalls(first.calls) },
      { figure: 'Key Vault first sync: wall time', value: `${first.seconds.toFixed(1)} s (${outcome(first.report)})` },
      { figure: 'Key Vault first sync: DynamoDB write requests', value: String(first.writes) },
      {
        figure: 'Key Vault unchanged resync: API calls by operation',
        value: describeCalls(resync.calls),
        target: `list pages only (${pages})`,
        met: listOnly && resync.calls.get('listCertificates') === pages,
      },
      {
        figure: 'Key Vault unchanged resync: wall time',
        value: `${resync.seconds.toFixed(1)} s (${outcome(resync.report)})`,
      },
      {
        figure: 'Key Vault unchanged resync: DynamoDB write requests',
        value: String(resync.writes),
        target: '0',
        met: resync.writes === 0,
      },
    ];
    return rows;
  } finally {
    client.destroy();
    await Promise.all([dynamo.close(), ...vaults.map((vault) => vault.close())]);
  }
}

/** Requests the vaults received, by operation; the bearer challenges (one per vault, first sync) apart. */
function callsOf(vaults: FakeKeyVault[]): Map<string, number> {
  const calls = new Map<string, number>();
  for (const vault of vaults) {
    for (const [operation, count] of vault.requests) calls.set(operation, (calls.get(operation) ?? 0) + count);
  }
  return calls;
}

const describeCalls = (calls: Map<string, number>) =>
  [...calls]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, count]) => `${operation} ${count}`)
    .join(', ');

const outcome = (report: SyncReport) =>
  Object.entries(report.counts)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
