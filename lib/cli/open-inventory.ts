import { join, resolve } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../adapters/dynamodb-client';
import { DynamoInventoryStore } from '../adapters/dynamodb-inventory-store';
import { DynamoDbMeter } from '../adapters/dynamodb-meter';
import { ensureInventoryTable, startEmbeddedDynamoDb, storeHolder } from '../adapters/embedded-dynamodb';
import { CertwardenError } from '../domain/errors';
import { describeIoError } from './io-errors';
import type { WriteCount } from './render';

export const DEFAULT_TABLE = 'certwarden-inventory';

/** Where the CLI keeps its embedded database and the demo estate; git-ignored. */
export const dataDirectory = (): string => resolve(process.env.CERTWARDEN_HOME ?? '.certwarden');

export interface StoreOptions {
  /** `embedded` (default: dynalite on disk under the data directory), `aws` (the regional endpoint) or a URL. */
  store?: string;
  table?: string;
}

export interface OpenInventory {
  store: DynamoInventoryStore;
  /** The client and table the store uses, for the other records kept in the same table (the alert ledger). */
  client: DynamoDBDocumentClient;
  tableName: string;
  meter: DynamoDbMeter;
  /** Where the inventory lives, for people: a path or an endpoint. */
  description: string;
  close(): Promise<void>;
}

/**
 * What a command does with the inventory, which decides where the embedded dynalite runs. `writes` (sync, scan,
 * evaluate: a request or more per place) runs it in a worker thread, where its request handling and LevelDB get a
 * core of their own (a first scan 149 → 217 files/s). `reads` (a listing, a report) keeps it in this thread: a read
 * is LevelDB's and the SDK's parsing, one after the other, and a second isolate only adds its start and its own
 * garbage collection (`list` of 10,000 places: 2.55 s of CPU with the thread, 2.24 s without, the wall time no
 * longer; docs/benchmarks.md, "CLI").
 */
export type InventoryUse = 'reads' | 'writes';

export async function openInventory(options: StoreOptions, use: InventoryUse = 'writes'): Promise<OpenInventory> {
  const table = options.table ?? process.env.CERTWARDEN_TABLE ?? DEFAULT_TABLE;
  const target = options.store ?? process.env.CERTWARDEN_STORE ?? 'embedded';
  let client: DynamoDBDocumentClient;
  let stopEmbedded = async () => {};
  let description: string;
  if (target === 'embedded') {
    const path = join(dataDirectory(), 'dynamodb');
    const embedded = await startEmbeddedDynamoDb({ path, thread: use === 'writes' }).catch(async (error: unknown) => {
      throw new CertwardenError(
        `cannot open the embedded inventory at ${path}: ${await describeStoreError(error, path)}`,
        {
          cause: error,
        },
      );
    });
    client = createDocumentClient({ endpoint: embedded.endpoint });
    stopEmbedded = embedded.close;
    description = `embedded DynamoDB at ${path}, table ${table}`;
    await ensureInventoryTable(client, table);
  } else if (target === 'aws') {
    client = createDocumentClient();
    description = `DynamoDB table ${table}`;
  } else {
    if (!URL.canParse(target))
      throw new CertwardenError(`--store ${target}: expected "embedded", "aws" or an endpoint URL`);
    client = createDocumentClient({ endpoint: target });
    description = `DynamoDB at ${target}, table ${table}`;
    // A local DynamoDB is ours to set up; a remote table is deployed by the stack, never created from here.
    if (new URL(target).hostname.match(/^(localhost|127\.|\[::1\])/)) await ensureInventoryTable(client, table);
  }
  const meter = new DynamoDbMeter().attach(client);
  return {
    store: new DynamoInventoryStore(client, table),
    client,
    tableName: table,
    meter,
    description,
    close: async () => {
      client.destroy();
      await stopEmbedded();
    },
  };
}

/** Opens the inventory for `work` and closes it however `work` ends. */
export async function withInventory<T>(
  options: StoreOptions,
  work: (inventory: OpenInventory) => Promise<T>,
  use: InventoryUse = 'writes',
): Promise<T> {
  const inventory = await openInventory(options, use);
  try {
    return await work(inventory);
  } finally {
    await inventory.close();
  }
}

/**
 * Why LevelDB would not open, in a few words: held by another process (named when it is a certwarden, so that
 * the person knows what to wait for or stop), read-only, or the file system's error.
 */
async function describeStoreError(error: unknown, path: string): Promise<string> {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'LEVEL_LOCKED') {
    const holder = await storeHolder(path);
    return holder
      ? `it is in use by certwarden process ${holder.pid} (open since ${holder.since}); wait for it to finish, or stop it`
      : 'it is in use by another process (another certwarden running?)';
  }
  const message = cause?.message ?? (error as Error).message;
  if (/read-only file system|EROFS/i.test(message)) return 'it is on a read-only file system';
  if (/permission denied|EACCES|EPERM/i.test(message)) return 'permission denied (the store must be writable)';
  return describeIoError(cause ?? error);
}

/** The meter's writes since its last reset, as a sync report shows them. */
export const writesOf = (meter: DynamoDbMeter): WriteCount => ({
  requests: meter.writeRequests,
  items: new Map(meter.itemsWritten),
});
