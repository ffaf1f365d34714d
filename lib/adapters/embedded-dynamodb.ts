import { readFile, unlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { Level } from 'level';
import { CertwardenError } from '../domain/errors';
import { INVENTORY_INDEXES, inventoryTableDefinition } from './dynamodb-table';

export interface EmbeddedDynamoDb {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * DynamoDB in this process (dynalite), listening on loopback only. With `path` the data lives in LevelDB on
 * disk and survives restarts; without it, in memory. With `thread`, dynalite runs in a worker thread: its request
 * handling and LevelDB then use a core of their own instead of sharing the caller's (a first `scan` spends about
 * as much CPU in dynalite as in the caller's SDK client).
 */
export async function startEmbeddedDynamoDb(
  options: { path?: string; thread?: boolean } = {},
): Promise<EmbeddedDynamoDb> {
  if (!options.path) return options.thread ? startInWorker(undefined) : startInProcess(undefined);
  await probeLevelDb(options.path);
  const started = await (options.thread ? startInWorker(options.path) : startInProcess(options.path));
  const release = await recordHolder(options.path);
  return {
    endpoint: started.endpoint,
    close: async () => {
      await release();
      await started.close();
    },
  };
}

/** The process holding an embedded store open, as it recorded itself beside the store. */
export interface StoreHolder {
  pid: number;
  /** When it opened the store (ISO 8601). */
  since: string;
}

/**
 * LevelDB's LOCK says that a store is held, not by whom: each process that opens one writes its pid beside it,
 * so that another refused the lock can name the holder. A crashed holder leaves the file behind (the operating
 * system releases its lock), and the next process to open the store overwrites it.
 */
const holderFileOf = (path: string) => `${path}.holder`;

async function recordHolder(path: string): Promise<() => Promise<void>> {
  const holder: StoreHolder = { pid: process.pid, since: new Date().toISOString() };
  await writeFile(holderFileOf(path), JSON.stringify(holder));
  return async () => {
    // Only our own record: after a crash and restart another process may have written its own.
    if ((await storeHolder(path))?.pid === process.pid) await unlink(holderFileOf(path)).catch(() => {});
  };
}

/** The process recorded as holding the store at `path`, while it still runs; undefined when none is known. */
export async function storeHolder(path: string): Promise<StoreHolder | undefined> {
  let holder: Partial<StoreHolder>;
  try {
    holder = JSON.parse(await readFile(holderFileOf(path), 'utf8')) as Partial<StoreHolder>;
  } catch {
    return undefined;
  }
  if (typeof holder.pid !== 'number' || typeof holder.since !== 'string') return undefined;
  return isRunning(holder.pid) ? { pid: holder.pid, since: holder.since } : undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * dynalite 4.0.0 ends each query's stream by calling its iterator's `return()`, which abstract-level 3's iterators do
 * not have: no iterator was ever closed. Each kept its LevelDB snapshot (so compaction could delete none of the table
 * files it saw, which LevelDB keeps mapped) and its read buffer until the store closed: a first scan of 15,000 files
 * peaked at 2.7 GB of which 1.7 GB were mapped table files. Given the `return()` dynalite calls, each iterator closes
 * as its query ends. Runs in the thread that loads dynalite; `toString()` carries it into the worker's source.
 */
function closeIteratorsOnReturn(abstractLevel: Record<string, { prototype: object } | undefined>): void {
  for (const name of ['AbstractIterator', 'AbstractKeyIterator', 'AbstractValueIterator']) {
    const prototype = abstractLevel[name]?.prototype as { return?: () => Promise<void>; close(): Promise<void> };
    if (prototype && typeof prototype.return !== 'function') {
      prototype.return = function (this: { close(): Promise<void> }) {
        return this.close();
      };
    }
  }
}

/** The abstract-level module(s) dynalite's stores are made of, as dynalite itself resolves them. */
function abstractLevelsOfDynalite(): string[] {
  const from = (name: string, dir: string) => dirname(require.resolve(`${name}/package.json`, { paths: [dir] }));
  const dynaliteDir = dirname(require.resolve('dynalite'));
  const stores = [from('classic-level', from('level', dynaliteDir)), from('memory-level', dynaliteDir)];
  return [...new Set(stores.map((store) => require.resolve('abstract-level', { paths: [store] })))];
}

async function startInProcess(path: string | undefined): Promise<EmbeddedDynamoDb> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  for (const module of abstractLevelsOfDynalite()) closeIteratorsOnReturn(require(module));
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The worker thread's program: plain CommonJS, so it runs the same from the sources and the built package. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
for (const module of workerData.abstractLevels) (${closeIteratorsOnReturn.toString()})(require(module));
const dynalite = require(workerData.dynalite);
const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (error) => parentPort.postMessage({ error: String(error && error.message) }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', () => {
  if (server.closeAllConnections) server.closeAllConnections();
  server.close(() => parentPort.postMessage({ closed: true }));
});
`;

async function startInWorker(path: string | undefined): Promise<EmbeddedDynamoDb> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path, dynalite: require.resolve('dynalite'), abstractLevels: abstractLevelsOfDynalite() },
  });
  let failure: Error | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    // After start, a failure inside dynalite ends the thread: requests then fail to connect, and close says why.
    worker.on('error', (error) => reject((failure = error)));
    worker.once('message', (message: { port?: number; error?: string }) =>
      message.port ? resolve(message.port) : reject(new Error(message.error ?? 'dynalite did not start')),
    );
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      if (!failure) {
        await new Promise<void>((resolve) => {
          worker.once('message', () => resolve());
          worker.once('exit', () => resolve());
          worker.postMessage('close');
        });
      }
      await worker.terminate();
      if (failure) throw failure;
    },
  };
}

/** Creates the inventory table unless it exists; waits until it is active. */
export async function ensureInventoryTable(client: DynamoDBDocumentClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(inventoryTableDefinition(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return refuseOtherLayout(tableName, Table.GlobalSecondaryIndexes ?? []);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`table ${tableName} did not become active`);
}

/**
 * A table made by a build with other index keys would answer every query with nothing (no tombstones, no alerts):
 * refused in one line rather than silently wrong. Its indexes tell the layouts apart.
 */
function refuseOtherLayout(tableName: string, indexes: Array<{ IndexName?: string }>): void {
  const wanted = Object.keys(INVENTORY_INDEXES).sort().join(', ');
  const found = indexes
    .map((index) => index.IndexName)
    .sort()
    .join(', ');
  if (found !== wanted) {
    throw new CertwardenError(
      `the inventory table ${tableName} was made by another certwarden version (indexes: ${found || 'none'}); ` +
        'sync into a new one (another --table, or another CERTWARDEN_HOME)',
    );
  }
}

/**
 * Opens and closes the LevelDB directory first: dynalite opens it in the background and, when that fails (another
 * process holds its LOCK, a read-only file system), throws "Database is closed" from inside a callback at the first
 * request, where no caller can catch it. Here the failure is a rejected promise with LevelDB's cause attached.
 */
async function probeLevelDb(path: string): Promise<void> {
  const db = new Level(path);
  try {
    await db.open({ createIfMissing: true });
  } finally {
    await db.close();
  }
}
