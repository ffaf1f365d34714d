import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, SQSEvent } from 'aws-lambda';
import { createDocumentClient } from '../../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../../lib/adapters/dynamodb-inventory-store';
import {
  ensureInventoryTable,
  startEmbeddedDynamoDb,
  type EmbeddedDynamoDb,
} from '../../../lib/adapters/embedded-dynamodb';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LocalFilesSource } from '../../../lib/connectors/local-files';
import { DAY_MS } from '../../../lib/domain/expiry';
import { systemClock } from '../../../lib/ports/clock';
import { ALL_ALERT_SHARDS } from '../../../lib/use-cases/evaluate';
import { syncSource } from '../../../lib/use-cases/sync';
import { issueCertificate } from '../../../lib/x509/factory';
import { RevocationCa } from '../../support/revocation-ca';
import { handlerEnvironment } from '../../support/handler-environment';

const run = promisify(execFile);

/**
 * The evaluate Lambda run in process as Lambda would run it, with the shard queue configured: the inventory on
 * dynalite, EventBridge and SQS as wire-level fakes reached through the SDK's AWS_ENDPOINT_URL_* variables.
 */
const TABLE = 'certwarden-evaluate-handler';
/** The shard queue's URL, on the SQS fake (the SDK sends to a queue URL's own host). */
let shardQueue: string;

const eventBridge = { entries: [] as Array<{ DetailType: string; Detail: string }>, refuse: false };
const sqs = { messages: [] as Array<{ queue: string; body: string }>, refuse: false };

let dynamo: EmbeddedDynamoDb;
let store: DynamoInventoryStore;
const servers: Server[] = [];
let handler: typeof import('../../../functions/evaluate/handler').handler;

async function listen(handle: (request: IncomingMessage, body: string, response: ServerResponse) => void) {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => handle(request, body, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

const record = (messageId: string, body: unknown) =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {},
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:111111111111:certwarden-evaluate',
    awsRegion: 'eu-west-1',
  }) as unknown as SQSEvent['Records'][0];
const sqsEvent = (...records: SQSEvent['Records']): SQSEvent => ({ Records: records });
const context = (remainingMs = 600_000) =>
  ({
    functionName: 'certwarden-evaluate',
    awsRequestId: 'req',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:certwarden-evaluate',
    getRemainingTimeInMillis: () => remainingMs,
  }) as unknown as Context;
const alertNames = () =>
  eventBridge.entries
    .map((entry) => {
      const detail = JSON.parse(entry.Detail) as { subjectCommonName: string; thresholdId: string };
      return `${detail.subjectCommonName} ${detail.thresholdId}`;
    })
    .sort();

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  const client = createDocumentClient({ endpoint: dynamo.endpoint });
  await ensureInventoryTable(client, TABLE);
  store = new DynamoInventoryStore(client, TABLE);
  // Ten certificates 5 to 14 days from expiry on the real clock (the handler's is the system clock).
  const estate = await mkdtemp(join(tmpdir(), 'certwarden-evaluate-handler-'));
  const now = Date.now();
  const ca = await issueCertificate({
    subject: 'CN=Evaluate Handler CA',
    ca: true,
    notBefore: new Date(now - 100 * DAY_MS),
    notAfter: new Date(now + 3000 * DAY_MS),
  });
  for (let n = 0; n < 10; n++) {
    const name = `host-${n}.example.com`;
    const issued = await issueCertificate({
      subject: `CN=${name}`,
      dns: [name],
      issuer: ca,
      notBefore: new Date(now + (5 + n - 90) * DAY_MS),
      notAfter: new Date(now + (5 + n) * DAY_MS),
    });
    await writeFile(join(estate, `${name}.pem`), issued.pem);
  }
  await syncSource({ source: new LocalFilesSource({ name: 'files', root: estate }), store, clock: systemClock });

  const eventBridgeEndpoint = await listen((_request, body, response) => {
    const { Entries } = JSON.parse(body) as { Entries: Array<{ DetailType: string; Detail: string }> };
    if (!eventBridge.refuse) eventBridge.entries.push(...Entries);
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(
      JSON.stringify({
        FailedEntryCount: eventBridge.refuse ? Entries.length : 0,
        Entries: Entries.map(() =>
          eventBridge.refuse ? { ErrorCode: 'AccessDeniedException', ErrorMessage: 'refused' } : { EventId: 'e' },
        ),
      }),
    );
  });
  const sqsEndpoint = await listen((request, body, response) => {
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    if (request.headers['x-amz-target'] !== 'AmazonSQS.SendMessageBatch') {
      response.end(JSON.stringify({}));
      return;
    }
    const { QueueUrl, Entries } = JSON.parse(body) as {
      QueueUrl: string;
      Entries: Array<{ Id: string; MessageBody: string }>;
    };
    if (sqs.refuse) {
      response.end(
        JSON.stringify({
          Successful: [],
          Failed: Entries.map(({ Id }) => ({ Id, Code: 'InternalError', SenderFault: false })),
        }),
      );
      return;
    }
    sqs.messages.push(...Entries.map(({ MessageBody }) => ({ queue: QueueUrl, body: MessageBody })));
    response.end(
      JSON.stringify({
        Successful: Entries.map(({ Id, MessageBody }) => ({
          Id,
          MessageId: `m-${Id}`,
          MD5OfMessageBody: md5(MessageBody),
        })),
        Failed: [],
      }),
    );
  });

  shardQueue = `${sqsEndpoint}/111111111111/certwarden-evaluate-shards`;
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridgeEndpoint,
    AWS_ENDPOINT_URL_SQS: sqsEndpoint,
    CERTWARDEN_TABLE: TABLE,
    CERTWARDEN_EVENT_BUS: 'certwarden',
    CERTWARDEN_EXPIRY: JSON.stringify({}),
    CERTWARDEN_EVALUATE_SHARD_QUEUE: shardQueue,
    POWERTOOLS_SERVICE_NAME: 'certwarden-test',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  ({ handler } = await import('../../../functions/evaluate/handler'));
});

/** How many places each shard has due now. */
async function dueByShard(): Promise<number[]> {
  const counts: number[] = [];
  for (const shard of ALL_ALERT_SHARDS) {
    let count = 0;
    for await (const _ of store.alertsDue(shard, new Date())) count++;
    counts.push(count);
  }
  return counts;
}

afterAll(async () => {
  await dynamo.close();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

beforeEach(() => {
  eventBridge.entries.length = 0;
  sqs.messages.length = 0;
  eventBridge.refuse = sqs.refuse = false;
});

describe('the evaluate function with a shard queue', () => {
  it('fans a batch of triggers out into one message per shard with a place due, and evaluates nothing itself', async () => {
    const due = await dueByShard();
    const batch = sqsEvent(
      record('tick', { trigger: 'schedule' }),
      record('sync', { source: 'certwarden', 'detail-type': 'Sync Completed', detail: {} }),
      record('odd', 'not json'),
      record('bad-shard', { shard: ALL_ALERT_SHARDS.length }),
    );

    await expect(handler(batch, context())).resolves.toEqual({ batchItemFailures: [] });

    const busy = ALL_ALERT_SHARDS.filter((shard) => due[shard] > 0);
    expect(busy.length).toBeGreaterThan(1);
    expect(busy.length).toBeLessThan(ALL_ALERT_SHARDS.length);
    expect(sqs.messages.map(({ queue, body }) => [queue, JSON.parse(body)])).toEqual(
      busy.map((shard) => [shardQueue, { shard }]),
    );
    expect(eventBridge.entries).toEqual([]);
  });

  it('fails the invocation when SQS refuses the fan-out, so the triggers are redelivered', async () => {
    sqs.refuse = true;

    await expect(handler(sqsEvent(record('tick', { trigger: 'schedule' })), context())).rejects.toThrow(
      /SQS refused \d shard messages/,
    );
  });

  it('stops before the time runs out and has its record redelivered, the places left due', async () => {
    const due = await dueByShard();

    const response = await handler(sqsEvent(record('late', { shards: [...ALL_ALERT_SHARDS] })), context(30_000));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'late' }] });
    expect(eventBridge.entries).toEqual([]);
    expect(await dueByShard()).toEqual(due);
    expect(due.reduce((sum, count) => sum + count)).toBe(10);
  });

  it('evaluates one shard per shard message: together every alert once; a failed shard alone is redelivered', async () => {
    const shardMessage = (shard: number) => sqsEvent(record(`shard-${shard}`, { shard }));
    const busy = (await dueByShard()).findIndex((count) => count > 0);
    eventBridge.refuse = true;
    const refused = await handler(shardMessage(busy), context());
    eventBridge.refuse = false;

    const responses = [];
    for (const shard of ALL_ALERT_SHARDS) responses.push(await handler(shardMessage(shard), context()));
    const sent = alertNames();
    const again = [];
    for (const shard of ALL_ALERT_SHARDS) again.push(await handler(shardMessage(shard), context()));

    expect(refused).toEqual({ batchItemFailures: [{ itemIdentifier: `shard-${busy}` }] });
    expect(responses.every((response) => response.batchItemFailures.length === 0)).toBe(true);
    // 5 to 14 days left of 90: one alert for each of the 10 places, at 14d or 7d, its most urgent crossed.
    expect(sent).toHaveLength(10);
    expect(sent.every((name) => / (14d|7d)$/.test(name))).toBe(true);
    expect(new Set(sent).size).toBe(sent.length);
    expect(again.every((response) => response.batchItemFailures.length === 0)).toBe(true);
    expect(alertNames()).toEqual(sent);
    expect(await dueByShard()).toEqual(ALL_ALERT_SHARDS.map(() => 0));
  });

  it('sends no shard message for a trigger when no place is due (an unchanged hourly sync)', async () => {
    expect(await dueByShard()).toEqual(ALL_ALERT_SHARDS.map(() => 0));

    await expect(handler(sqsEvent(record('tick', { trigger: 'schedule' })), context())).resolves.toEqual({
      batchItemFailures: [],
    });

    expect(sqs.messages).toEqual([]);
    expect(eventBridge.entries).toEqual([]);
  });
});

describe('the evaluate function and revocation', () => {
  it('checks the revocation status of what a sync brought (its CRL), records it and publishes Revocation Detected once', async () => {
    const ca = await RevocationCa.create('Evaluate Handler Revocation CA');
    try {
      const dir = await mkdtemp(join(tmpdir(), 'certwarden-evaluate-revoked-'));
      const leaf = await ca.issue('revoked.example.com', { crl: true });
      ca.revoke('revoked.example.com', 'keyCompromise');
      await writeFile(join(dir, 'revoked.pem'), leaf.pem);
      await writeFile(join(dir, 'ca.pem'), readFileSync(ca.path('ca.pem')));
      await syncSource({ source: new LocalFilesSource({ name: 'revoked', root: dir }), store, clock: systemClock });
      const all = sqsEvent(record('all', { shards: [...ALL_ALERT_SHARDS] }));

      const first = await handler(all, context());
      const second = await handler(all, context());

      expect([first, second]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
      const detected = eventBridge.entries.filter((entry) => entry.DetailType === 'Revocation Detected');
      expect(detected.map((entry) => JSON.parse(entry.Detail))).toEqual([
        expect.objectContaining({ nativeId: join(dir, 'revoked.pem'), reason: 'keyCompromise', via: 'crl' }),
      ]);
      const place = await store.getLocation(`local-files:${join(dir, 'revoked.pem')}`);
      expect(place?.revocation).toMatchObject({ status: 'revoked', reason: 'keyCompromise', via: 'crl' });
    } finally {
      await ca.close();
    }
  });
});

describe('the evaluate function with revocation turned off', () => {
  it('checks nothing and fans out no shard for a revocation check alone when the config says enabled: false', async () => {
    const ca = await RevocationCa.create('Evaluate Handler Revocation Off CA');
    const enabled = process.env.CERTWARDEN_REVOCATION;
    try {
      const dir = await mkdtemp(join(tmpdir(), 'certwarden-evaluate-revocation-off-'));
      const leaf = await ca.issue('revoked-off.example.com', { crl: true });
      ca.revoke('revoked-off.example.com', 'keyCompromise');
      await writeFile(join(dir, 'revoked.pem'), leaf.pem);
      await writeFile(join(dir, 'ca.pem'), readFileSync(ca.path('ca.pem')));
      await syncSource({ source: new LocalFilesSource({ name: 'revoked-off', root: dir }), store, clock: systemClock });
      const nativeId = `local-files:${join(dir, 'revoked.pem')}`;
      process.env.CERTWARDEN_REVOCATION = JSON.stringify({ enabled: false, timeoutMs: 5000, perHostConcurrency: 4 });
      let off: typeof handler | undefined;
      await jest.isolateModulesAsync(async () => {
        ({ handler: off } = await import('../../../functions/evaluate/handler'));
      });

      // Every alert due is sent first; what is left due is the place's revocation check, which a trigger then
      // fans out for only when checks are on.
      const all = await off!(sqsEvent(record('all', { shards: [...ALL_ALERT_SHARDS] })), context());
      const trigger = await off!(sqsEvent(record('tick', { trigger: 'schedule' })), context());

      expect([all, trigger]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
      expect(sqs.messages).toEqual([]);
      expect(ca.served.get('/ca.crl') ?? 0).toBe(0);
      expect(eventBridge.entries.filter((entry) => entry.DetailType === 'Revocation Detected')).toEqual([]);
      expect((await store.getLocation(nativeId))?.revocation).toBeUndefined();
    } finally {
      if (enabled === undefined) delete process.env.CERTWARDEN_REVOCATION;
      else process.env.CERTWARDEN_REVOCATION = enabled;
      await ca.close();
    }
  });
});

describe('the evaluate function at its cold start', () => {
  it('loads no OCSP or CRL parsing until a revocation check is due', async () => {
    // A fresh Node.js loading the handler as Lambda would (through tsx, whose CommonJS loader fills require.cache).
    const probe = [
      "require('tsx/cjs');",
      `require(${JSON.stringify(join(__dirname, '../../../functions/evaluate/handler.ts'))});`,
      'console.log(JSON.stringify(Object.keys(require.cache)));',
    ].join('\n');
    const { stdout } = await run(process.execPath, ['-e', probe], {
      cwd: join(__dirname, '../../..'),
      env: {
        PATH: process.env.PATH ?? '',
        ...handlerEnvironment({ name: 'evaluate', role: 'evaluate' }),
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    });
    const loaded = JSON.parse(stdout) as string[];
    expect(loaded.some((file) => file.endsWith('lib/use-cases/check-revocation.ts'))).toBe(true);
    expect(loaded.filter((file) => /lib\/x509\/(ocsp|crl)\.ts$|@peculiar\/asn1-(ocsp|x509|schema)/.test(file))).toEqual(
      [],
    );
  });
});
