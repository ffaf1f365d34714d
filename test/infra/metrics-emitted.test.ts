import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { Context } from 'aws-lambda';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import {
  ensureInventoryTable,
  startEmbeddedDynamoDb,
  type EmbeddedDynamoDb,
} from '../../lib/adapters/embedded-dynamodb';
import { loadConfig } from '../../lib/adapters/config-file';
import { CertwardenConfig } from '../../lib/domain/config';
import { buildApp } from '../../infra/app';
import { generateEstate } from '../bench/generate-estate';
import { sqsRecord } from '../support/sqs-record';
import { acmAlert } from '../unit/domain/notifications/fixtures';
import { startFakeAws, type FakeAwsServer } from '../support/fakes/aws-json-server';

/**
 * Every metric an alarm or a dashboard widget of the synthesized stack watches (namespace, name and exact
 * dimension set; test/infra/fixtures/certwarden.config.json, dashboard on) is one the handlers really write: the
 * sync worker and the inventory-metrics function run in process, each with the environment the template gives
 * it, and the EMF lines they print on stdout are read back as CloudWatch would turn them into series.
 *
 * Each configured source is synced as a local-files source of the same name: the series a worker writes depend on
 * its environment and the source's name, never on the provider, and local files need no cloud. The estate holds
 * an expired certificate and a file that is not one, so the series written only when not zero appear too.
 */
const FIXTURE = join(__dirname, 'fixtures/certwarden.config.json');
const { config } = loadConfig(FIXTURE);
const built = buildApp({ configPath: FIXTURE, appProps: { context: { 'aws:cdk:bundling-stacks': [] } } });
const template = Template.fromStack(built.main).toJSON();
// A synthesized template is untyped JSON; the tests read it as such.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const resources = template.Resources as Record<string, { Type: string; Properties: Json }>;

/** A series: namespace, name and every dimension with its value. */
interface Series {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
}
const keyOf = ({ namespace, name, dimensions }: Series) =>
  `${namespace} ${name} ${JSON.stringify(Object.entries(dimensions).sort())}`;

/** A CloudFormation token as readable text: `<Ref Id>`, `<GetAtt Id.Attr>`. */
const tokenText = (token: Json): string =>
  token.Ref ? `<Ref ${token.Ref}>` : token['Fn::GetAtt'] ? `<GetAtt ${token['Fn::GetAtt'].join('.')}>` : '<token>';

/** What each alarm watches: its metric, or each metric of its math expression. */
function alarmSeries(): Array<Series & { watcher: string }> {
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm')
    .flatMap(([id, { Properties: alarm }]) => {
      const metrics = alarm.MetricName
        ? [alarm]
        : (alarm.Metrics as Json[]).filter((query) => query.MetricStat).map((query) => query.MetricStat.Metric);
      return metrics.map((metric: Json) => ({
        watcher: `alarm ${id}`,
        namespace: metric.Namespace,
        name: metric.MetricName,
        dimensions: Object.fromEntries(
          (metric.Dimensions ?? []).map((d: Json) => [
            d.Name,
            typeof d.Value === 'string' ? d.Value : tokenText(d.Value),
          ]),
        ),
      }));
    });
}

/** What each dashboard widget graphs: the body is a join of JSON text and tokens, read with tokens as text. */
function widgetSeries(): Array<Series & { watcher: string }> {
  const [dashboard] = Object.values(resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Dashboard');
  const body = dashboard.Properties.DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : (body['Fn::Join'][1] as Json[]).map((part) => (typeof part === 'string' ? part : tokenText(part))).join('');
  return (JSON.parse(text).widgets as Json[]).flatMap((widget) =>
    ((widget.properties.metrics ?? []) as Json[][]).map((line) => {
      const [namespace, name, ...rest] = line.filter((item) => typeof item === 'string') as string[];
      const dimensions: Record<string, string> = {};
      for (let index = 0; index < rest.length; index += 2) dimensions[rest[index]] = rest[index + 1];
      return { watcher: `widget "${widget.properties.title}"`, namespace, name, dimensions };
    }),
  );
}

/** The series of the EMF lines in `stdout`, as CloudWatch extracts them (one per metric × dimension set). */
function emittedSeries(stdout: string): Series[] {
  return stdout
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .flatMap((line) => {
      const emf = JSON.parse(line);
      return (emf._aws.CloudWatchMetrics as Json[]).flatMap((directive) =>
        (directive.Dimensions as string[][]).flatMap((set) =>
          (directive.Metrics as Array<{ Name: string }>).map((metric) => ({
            namespace: directive.Namespace,
            name: metric.Name,
            dimensions: Object.fromEntries(set.map((dimension) => [dimension, String(emf[dimension])])),
          })),
        ),
      );
    });
}

const TABLE = 'certwarden-metrics-run';
const ALERTS_TOPIC = 'arn:aws:sns:eu-west-1:111111111111:certwarden-alerts';
const ESCALATION_TOPIC = 'arn:aws:sns:eu-west-1:111111111111:certwarden-escalation';
const NOT_A_CERTIFICATE = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';
let dynamo: EmbeddedDynamoDb;
let eventBridge: FakeAwsServer;
let estate: string;
const context = { functionName: 'test', awsRequestId: 'req', getRemainingTimeInMillis: () => 600_000 } as Context;

/** The function's environment from the template, its tokens replaced by the local stand-ins. */
function environmentOf(functionId: string, local: Record<string, string>): Record<string, string> {
  const variables = resources[functionId].Properties.Environment.Variables as Record<string, Json>;
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (name in local) return [name, local[name]];
      if (typeof value !== 'string') throw new Error(`${functionId}: ${name} is a token with no local stand-in`);
      return [name, value];
    }),
  );
}

const functionIds = (prefix: RegExp) =>
  Object.keys(resources).filter((id) => resources[id].Type === 'AWS::Lambda::Function' && prefix.test(id));

/** Loads a handler afresh with `environment` (Powertools reads it when its singletons are made) and runs `use`. */
async function withHandler<T>(
  entry: string,
  environment: Record<string, string>,
  use: (handler: (event: unknown, context: Context) => Promise<unknown>) => Promise<T>,
): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, environment);
  try {
    let handler!: (event: unknown, context: Context) => Promise<unknown>;
    await jest.isolateModulesAsync(async () => {
      ({ handler } = await import(entry));
    });
    return await use(handler);
  } finally {
    process.env = saved;
  }
}

/** What `run` printed on stdout (Powertools Metrics writes its EMF lines there through a Console of its own). */
async function stdoutOf(run: () => Promise<unknown>): Promise<string> {
  let written = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written += String(chunk);
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return written;
}

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  await ensureInventoryTable(createDocumentClient({ endpoint: dynamo.endpoint }), TABLE);
  // The worker publishes its events: EventBridge takes them all.
  eventBridge = await startFakeAws({
    services: [
      {
        targetPrefix: 'AWSEvents',
        operations: {
          PutEvents: ({ Entries }) => ({
            FailedEntryCount: 0,
            Entries: (Entries as unknown[]).map(() => ({ EventId: 'e' })),
          }),
        },
      },
      {
        // The Slack notifier's webhook: a closed port, so that its one allowed attempt fails.
        targetPrefix: 'secretsmanager',
        operations: {
          GetSecretValue: ({ SecretId }) => ({
            ARN: SecretId,
            Name: 'certwarden/slack',
            SecretString: JSON.stringify({ webhookUrl: 'http://127.0.0.1:9/services/T0/B0/X' }),
          }),
        },
      },
    ],
  });
  estate = mkdtempSync(join(tmpdir(), 'certwarden-metrics-'));
  // A directory per source, so that each has places of its own; the first certificate of each expired 30 days ago.
  for (const source of config.sources) {
    await generateEstate(join(estate, source.name), 3, new Date());
    writeFileSync(join(estate, source.name, 'not-a-certificate.pem'), NOT_A_CERTIFICATE);
  }
  const caller = eventBridge.callerCredentials('111111111111');
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: caller.accessKeyId,
    AWS_SECRET_ACCESS_KEY: caller.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  // As in Lambda: Metrics neither disabled nor in dev mode.
  delete process.env.POWERTOOLS_DEV;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
});

afterAll(async () => {
  await dynamo?.close();
  await eventBridge?.close();
  rmSync(estate, { recursive: true, force: true });
});

/**
 * Each notifier role dead-letters one record, so that it writes AlertsUndelivered: its target is unreachable (a
 * closed port) and one attempt is all it is allowed. The Slack notifier reads its webhook URL from the fake's
 * Secrets Manager first.
 */
async function notifiersDeadLettering(local: Record<string, string>): Promise<string> {
  const unreachable = 'http://127.0.0.1:9';
  const body = JSON.stringify({
    source: 'certwarden',
    'detail-type': 'Certificate Expired',
    detail: { ...acmAlert, thresholdId: 'expired', severity: 'critical' },
  });
  const notifiers: Array<[RegExp, string, Record<string, string>]> = [
    [
      /^InventoryEmailNotifier[0-9A-F]{8}$/,
      'email-notifier',
      { CERTWARDEN_ALERTS_TOPIC: ALERTS_TOPIC, CERTWARDEN_ESCALATION_TOPIC: ESCALATION_TOPIC },
    ],
    [/^InventorySlackNotifier[0-9A-F]{8}$/, 'slack-notifier', {}],
    [/^InventorySecurityHubNotifier[0-9A-F]{8}$/, 'security-hub-notifier', {}],
  ];
  let stdout = '';
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SNS: unreachable,
    AWS_ENDPOINT_URL_SECURITYHUB: unreachable,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: eventBridge.endpoint,
  });
  try {
    for (const [pattern, entry, standIns] of notifiers) {
      const [id] = functionIds(pattern);
      const environment = environmentOf(id, { ...local, ...standIns, CERTWARDEN_DELIVERY_ATTEMPTS: '1' });
      const notifierContext = {
        ...context,
        invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:certwarden-notifier',
      } as Context;
      stdout += await withHandler(`../../functions/${entry}/handler`, environment, (handler) =>
        stdoutOf(() => handler({ Records: [sqsRecord(`dead-${entry}`, JSON.parse(body))] }, notifierContext)),
      );
    }
  } finally {
    process.env = saved;
  }
  return stdout;
}

describe('the metrics the alarms and the dashboard watch', () => {
  let emitted: Series[] = [];

  beforeAll(async () => {
    const local = { CERTWARDEN_TABLE: TABLE, CERTWARDEN_EVENT_BUS: 'certwarden' };
    let stdout = '';
    for (const kind of new Set(config.sources.map((source) => source.kind))) {
      const [worker] = functionIds(
        new RegExp(`^InventorySync${kind.replace(/(^|-)(\w)/g, (_, __, c) => c.toUpperCase())}[0-9A-F]{8}$`),
      );
      const ofKind = CertwardenConfig.parse({
        sources: config.sources
          .filter((source) => source.kind === kind)
          .map((source) => ({ kind: 'local-files', name: source.name, root: join(estate, source.name) })),
      }).sources;
      // The worker takes its sources from its deployment file: the construct's, with these local stand-ins.
      const deployment = join(estate, `${kind}-deployment.json`);
      const written = JSON.parse(readFileSync(built.main.inventory.deploymentFile, 'utf8')) as object;
      writeFileSync(deployment, JSON.stringify({ ...written, sources: ofKind }));
      const environment = environmentOf(worker, {
        ...local,
        CERTWARDEN_SOURCE_KIND: 'local-files',
        CERTWARDEN_DEPLOYMENT: deployment,
      });
      stdout += await withHandler('../../functions/sync-worker/handler', environment, (handler) =>
        stdoutOf(() =>
          handler({ Records: ofKind.map((source) => sqsRecord(source.name, { source, scope: null })) }, context),
        ),
      );
    }
    const [metricsFunction] = functionIds(/^InventoryInventoryMetrics[0-9A-F]{8}$/);
    stdout += await withHandler(
      '../../functions/inventory-metrics/handler',
      environmentOf(metricsFunction, local),
      (handler) => stdoutOf(() => handler({}, context)),
    );
    stdout += await notifiersDeadLettering(local);
    // The CT monitor, with every configured log unreachable (a closed port), so that it writes CtLogsUnread.
    const [ctMonitor] = functionIds(/^InventoryCtMonitor[0-9A-F]{8}$/);
    const ct = { ...config.ct!, logs: config.ct!.logs.map((log) => ({ ...log, url: 'http://127.0.0.1:9/' })) };
    stdout += await withHandler(
      '../../functions/ct-monitor/handler',
      environmentOf(ctMonitor, { ...local, CERTWARDEN_CT: JSON.stringify(ct) }),
      (handler) => stdoutOf(() => handler({}, context)),
    );
    emitted = emittedSeries(stdout);
  });

  it('the handlers wrote series', () => {
    expect(emitted.length).toBeGreaterThan(0);
  });

  it('every alarm and every widget on a certwarden metric names a series the handlers write', () => {
    const written = new Set(emitted.map(keyOf));
    const watched = [...alarmSeries(), ...widgetSeries()].filter((series) => series.namespace === 'Certwarden');
    expect(watched.length).toBeGreaterThan(2 * config.sources.length);
    const unwritten = watched.filter((series) => !written.has(keyOf(series)));
    expect(unwritten.map((series) => `${series.watcher}: ${keyOf(series)}`)).toEqual([]);
  });

  it('every series the handlers write is watched by an alarm or a widget (none is paid for unread)', () => {
    const watched = new Set([...alarmSeries(), ...widgetSeries()].map(keyOf));
    expect([...new Set(emitted.map(keyOf))].filter((key) => !watched.has(key))).toEqual([]);
  });

  it('every alarm and every widget on an AWS metric names a resource of the stack, or the whole account', () => {
    const ids = Object.keys(resources);
    for (const series of [...alarmSeries(), ...widgetSeries()].filter((s) => s.namespace.startsWith('AWS/'))) {
      const values = Object.values(series.dimensions);
      if (values.length === 0) expect([series.watcher, series.namespace]).toEqual([series.watcher, 'AWS/Lambda']);
      for (const value of values) {
        const [, id] = /^<(?:Ref|GetAtt) ([A-Za-z0-9]+)/.exec(value) ?? [];
        expect([series.watcher, value, ids.includes(id)]).toEqual([series.watcher, value, true]);
      }
    }
  });
});
