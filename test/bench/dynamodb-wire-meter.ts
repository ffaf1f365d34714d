import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { createServer, request as httpRequest, type ClientRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  type AttributeValue,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/**
 * The unit of work (one scope's sync) that an HTTP request of this process belongs to: set around a handler
 * invocation, it follows the handler's promises into the SDK clients, so that fakes and this meter can tell
 * concurrent invocations apart without touching the code under test. Node publishes a request's start after its
 * headers are fixed, so the tag travels by socket: a keep-alive socket carries one request at a time, and the
 * server side looks its peer's port up when the request arrives.
 */
export const workTag = new AsyncLocalStorage<string>();
const portTags = new Map<number, string>();
let tagging = false;

/** Starts noting the current `workTag` of every outgoing HTTP request of this process. */
export function tagOutgoingRequests(): void {
  if (tagging) return;
  tagging = true;
  subscribe('http.client.request.start', (message) => {
    const tag = workTag.getStore() ?? '';
    const request = (message as { request: ClientRequest }).request;
    const mark = (socket: Socket) => {
      const note = () => portTags.set(socket.localPort!, tag);
      if (socket.localPort) note();
      else socket.once('connect', note);
    };
    if (request.socket) mark(request.socket);
    else request.once('socket', mark);
  });
}

/** The work tag of an incoming request from this process ('' when none). Call it when the request arrives. */
export const tagOf = (request: IncomingMessage): string => portTags.get(request.socket.remotePort ?? -1) ?? '';

/** What one unit of work asked of DynamoDB, as DynamoDB would bill and throttle it. */
export interface DynamoFigures {
  /** Requests by operation (`PutItem`, `Query`, …). */
  requests: Record<string, number>;
  writeRequests: number;
  /** Base-table write units, from the sizes of the items before and after each write (1 KB each, rounded up). */
  tableWriteUnits: number;
  /** Write units of the global secondary index copies (a key change costs a delete and a put). */
  indexWriteUnits: number;
  /** Index entries written or deleted. */
  indexCopies: number;
  /** What dynalite itself reported consumed by the writes: the base table only. */
  reportedWriteUnits: number;
  /** Read units as dynalite reported them. */
  readUnits: number;
  /** Items DynamoDB read (a query's ScannedCount, a get's hit), filtered or not. */
  itemsRead: number;
  /** Of which by Query and Scan. */
  itemsQueried: number;
  itemsReturned: number;
  /** Write units per partition, `<table or index name> <partition key value>`. */
  partitionUnits: Map<string, number>;
}

const emptyFigures = (): DynamoFigures => ({
  requests: {},
  writeRequests: 0,
  tableWriteUnits: 0,
  indexWriteUnits: 0,
  indexCopies: 0,
  reportedWriteUnits: 0,
  readUnits: 0,
  itemsRead: 0,
  itemsQueried: 0,
  itemsReturned: 0,
  partitionUnits: new Map(),
});

interface IndexShape {
  name: string;
  partition: string;
  sort?: string;
  /** Attributes copied into the index; undefined for ALL. */
  projected?: Set<string>;
}
interface TableShape {
  keys: string[];
  partition: string;
  indexes: IndexShape[];
}

/** A stored item's footprint: its own bytes and those of its index entries (100 bytes of overhead each). */
export interface StoredItem {
  tag: string;
  bytes: number;
  indexBytes: number;
  indexEntries: number;
}

// dynalite's implementation of DynamoDB's item size rules (attribute names + values, as DynamoDB documents them).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { itemSize } = require('dynalite/db') as { itemSize(item: Item): number };

/** DynamoDB's index entry overhead, per the developer guide's index storage rules. */
const INDEX_ENTRY_OVERHEAD = 100;
const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/**
 * A DynamoDB endpoint in front of dynalite that bills every request the way DynamoDB would, per work tag:
 * dynalite reports consumed capacity for the base table only, so each write's index copies are counted here from
 * the shapes of the item before and after it (read from dynalite around the write) and the table's own index
 * definitions (DescribeTable): an item is in an index when it has that index's key attributes; a write that
 * changes an index key costs a delete and a put there, one that changes no projected attribute costs nothing.
 */
export class DynamoWireMeter {
  private readonly figures = new Map<string, DynamoFigures>();
  private readonly shapes = new Map<string, Promise<TableShape>>();
  private readonly tails = new Map<string, Promise<void>>();
  /** Every item written, by table and key, with its current footprint. */
  readonly stored = new Map<string, StoredItem>();
  private readonly direct: DynamoDBClient;
  private server?: Server;
  endpoint = '';

  constructor(private readonly target: string) {
    this.direct = new DynamoDBClient({
      endpoint: target,
      region: 'us-east-1',
      credentials: { accessKeyId: 'meter', secretAccessKey: 'meter' },
    });
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.serve(request, Buffer.concat(chunks).toString('utf8')).then(
          ({ status, headers, body }) => {
            response.writeHead(status, headers);
            response.end(body);
          },
          (error: unknown) => {
            response.writeHead(500, { 'content-type': 'text/plain' });
            response.end(String(error));
          },
        );
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.direct.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The figures of one work tag so far. */
  of(tag: string): DynamoFigures {
    let figures = this.figures.get(tag);
    if (!figures) {
      figures = emptyFigures();
      this.figures.set(tag, figures);
    }
    return figures;
  }

  /** Forgets every tag's figures (not the stored items). */
  reset(): void {
    this.figures.clear();
  }

  private async serve(
    request: IncomingMessage,
    text: string,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
    const tag = tagOf(request);
    const figures = this.of(tag);
    figures.requests[operation] = (figures.requests[operation] ?? 0) + 1;
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(text || '{}') as Record<string, unknown>;
    } catch {
      return this.forward(request, text);
    }
    // Capacity is asked for when the caller did not: the caller's code ignores a field it did not request.
    const body = input.ReturnConsumedCapacity ? text : JSON.stringify({ ...input, ReturnConsumedCapacity: 'TOTAL' });
    if (!WRITE_OPERATIONS.has(operation)) {
      const answer = await this.forward(request, body);
      if (answer.status === 200) this.countRead(figures, JSON.parse(answer.body.toString('utf8')));
      return answer;
    }
    figures.writeRequests++;
    const writes = await this.writeTargets(operation, input);
    const keys = [...new Set(writes.map((write) => write.id))].sort();
    const release = await this.lock(keys);
    try {
      const before = await Promise.all(writes.map((write) => this.read(write.table, write.key)));
      const answer = await this.forward(request, body);
      const output = JSON.parse(answer.body.toString('utf8') || '{}') as Record<string, unknown>;
      for (const capacity of [output.ConsumedCapacity ?? []].flat() as Array<{ CapacityUnits?: number }>) {
        figures.reportedWriteUnits += capacity.CapacityUnits ?? 0;
      }
      if (answer.status !== 200) {
        // A refused conditional write still costs the base table its units; nothing reaches an index.
        for (const [index, write] of writes.entries())
          this.addPartition(figures, write.shape.partition, write.table, before[index], writeUnits(before[index]));
        figures.tableWriteUnits += writes.reduce((sum, _, index) => sum + writeUnits(before[index]), 0);
        return answer;
      }
      const after = await Promise.all(writes.map((write) => this.read(write.table, write.key)));
      for (const [index, write] of writes.entries()) {
        this.countWrite(figures, tag, write, before[index], after[index]);
      }
      return answer;
    } finally {
      release();
    }
  }

  private countRead(figures: DynamoFigures, output: Record<string, unknown>): void {
    for (const capacity of [output.ConsumedCapacity ?? []].flat() as Array<{ CapacityUnits?: number }>) {
      figures.readUnits += capacity.CapacityUnits ?? 0;
    }
    if (typeof output.ScannedCount === 'number') {
      figures.itemsRead += output.ScannedCount;
      figures.itemsQueried += output.ScannedCount;
    }
    if (typeof output.Count === 'number') figures.itemsReturned += output.Count;
    if (output.Item) {
      figures.itemsRead++;
      figures.itemsReturned++;
    }
    const responses = output.Responses as Record<string, unknown[]> | undefined;
    if (responses && !Array.isArray(responses)) {
      const found = Object.values(responses).reduce((sum, items) => sum + items.length, 0);
      figures.itemsRead += found;
      figures.itemsReturned += found;
    }
  }

  private countWrite(
    figures: DynamoFigures,
    tag: string,
    write: WriteTarget,
    before: Item | undefined,
    after: Item | undefined,
  ): void {
    const units = Math.max(writeUnits(before), writeUnits(after)) * write.multiplier;
    figures.tableWriteUnits += units;
    this.addPartition(figures, write.shape.partition, write.table, after ?? before, units);
    let indexBytes = 0;
    let indexEntries = 0;
    for (const index of write.shape.indexes) {
      const old = entryOf(index, write.shape, before);
      const next = entryOf(index, write.shape, after);
      if (next) {
        indexBytes += next.bytes;
        indexEntries++;
      }
      const changes: Array<{ entry: IndexEntry; item: Item }> = [];
      if (old && next && old.key === next.key) {
        if (old.projection !== next.projection) changes.push({ entry: next, item: after! });
      } else {
        if (old) changes.push({ entry: old, item: before! });
        if (next) changes.push({ entry: next, item: after! });
      }
      for (const { entry, item } of changes) {
        const copyUnits = Math.ceil(entry.bytes / 1024) * write.multiplier;
        figures.indexCopies++;
        figures.indexWriteUnits += copyUnits;
        this.addPartition(figures, index.partition, index.name, item, copyUnits);
      }
    }
    if (after) {
      this.stored.set(write.id, { tag, bytes: itemSize(after), indexBytes, indexEntries });
    } else {
      this.stored.delete(write.id);
    }
  }

  private addPartition(
    figures: DynamoFigures,
    attribute: string,
    name: string,
    item: Item | undefined,
    units: number,
  ): void {
    const value = item?.[attribute];
    if (!value) return;
    const partition = `${name} ${Object.values(value)[0] as string}`;
    figures.partitionUnits.set(partition, (figures.partitionUnits.get(partition) ?? 0) + units);
  }

  private async writeTargets(operation: string, input: Record<string, unknown>): Promise<WriteTarget[]> {
    const one = async (table: string, key: Item | undefined, item: Item | undefined, multiplier = 1) => {
      const shape = await this.shapeOf(table);
      const fullKey = Object.fromEntries(shape.keys.map((name) => [name, (key ?? item ?? {})[name]]));
      return { table, key: fullKey, id: `${table} ${JSON.stringify(fullKey)}`, shape, multiplier };
    };
    const table = input.TableName as string;
    switch (operation) {
      case 'PutItem':
        return [await one(table, undefined, input.Item as Item)];
      case 'UpdateItem':
      case 'DeleteItem':
        return [await one(table, input.Key as Item, undefined)];
      case 'BatchWriteItem':
        return Promise.all(
          Object.entries(
            input.RequestItems as Record<string, Array<{ PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }>>,
          ).flatMap(([name, requests]) =>
            requests.map((entry) => one(name, entry.DeleteRequest?.Key, entry.PutRequest?.Item)),
          ),
        );
      case 'TransactWriteItems':
        // A transactional write costs twice the units of a standard one.
        return Promise.all(
          (input.TransactItems as Array<Record<string, { TableName: string; Key?: Item; Item?: Item }>>)
            .flatMap((entry) => Object.entries(entry))
            .filter(([kind]) => kind !== 'ConditionCheck')
            .map(([, action]) => one(action.TableName, action.Key, action.Item, 2)),
        );
      default:
        return [];
    }
  }

  private shapeOf(table: string): Promise<TableShape> {
    let shape = this.shapes.get(table);
    if (!shape) {
      shape = this.direct.send(new DescribeTableCommand({ TableName: table })).then(({ Table }) => tableShape(Table!));
      this.shapes.set(table, shape);
    }
    return shape;
  }

  private async read(table: string, key: Item): Promise<Item | undefined> {
    const { Item } = await this.direct.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }));
    return Item;
  }

  /** Waits for every earlier write of these keys, so that a before and after image belong to one write. */
  private async lock(keys: string[]): Promise<() => void> {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const waits = keys.map((key) => this.tails.get(key) ?? Promise.resolve());
    for (const key of keys) this.tails.set(key, done);
    await Promise.all(waits);
    return () => {
      release();
      for (const key of keys) if (this.tails.get(key) === done) this.tails.delete(key);
    };
  }

  private forward(
    request: IncomingMessage,
    body: string,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const url = new URL(this.target);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined && name !== 'content-length' && name !== 'host') headers[name] = String(value);
    }
    headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        { host: url.hostname, port: url.port, method: request.method, path: request.url, headers },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const answerHeaders: Record<string, string> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined && name !== 'connection' && name !== 'transfer-encoding')
                answerHeaders[name] = String(value);
            }
            resolve({ status: response.statusCode ?? 500, headers: answerHeaders, body: Buffer.concat(chunks) });
          });
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }
}

interface WriteTarget {
  table: string;
  key: Item;
  id: string;
  shape: TableShape;
  /** 2 in a transaction. */
  multiplier: number;
}

interface IndexEntry {
  key: string;
  projection: string;
  bytes: number;
}

function tableShape(table: TableDescription): TableShape {
  const keyOf = (schema: TableDescription['KeySchema'], type: 'HASH' | 'RANGE') =>
    schema?.find((element) => element.KeyType === type)?.AttributeName;
  const keys = (table.KeySchema ?? []).map((element) => element.AttributeName!);
  return {
    keys,
    partition: keyOf(table.KeySchema, 'HASH')!,
    indexes: (table.GlobalSecondaryIndexes ?? []).map((index) => {
      const partition = keyOf(index.KeySchema, 'HASH')!;
      const sort = keyOf(index.KeySchema, 'RANGE');
      const type = index.Projection?.ProjectionType ?? 'ALL';
      return {
        name: index.IndexName!,
        partition,
        sort,
        projected:
          type === 'ALL'
            ? undefined
            : new Set([
                ...keys,
                partition,
                ...(sort ? [sort] : []),
                ...(type === 'INCLUDE' ? (index.Projection?.NonKeyAttributes ?? []) : []),
              ]),
      };
    }),
  };
}

/** The entry an item has in an index, if it has the index's key attributes. */
function entryOf(index: IndexShape, table: TableShape, item: Item | undefined): IndexEntry | undefined {
  if (!item || !item[index.partition] || (index.sort && !item[index.sort])) return undefined;
  const projected = Object.fromEntries(
    Object.entries(item).filter(([name]) => !index.projected || index.projected.has(name)),
  );
  return {
    key: canonical([item[index.partition], index.sort ? item[index.sort] : null, ...table.keys.map((k) => item[k])]),
    projection: canonical(projected),
    bytes: itemSize(projected) + INDEX_ENTRY_OVERHEAD,
  };
}

/** 1 KB write units of an item (1 for a missing one, as DynamoDB bills a write of nothing). */
const writeUnits = (item: Item | undefined) => (item ? Math.max(1, Math.ceil(itemSize(item) / 1024)) : 1);

/** JSON with object keys sorted, so that equal items compare equal whatever their attribute order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
