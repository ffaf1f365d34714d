import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { AbstractIterator, AbstractKeyIterator, AbstractLevel, AbstractValueIterator } from 'abstract-level';
import { createDocumentClient } from '../../../lib/adapters/dynamodb-client';
import { ensureInventoryTable, startEmbeddedDynamoDb } from '../../../lib/adapters/embedded-dynamodb';

/**
 * The embedded store under dynalite, in this process so that its LevelDB's open iterators can be counted: every
 * resource a store opens is attached to it until closed (abstract-level's attachResource / detachResource).
 */
describe('the embedded DynamoDB on disk', () => {
  const open = new Set<object>();
  let opened = 0;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'certwarden-embedded-'));
    const isIterator = (resource: object) =>
      resource instanceof AbstractIterator ||
      resource instanceof AbstractKeyIterator ||
      resource instanceof AbstractValueIterator;
    type Resources = { attachResource(resource: object): void; detachResource(resource: object): void };
    const prototype = AbstractLevel.prototype as unknown as Resources;
    const attach = prototype.attachResource;
    const detach = prototype.detachResource;
    jest.spyOn(prototype, 'attachResource').mockImplementation(function (this: Resources, resource) {
      if (isIterator(resource)) {
        opened++;
        open.add(resource);
      }
      return attach.call(this, resource);
    });
    jest.spyOn(prototype, 'detachResource').mockImplementation(function (this: Resources, resource) {
      open.delete(resource);
      return detach.call(this, resource);
    });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('closes the iterator of every query as the query ends, whether it stopped at its Limit or at the end', async () => {
    const server = await startEmbeddedDynamoDb({ path: join(dir, 'store') });
    const client = createDocumentClient({ endpoint: server.endpoint });
    try {
      await ensureInventoryTable(client, 'inventory');
      const items = Array.from({ length: 25 }, (_, index) => ({ pk: 'KEY#shared', sk: `FP#${index}`, type: 'x' }));
      await client.send(
        new BatchWriteCommand({ RequestItems: { inventory: items.map((Item) => ({ PutRequest: { Item } })) } }),
      );
      const query = (limit?: number) =>
        client.send(
          new QueryCommand({
            TableName: 'inventory',
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': 'KEY#shared' },
            Limit: limit,
          }),
        );
      const answers = await Promise.all([query(5), query(5), query(), query(50), query(1)]);
      expect(answers.map((answer) => answer.Items?.length)).toEqual([5, 5, 25, 25, 1]);
      expect(answers[0].LastEvaluatedKey).toBeDefined();

      // A store left a LevelDB snapshot open for each (a 15,000-file scan: 2.7 GB, mostly table files it kept).
      expect(opened).toBeGreaterThanOrEqual(5);
      for (let wait = 0; wait < 50 && open.size > 0; wait++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(open.size).toBe(0);
    } finally {
      client.destroy();
      await server.close();
    }
  });
});
