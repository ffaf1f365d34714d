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
