import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SNSClient } from '@aws-sdk/client-sns';
import { NotificationError, SnsNotifier } from '../../../lib/adapters/sns-notifier';
import { expiryAlertEvent, syncFailedEvent, type ExpiryAlertDetail } from '../../../lib/domain/events';
import { expiryDigest } from '../../../lib/domain/notifications/expiry-digest';
import type { ExpirySeverity } from '../../../lib/domain/severity';
import { acmAlert, expiredFileAlert } from '../../unit/domain/notifications/fixtures';

const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:certwarden-alerts';
const ESCALATION = 'arn:aws:sns:eu-west-1:111111111111:certwarden-escalation';

/** The message attributes of one Publish as sent on the wire (awsQuery form fields). */
function attributesOf(params: Record<string, string>): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (let n = 1; params[`MessageAttributes.entry.${n}.Name`]; n++)
    attributes[params[`MessageAttributes.entry.${n}.Name`]] = params[`MessageAttributes.entry.${n}.Value.StringValue`];
  return attributes;
}

const alertAt = (severity: ExpirySeverity, name = `${severity}.example.com`): ExpiryAlertDetail => ({
  ...acmAlert,
  alertId: `${acmAlert.alertId}-${severity}`,
  severity,
  subjectCommonName: name,
});

/** A wire-level SNS: the awsQuery protocol (form-encoded POST, XML reply), recording every Publish. */
class FakeSns {
  readonly published: Array<Record<string, string>> = [];
  /** Status codes to answer the next requests with instead of success. */
  failures: number[] = [];
  /** A topic that does not exist: every Publish to it is refused (NotFound). */
  refuseTopic: string | undefined;
  private server!: Server;
  endpoint = '';

  async start() {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const params = Object.fromEntries(new URLSearchParams(body));
        const failure = params.TopicArn === this.refuseTopic ? 404 : this.failures.shift();
        response.setHeader('content-type', 'text/xml');
        if (failure) {
          response.statusCode = failure;
          response.end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>${failure === 400 ? 'InvalidParameter' : failure === 404 ? 'NotFound' : 'InternalError'}</Code>` +
              `<Message>refused</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
          );
          return;
        }
        this.published.push(params);
        response.end(
          `<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>` +
            `<MessageId>m-${this.published.length}</MessageId></PublishResult>` +
            `<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`,
        );
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop() {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const sns = new FakeSns();
let client: SNSClient;

beforeAll(async () => {
  await sns.start();
  client = new SNSClient({
    endpoint: sns.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 3,
  });
});

afterAll(async () => {
  client.destroy();
  await sns.stop();
});

beforeEach(() => {
  sns.published.length = 0;
  sns.failures = [];
  sns.refuseTopic = undefined;
});

describe('SnsNotifier', () => {
  it('publishes each expiry alert as an email with its message attributes, through the real SNS client', async () => {
    await new SnsNotifier({ client, topicArn: TOPIC }).publish([
      expiryAlertEvent(acmAlert),
      expiryAlertEvent(expiredFileAlert),
    ]);

    expect(sns.published).toHaveLength(2);
    const [first] = sns.published;
    expect(first).toMatchObject({
      Action: 'Publish',
      TopicArn: TOPIC,
      Subject: '[certwarden] CRITICAL: api.example.com expires in 1 day (ACM, prod-eu-west-1)',
    });
    expect(first.Message).toContain('How to renew');
    const attributes = Object.fromEntries(
      [1, 2, 3, 4].map((n) => [
        first[`MessageAttributes.entry.${n}.Name`],
        first[`MessageAttributes.entry.${n}.Value.StringValue`],
      ]),
    );
    expect(attributes).toEqual({
      severity: 'critical',
      source: 'prod-eu-west-1',
      owner: 'payments',
      account: '111111111111',
    });
  });

  it('skips events that are not expiry alerts', async () => {
    await new SnsNotifier({ client, topicArn: TOPIC }).publish([
      syncFailedEvent({
        schemaVersion: 1,
        source: 's',
        sourceKind: 'aws-acm',
        complete: true,
        errors: [],
        at: acmAlert.at,
      }),
    ]);
    expect(sns.published).toEqual([]);
  });

  it('retries a server error (the SDK) and delivers', async () => {
    sns.failures = [500];
    await new SnsNotifier({ client, topicArn: TOPIC }).publish([expiryAlertEvent(acmAlert)]);
    expect(sns.published).toHaveLength(1);
  });

  it('still sends the others when one is refused, and surfaces the refused one', async () => {
    sns.failures = [400];
    const publishing = new SnsNotifier({ client, topicArn: TOPIC }).publish([
      expiryAlertEvent(acmAlert),
      expiryAlertEvent(expiredFileAlert),
    ]);

    const error = await publishing.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotificationError);
    expect((error as NotificationError).failed.map((event) => event.detail)).toEqual([acmAlert]);
    expect(sns.published.map((params) => params.Subject)).toEqual([expect.stringContaining('old.example.com')]);
  });

  it('publishes critical and high alerts to the alert topic and the escalation topic, the others to the alert topic only', async () => {
    await new SnsNotifier({ client, topicArn: TOPIC, escalationTopicArn: ESCALATION }).publish(
      (['critical', 'high', 'warning', 'info'] as const).map((severity) => expiryAlertEvent(alertAt(severity))),
    );

    const topicsOf = (name: string) =>
      sns.published.filter((params) => params.Subject.includes(name)).map((params) => params.TopicArn);
    expect(topicsOf('critical.example.com')).toEqual([TOPIC, ESCALATION]);
    expect(topicsOf('high.example.com')).toEqual([TOPIC, ESCALATION]);
    expect(topicsOf('warning.example.com')).toEqual([TOPIC]);
    expect(topicsOf('info.example.com')).toEqual([TOPIC]);
    // The escalation copy is the same email with the same attributes.
    const [alert, escalated] = sns.published.filter((params) => params.Subject.includes('critical.example.com'));
    expect(escalated.Message).toBe(alert.Message);
    expect(attributesOf(escalated)).toEqual(attributesOf(alert));
  });

  it('in digest mode skips info and warning alerts and still sends high and critical at once', async () => {
    await new SnsNotifier({ client, topicArn: TOPIC, escalationTopicArn: ESCALATION, digest: true }).publish(
      (['info', 'warning', 'high', 'critical'] as const).map((severity) => expiryAlertEvent(alertAt(severity))),
    );

    expect(sns.published.map((params) => [attributesOf(params).severity, params.TopicArn])).toEqual([
      ['high', TOPIC],
      ['high', ESCALATION],
      ['critical', TOPIC],
      ['critical', ESCALATION],
    ]);
  });

  it('surfaces an alert whose escalation copy was refused, after publishing it to the alert topic', async () => {
    const refusing = new SnsNotifier({ client, topicArn: TOPIC, escalationTopicArn: `${ESCALATION}-missing` });
    sns.refuseTopic = `${ESCALATION}-missing`;

    const error = await refusing.publish([expiryAlertEvent(alertAt('high'))]).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    expect((error as NotificationError).failed.map((event) => (event.detail as ExpiryAlertDetail).severity)).toEqual([
      'high',
    ]);
    expect(sns.published.map((params) => params.TopicArn)).toEqual([TOPIC]);
  });

  it('never sends an empty attribute value (SNS refuses them): an empty owner or account becomes "none"', async () => {
    await new SnsNotifier({ client, topicArn: TOPIC }).publish([
      expiryAlertEvent({ ...acmAlert, owner: '', account: '' }),
      expiryAlertEvent({ ...acmAlert, owner: '  ', source: 'prod\u0000eu' }),
    ]);

    expect(sns.published.map(attributesOf)).toEqual([
      { severity: 'critical', source: 'prod-eu-west-1', owner: 'none', account: 'none' },
      { severity: 'critical', source: 'prodeu', owner: 'none', account: '111111111111' },
    ]);
  });

  it('keeps owner values verbatim, so that an owner filter policy matches exactly', async () => {
    await new SnsNotifier({ client, topicArn: TOPIC }).publish([
      expiryAlertEvent({ ...acmAlert, owner: 'Team Payments/EU' }),
    ]);
    expect(attributesOf(sns.published[0]).owner).toBe('Team Payments/EU');
  });
});

describe('SnsNotifier.sendDigest', () => {
  const digest = expiryDigest('2026-06-01', [
    {
      locationId: 'local-files:/etc/ssl/intranet.pem',
      name: 'intranet.example.com',
      severity: 'warning',
      daysLeft: 12,
      notAfter: '2026-06-13T00:00:00.000Z',
      source: 'web-servers',
      sourceKind: 'local-files',
      nativeId: '/etc/ssl/intranet.pem',
      owner: 'platform',
      account: null,
      thresholdId: 'lifetime-33%',
      managed: false,
      renewal: null,
    },
  ]);

  it('publishes the digest once, to the alert topic only, with severity digest and owner all', async () => {
    await new SnsNotifier({ client, topicArn: TOPIC, escalationTopicArn: ESCALATION, digest: true }).sendDigest(digest);

    expect(sns.published).toHaveLength(1);
    expect(sns.published[0]).toMatchObject({
      Action: 'Publish',
      TopicArn: TOPIC,
      Subject: '[certwarden] Daily digest: 1 certificate expiring (1 warning)',
    });
    expect(sns.published[0].Message).toContain('intranet.example.com expires in 12 days');
    expect(attributesOf(sns.published[0])).toEqual({ severity: 'digest', source: 'all', owner: 'all', account: 'all' });
  });

  it('throws a NotificationError when SNS refuses the digest', async () => {
    sns.failures = [400];
    const error = await new SnsNotifier({ client, topicArn: TOPIC })
      .sendDigest(digest)
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    expect((error as Error).message).toMatch(/digest of 2026-06-01/);
    expect(sns.published).toEqual([]);
  });
});
