import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SNSClient } from '@aws-sdk/client-sns';
import { NotificationError, SnsNotifier } from '../../../lib/adapters/sns-notifier';
import { expiryAlertEvent, syncFailedEvent, type ExpiryAlertDetail } from '../../../lib/domain/events';
import { expiryDigest, type DigestItem } from '../../../lib/domain/notifications/expiry-digest';
import type { ExpirySeverity } from '../../../lib/domain/severity';
import { acmAlert, expiredFileAlert } from '../../unit/domain/notifications/fixtures';

const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:certwarden-alerts';

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
  /** A message attribute value refused on sight: every Publish carrying it is refused (InvalidParameter). */
  refuseAttributeValue: string | undefined;
  private server!: Server;
  endpoint = '';

  async start() {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const params = Object.fromEntries(new URLSearchParams(body));
        const refused =
          this.refuseAttributeValue !== undefined &&
          Object.values(attributesOf(params)).includes(this.refuseAttributeValue);
        const failure = refused ? 400 : this.failures.shift();
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
  sns.refuseAttributeValue = undefined;
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
    expect(attributesOf(first)).toEqual({
      severity: 'critical',
      source: 'prod-eu-west-1',
      owner: 'payments',
      account: '111111111111',
      audience: 'all',
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

  it('publishes every alert once, to its one topic, whatever its severity (escalation is a second SnsNotifier)', async () => {
    await new SnsNotifier({ client, topicArn: TOPIC }).publish(
      (['critical', 'high', 'warning', 'info'] as const).map((severity) => expiryAlertEvent(alertAt(severity))),
    );

    expect(sns.published.map((params) => [attributesOf(params).severity, params.TopicArn])).toEqual([
      ['critical', TOPIC],
      ['high', TOPIC],
      ['warning', TOPIC],
      ['info', TOPIC],
    ]);
    expect(sns.published.every((params) => attributesOf(params).audience === 'all')).toBe(true);
  });

  it('in digest mode skips info and warning alerts and still sends high and critical at once', async () => {
    await new SnsNotifier({ client, topicArn: TOPIC, digest: true }).publish(
      (['info', 'warning', 'high', 'critical'] as const).map((severity) => expiryAlertEvent(alertAt(severity))),
    );

    expect(sns.published.map((params) => [attributesOf(params).severity, params.TopicArn])).toEqual([
      ['high', TOPIC],
      ['critical', TOPIC],
    ]);
  });

  it('never sends an empty attribute value (SNS refuses them): an empty owner or account becomes "none"', async () => {
    await new SnsNotifier({ client, topicArn: TOPIC }).publish([
      expiryAlertEvent({ ...acmAlert, owner: '', account: '' }),
      expiryAlertEvent({ ...acmAlert, owner: '  ', source: 'prod\u0000eu' }),
    ]);

    expect(sns.published.map(attributesOf)).toEqual([
      { severity: 'critical', source: 'prod-eu-west-1', owner: 'none', account: 'none', audience: 'all' },
      { severity: 'critical', source: 'prodeu', owner: 'none', account: '111111111111', audience: 'all' },
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
  const item = (name: string, owner: string, days: number): DigestItem => ({
    locationId: `local-files:/etc/ssl/${name}.pem`,
    name,
    severity: days <= 30 ? 'warning' : 'info',
    daysLeft: days,
    notAfter: new Date(Date.parse('2026-06-01T00:00:00.000Z') + days * 86_400_000).toISOString(),
    source: 'web-servers',
    sourceKind: 'local-files',
    nativeId: `/etc/ssl/${name}.pem`,
    owner,
    account: null,
    thresholdId: 'lifetime-33%',
    managed: false,
    renewal: null,
  });
  const digest = expiryDigest('2026-06-01', [
    item('intranet.example.com', 'platform', 12),
    item('pay.example.com', 'payments', 20),
    item('wiki.example.com', 'platform', 45),
  ]);
  const FULL = { severity: 'digest', source: 'all', owner: 'all', account: 'all', audience: 'all' };

  it('publishes the full digest (audience all, owner all), then one digest per owner with only its items (audience owner)', async () => {
    await new SnsNotifier({ client, topicArn: TOPIC, digest: true }).sendDigest(digest);

    expect(sns.published.map((params) => [params.TopicArn, params.Subject, attributesOf(params)])).toEqual([
      [TOPIC, '[certwarden] Daily digest: 3 certificates expiring (2 warning, 1 info)', FULL],
      [
        TOPIC,
        '[certwarden] Daily digest for platform: 2 certificates expiring (1 warning, 1 info)',
        { ...FULL, owner: 'platform', audience: 'owner' },
      ],
      [
        TOPIC,
        '[certwarden] Daily digest for payments: 1 certificate expiring (1 warning)',
        { ...FULL, owner: 'payments', audience: 'owner' },
      ],
    ]);
    const [full, platform, payments] = sns.published.map((params) => params.Message);
    expect(full).toContain('intranet.example.com expires in 12 days');
    for (const name of ['intranet', 'pay', 'wiki']) expect(full).toContain(`${name}.example.com`);
    expect(platform).toContain('intranet.example.com');
    expect(platform).toContain('wiki.example.com');
    expect(platform).not.toContain('pay.example.com');
    expect(payments).toContain('pay.example.com');
    expect(payments).not.toMatch(/intranet|wiki/);
  });

  it('spells owners as filter policies see them: an empty owner is "none", owners spelt alike share one digest', async () => {
    await new SnsNotifier({ client, topicArn: TOPIC }).sendDigest(
      expiryDigest('2026-06-01', [
        item('a.example.com', '', 10),
        item('b.example.com', '  ', 11),
        item('c.example.com', 'Team Payments/EU', 12),
      ]),
    );

    expect(sns.published.map((params) => [attributesOf(params).audience, attributesOf(params).owner])).toEqual([
      ['all', 'all'],
      ['owner', 'none'],
      ['owner', 'Team Payments/EU'],
    ]);
    expect(sns.published[1].Message).toMatch(/a\.example\.com[\s\S]*b\.example\.com/);
  });

  it('tries every message, then throws a NotificationError naming the refused ones', async () => {
    sns.refuseAttributeValue = 'platform';

    const error = await new SnsNotifier({ client, topicArn: TOPIC })
      .sendDigest(digest)
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    expect((error as Error).message).toMatch(/refused 1 of 3 message\(s\) of the digest of 2026-06-01/);
    expect((error as Error).message).toContain('the digest of owner platform');
    expect(sns.published.map((params) => attributesOf(params).owner)).toEqual(['all', 'payments']);
  });

  it('throws a NotificationError when SNS refuses the digest', async () => {
    sns.failures = [400];
    const error = await new SnsNotifier({ client, topicArn: TOPIC })
      .sendDigest(expiryDigest('2026-06-01', [item('intranet.example.com', 'platform', 12)]))
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    expect((error as Error).message).toMatch(/digest of 2026-06-01/);
    expect(sns.published.map((params) => attributesOf(params).audience)).toEqual(['owner']);
  });

  it('hands the same messages as parts, named by owner, each sent alone and refused alone', async () => {
    sns.refuseAttributeValue = 'platform';
    const parts = new SnsNotifier({ client, topicArn: TOPIC }).digestParts(digest);

    const outcomes = await Promise.allSettled(parts.map((part) => part.send()));

    expect(parts.map(({ name }) => name)).toEqual([null, 'owner:platform', 'owner:payments']);
    expect(outcomes.map(({ status }) => status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const [, refused] = outcomes;
    expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(NotificationError);
    expect(((refused as PromiseRejectedResult).reason as Error).message).toContain('the digest of owner platform');
    expect(sns.published.map((params) => attributesOf(params).owner).sort()).toEqual(['all', 'payments']);
  });

  it("is the digest's email channel", () => {
    expect(new SnsNotifier({ client, topicArn: TOPIC }).channel).toBe('email');
  });
});
