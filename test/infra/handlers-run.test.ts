import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, SQSEvent } from 'aws-lambda';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import {
  ensureInventoryTable,
  startEmbeddedDynamoDb,
  type EmbeddedDynamoDb,
} from '../../lib/adapters/embedded-dynamodb';
import { CertwardenConfig } from '../../lib/domain/config';
import { generateEstate } from '../bench/generate-estate';

/**
 * The sync worker and the metrics function run for real, in process: an SQS event → syncSource → an embedded
 * DynamoDB, events to a fake EventBridge (the real SDK clients, pointed at local endpoints by the SDK's own
 * AWS_ENDPOINT_URL_* variables). The worker is configured for local-files here only because that source needs
 * no provider; the construct never deploys one.
 */
const TABLE = 'certwarden-run';
let dynamo: EmbeddedDynamoDb;
let eventBridge: Server;
let estate: string;
const published: Array<{ DetailType: string; Source: string; EventBusName: string }> = [];
let sqs: Server;
const sent: Array<{ target: string; QueueUrl: string; Entries: Array<{ Id: string; MessageBody: string }> }> = [];
const context = {
  functionName: 'test',
  awsRequestId: 'req',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  await ensureInventoryTable(createDocumentClient({ endpoint: dynamo.endpoint }), TABLE);
  eventBridge = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const { Entries } = JSON.parse(body);
      published.push(...Entries);
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: 'e' })) }));
    });
  });
  await new Promise<void>((resolve) => eventBridge.listen(0, '127.0.0.1', resolve));
  sqs = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const batch = JSON.parse(body);
      sent.push({ target: String(request.headers['x-amz-target']), ...batch });
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(
        JSON.stringify({
          Successful: batch.Entries.map(({ Id, MessageBody }: { Id: string; MessageBody: string }) => ({
            Id,
            MessageId: Id,
            MD5OfMessageBody: createHash('md5').update(MessageBody).digest('hex'),
          })),
          Failed: [],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => sqs.listen(0, '127.0.0.1', resolve));
  estate = mkdtempSync(join(tmpdir(), 'certwarden-run-'));
  await generateEstate(estate, 5, new Date());
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${(eventBridge.address() as AddressInfo).port}`,
    AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${(sqs.address() as AddressInfo).port}`,
    CERTWARDEN_SYNC_QUEUES: JSON.stringify({ 'aws-acm': queueUrl() }),
    CERTWARDEN_TABLE: TABLE,
    CERTWARDEN_EVENT_BUS: 'certwarden',
    CERTWARDEN_SOURCE_KIND: 'local-files',
    POWERTOOLS_SERVICE_NAME: 'certwarden-test',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
});

afterAll(async () => {
  await dynamo.close();
  await new Promise((resolve) => eventBridge.close(resolve));
  await new Promise((resolve) => sqs.close(resolve));
  rmSync(estate, { recursive: true, force: true });
});

/** The SQS client sends to the host of the queue URL, so the queue lives on the fake. */
const queueUrl = () => `http://127.0.0.1:${(sqs.address() as AddressInfo).port}/111111111111/acm`;

const record = (messageId: string, body: unknown) =>
  ({
    messageId,
    body: JSON.stringify(body),
    eventSource: 'aws:sqs',
    attributes: {},
  }) as unknown as SQSEvent['Records'][0];

describe('the handlers, run in process', () => {
  it('sync worker: syncs the message source into the inventory, publishes its events, and fails only bad records', async () => {
    const { handler } = await import('../../functions/sync-worker/handler');
    const [source] = CertwardenConfig.parse({ sources: [{ kind: 'local-files', name: 'disk', root: estate }] }).sources;
    const response = await handler(
      { Records: [record('good', { source, scope: null }), record('bad', { source: { kind: 'nope' }, scope: null })] },
      context,
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
    const store = new DynamoInventoryStore(createDocumentClient({ endpoint: dynamo.endpoint }), TABLE);
    const live = [];
    for await (const location of store.bySource('disk', 'live')) live.push(location);
    expect(live.length).toBeGreaterThanOrEqual(5);
    expect(published.length).toBeGreaterThanOrEqual(5);
    expect(published[0]).toMatchObject({
      Source: 'certwarden',
      EventBusName: 'certwarden',
      DetailType: 'Certificate Discovered',
    });
  });

  it("sync planner: one message per scope of the scheduled source, to its kind's queue, in batches of 10", async () => {
    const { handler } = await import('../../functions/sync-planner/handler');
    const accounts = Array.from({ length: 6 }, (_, i) => ({ accountId: String(i + 1).repeat(12) }));
    const [source] = CertwardenConfig.parse({
      sources: [{ kind: 'aws-acm', name: 'org', regions: ['eu-west-1', 'us-east-1'], accounts }],
    }).sources;
    await expect(handler({ source }, context)).resolves.toEqual({ source: 'org', messages: 12 });
    expect(sent.map((batch) => [batch.target, batch.QueueUrl, batch.Entries.length])).toEqual([
      ['AmazonSQS.SendMessageBatch', queueUrl(), 10],
      ['AmazonSQS.SendMessageBatch', queueUrl(), 2],
    ]);
    const scopes = sent.flatMap((batch) => batch.Entries.map((entry) => JSON.parse(entry.MessageBody).scope));
    expect(scopes).toHaveLength(12);
    expect(scopes).toContain('111111111111/eu-west-1');
    expect(JSON.parse(sent[0].Entries[0].MessageBody).source).toEqual(source);
    await expect(handler({ source: { ...source, kind: 'aws-pca' } }, context)).rejects.toThrow(
      /no sync queue for source kind aws-pca/,
    );
  });

  it('inventory metrics: summarizes the inventory the worker filled', async () => {
    const { handler } = await import('../../functions/inventory-metrics/handler');
    const result = await handler({}, context);
    expect(result.live).toBeGreaterThanOrEqual(5);
    expect(result.expired).toBeGreaterThanOrEqual(0);
  });
});
