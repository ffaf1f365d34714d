import { IncomingWebhook, type FetchFunction, type IncomingWebhookSendArguments } from '@slack/webhook';
import type { CertwardenEvent, ExpiryAlertDetail } from '../domain/events';
import { renderDigestSlack, type ExpiryDigest } from '../domain/notifications/expiry-digest';
import { NotificationError } from '../domain/notifications/notification-error';
import { renderSlackMessage, type SlackMessage } from '../domain/notifications/slack-message';
import { isDigestedSeverity } from '../domain/severity';
import type { EventPublisher } from '../ports/event-publisher';
import { retryAfterMs } from './retry-after';
import type { DigestNotifier } from '../ports/notifier';

export interface SlackNotifierOptions {
  /** The incoming webhook URL (from Secrets Manager; never logged). */
  webhookUrl: string;
  /** Attempts per message, the first included, over rate limits (429), server errors and network failures. @default 5 */
  maxAttempts?: number;
  /** Wait before the second attempt after a server or network error; doubles each time. @default 500 */
  backoffMs?: number;
  /** A 429's Retry-After is honoured up to this; a longer one fails the message (to be retried later). @default 60 000 */
  maxRetryAfterMs?: number;
  /** Per request. @default 10 000 */
  timeoutMs?: number;
  /**
   * True when the configuration has `alerts.digest`: info and warning expiry alerts are then not posted one by
   * one but left to the daily digest (`sendDigest`); other events and high/critical alerts still are. @default false
   */
  digest?: boolean;
}

/** An info or warning expiry alert: in digest mode, listed in the daily digest instead. */
const isDigested = (event: CertwardenEvent) =>
  (event.detailType === 'Certificate Expiring' || event.detailType === 'Certificate Expired') &&
  isDigestedSeverity((event.detail as ExpiryAlertDetail).severity);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Posts events to a Slack channel as Block Kit messages through @slack/webhook. A 429 waits for its Retry-After
 * (the webhook client itself gives up at once on a 429), server and network errors are retried with backoff,
 * and whatever still fails is thrown as a NotificationError naming the events, after every event was tried:
 * nothing is dropped silently.
 */
export class SlackNotifier implements EventPublisher, DigestNotifier {
  /** The digest's ledger channel (lib/use-cases/digest.ts). */
  readonly channel = 'slack';
  private readonly webhook: IncomingWebhook;
  private readonly digest: boolean;

  constructor(options: SlackNotifierOptions) {
    this.digest = options.digest ?? false;
    const maxAttempts = options.maxAttempts ?? 5;
    const maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    // Rate limits are answered inside fetch, so that the client's own retries count only real failures.
    const rateLimitedFetch: FetchFunction = async (url, init) => {
      for (let attempt = 1; ; attempt++) {
        const response = await fetch(url, init as RequestInit);
        if (response.status !== 429 || attempt >= maxAttempts)
          return response as unknown as Awaited<ReturnType<FetchFunction>>;
        // A 429 without a readable Retry-After waits a second.
        const wait = retryAfterMs(response.headers.get('retry-after')) ?? 1000;
        if (wait > maxRetryAfterMs) return response as unknown as Awaited<ReturnType<FetchFunction>>;
        await response.arrayBuffer();
        await sleep(wait);
      }
    };
    this.webhook = new IncomingWebhook(options.webhookUrl, {
      fetch: rateLimitedFetch,
      timeout: options.timeoutMs ?? 10_000,
      retryConfig: { retries: maxAttempts - 1, minTimeout: options.backoffMs ?? 500, factor: 2, randomize: false },
    });
  }

  async publish(events: CertwardenEvent[]): Promise<void> {
    const failures: Array<{ event: CertwardenEvent; error: unknown }> = [];
    const posted = this.digest ? events.filter((event) => !isDigested(event)) : events;
    for (const event of posted) {
      try {
        await this.send(renderSlackMessage(event));
      } catch (error) {
        failures.push({ event, error });
      }
    }
    if (failures.length > 0)
      throw new NotificationError(
        `Slack refused ${failures.length} of ${posted.length} message(s): ${(failures[0].error as Error).message}`,
        failures.map((failure) => failure.event),
        { cause: failures[0].error },
      );
  }

  /** The daily digest as one message (within Slack's limits, SLACK_LIMITS: what does not fit is counted). */
  async sendDigest(digest: ExpiryDigest): Promise<void> {
    try {
      const { text, blocks } = renderDigestSlack(digest);
      await this.send({ text, blocks });
    } catch (error) {
      throw new NotificationError(`Slack refused the digest of ${digest.day}: ${(error as Error).message}`, [], {
        cause: error,
      });
    }
  }

  private async send(message: SlackMessage): Promise<void> {
    // The renderers build Block Kit as plain objects (the domain takes no Slack types).
    await this.webhook.send(message as unknown as IncomingWebhookSendArguments);
  }
}
