import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
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
import { sqsRecord as record } from '../../support/sqs-record';
import { testPki, tlsServer, type LocalTlsServer, type TestPki } from '../../support/tls-servers';

/**
 * The sync worker bundled for tls-endpoint sources, run in process as Lambda runs it: dynalite as its table, a fake
 * EventBridge recording what it publishes, a real TLS server as the endpoint of the scope it is sent.
 */
const TABLE = 'certwarden-tls-worker';
let dynamo: EmbeddedDynamoDb;
let bus: Server;
let endpoint: LocalTlsServer;
let pki: TestPki;
let work: string;
const published: Array<{ DetailType: string; Detail: string }> = [];

const context = {
  functionName: 'test',
  awsRequestId: 'req',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  await ensureInventoryTable(createDocumentClient({ endpoint: dynamo.endpoint }), TABLE);
  bus = createServer((incoming, response) => {
    let body = '';
    incoming.on('data', (chunk) => (body += chunk));
    incoming.on('end', () => {
      const { Entries } = JSON.parse(body) as { Entries: Array<{ DetailType: string; Detail: string }> };
      published.push(...Entries);
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: 'e' })) }));
    });
  });
  await new Promise<void>((resolve) => bus.listen(0, '127.0.0.1', resolve));
  const now = new Date();
  pki = await testPki(now);
  const leaf = await pki.ipLeaf('127.0.0.1');
  endpoint = await tlsServer([leaf, pki.intermediate]);
  work = mkdtempSync(join(tmpdir(), 'certwarden-tls-worker-'));
  const deployment = join(work, 'certwarden-deployment.json');
  const { sources } = CertwardenConfig.parse({
    sources: [
      {
        kind: 'tls-endpoint',
        name: 'web',
        endpoints: [`127.0.0.1:${endpoint.port}`],
        publicRoots: false,
        trustedCertificates: pki.root.pem,
      },
    ],
  });
  writeFileSync(deployment, JSON.stringify({ sources }));
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${(bus.address() as AddressInfo).port}`,
    CERTWARDEN_TABLE: TABLE,
    CERTWARDEN_EVENT_BUS: 'certwarden',
    CERTWARDEN_SOURCE_KIND: 'tls-endpoint',
    CERTWARDEN_DEPLOYMENT: deployment,
    POWERTOOLS_SERVICE_NAME: 'certwarden-test',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
}, 60_000);

afterAll(async () => {
  await endpoint.close();
  await new Promise((resolve) => bus.close(resolve));
  await dynamo.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the tls-endpoint sync worker', () => {
  it('inventories the endpoint of its scope and raises Unknown Certificate Served once, though the record is delivered twice', async () => {
    const { handler } = await import('../../../functions/sync-worker/handler');
    const message = record('m-1', { source: { name: 'web' }, scope: 'endpoints' });

    expect(await handler({ Records: [message] }, context)).toEqual({ batchItemFailures: [] });
    expect(await handler({ Records: [message] }, context)).toEqual({ batchItemFailures: [] });

    const store = new DynamoInventoryStore(createDocumentClient({ endpoint: dynamo.endpoint }), TABLE);
    const places = [];
    for await (const place of store.bySource('web', 'live')) places.push([place.role, place.nativeId.split('#')[0]]);
    expect(places.sort()).toEqual([
      ['chain', `127.0.0.1:${endpoint.port}`],
      ['leaf', `127.0.0.1:${endpoint.port}`],
    ]);
    const unknown = published.filter((entry) => entry.DetailType === 'Unknown Certificate Served');
    expect(unknown).toHaveLength(1);
    expect(JSON.parse(unknown[0].Detail)).toMatchObject({ endpoint: `127.0.0.1:${endpoint.port}`, serverName: null });
  });

  it('resolves the alert once when the endpoint serves another certificate, and raises that one', async () => {
    const { handler } = await import('../../../functions/sync-worker/handler');
    const [before] = published.filter((entry) => entry.DetailType === 'Unknown Certificate Served');
    await endpoint.deploy([await pki.ipLeaf('127.0.0.1'), pki.intermediate]);
    const message = record('m-2', { source: { name: 'web' }, scope: 'endpoints' });

    expect(await handler({ Records: [message] }, context)).toEqual({ batchItemFailures: [] });
    expect(await handler({ Records: [message] }, context)).toEqual({ batchItemFailures: [] });

    const resolved = published.filter((entry) => entry.DetailType === 'Served Certificate Resolved');
    expect(resolved).toHaveLength(1);
    const raised = JSON.parse(before.Detail) as { alertId: string; fingerprint: string };
    expect(JSON.parse(resolved[0].Detail)).toMatchObject({
      alertId: raised.alertId,
      fingerprint: raised.fingerprint,
      resolves: 'Unknown Certificate Served',
      resolution: expect.stringMatching(/^the endpoint serves .+ now$/),
    });
    expect(published.filter((entry) => entry.DetailType === 'Unknown Certificate Served')).toHaveLength(2);
  });
});
