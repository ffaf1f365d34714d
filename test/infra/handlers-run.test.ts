import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import {
  ensureInventoryTable,
  startEmbeddedDynamoDb,
  type EmbeddedDynamoDb,
} from '../../lib/adapters/embedded-dynamodb';
import { CertwardenConfig } from '../../lib/domain/config';
import { generateEstate } from '../bench/generate-estate';
import { sqsRecord } from '../support/sqs-record';
import { startFakeEventBridge } from '../support/fake-eventbridge';

/**
 * The sync worker and the metrics function run for real, in process: an SQS event → syncSource → an embedded
 * DynamoDB, events to a fake EventBridge (the real SDK clients, pointed at local endpoints by the SDK's own
 * AWS_ENDPOINT_URL_* variables). The worker is configured for local-files here only because that source needs
 * no provider; the construct never deploys one.
 *
 * The deployment file (functions/shared/deployment.ts) is past both old ceilings: a source of 600 accounts
 * (over the schedule input's 8,192 characters) and a policy of over 20 KB (over the environment's 4 KB).
 */
const ACCOUNTS = Array.from({ length: 600 }, (_, index) => ({
  accountId: String(100_000_000_000 + index),
  roleName: 'certwarden-reader',
  externalId: 'certwarden-7f3a',
}));
const DEPLOYMENT = CertwardenConfig.parse({
  sources: [{ kind: 'aws-acm', name: 'org', regions: ['eu-west-1', 'us-east-1'], accounts: ACCOUNTS }],
  policy: {
    // Only max-validity, at a day: every certificate of the estate breaks it, as no other policy would have it.
    extends: 'none',
    rules: { 'max-validity': { severity: 'critical', params: { privateMaxDays: 1, caMaxDays: 1 } } },
    exemptions: ACCOUNTS.slice(0, 120).map((account, index) => ({
      id: `CHG-${1000 + index}`,
      rules: ['no-wildcards'],
      locations: [`aws-acm:arn:aws:acm:eu-west-1:${account.accountId}:certificate/wildcard-${index}`],
      reason: `the wildcard of team ${index} is served by its own load balancer only, reviewed quarterly`,
      expires: '2027-01-01',
    })),
  },
});
const TABLE = 'certwarden-run';
let dynamo: EmbeddedDynamoDb;
let eventBridge: Awaited<ReturnType<typeof startFakeEventBridge>>;
let estate: string;
let deployment: string;
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
  eventBridge = await startFakeEventBridge();
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
  deployment = join(estate, 'certwarden-deployment.json');
  writeFileSync(
    deployment,
    JSON.stringify({ sources: [...DEPLOYMENT.sources, diskSource()], policy: DEPLOYMENT.policy }),
  );
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
    AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${(sqs.address() as AddressInfo).port}`,
    CERTWARDEN_SYNC_QUEUES: JSON.stringify({ 'aws-acm': queueUrl() }),
    CERTWARDEN_TABLE: TABLE,
    CERTWARDEN_EVENT_BUS: 'certwarden',
    CERTWARDEN_SOURCE_KIND: 'local-files',
    CERTWARDEN_DEPLOYMENT: deployment,
    POWERTOOLS_SERVICE_NAME: 'certwarden-test',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
});

afterAll(async () => {
  await dynamo.close();
  await eventBridge.close();
  await new Promise((resolve) => sqs.close(resolve));
  rmSync(estate, { recursive: true, force: true });
  delete process.env.CERTWARDEN_DEPLOYMENT;
});

/** The local-files source of the estate, which the worker syncs (the construct never deploys one). */
const diskSource = () =>
  CertwardenConfig.parse({ sources: [{ kind: 'local-files', name: 'disk', root: estate }] }).sources[0];

/** The SQS client sends to the host of the queue URL, so the queue lives on the fake. */
const queueUrl = () => `http://127.0.0.1:${(sqs.address() as AddressInfo).port}/111111111111/acm`;

describe('the handlers, run in process', () => {
  it('sync worker: syncs the message source into the inventory, publishes its events, and fails only bad records', async () => {
    const { handler } = await import('../../functions/sync-worker/handler');
    const response = await handler(
      {
        Records: [
          sqsRecord('good', { source: { name: 'disk', kind: 'local-files' }, scope: null }),
          sqsRecord('bad', { source: { kind: 'nope' }, scope: null }),
          sqsRecord('elsewhere', { source: { name: 'elsewhere', kind: 'local-files' }, scope: null }),
        ],
      },
      context,
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }, { itemIdentifier: 'elsewhere' }] });
    const store = new DynamoInventoryStore(createDocumentClient({ endpoint: dynamo.endpoint }), TABLE);
    const live = [];
    for await (const location of store.bySource('disk', 'live')) live.push(location);
    expect(live.length).toBeGreaterThanOrEqual(5);
    expect(eventBridge.published.length).toBeGreaterThanOrEqual(5);
    expect(eventBridge.published[0]).toMatchObject({
      Source: 'certwarden',
      EventBusName: 'certwarden',
      DetailType: 'Certificate Discovered',
    });
    // The policy of the deployment file, not the recommended one: max-validity at a day, critical, alone.
    const violations = eventBridge.published
      .filter((event) => event.DetailType === 'Policy Violation')
      .map((event) => JSON.parse((event as unknown as { Detail: string }).Detail));
    expect(violations.length).toBeGreaterThanOrEqual(5);
    expect(new Set(violations.map((detail) => `${detail.ruleId} ${detail.severity}`))).toEqual(
      new Set(['max-validity critical']),
    );
  });

  it("sync planner: the named source of its deployment file, one message per scope to its kind's queue", async () => {
    const { handler } = await import('../../functions/sync-planner/handler');
    const [source] = DEPLOYMENT.sources;

    await expect(handler({ source: 'org' }, context)).resolves.toEqual({ source: 'org', messages: 1_200 });

    expect(sent).toHaveLength(120);
    expect(new Set(sent.map((batch) => `${batch.target} ${batch.QueueUrl}`))).toEqual(
      new Set([`AmazonSQS.SendMessageBatch ${queueUrl()}`]),
    );
    expect(sent.every((batch) => batch.Entries.length === 10)).toBe(true);
    const messages = sent.flatMap((batch) => batch.Entries.map((entry) => JSON.parse(entry.MessageBody)));
    const expected = ACCOUNTS.flatMap(({ accountId }) => [`${accountId}/eu-west-1`, `${accountId}/us-east-1`]);
    expect(messages.map((message) => message.scope).sort()).toEqual(expected.sort());
    // Each message names the source and its scope: the worker reads the source from its own deployment file.
    expect(new Set(messages.map((message) => JSON.stringify(message.source)))).toEqual(
      new Set([JSON.stringify({ name: source.name, kind: source.kind })]),
    );
    expect(Math.max(...sent.flatMap((batch) => batch.Entries.map((entry) => entry.MessageBody.length)))).toBeLessThan(
      100,
    );
    await expect(handler({ source: 'elsewhere' }, context)).rejects.toThrow(
      /source elsewhere is not in this deployment/,
    );
  });

  it('inventory metrics: counts the expired places of the inventory the worker filled (no dashboard)', async () => {
    const { handler } = await import('../../functions/inventory-metrics/handler');
    // generateEstate's first two certificates ended 30 and 11 days ago.
    await expect(handler({}, context)).resolves.toEqual({ expired: 2 });
  });
});
