import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { DETAIL_TYPES, EVENT_SOURCE, type CertwardenEvent, type DetailType } from '../../lib/domain/events';
import { alertsUndelivered, type NotifierRole } from '../../lib/domain/metric-names';
import type { DeliveryLedger, UndeliveredRecord } from '../../lib/ports/delivery-ledger';
import type { EventPublisher } from '../../lib/ports/event-publisher';
import { deliverTo, undeliveredEventOf, type DeliveryTarget } from '../../lib/use-cases/deliver';
import { logger, publishMetric } from './powertools';

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

// The notifiers' SDK bounds and per-record budgets live in lib/adapters/notifier-budgets.ts, which the construct
// reads too (it sizes each notifier's timeout from them).
export {
  NOTIFIER_SDK_CONFIG,
  SDK_CALL_WORST_CASE_MS,
  SECURITY_HUB_RECORD_BUDGET_MS,
  SLACK_DELIVERY,
  SLACK_RECORD_BUDGET_MS,
  SNS_RECORD_BUDGET_MS,
} from '../../lib/adapters/notifier-budgets';

/** Used when a handler names no budget of its own. */
export const DEFAULT_RECORD_BUDGET_MS = 60_000;

/** Where a notifier records what its target took and gave up (functions/shared/delivery.ts recordDelivery). */
export interface RecordDelivery {
  ledger: DeliveryLedger;
  /** Failed attempts (SQS receives) at one event before it is dead-lettered. */
  maxAttempts: number;
  /** Puts an Alert Undelivered event on the bus, for the other channels. */
  announce?: (event: CertwardenEvent) => Promise<void>;
}

/** A record's event failed and is left to SQS to redeliver. */
export class RecordNotDeliveredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * One destination of a notifier. Its name is its key in the ledger, one per destination (`slack`,
 * `email (<topic>)`, `securityHub (<account>/<region>)`): one target taking an event says nothing of another.
 */
export interface NotifierTarget extends DeliveryTarget {
  /** Whether the event is for this target at all (the escalation topic: high and critical alerts). @default all */
  readonly takes?: (event: CertwardenEvent) => boolean;
}

export interface PublishEachRecordOptions {
  /** The notifier's role (`emailNotifier`, …): its logs' channel and the emitter of its AlertsUndelivered metric. */
  role: NotifierRole;
  /** The notifier's targets, made once per invocation (a notifier may read a secret first). */
  targetsFor: () => NotifierTarget[] | Promise<NotifierTarget[]>;
  delivery: RecordDelivery;
  /**
   * The worst case of one record's delivery to every target it is for (the notifier's retries and timeouts).
   * @default DEFAULT_RECORD_BUDGET_MS
   */
  recordBudgetMs?: number;
}

/** An `EventPublisher`-backed target taking every event. */
export const targetOf = (name: string, publisher: EventPublisher): NotifierTarget => ({ name, publisher });

/** Best effort: the dead letter is recorded and alarmed on whether or not the bus takes its event. */
async function announceDeadLetter(delivery: RecordDelivery, dead: UndeliveredRecord, channel: NotifierRole) {
  if (!delivery.announce) return;
  try {
    await delivery.announce(undeliveredEventOf(dead));
  } catch (error) {
    logger.warn('Alert Undelivered not published', {
      channel,
      deliveryId: dead.deliveryId,
      reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
}

/**
 * SQS → one notifier: each record's event is published on its own, so a record whose publish failed (or that
 * does not parse) fails alone in the partial batch response and SQS redelivers only it. Records go in order, one
 * at a time: two events about one certificate land in the order they were queued. A record goes to every target
 * that takes it, each tried whether or not another failed; it fails if any of them is to be retried.
 *
 * Each delivery goes through the delivery ledger (lib/use-cases/deliver.ts): an event a target took before (an
 * SQS redelivery, the same alert published again) is not sent to it again, and one a target refused for good (a 4xx
 * other than 408 and 429) or failed `delivery.maxAttempts` times is dead-lettered with its reason, logged, and
 * counted in AlertsUndelivered (an alarm watches it): its record succeeds, so SQS does not try it again. The
 * queue's dead letters (`QueueDlq`) stay the backstop for records never attempted.
 *
 * A record is attempted only while at least `recordBudgetMs` (its worst case) is left of the invocation;
 * after that it and the rest fail without being attempted. A timeout would instead end the invocation with
 * no partial batch response, and SQS would redeliver the records already delivered too.
 */
export async function publishEachRecord(
  event: SQSEvent,
  context: Context,
  options: PublishEachRecordOptions,
): Promise<SQSBatchResponse> {
  const { role: channel, delivery } = options;
  const recordBudgetMs = options.recordBudgetMs ?? DEFAULT_RECORD_BUDGET_MS;
  const targets = await options.targetsFor();
  let notAttempted = 0;
  let skipped = 0;
  let deadLettered = 0;
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
      const retry: string[] = [];
      for (const target of targets.filter((candidate) => candidate.takes?.(certwardenEvent) ?? true)) {
        const result = await deliverTo({
          ledger: delivery.ledger,
          target,
          events: [certwardenEvent],
          maxAttempts: delivery.maxAttempts,
        });
        skipped += result.skipped;
        for (const dead of result.deadLettered) {
          deadLettered++;
          logger.error('record dead-lettered: not delivered, not retried', {
            channel,
            messageId: record.messageId,
            ...dead,
          });
          // Never of an Alert Undelivered itself: a channel refusing those would otherwise feed itself for ever.
          if (certwardenEvent.detailType !== 'Alert Undelivered') await announceDeadLetter(delivery, dead, channel);
        }
        retry.push(...result.retry.map(({ reason }) => `${target.name}: ${reason}`));
      }
      if (retry.length > 0) throw new RecordNotDeliveredError(retry.join('; '));
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
  // Only when not zero: the alarm is on "at least one", and a series written as 0 every batch is paid for unread.
  if (deadLettered > 0) publishMetric(alertsUndelivered(channel), {}, deadLettered);
  const failed = response.batchItemFailures.length;
  if (notAttempted > 0)
    logger.warn('records left for redelivery: too little time left', { channel, notAttempted, recordBudgetMs });
  logger.info('records delivered', {
    channel,
    records: event.Records.length,
    failed,
    notAttempted,
    alreadyDelivered: skipped,
    deadLettered,
  });
  return response;
}
