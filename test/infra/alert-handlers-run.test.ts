import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { LocalFilesSource } from '../../lib/connectors/local-files';
import {
  expiryAlertEvent,
  syncCompletedEvent,
  type CertwardenEvent,
  type ExpiryAlertDetail,
  type SyncCompletedDetail,
} from '../../lib/domain/events';
import { DynamoAlertLedger } from '../../lib/adapters/dynamodb-alert-ledger';
import { DynamoDeliveryLedger } from '../../lib/adapters/dynamodb-delivery-ledger';
import { digestKeyOf } from '../../lib/use-cases/digest';
import type { UndeliveredRecord } from '../../lib/ports/delivery-ledger';
import { toSecurityHubFindings } from '../../lib/domain/notifications/security-hub-finding';
import { DAY_MS } from '../../lib/domain/expiry';
import { systemClock } from '../../lib/ports/clock';
import * as evaluateUseCase from '../../lib/use-cases/evaluate';
import { syncSource } from '../../lib/use-cases/sync';
import { issueCertificate } from '../../lib/x509/factory';
import { startFakeSecurityHub, type FakeSecurityHub } from '../support/fakes/security-hub-server';
import { siemJsonProblems } from '../support/siem-json-schema';
import { acmAlert } from '../unit/domain/notifications/fixtures';

/**
 * The alert pipeline's handlers run for real, in process, as Lambda would run them: the inventory and alert
 * ledger on an embedded DynamoDB, and EventBridge, SNS, Slack, Secrets Manager and Security Hub as local
 * wire-level fakes that the real SDK clients reach through the SDK's own AWS_ENDPOINT_URL_* variables.
 */
const TABLE = 'certwarden-alerts-run';
const ALERTS_TOPIC = 'arn:aws:sns:eu-west-1:111111111111:certwarden-alerts';
const ESCALATION_TOPIC = 'arn:aws:sns:eu-west-1:111111111111:certwarden-escalation';
/** The message attributes of one Publish as sent on the wire (awsQuery form fields). */
function attributesOf(params: Record<string, string>): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (let n = 1; params[`MessageAttributes.entry.${n}.Name`]; n++)
    attributes[params[`MessageAttributes.entry.${n}.Name`]] = params[`MessageAttributes.entry.${n}.Value.StringValue`];
  return attributes;
}
const SLACK_SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certwarden/slack-AbCdEf';
/** Security Hub's account and region differ from the SDK's AWS_REGION: only the function ARN names them. */
const HUB_ACCOUNT = '222222222222';
const HUB_REGION = 'us-east-2';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

async function listen(handle: Handler): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => handle(request, body, response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** EventBridge PutEvents (awsJson1_1); `refuseWith` answers every entry with that error code. */
const eventBridge = {
  entries: [] as Array<{ Source: string; DetailType: string; Detail: string; EventBusName: string }>,
  calls: 0,
  refuseWith: undefined as string | undefined,
};
/**
 * SNS Publish (awsQuery); a message whose subject names `refuse.example.com` is refused (400), and every Publish to
 * `failing` fails (500, after the SDK's own retries).
 */
const sns = { published: [] as Array<Record<string, string>>, failing: undefined as string | undefined };
/** Slack's incoming webhook: every post's JSON; a post whose text names `refuse` is answered 400 invalid_blocks. */
const slack = {
  posts: [] as Array<{ path: string; text: string }>,
  refuse: undefined as string | undefined,
  refusals: 0,
};
/** Secrets Manager GetSecretValue (awsJson1_1). */
const secrets = { reads: 0, values: new Map<string, string>() };

let dynamo: EmbeddedDynamoDb;
let hub: FakeSecurityHub;
const FINDING_PREFIX = 'certwarden-staging';
let estate: string;
const servers: Server[] = [];
let slackUrl = '';

/** `remainingMs` answers getRemainingTimeInMillis (5 minutes, a notifier's timeout, unless told). */
const context = (
  functionArn = 'arn:aws:lambda:eu-west-1:111111111111:function:certwarden-test',
  remainingMs: () => number = () => 300_000,
) =>
  ({
    functionName: 'certwarden-test',
    awsRequestId: 'req',
    invokedFunctionArn: functionArn,
    getRemainingTimeInMillis: remainingMs,
  }) as unknown as Context;

/** An invocation's remaining time: `enough` for the first `records` checks, then below any record's budget. */
const runningOut = (records: number) => {
  let checks = 0;
  return () => (checks++ < records ? 300_000 : 10_000);
};

const record = (messageId: string, body: unknown) =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {},
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:111111111111:certwarden-alerts',
    awsRegion: 'eu-west-1',
  }) as unknown as SQSEvent['Records'][0];

/** An event as an EventBridge rule delivers it to SQS. */
const eventBridgeBody = (event: CertwardenEvent) => ({
  version: '0',
  id: 'e-1',
  'detail-type': event.detailType,
  source: 'certwarden',
  account: '111111111111',
  time: new Date().toISOString(),
  region: 'eu-west-1',
  resources: [],
  detail: event.detail,
});

const sqsEvent = (...records: SQSEvent['Records']): SQSEvent => ({ Records: records });

const syncCompleted = syncCompletedEvent({
  schemaVersion: 1,
  source: 'files',
  sourceKind: 'local-files',
  scopes: null,
  counts: { discovered: 3, renewed: 0, updated: 0, removed: 0, restored: 0, stale: 0, unchanged: 0 },
  startedAt: new Date().toISOString(),
  at: new Date().toISOString(),
});
const criticalAlert = expiryAlertEvent(acmAlert);
const refusedAlert = expiryAlertEvent({
  ...acmAlert,
  alertId: `${acmAlert.alertId}-refused`,
  subjectCommonName: 'refuse.example.com',
  severity: 'high',
});

/** A critical alert of its own (its own alert id), about `name`. */
const alertNamed = (name: string) =>
  expiryAlertEvent({
    ...acmAlert,
    alertId: `${acmAlert.alertId}-${name}`,
    subjectCommonName: name,
  }) as CertwardenEvent & {
    detail: ExpiryAlertDetail;
  };
const syncCompletedAt = (id: string) =>
  syncCompletedEvent({ ...(syncCompleted.detail as SyncCompletedDetail), scopes: [id] });

/** The dead letters in the table, as `certwarden list --undelivered` reads them. */
async function undelivered(): Promise<UndeliveredRecord[]> {
  const client = createDocumentClient({ endpoint: dynamo.endpoint });
  const rows: UndeliveredRecord[] = [];
  for await (const row of new DynamoDeliveryLedger(client, TABLE, systemClock).undelivered()) rows.push(row);
  client.destroy();
  return rows;
}

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  await ensureInventoryTable(createDocumentClient({ endpoint: dynamo.endpoint }), TABLE);

  const eventBridgeServer = await listen((_request, body, response) => {
    eventBridge.calls++;
    const { Entries } = JSON.parse(body);
    if (!eventBridge.refuseWith) eventBridge.entries.push(...Entries);
    const code = eventBridge.refuseWith;
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(
      JSON.stringify({
        FailedEntryCount: code ? Entries.length : 0,
        Entries: Entries.map(() => (code ? { ErrorCode: code, ErrorMessage: 'refused' } : { EventId: 'e' })),
      }),
    );
  });
  const snsServer = await listen((_request, body, response) => {
    const params = Object.fromEntries(new URLSearchParams(body));
    response.setHeader('content-type', 'text/xml');
    if (params.TopicArn === sns.failing) {
      response.statusCode = 500;
      response.end(
        '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>down</Message></Error>' +
          '<RequestId>r</RequestId></ErrorResponse>',
      );
      return;
    }
    if (params.Subject?.includes('refuse.example.com')) {
      response.statusCode = 400;
      response.end(
        '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code><Message>refused</Message></Error>' +
          '<RequestId>r</RequestId></ErrorResponse>',
      );
      return;
    }
    sns.published.push(params);
    response.end(
      `<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>` +
        `<MessageId>m-${sns.published.length}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`,
    );
  });
  const slackServer = await listen((request, body, response) => {
    const { text } = JSON.parse(body);
    if (slack.refuse && String(text).includes(slack.refuse)) {
      slack.refusals++;
      response.writeHead(400);
      response.end('invalid_blocks');
      return;
    }
    slack.posts.push({ path: String(request.url), text });
    response.writeHead(200);
    response.end('ok');
  });
  const secretsServer = await listen((request, body, response) => {
    response.setHeader('content-type', 'application/x-amz-json-1.1');
    const { SecretId } = JSON.parse(body);
    const value = secrets.values.get(SecretId);
    if (request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue' || value === undefined) {
      response.statusCode = 400;
      response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'no such secret' }));
      return;
    }
    secrets.reads++;
    response.end(JSON.stringify({ ARN: SecretId, Name: 'certwarden/slack', SecretString: value }));
  });
  servers.push(eventBridgeServer.server, snsServer.server, slackServer.server, secretsServer.server);
  slackUrl = `${slackServer.endpoint}/services/T000/B000/XXXX`;
  secrets.values.set(SLACK_SECRET, JSON.stringify({ webhookUrl: slackUrl }));

  hub = await startFakeSecurityHub({ accountId: HUB_ACCOUNT, region: HUB_REGION });

  // The inventory: one certificate at high severity, one at warning (the digest's), one healthy.
  estate = mkdtempSync(join(tmpdir(), 'certwarden-alerts-run-'));
  const now = Date.now();
  const ca = await issueCertificate({
    subject: 'CN=Alerts Run CA',
    ca: true,
    notBefore: new Date(now - 100 * DAY_MS),
    notAfter: new Date(now + 3000 * DAY_MS),
  });
  for (const [name, daysLeft, lifetime] of [
    ['soon.example.com', 5, 90],
    ['warn.example.com', 20, 90],
    ['fine.example.com', 200, 365],
  ] as const) {
    const issued = await issueCertificate({
      subject: `CN=${name}`,
      dns: [name],
      issuer: ca,
      notBefore: new Date(now + (daysLeft - lifetime) * DAY_MS),
      notAfter: new Date(now + daysLeft * DAY_MS),
    });
    await writeFile(join(estate, `${name}.pem`), issued.pem);
  }
  const client = createDocumentClient({ endpoint: dynamo.endpoint });
  await syncSource({
    source: new LocalFilesSource({ name: 'files', root: estate, defaultOwner: 'platform' }),
    store: new DynamoInventoryStore(client, TABLE),
    clock: systemClock,
  });
  client.destroy();

  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: hub.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: hub.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridgeServer.endpoint,
    AWS_ENDPOINT_URL_SNS: snsServer.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsServer.endpoint,
    AWS_ENDPOINT_URL_SECURITYHUB: hub.endpoint,
    CERTWARDEN_TABLE: TABLE,
    CERTWARDEN_EVENT_BUS: 'certwarden',
    // Days 30 and 7 only (no 60d or 14d alerts); the rest defaults.
    CERTWARDEN_EXPIRY: JSON.stringify({ days: [30, 7] }),
    CERTWARDEN_ALERTS_TOPIC: ALERTS_TOPIC,
    CERTWARDEN_ESCALATION_TOPIC: ESCALATION_TOPIC,
    CERTWARDEN_SLACK_SECRET_ARN: SLACK_SECRET,
    CERTWARDEN_SIEM_FORMAT: 'ocsf',
    // A stage's: the Security Hub notifier starts its finding Ids with it.
    CERTWARDEN_FINDING_PREFIX: FINDING_PREFIX,
    POWERTOOLS_SERVICE_NAME: 'certwarden-test',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
});

afterAll(async () => {
  await dynamo.close();
  await hub.close();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  rmSync(estate, { recursive: true, force: true });
});

describe('evaluate', () => {
  it('fails every record of the batch when an alert could not be published, so SQS redelivers it', async () => {
    const { handler } = await import('../../functions/evaluate/handler');
    eventBridge.refuseWith = 'AccessDeniedException';
    try {
      const response = await handler(
        sqsEvent(record('sync', eventBridgeBody(syncCompleted)), record('tick', { trigger: 'schedule' })),
        context(),
      );
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'sync' }, { itemIdentifier: 'tick' }] });
      expect(eventBridge.calls).toBeGreaterThan(0);
      expect(eventBridge.entries).toEqual([]);
    } finally {
      eventBridge.refuseWith = undefined;
    }
  });

  it('evaluates once per batch whatever it holds, publishes the most urgent crossed threshold of each place, and a rerun sends nothing new', async () => {
    const { handler } = await import('../../functions/evaluate/handler');
    const evaluate = jest.spyOn(evaluateUseCase, 'evaluateExpiry');
    const batch = sqsEvent(
      record('sync-1', eventBridgeBody(syncCompleted)),
      record('sync-2', eventBridgeBody({ ...syncCompleted, detailType: 'Sync Failed' } as CertwardenEvent)),
      record('tick', { trigger: 'schedule' }),
      record('odd', 'not json'),
    );

    await expect(handler(batch, context())).resolves.toEqual({ batchItemFailures: [] });

    expect(evaluate).toHaveBeenCalledTimes(1);
    const alerts = eventBridge.entries.map((entry) => ({
      type: entry.DetailType,
      bus: entry.EventBusName,
      ...(JSON.parse(entry.Detail) as { subjectCommonName: string; thresholdId: string; severity: string }),
    }));
    expect(alerts.map((alert) => `${alert.subjectCommonName} ${alert.thresholdId}`).sort()).toEqual([
      'soon.example.com 7d',
      'warn.example.com 30d',
    ]);
    expect(alerts.every((alert) => alert.type === 'Certificate Expiring' && alert.bus === 'certwarden')).toBe(true);
    // CERTWARDEN_EXPIRY is applied: only its day thresholds (and the lifetime one) alert.
    expect(alerts.map((alert) => alert.thresholdId).filter((id) => id.endsWith('d'))).not.toContain('60d');
    expect(alerts.find((alert) => alert.subjectCommonName === 'soon.example.com')?.severity).toBe('high');

    const before = eventBridge.entries.length;
    await expect(handler(sqsEvent(record('tick-2', { trigger: 'schedule' })), context())).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(evaluate).toHaveBeenCalledTimes(2);
    expect(eventBridge.entries).toHaveLength(before);
    evaluate.mockRestore();
  });
});

describe('email notifier', () => {
  it('emails each alert once, to each topic it is for; one SNS refuses for good is dead-lettered, one that does not parse fails alone', async () => {
    const { handler } = await import('../../functions/email-notifier/handler');
    sns.published.length = 0;

    const response = await handler(
      sqsEvent(
        record('critical', eventBridgeBody(criticalAlert)),
        record('refused', eventBridgeBody(refusedAlert)),
        record('foreign', { ...eventBridgeBody(criticalAlert), source: 'someone.else' }),
      ),
      context(),
    );

    // SNS's 400 InvalidParameter will not change: not left to SQS to try maxReceiveCount times, but listed.
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'foreign' }] });
    expect(
      (await undelivered())
        .filter((dead) => dead.alertId === (refusedAlert.detail as ExpiryAlertDetail).alertId)
        .sort((a, b) => a.target.localeCompare(b.target)),
    ).toEqual(
      // The high alert is for both topics, and each refused it.
      ['email (certwarden-alerts)', 'email (certwarden-escalation)'].map((target) =>
        expect.objectContaining({
          target,
          reason: 'InvalidParameterException (HTTP 400): refused',
          permanent: true,
          attempts: 1,
        }),
      ),
    );
    // One Publish per alert and topic: the critical alert to the alerts topic and to the escalation topic.
    expect(sns.published.map((params) => [params.TopicArn, params.Subject])).toEqual([
      [ALERTS_TOPIC, expect.stringContaining('api.example.com')],
      [ESCALATION_TOPIC, expect.stringContaining('api.example.com')],
    ]);
    expect(attributesOf(sns.published[0])).toMatchObject({ severity: 'critical', audience: 'all' });
  });

  it('escalates only high and critical alerts; a topic that failed is retried alone, the other not sent again', async () => {
    const { handler } = await import('../../functions/email-notifier/handler');
    const warning = expiryAlertEvent({ ...acmAlert, alertId: `${acmAlert.alertId}-warning`, severity: 'warning' });
    const high = expiryAlertEvent({ ...acmAlert, alertId: `${acmAlert.alertId}-escalated`, severity: 'high' });
    sns.published.length = 0;
    sns.failing = ESCALATION_TOPIC;
    try {
      await expect(
        handler(
          sqsEvent(record('warning', eventBridgeBody(warning)), record('high', eventBridgeBody(high))),
          context(),
        ),
      ).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'high' }] });
      expect(sns.published.map((params) => [params.TopicArn, attributesOf(params).severity])).toEqual([
        [ALERTS_TOPIC, 'warning'],
        [ALERTS_TOPIC, 'high'],
      ]);
    } finally {
      sns.failing = undefined;
    }

    // SQS redelivers the failed record: the escalation topic gets it, the alerts topic (which took it) does not.
    sns.published.length = 0;
    await expect(handler(sqsEvent(record('high', eventBridgeBody(high))), context())).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(sns.published.map((params) => [params.TopicArn, attributesOf(params).severity])).toEqual([
      [ESCALATION_TOPIC, 'high'],
    ]);
  });
});

describe('slack notifier', () => {
  it('reads the webhook secret once for the execution environment and posts each event', async () => {
    const { handler } = await import('../../functions/slack-notifier/handler');
    slack.posts.length = 0;
    const readsBefore = secrets.reads;

    await expect(handler(sqsEvent(record('a', eventBridgeBody(criticalAlert))), context())).resolves.toEqual({
      batchItemFailures: [],
    });
    await expect(handler(sqsEvent(record('b', eventBridgeBody(syncCompleted))), context())).resolves.toEqual({
      batchItemFailures: [],
    });

    expect(secrets.reads - readsBefore).toBe(1);
    expect(slack.posts).toHaveLength(2);
    expect(slack.posts[0]).toEqual({
      path: '/services/T000/B000/XXXX',
      text: expect.stringContaining('api.example.com'),
    });
  });
  it('fails the records left once less than one post may take is left, without posting them', async () => {
    const { handler } = await import('../../functions/slack-notifier/handler');
    const { SLACK_RECORD_BUDGET_MS } = await import('../../functions/shared/eventbridge-record');
    expect(SLACK_RECORD_BUDGET_MS).toBe(62_500);
    await handler(sqsEvent(record('warm', eventBridgeBody(syncCompleted))), context()); // the secret, read once
    slack.posts.length = 0;

    // Events no test posted before: the ledger would rightly skip those Slack took.
    const batch = sqsEvent(
      ...['a', 'b', 'c', 'd'].map((id) =>
        record(id, eventBridgeBody(id === 'a' ? alertNamed(`budget-${id}`) : syncCompletedAt(id))),
      ),
    );
    await expect(handler(batch, context(undefined, runningOut(2)))).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'c' }, { itemIdentifier: 'd' }],
    });
    // Only the two delivered were posted: SQS redelivers c and d, and nothing twice.
    expect(slack.posts).toHaveLength(2);
    expect(slack.posts[0].text).toContain('budget-a');
  });
});

describe('slack notifier redelivery and refusals', () => {
  it('the same SQS record delivered twice is posted once', async () => {
    const { handler } = await import('../../functions/slack-notifier/handler');
    const once = record('redelivered', eventBridgeBody(alertNamed('redelivered')));
    await handler(sqsEvent(record('warm', eventBridgeBody(syncCompleted))), context());
    slack.posts.length = 0;

    await expect(handler(sqsEvent(once), context())).resolves.toEqual({ batchItemFailures: [] });
    await expect(handler(sqsEvent(once), context())).resolves.toEqual({ batchItemFailures: [] });

    expect(slack.posts).toHaveLength(1);
  });

  it('a post Slack refuses for good (400) is dead-lettered at once with its reason, not left to SQS', async () => {
    const { handler } = await import('../../functions/slack-notifier/handler');
    const refused = alertNamed('refuse.slack.example.com');
    slack.refuse = 'refuse.slack.example.com';
    try {
      await expect(handler(sqsEvent(record('bad', eventBridgeBody(refused))), context())).resolves.toEqual({
        batchItemFailures: [],
      });
      await expect(handler(sqsEvent(record('bad', eventBridgeBody(refused))), context())).resolves.toEqual({
        batchItemFailures: [],
      });
    } finally {
      slack.refuse = undefined;
    }

    expect(slack.refusals).toBe(1);
    expect((await undelivered()).filter((dead) => dead.alertId === refused.detail.alertId)).toEqual([
      expect.objectContaining({ target: 'slack', reason: 'HTTP 400 invalid_blocks', permanent: true, attempts: 1 }),
    ]);
  });

  it('announces a dead letter on the bus as Alert Undelivered, once; one refused in turn is not announced again', async () => {
    const { handler } = await import('../../functions/slack-notifier/handler');
    const refused = alertNamed('refuse.announce.example.com');
    const announced = () =>
      eventBridge.entries
        .filter((entry) => entry.DetailType === 'Alert Undelivered')
        .map((entry) => JSON.parse(entry.Detail) as { alertId: string | null; target: string; reason: string })
        .filter((detail) => detail.alertId === refused.detail.alertId);
    slack.refuse = 'refuse.announce.example.com';
    try {
      await handler(sqsEvent(record('announce', eventBridgeBody(refused))), context());
      await handler(sqsEvent(record('announce', eventBridgeBody(refused))), context());
      expect(announced()).toEqual([
        expect.objectContaining({
          target: 'slack',
          reason: 'HTTP 400 invalid_blocks',
          eventType: 'Certificate Expiring',
        }),
      ]);
      expect(eventBridge.entries.find((entry) => entry.DetailType === 'Alert Undelivered')).toMatchObject({
        Source: 'certwarden',
        EventBusName: 'certwarden',
      });

      // The announcement reaches Slack's own queue too; here Slack refuses it as well.
      slack.refuse = 'Alert Undelivered';
      const refusalsBefore = slack.refusals;
      const [entry] = eventBridge.entries.filter((candidate) => candidate.DetailType === 'Alert Undelivered');
      const echo = JSON.stringify({
        source: entry.Source,
        'detail-type': entry.DetailType,
        detail: JSON.parse(entry.Detail),
      });
      const before = eventBridge.entries.length;
      await expect(handler(sqsEvent(record('echo', echo)), context())).resolves.toEqual({ batchItemFailures: [] });
      expect(slack.refusals).toBe(refusalsBefore + 1);
      expect(eventBridge.entries).toHaveLength(before);
    } finally {
      slack.refuse = undefined;
    }
  });
});

describe('security hub notifier', () => {
  it("imports findings into the account, region and partition of the function's own ARN", async () => {
    const { handler } = await import('../../functions/security-hub-notifier/handler');
    const arn = `arn:aws:lambda:${HUB_REGION}:${HUB_ACCOUNT}:function:certwarden-security-hub`;

    const response = await handler(sqsEvent(record('critical', eventBridgeBody(criticalAlert))), context(arn));

    expect(response).toEqual({ batchItemFailures: [] });
    const findings = [...hub.findings.values()];
    expect(findings).toHaveLength(1);
    expect(findings[0].Id).toMatch(new RegExp(`^${FINDING_PREFIX}/expiry/`));
    expect(findings[0]).toMatchObject({
      AwsAccountId: HUB_ACCOUNT,
      ProductArn: `arn:aws:securityhub:${HUB_REGION}:${HUB_ACCOUNT}:product/${HUB_ACCOUNT}/default`,
      Severity: { Label: 'CRITICAL' },
    });
  });

  it('dead-letters the record when the ARN names another account (Security Hub refuses its findings for good)', async () => {
    const { handler } = await import('../../functions/security-hub-notifier/handler');
    const arn = `arn:aws:lambda:${HUB_REGION}:333333333333:function:certwarden-security-hub`;

    // Not left to SQS: another receive would be refused the same way.
    await expect(handler(sqsEvent(record('critical', eventBridgeBody(criticalAlert))), context(arn))).resolves.toEqual({
      batchItemFailures: [],
    });
    expect((await undelivered()).filter((dead) => dead.target === `securityHub (333333333333/${HUB_REGION})`)).toEqual([
      expect.objectContaining({
        alertId: (criticalAlert.detail as ExpiryAlertDetail).alertId,
        reason: expect.stringContaining('AccessDeniedException'),
        permanent: true,
      }),
    ]);
  });

  it('fails the record, for SQS to redeliver, when Security Hub fails it for now (InternalFailure)', async () => {
    const { handler } = await import('../../functions/security-hub-notifier/handler');
    const arn = `arn:aws:lambda:${HUB_REGION}:${HUB_ACCOUNT}:function:certwarden-security-hub`;
    const flaky = alertNamed('hub-flaky');
    const [finding] = toSecurityHubFindings(flaky, {
      accountId: HUB_ACCOUNT,
      region: HUB_REGION,
      partition: 'aws',
      findingPrefix: FINDING_PREFIX,
    });
    hub.faults.failIds.add(finding.Id);
    try {
      await expect(handler(sqsEvent(record('flaky', eventBridgeBody(flaky))), context(arn))).resolves.toEqual({
        batchItemFailures: [{ itemIdentifier: 'flaky' }],
      });
    } finally {
      hub.faults.failIds.clear();
    }
  });
  it('imports no finding for the records left once less than one record may take is left', async () => {
    const { handler } = await import('../../functions/security-hub-notifier/handler');
    const { SECURITY_HUB_RECORD_BUDGET_MS } = await import('../../functions/shared/eventbridge-record');
    expect(SECURITY_HUB_RECORD_BUDGET_MS).toBe(56_000);
    const arn = `arn:aws:lambda:${HUB_REGION}:${HUB_ACCOUNT}:function:certwarden-security-hub`;
    hub.findings.clear();

    const batch = sqsEvent(
      record('late', eventBridgeBody(criticalAlert)),
      record('later', eventBridgeBody(criticalAlert)),
    );
    await expect(
      handler(
        batch,
        context(arn, () => SECURITY_HUB_RECORD_BUDGET_MS - 1),
      ),
    ).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'late' }, { itemIdentifier: 'later' }],
    });
    expect(hub.findings.size).toBe(0);
  });
});

describe('digest', () => {
  it("sends the day's digest once, to the alert topic (full and per owner) and Slack, and nothing on a second run", async () => {
    const { handler } = await import('../../functions/digest/handler');
    sns.published.length = 0;
    slack.posts.length = 0;
    // The other form of the secret: the webhook URL as plain text.
    secrets.values.set(SLACK_SECRET, slackUrl);
    const readsBefore = secrets.reads;

    await expect(handler({}, context())).resolves.toMatchObject({ items: 1, sent: true });

    // The full digest for alerts.emails, then the one owner's own digest.
    expect(sns.published.map((params) => [params.TopicArn, attributesOf(params)])).toEqual([
      [ALERTS_TOPIC, { severity: 'digest', source: 'all', owner: 'all', account: 'all', audience: 'all' }],
      [ALERTS_TOPIC, { severity: 'digest', source: 'all', owner: 'platform', account: 'all', audience: 'owner' }],
    ]);
    for (const params of sns.published) {
      expect(params.Message).toContain('warn.example.com');
      expect(params.Message).not.toContain('soon.example.com');
    }
    expect(slack.posts).toEqual([{ path: '/services/T000/B000/XXXX', text: expect.any(String) }]);

    await expect(handler({}, context())).resolves.toMatchObject({ sent: false, alreadySent: true });
    expect(sns.published).toHaveLength(2);
    expect(slack.posts).toHaveLength(1);
    expect(secrets.reads - readsBefore).toBe(1);
  });

  it('fails, to be retried, while another run holds a channel of the day: never a day without a digest, unsaid', async () => {
    const { handler } = await import('../../functions/digest/handler');
    const client = createDocumentClient({ endpoint: dynamo.endpoint });
    const ledger = new DynamoAlertLedger(client, TABLE, systemClock);
    const key = digestKeyOf(new Date().toISOString().slice(0, 10), 'slack');
    await ledger.forget(key);
    await ledger.claim(key, { owner: 'another-run', leaseMs: 300_000, keepUntil: new Date() });
    try {
      await expect(handler({}, context())).rejects.toThrow(/held by another run on slack: retried/);
    } finally {
      await ledger.release(key, 'another-run');
      client.destroy();
    }
  });
});

describe('siem format (Pipes enrichment)', () => {
  const pipeBatch = () => [
    record('expiring', eventBridgeBody(criticalAlert)),
    record('sync', eventBridgeBody(syncCompleted)),
    record('garbage', '{"truncated'),
    record('foreign', { ...eventBridgeBody(criticalAlert), 'detail-type': 'Something Else' }),
  ];

  afterEach(() => {
    process.env.CERTWARDEN_SIEM_FORMAT = 'ocsf';
  });

  /** The handler loaded anew, so that it reads CERTWARDEN_SIEM_FORMAT as it is now. */
  async function freshSiemHandler() {
    let loaded!: typeof import('../../functions/siem-format/handler');
    await jest.isolateModulesAsync(async () => {
      loaded = await import('../../functions/siem-format/handler');
    });
    return loaded.handler;
  }

  it('returns the OCSF finding of each event that has one, dropping unparseable records', async () => {
    const handler = await freshSiemHandler();

    // The pipe hands one message at a time (an API destination takes no batch): its finding is the body itself.
    const [expiring, sync, garbage, foreign] = pipeBatch();
    expect(await handler([expiring], context())).toMatchObject({
      class_uid: 2004,
      metadata: { version: '1.3.0' },
      severity_id: 5,
    });
    // No OCSF form, or not a certwarden event: an empty array, which the pipe takes as "do not call the target".
    for (const message of [sync, garbage, foreign]) expect(await handler([message], context())).toEqual([]);
    // A batch (not how the pipe is deployed) with one finding among other events is answered with that finding.
    expect(await handler(pipeBatch(), context())).toMatchObject({ class_uid: 2004 });
  });

  it('returns the plain JSON shape of every event with CERTWARDEN_SIEM_FORMAT=json', async () => {
    process.env.CERTWARDEN_SIEM_FORMAT = 'json';
    const handler = await freshSiemHandler();

    const out = await handler(pipeBatch(), context());

    expect(out).toEqual([
      expect.objectContaining({ event_type: 'certificate_expiring', certificate_subject: 'CN=api.example.com' }),
      expect.objectContaining({ event_type: 'sync_completed' }),
    ]);
    expect((out as unknown[]).flatMap(siemJsonProblems)).toEqual([]);
  });
});
