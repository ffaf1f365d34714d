import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SlackNotifier } from '../../../lib/adapters/slack-notifier';
import { expiryAlertEvent } from '../../../lib/domain/events';
import { NotificationError } from '../../../lib/domain/notifications/notification-error';
import { acmAlert, expiredFileAlert } from '../../unit/domain/notifications/fixtures';

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A real HTTP server playing Slack's incoming webhook: answers from a script, then 200 "ok". */
class FakeSlack {
  readonly received: Array<{ at: number; body: { text: string; blocks: unknown[] } }> = [];
  script: Answer[] = [];
  always: Answer | undefined;
  private server!: Server;
  url = '';

  async start() {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        this.received.push({ at: Date.now(), body: JSON.parse(body) });
        const answer = this.script.shift() ?? this.always ?? { status: 200, body: 'ok' };
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/services/T000/B000/XXXX`;
  }

  stop() {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const slack = new FakeSlack();
beforeAll(() => slack.start());
afterAll(() => slack.stop());
beforeEach(() => {
  slack.received.length = 0;
  slack.script = [];
  slack.always = undefined;
});

const notifier = (options: Partial<ConstructorParameters<typeof SlackNotifier>[0]> = {}) =>
  new SlackNotifier({ webhookUrl: slack.url, backoffMs: 10, ...options });

describe('SlackNotifier', () => {
  it('posts each event as a Block Kit message', async () => {
    await notifier().publish([expiryAlertEvent(acmAlert), expiryAlertEvent(expiredFileAlert)]);

    expect(slack.received.map((request) => request.body.text)).toEqual([
      'CRITICAL: api.example.com expires in 1 day (ACM, prod-eu-west-1)',
      'CRITICAL: old.example.com expired 3 days ago (file, web-servers)',
    ]);
    expect(slack.received[0].body.blocks[0]).toMatchObject({ type: 'header' });
  });

  it('waits for Retry-After on a 429 before trying again, then delivers', async () => {
    slack.script = [{ status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' }];

    await notifier().publish([expiryAlertEvent(acmAlert)]);

    expect(slack.received).toHaveLength(2);
    expect(slack.received[1].at - slack.received[0].at).toBeGreaterThanOrEqual(950);
  });

  it('retries server errors with backoff, then delivers', async () => {
    slack.script = [{ status: 500 }, { status: 503 }];

    await notifier().publish([expiryAlertEvent(acmAlert)]);

    expect(slack.received).toHaveLength(3);
  });

  it('surfaces what it could not deliver after its attempts, having tried every event', async () => {
    slack.script = [{ status: 500 }, { status: 500 }, { status: 500 }];

    const error = await notifier({ maxAttempts: 3 })
      .publish([expiryAlertEvent(acmAlert), expiryAlertEvent(expiredFileAlert)])
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    expect((error as NotificationError).failed.map((event) => event.detail)).toEqual([acmAlert]);
    expect(slack.received.map((request) => request.body.text)).toEqual([
      ...Array(3).fill(expect.stringContaining('api.example.com')),
      expect.stringContaining('old.example.com'),
    ]);
  });

  it('fails at once on a client error (a revoked webhook): no retry, surfaced', async () => {
    slack.always = { status: 404, body: 'no_service' };

    const error = await notifier()
      .publish([expiryAlertEvent(acmAlert)])
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    expect((error as Error).message).toMatch(/Slack refused 1 of 1/);
    expect(slack.received).toHaveLength(1);
  });

  it('gives up on a rate limit that lasts past its attempts, and says so', async () => {
    slack.always = { status: 429, headers: { 'retry-after': '0' }, body: 'rate_limited' };

    const error = await notifier({ maxAttempts: 3 })
      .publish([expiryAlertEvent(acmAlert)])
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    expect(slack.received).toHaveLength(3);
  });

  it('does not wait for a Retry-After longer than allowed: fails the message for a later retry', async () => {
    slack.always = { status: 429, headers: { 'retry-after': '3600' } };

    const started = Date.now();
    const error = await notifier({ maxRetryAfterMs: 5_000 })
      .publish([expiryAlertEvent(acmAlert)])
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
