import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SNSClient } from '@aws-sdk/client-sns';
import { NotificationError, SnsNotifier } from '../../../lib/adapters/sns-notifier';
import { expiryAlertEvent, syncFailedEvent } from '../../../lib/domain/events';
import { acmAlert, expiredFileAlert } from '../../unit/domain/notifications/fixtures';

const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:certwarden-alerts';

/** A wire-level SNS: the awsQuery protocol (form-encoded POST, XML reply), recording every Publish. */
class FakeSns {
  readonly published: Array<Record<string, string>> = [];
  /** Status codes to answer the next requests with instead of success. */
  failures: number[] = [];
  private server!: Server;
  endpoint = '';

  async start() {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const params = Object.fromEntries(new URLSearchParams(body));
        const failure = this.failures.shift();
        response.setHeader('content-type', 'text/xml');
        if (failure) {
          response.statusCode = failure;
          response.end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>${failure === 400 ? 'InvalidParameter' : 'InternalError'}</Code>` +
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
});
