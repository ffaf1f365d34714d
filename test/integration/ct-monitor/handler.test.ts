import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { createDocumentClient } from '../../../lib/adapters/dynamodb-client';
import {
  ensureInventoryTable,
  startEmbeddedDynamoDb,
  type EmbeddedDynamoDb,
} from '../../../lib/adapters/embedded-dynamodb';
import { issueCertificate } from '../../../lib/x509/factory';
import { FakeCtLog, poisonExtension, precertEntry, x509Entry } from '../../support/fakes/ct-log-server';

/**
 * The CT monitor run in process as Lambda runs it: the real SDK clients pointed at dynalite and a fake EventBridge
 * by the SDK's AWS_ENDPOINT_URL_* variables, the configured log a local RFC 6962 log, its EMF lines read from stdout.
 */
const TABLE = 'certwarden-ct';
let dynamo: EmbeddedDynamoDb;
let eventBridge: Server;
let log: FakeCtLog;
const published: Array<{ DetailType: string; Source: string; EventBusName: string; Detail: string }> = [];
const context = { functionName: 'ct', awsRequestId: 'req', getRemainingTimeInMillis: () => 300_000 } as Context;
const saved = { ...process.env };

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  await ensureInventoryTable(createDocumentClient({ endpoint: dynamo.endpoint }), TABLE);
  eventBridge = createServer((incoming, response) => {
    let body = '';
    incoming.on('data', (chunk) => (body += chunk));
    incoming.on('end', () => {
      const { Entries } = JSON.parse(body) as { Entries: typeof published };
      published.push(...Entries);
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: 'e' })) }));
    });
  });
  await new Promise<void>((resolve) => eventBridge.listen(0, '127.0.0.1', resolve));
  const notBefore = new Date(Date.now() - 86_400_000);
  const notAfter = new Date(Date.now() + 90 * 86_400_000);
  const ca = await issueCertificate({ subject: 'CN=Rogue CA', ca: true, notBefore, notAfter });
  const issue = (name: string, precert = false) =>
    issueCertificate({
      subject: `CN=${name}`,
      dns: [name],
      issuer: ca,
      notBefore,
      notAfter,
      extensions: precert ? [poisonExtension()] : [],
    });
  log = new FakeCtLog();
  log.add(
    x509Entry(await issue('a.example.com'), [ca], 1),
    precertEntry(await issue('b.example.com', true), [ca], 2),
    x509Entry(await issue('www.other.org'), [ca], 3),
  );
  await log.start();
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: `http://127.0.0.1:${(eventBridge.address() as AddressInfo).port}`,
    POWERTOOLS_SERVICE_NAME: 'certwarden-ct-monitor',
    POWERTOOLS_METRICS_NAMESPACE: 'Certwarden',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    CERTWARDEN_TABLE: TABLE,
    CERTWARDEN_EVENT_BUS: 'certwarden',
    CERTWARDEN_CT: JSON.stringify({
      domains: ['example.com'],
      startAt: 'first',
      logs: [
        { name: 'local', url: log.url },
        { name: 'gone', url: 'http://127.0.0.1:9/' },
      ],
    }),
  });
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.POWERTOOLS_DEV;
}, 60_000);

afterAll(async () => {
  process.env = saved;
  await log?.stop();
  await new Promise((resolve) => eventBridge?.close(resolve));
  await dynamo?.close();
});

async function invoke(): Promise<{ result: { raised: number; unread: number }; stdout: string }> {
  let handler!: (event: unknown, context: Context) => Promise<{ raised: number; unread: number }>;
  await jest.isolateModulesAsync(async () => {
    ({ handler } = await import('../../../functions/ct-monitor/handler'));
  });
  let stdout = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    return { result: await handler({}, context), stdout };
  } finally {
    spy.mockRestore();
  }
}

describe('the CT monitor handler', () => {
  it('publishes Unknown Certificate Issued to the bus once, and counts the log it could not read', async () => {
    const first = await invoke();
    expect(first.result).toMatchObject({ raised: 2, unread: 1 });
    expect(published.map((entry) => [entry.Source, entry.DetailType, entry.EventBusName])).toEqual([
      ['certwarden', 'Unknown Certificate Issued', 'certwarden'],
      ['certwarden', 'Unknown Certificate Issued', 'certwarden'],
    ]);
    expect(published.map((entry) => (JSON.parse(entry.Detail) as { dnsNames: string[] }).dnsNames).sort()).toEqual([
      ['a.example.com'],
      ['b.example.com'],
    ]);
    expect(first.stdout).toContain('"CtLogsUnread"');

    // A fresh execution environment: nothing remembered but the table.
    const second = await invoke();
    expect(second.result).toMatchObject({ raised: 0, unread: 1 });
    expect(published).toHaveLength(2);
    expect(log.servedTwice()).toEqual([]);
  });
});
