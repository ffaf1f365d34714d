import { randomUUID } from 'node:crypto';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoDbMeter } from '../../lib/adapters/dynamodb-meter';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import {
  ensureInventoryTable,
  startEmbeddedDynamoDb,
  type EmbeddedDynamoDb,
} from '../../lib/adapters/embedded-dynamodb';
import { contentHash } from '../../lib/domain/content-hash';
import type { LocationChange, LocationState, StoredLocation } from '../../lib/ports/inventory-store';

export interface TestInventory {
  store: DynamoInventoryStore;
  client: DynamoDBDocumentClient;
  meter: DynamoDbMeter;
  tableName: string;
  /** The embedded DynamoDB's URL: what `certwarden --store` takes to read this inventory. */
  endpoint: string;
  /** Every item in the table: for assertions only (the product never scans). */
  scanAll(): Promise<Array<Record<string, unknown>>>;
}

/** One in-memory dynalite per test file; each call makes a fresh table on it. */
export function useEmbeddedDynamoDb(): { inventory(): Promise<TestInventory> } {
  let server: EmbeddedDynamoDb | undefined;
  const clients: DynamoDBDocumentClient[] = [];
  beforeAll(async () => {
    server = await startEmbeddedDynamoDb();
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.close();
  });
  return {
    async inventory() {
      const client = createDocumentClient({ endpoint: server!.endpoint });
      clients.push(client);
      const tableName = `inventory-${randomUUID()}`;
      await ensureInventoryTable(client, tableName);
      const meter = new DynamoDbMeter().attach(client);
      const store = new DynamoInventoryStore(client, tableName);
      const scanAll = async () => {
        const items: Array<Record<string, unknown>> = [];
        let ExclusiveStartKey: Record<string, unknown> | undefined;
        do {
          const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey }));
          items.push(...(page.Items ?? []));
          ExclusiveStartKey = page.LastEvaluatedKey;
        } while (ExclusiveStartKey);
        return items;
      };
      return { store, client, meter, tableName, endpoint: server!.endpoint, scanAll };
    },
  };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of iterable) values.push(value);
  return values;
}

/**
 * A live local-files place `id` with a certificate of that name (notAfter 2026-09-01 unless told), its content
 * hash computed: what a sync would store, for tests of the store and of what reads it.
 */
export function placeState(id: string, overrides: Partial<LocationState> & { notAfter?: string } = {}): LocationState {
  const { notAfter = '2026-09-01T00:00:00.000Z', ...rest } = overrides;
  const fingerprint = rest.fingerprint === undefined ? `fp-${id}` : rest.fingerprint;
  const base: Omit<LocationState, 'contentHash'> = {
    locationId: `local-files:${id}`,
    source: 'test',
    sourceKind: 'local-files',
    nativeId: id,
    scope: '/certs',
    role: 'leaf',
    status: 'live',
    owner: 'team-a',
    tags: {},
    fingerprint,
    certificate: fingerprint
      ? {
          subject: `CN=${id}`,
          subjectCommonName: id,
          issuer: 'CN=CA',
          dnsNames: [id],
          notBefore: '2026-01-01T00:00:00.000Z',
          notAfter,
          kind: 'tls-server',
          keyAlgorithm: 'EC',
          keySize: 256,
          signatureHash: 'SHA-256',
          isCA: false,
          selfSigned: false,
          publicKeySha256: `spki-${id}`,
        }
      : null,
    ...rest,
  };
  return { ...base, contentHash: contentHash(base) };
}

/** Stores a place as discovered at `at` (2026-06-01 unless told). */
export async function placeAt(
  inventory: { store: { applyChange(c: LocationChange): Promise<StoredLocation | 'conflict'> } },
  next: LocationState,
  at = '2026-06-01T00:00:00.000Z',
): Promise<StoredLocation> {
  const stored = await inventory.store.applyChange({ next, change: 'discovered', at });
  if (stored === 'conflict') throw new Error('unexpected conflict');
  return stored;
}
