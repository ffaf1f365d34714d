import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as forward, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { createDocumentClient } from '../../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../../lib/adapters/dynamodb-inventory-store';
import {
  ensureInventoryTable,
  startEmbeddedDynamoDb,
  type EmbeddedDynamoDb,
} from '../../../lib/adapters/embedded-dynamodb';
import { CertwardenConfig } from '../../../lib/domain/config';
import { generateEstate } from '../../bench/generate-estate';
import { sqsRecord as record } from '../../support/sqs-record';

/**
 * The sync worker run in process as Lambda runs it, its DynamoDB client reaching dynalite through a proxy that
 * refuses one BatchWriteItem as DynamoDB does for a table that is gone (the SDK's own AWS_ENDPOINT_URL_* variables
 * point the real clients at the proxy and at a fake EventBridge), and its log lines read from stdout.
 */
const TABLE = 'certwarden-worker';
const REFUSAL = {
  __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException',
  message: 'Requested resource not found',
};

let dynamo: EmbeddedDynamoDb;
const servers: Server[] = [];
const estates: string[] = [];
/** BatchWriteItem requests to refuse before passing the others through. */
let refuseBatchWrites = 0;

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  await ensureInventoryTable(createDocumentClient({ endpoint: dynamo.endpoint }), TABLE);
  const upstream = new URL(dynamo.endpoint);
  const proxy = createServer((incoming, response) => {
    if (incoming.headers['x-amz-target'] === 'DynamoDB_20120810.BatchWriteItem' && refuseBatchWrites > 0) {
      refuseBatchWrites--;
      incoming.resume();
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(REFUSAL));
      return;
    }
    const outgoing = forward(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(response);
      },
    );
    incoming.pipe(outgoing);
  });
  const eventBridge = createServer((incoming, response) => {
    let body = '';
    incoming.on('data', (chunk) => (body += chunk));
    incoming.on('end', () => {
      const { Entries } = JSON.parse(body) as { Entries: unknown[] };
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: 'e' })) }));
    });
  });
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: await listen(proxy),
    AWS_ENDPOINT_URL_EVENTBRIDGE: await listen(eventBridge),
    CERTWARDEN_TABLE: TABLE,
    CERTWARDEN_EVENT_BUS: 'certwarden',
    CERTWARDEN_SOURCE_KIND: 'local-files',
    POWERTOOLS_SERVICE_NAME: 'certwarden-test',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  delete process.env.POWERTOOLS_DEV;
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await dynamo.close();
  for (const estate of estates) rmSync(estate, { recursive: true, force: true });
});

const context = {
  functionName: 'test',
  awsRequestId: 'req',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

async function localSource(name: string) {
  const root = mkdtempSync(join(tmpdir(), `certwarden-${name}-`));
  estates.push(root);
  await generateEstate(root, 3, new Date());
  return CertwardenConfig.parse({ sources: [{ kind: 'local-files', name, root }] }).sources[0];
}

/** A log line, as much of it as the test reads. */
interface LogLine {
  level: string;
  message: string;
  source?: string;
  complete?: boolean;
  errors?: unknown;
}

/** The JSON log lines an invocation wrote (the logger writes them to stdout and stderr, one line each, outside dev mode). */
async function logLines<T>(run: () => Promise<T>): Promise<{ result: T; lines: LogLine[] }> {
  let written = '';
  const spies = (['stdout', 'stderr'] as const).map((stream) =>
    jest.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    }),
  );
  try {
    const result = await run();
    return {
      result,
      lines: written
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line)),
    };
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
}

describe('the sync worker, when DynamoDB refuses a write', () => {
  it("logs the store's error with its stack as the cause of the record's failure, and syncs the other records", async () => {
    const [broken, fine] = [await localSource('broken'), await localSource('fine')];
    const deployment = join(estates[0], 'certwarden-deployment.json');
    writeFileSync(deployment, JSON.stringify({ sources: [broken, fine] }));
    process.env.CERTWARDEN_DEPLOYMENT = deployment;
    const { handler } = await import('../../../functions/sync-worker/handler');
    refuseBatchWrites = 1;

    const { result, lines } = await logLines(() =>
      handler(
        {
          Records: [
            record('m-broken', { source: { name: 'broken' }, scope: null }),
            record('m-fine', { source: { name: 'fine' }, scope: null }),
          ],
        },
        context,
      ),
    );

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-broken' }] });
    const failure = lines.find((line) => line.level === 'ERROR');
    expect(failure).toMatchObject({
      message: 'scope not synced: SQS retries the record',
      messageId: 'm-broken',
      error: {
        name: 'SyncIncompleteError',
        message: 'sync of broken did not complete',
        cause: {
          name: 'ResourceNotFoundException',
          message: 'Requested resource not found',
          stack: expect.stringMatching(/^ResourceNotFoundException: Requested resource not found\n\s+at /),
        },
      },
    });
    const synced = lines.filter((line) => line.message === 'scope synced');
    expect(synced.map((line) => [line.source, line.complete])).toEqual([
      ['broken', false],
      ['fine', true],
    ]);
    expect(synced[0].errors).toEqual([
      { nativeId: '*', message: 'writing what broken listed failed: Requested resource not found' },
    ]);

    // The failed run is recorded with its error; the other source is in the inventory.
    const store = new DynamoInventoryStore(createDocumentClient({ endpoint: dynamo.endpoint }), TABLE);
    expect(await store.syncRuns('broken')).toEqual([
      expect.objectContaining({ complete: false, errors: synced[0].errors }),
    ]);
    const live = [];
    for await (const place of store.bySource('fine', 'live')) live.push(place);
    expect(live).toHaveLength(3);
  });
});
