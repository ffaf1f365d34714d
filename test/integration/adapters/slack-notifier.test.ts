import { SlackNotifier } from '../../../lib/adapters/slack-notifier';
import { expiryAlertEvent, syncFailedEvent } from '../../../lib/domain/events';
import { expiryDigest, type DigestItem } from '../../../lib/domain/notifications/expiry-digest';
import { NotificationError } from '../../../lib/domain/notifications/notification-error';
import { HttpEndpoint } from '../../support/fakes/http-endpoint';
import { VirtualTime } from '../../support/virtual-time';
import { acmAlert, expiredFileAlert } from '../../unit/domain/notifications/fixtures';

/** A real HTTP server playing Slack's incoming webhook: answers from a script, then 200 "ok". */
const slack = new HttpEndpoint<{ text: string; blocks: unknown[] }>('/services/T000/B000/XXXX');
beforeAll(() => slack.start());
afterAll(() => slack.stop());
/**
 * Every test runs in virtual time: the notifier's production back-off and Retry-After waits run on jest's fake
 * clock, and the request times the endpoint records (Date.now()) are virtual milliseconds.
 */
let time: VirtualTime;
beforeEach(() => {
  slack.reset();
  time = VirtualTime.start();
});
afterEach(() => time.stop());

const notifier = (options: Partial<ConstructorParameters<typeof SlackNotifier>[0]> = {}) => {
  const slackNotifier = new SlackNotifier({ webhookUrl: slack.url, ...options });
  return {
    channel: slackNotifier.channel,
    publish: (...args: Parameters<SlackNotifier['publish']>) => time.run(slackNotifier.publish(...args)),
    sendDigest: (...args: Parameters<SlackNotifier['sendDigest']>) => time.run(slackNotifier.sendDigest(...args)),
  };
};

describe('SlackNotifier', () => {
  it('posts each event as a Block Kit message', async () => {
    await notifier().publish([expiryAlertEvent(acmAlert), expiryAlertEvent(expiredFileAlert)]);

    expect(slack.requests.map((request) => request.body.text)).toEqual([
      'CRITICAL: api.example.com expires in 1 day (ACM, prod-eu-west-1)',
      'CRITICAL: old.example.com expired 3 days ago (file, web-servers)',
    ]);
    expect(slack.requests[0].body.blocks[0]).toMatchObject({ type: 'header' });
  });

  it('waits for Retry-After on a 429 before trying again, then delivers', async () => {
    slack.script = [{ status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' }];

    await notifier().publish([expiryAlertEvent(acmAlert)]);

    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[1].at - slack.requests[0].at).toBeGreaterThanOrEqual(1_000);
  });

  it('retries server errors with backoff, then delivers', async () => {
    slack.script = [{ status: 500 }, { status: 503 }];

    await notifier().publish([expiryAlertEvent(acmAlert)]);

    expect(slack.requests).toHaveLength(3);
  });

  it('surfaces what it could not deliver after its attempts, having tried every event', async () => {
    slack.script = [{ status: 500 }, { status: 500 }, { status: 500 }];

    const error = await notifier({ maxAttempts: 3 })
      .publish([expiryAlertEvent(acmAlert), expiryAlertEvent(expiredFileAlert)])
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    expect((error as NotificationError).failed.map((event) => event.detail)).toEqual([acmAlert]);
    expect(slack.requests.map((request) => request.body.text)).toEqual([
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
    expect(slack.requests).toHaveLength(1);
  });

  it('gives up on a rate limit that lasts past its attempts, and says so', async () => {
    slack.always = { status: 429, headers: { 'retry-after': '0' }, body: 'rate_limited' };

    const error = await notifier({ maxAttempts: 3 })
      .publish([expiryAlertEvent(acmAlert)])
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    expect(slack.requests).toHaveLength(3);
  });

  it('does not wait for a Retry-After longer than allowed: fails the message for a later retry', async () => {
    slack.always = { status: 429, headers: { 'retry-after': '3600' } };

    const error = await notifier({ maxRetryAfterMs: 5_000 })
      .publish([expiryAlertEvent(acmAlert)])
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    // Virtual milliseconds: no wait came near the hour asked, only the notifier's own back-off.
    expect(time.elapsed()).toBeLessThan(60_000);
  });

  it('in digest mode posts no info or warning expiry alert, but high and critical ones and other events', async () => {
    const syncFailed = syncFailedEvent({
      schemaVersion: 1,
      source: 'prod',
      sourceKind: 'aws-acm',
      complete: false,
      errors: [],
      at: acmAlert.at,
    });

    await notifier({ digest: true }).publish([
      expiryAlertEvent({ ...acmAlert, severity: 'info', subjectCommonName: 'info.example.com' }),
      expiryAlertEvent({ ...acmAlert, severity: 'warning', subjectCommonName: 'warning.example.com' }),
      expiryAlertEvent({ ...acmAlert, severity: 'high', subjectCommonName: 'high.example.com' }),
      expiryAlertEvent(acmAlert),
      syncFailed,
    ]);

    expect(slack.requests.map((request) => request.body.text)).toEqual([
      'HIGH: high.example.com expires in 1 day (ACM, prod-eu-west-1)',
      'CRITICAL: api.example.com expires in 1 day (ACM, prod-eu-west-1)',
      'Sync Failed: prod',
    ]);
  });

  it('without digest mode posts info and warning alerts too', async () => {
    await notifier().publish([expiryAlertEvent({ ...acmAlert, severity: 'info' })]);
    expect(slack.requests).toHaveLength(1);
  });
});

describe('SlackNotifier.sendDigest', () => {
  const item = (i: number): DigestItem => ({
    locationId: `local-files:/srv/certs/host-${i}.pem`,
    name: `host-${i}.example.com`,
    severity: i % 2 ? 'info' : 'warning',
    daysLeft: 20 + i,
    notAfter: new Date(Date.parse('2026-06-21T00:00:00.000Z') + i * 86_400_000).toISOString(),
    source: 'web-servers',
    sourceKind: 'local-files',
    nativeId: `/srv/certs/host-${i}.pem`,
    owner: i % 3 ? 'platform' : 'payments',
    account: null,
    thresholdId: '30d',
    managed: false,
    renewal: null,
  });

  it('posts the digest as one Block Kit message', async () => {
    await notifier().sendDigest(expiryDigest('2026-06-01', [item(0), item(1), item(2)]));

    expect(slack.requests).toHaveLength(1);
    const { text, blocks } = slack.requests[0].body;
    expect(text).toBe('Daily digest: 3 certificates expiring (2 warning, 1 info)');
    expect(blocks[0]).toMatchObject({ type: 'header' });
    expect(JSON.stringify(blocks)).toContain('host-2.example.com');
  });

  it('keeps a large digest within Slack limits in one message', async () => {
    await notifier().sendDigest(
      expiryDigest(
        '2026-06-01',
        Array.from({ length: 2000 }, (_, i) => item(i)),
      ),
    );

    expect(slack.requests).toHaveLength(1);
    const { blocks } = slack.requests[0].body as { blocks: Array<{ type: string; text?: { text: string } }> };
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(blocks.filter((block) => block.type === 'section').at(-1)?.text?.text).toMatch(/^… and \d+ more$/);
  });

  it('retries a server error, then delivers', async () => {
    slack.script = [{ status: 500 }];
    await notifier().sendDigest(expiryDigest('2026-06-01', [item(0)]));
    expect(slack.requests).toHaveLength(2);
  });

  it("is the digest's slack channel", () => {
    expect(notifier().channel).toBe('slack');
  });

  it('throws a NotificationError when the webhook refuses the digest', async () => {
    slack.always = { status: 404, body: 'no_service' };

    const error = await notifier()
      .sendDigest(expiryDigest('2026-06-01', [item(0)]))
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    expect((error as Error).message).toMatch(/Slack refused the digest of 2026-06-01/);
  });
});
