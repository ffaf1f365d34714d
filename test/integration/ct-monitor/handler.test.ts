import type { Context } from 'aws-lambda';
import { createDocumentClient } from '../../../lib/adapters/dynamodb-client';
import {
  ensureInventoryTable,
  startEmbeddedDynamoDb,
  type EmbeddedDynamoDb,
} from '../../../lib/adapters/embedded-dynamodb';
import { issueCertificate } from '../../../lib/x509/factory';
import { startFakeAws, type FakeAwsServer } from '../../support/fakes/aws-json-server';
import { FakeCtLog, poisonExtension, precertEntry, x509Entry } from '../../support/fakes/ct-log-server';

/**
 * The CT monitor run in process as Lambda runs it: the real SDK clients pointed at dynalite and a fake EventBridge
 * by the SDK's AWS_ENDPOINT_URL_* variables, the configured log a local RFC 6962 log, its EMF lines read from stdout.
 */
const TABLE = 'certwarden-ct';
let dynamo: EmbeddedDynamoDb;
let eventBridge: FakeAwsServer;
let log: FakeCtLog;
const published: Array<{ DetailType: string; Source: string; EventBusName: string; Detail: string }> = [];
const context = { functionName: 'ct', awsRequestId: 'req', getRemainingTimeInMillis: () => 300_000 } as Context;
const saved = { ...process.env };

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  await ensureInventoryTable(createDocumentClient({ endpoint: dynamo.endpoint }), TABLE);
  eventBridge = await startFakeAws({
    services: [
      {
        targetPrefix: 'AWSEvents',
        operations: {
          PutEvents: ({ Entries }) => {
            published.push(...(Entries as typeof published));
            return { FailedEntryCount: 0, Entries: (Entries as unknown[]).map(() => ({ EventId: 'e' })) };
          },
        },
      },
    ],
  });
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
  const caller = eventBridge.callerCredentials('111111111111');
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: caller.accessKeyId,
    AWS_SECRET_ACCESS_KEY: caller.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
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
  await eventBridge?.close();
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
