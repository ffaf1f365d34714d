import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { DETAIL_TYPES, EVENT_SOURCE, type CertwardenEvent, type DetailType } from '../../lib/domain/events';
import type { EventPublisher } from '../../lib/ports/event-publisher';
import { CHANNEL_DIMENSION, METRIC } from './metric-names';
import { logger, metrics } from './powertools';

/**
 * A certwarden event as EventBridge delivers it to a rule's target (an SQS message body, a Pipes record):
 * `source` certwarden, a `detail-type` certwarden publishes, and the `detail` object. The envelope's other
 * fields (id, time, account, region, resources) are allowed and ignored.
 */
export const CertwardenEventBridgeEvent = z.looseObject({
  source: z.literal(EVENT_SOURCE),
  'detail-type': z.enum(DETAIL_TYPES as readonly DetailType[] as [DetailType, ...DetailType[]]),
  detail: z.record(z.string(), z.unknown()),
});
export type CertwardenEventBridgeEvent = z.infer<typeof CertwardenEventBridgeEvent>;

/** A message body is not a certwarden EventBridge event; the message says why, never quoting the body. */
export class EventRecordError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The CertwardenEvent a message body carries (the EventBridge event JSON). The detail is taken as certwarden
 * published it (the event schemas hold it); only the envelope is checked here.
 */
export function parseEventBridgeBody(body: string): CertwardenEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new EventRecordError('the message body is not JSON');
  }
  const parsed = CertwardenEventBridgeEvent.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`,
    );
    throw new EventRecordError(`not a certwarden EventBridge event (${problems.join('; ')})`, { cause: parsed.error });
  }
  return { detailType: parsed.data['detail-type'], detail: parsed.data.detail } as unknown as CertwardenEvent;
}

/** A record left to SQS without being attempted: less than its worst case was left of the invocation. */
export class RecordDeadlineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * How a notifier's SDK client (SNS, Security Hub, Secrets Manager) is bounded, so that the worst case of one
 * call is known: 4 attempts, each given up after `requestTimeout` without a response (connecting included:
 * both timers start with the request) plus `socketTimeout` of silence while the body is read.
 */
export const NOTIFIER_SDK_CONFIG = {
  maxAttempts: 4,
  requestHandler: {
    connectionTimeout: 1_000,
    requestTimeout: 3_000,
    socketTimeout: 3_000,
    throwOnRequestTimeout: true,
  },
} satisfies { maxAttempts: number; requestHandler: Record<string, unknown> };

/**
 * The worst case of one SDK call with `NOTIFIER_SDK_CONFIG`: every attempt runs out its timeouts, and the
 * standard retry strategy waits before retry k (k = 0, 1, …) at most min(20 s, 2^k × 500 ms) (full jitter
 * below that; 500 ms is the throttling base, the larger one). 4 × (3 + 3 s) + 0.5 + 1 + 2 s = 27.5 s.
 * A Retry-After header on an error response would lengthen a wait (the SDK takes the larger); SNS and
 * Security Hub do not send one.
 */
export const SDK_CALL_WORST_CASE_MS = (() => {
  const { maxAttempts, requestHandler } = NOTIFIER_SDK_CONFIG;
  let waits = 0;
  for (let retry = 0; retry < maxAttempts - 1; retry++) waits += Math.min(20_000, 2 ** retry * 500);
  return maxAttempts * (requestHandler.requestTimeout + requestHandler.socketTimeout) + waits;
})();

/** Logging, parsing and rendering around a record's calls. */
const RECORD_OVERHEAD_MS = 1_000;

/** The email notifier's record: one Publish (the escalation topic has its own copy of the function). */
export const SNS_RECORD_BUDGET_MS = SDK_CALL_WORST_CASE_MS + RECORD_OVERHEAD_MS;
/** The Security Hub notifier's record: one BatchImportFindings and, for a closing finding, one BatchUpdateFindings. */
export const SECURITY_HUB_RECORD_BUDGET_MS = 2 * SDK_CALL_WORST_CASE_MS + RECORD_OVERHEAD_MS;

/** How the Slack notifier posts (lib/adapters/slack-notifier.ts options). */
export const SLACK_DELIVERY = { maxAttempts: 3, backoffMs: 500, timeoutMs: 5_000, maxRetryAfterMs: 15_000 } as const;
/**
 * The Slack notifier's record, one post, from lib/adapters/slack-notifier.ts: each of the webhook client's
 * `maxAttempts` attempts runs under one `timeoutMs` abort signal, which ends the attempt's requests but not a
 * Retry-After sleep begun before it fired (at most `maxRetryAfterMs`; the next request then aborts at once): an
 * attempt lasts at most timeoutMs + maxRetryAfterMs. Between attempts (server and network errors; a final 429
 * is not retried) the backoff doubles from `backoffMs`: 3 × (5 + 15 s) + 0.5 + 1 s = 61.5 s.
 */
export const SLACK_RECORD_BUDGET_MS = (() => {
  const { maxAttempts, backoffMs, timeoutMs, maxRetryAfterMs } = SLACK_DELIVERY;
  let backoff = 0;
  for (let retry = 0; retry < maxAttempts - 1; retry++) backoff += backoffMs * 2 ** retry;
  return maxAttempts * (timeoutMs + maxRetryAfterMs) + backoff + RECORD_OVERHEAD_MS;
})();

/** Used when a handler names no budget of its own. */
export const DEFAULT_RECORD_BUDGET_MS = 60_000;

/**
 * SQS → one notifier: each record's event is published on its own, so a record whose publish failed (or that
 * does not parse) fails alone in the partial batch response and SQS redelivers only it (then the DLQ). Records
 * go in order, one at a time: two events about one certificate land in the order they were queued.
 *
 * A record is attempted only while at least `recordBudgetMs` (its worst case) is left of the invocation;
 * after that it and the rest fail without being attempted. A timeout would instead end the invocation with
 * no partial batch response, and SQS would redeliver the records already delivered too.
 *
 * @param channel names the notifier in logs and the NotificationsFailed metric (`email`, `slack`, …).
 * @param publisherFor the notifier, made once per invocation (it may read a secret first).
 * @param recordBudgetMs the worst case of one record's delivery (the notifier's retries and timeouts).
 */
export async function publishEachRecord(
  event: SQSEvent,
  context: Context,
  channel: string,
  publisherFor: () => EventPublisher | Promise<EventPublisher>,
  recordBudgetMs: number = DEFAULT_RECORD_BUDGET_MS,
): Promise<SQSBatchResponse> {
  const publisher = await publisherFor();
  let notAttempted = 0;
  const publishRecord = async (record: SQSRecord) => {
    const remainingMs = context.getRemainingTimeInMillis();
    if (remainingMs < recordBudgetMs) {
      notAttempted++;
      throw new RecordDeadlineError(
        `not attempted: ${remainingMs} ms left of the invocation, a record may take ${recordBudgetMs} ms`,
      );
    }
    let detailType: string | undefined;
    try {
      const certwardenEvent = parseEventBridgeBody(record.body);
      detailType = certwardenEvent.detailType;
      await publisher.publish([certwardenEvent]);
    } catch (error) {
      // The message only: an error's cause can carry a notifier's request (a webhook URL is a credential).
      logger.warn('record not delivered', {
        channel,
        messageId: record.messageId,
        detailType,
        reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      throw error;
    }
  };
  const response = await processPartialResponse(event, publishRecord, new BatchProcessor(EventType.SQS), {
    context,
    processInParallel: false,
    // A batch that failed whole is answered like any other (every record listed), not thrown.
    throwOnFullBatchFailure: false,
  });
  const failed = response.batchItemFailures.length;
  metrics
    .singleMetric()
    .addDimension(CHANNEL_DIMENSION, channel)
    .addMetric(METRIC.notificationsFailed, 'Count', failed);
  if (notAttempted > 0)
    logger.warn('records left for redelivery: too little time left', { channel, notAttempted, recordBudgetMs });
  logger.info('records delivered', { channel, records: event.Records.length, failed, notAttempted });
  return response;
}
