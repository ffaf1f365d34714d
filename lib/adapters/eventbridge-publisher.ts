import type { PutEventsCommandOutput, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CertwardenError } from '../domain/errors';
import { EVENT_SOURCE, type CertwardenEvent } from '../domain/events';
import type { EventPublisher } from '../ports/event-publisher';

/** What the publisher needs of an EventBridgeClient (or a test double). */
export interface PutEventsClient {
  send(command: PutEventsCommand): Promise<Pick<PutEventsCommandOutput, 'FailedEntryCount' | 'Entries'>>;
}

export interface EventBridgePublisherOptions {
  client: PutEventsClient;
  /** Name or ARN of the certwarden event bus. */
  eventBusName: string;
  /**
   * Rounds of PutEvents for entries EventBridge reports failed with a transient code (throttling, internal
   * failure), the first included, with exponential backoff between rounds. @default 4
   */
  maxRounds?: number;
  /** Milliseconds before the second round; doubles each round. @default 100 */
  backoffMs?: number;
}

/** Some events could not be published; `failures` names each one's error code. */
export class EventPublishError extends CertwardenError {
  constructor(
    message: string,
    readonly failures: Array<{ detailType: string; errorCode: string; errorMessage?: string }>,
  ) {
    super(message);
  }
}

/** PutEvents takes at most 10 entries and 256 KB a request. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
/** Failure codes worth another round; anything else (malformed detail, access denied) fails at once. */
const TRANSIENT = new Set(['ThrottlingException', 'InternalFailure', 'InternalException', 'ServiceUnavailable']);

/**
 * Publishes certwarden events to an EventBridge bus with PutEvents: batches of at most 10 entries (and 256 KB),
 * entries reported in FailedEntryCount retried with backoff while their failure is transient.
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly maxRounds: number;
  private readonly backoffMs: number;

  constructor(private readonly options: EventBridgePublisherOptions) {
    this.maxRounds = options.maxRounds ?? 4;
    this.backoffMs = options.backoffMs ?? 100;
  }

  async publish(events: CertwardenEvent[]): Promise<void> {
    const entries = events.map((event) => ({
      event,
      entry: {
        EventBusName: this.options.eventBusName,
        Source: EVENT_SOURCE,
        DetailType: event.detailType,
        Detail: JSON.stringify(event.detail),
      } satisfies PutEventsRequestEntry,
    }));
    for (const batch of batches(entries)) await this.putWithRetries(batch);
  }

  private async putWithRetries(batch: Array<{ event: CertwardenEvent; entry: PutEventsRequestEntry }>): Promise<void> {
    let pending = batch;
    for (let round = 1; ; round++) {
      const output = await this.options.client.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) }));
      if (!output.FailedEntryCount) return;
      // Results come back in request order; a failed one carries an ErrorCode.
      const failed = pending
        .map((item, index) => ({ item, result: output.Entries?.[index] }))
        .filter(({ result }) => result === undefined || result.ErrorCode !== undefined);
      const permanent = failed.filter(({ result }) => result?.ErrorCode && !TRANSIENT.has(result.ErrorCode));
      if (permanent.length > 0 || round >= this.maxRounds) {
        const failures = (permanent.length > 0 ? permanent : failed).map(({ item, result }) => ({
          detailType: item.event.detailType,
          errorCode: result?.ErrorCode ?? 'Unknown',
          errorMessage: result?.ErrorMessage,
        }));
        throw new EventPublishError(
          `EventBridge refused ${failures.length} event(s) on ${this.options.eventBusName}` +
            ` after ${round} round(s): ${[...new Set(failures.map((f) => f.errorCode))].join(', ')}`,
          failures,
        );
      }
      pending = failed.map(({ item }) => item);
      await new Promise((resolve) => setTimeout(resolve, this.backoffMs * 2 ** (round - 1)));
    }
  }
}

/** PutEvents' own size rule for an entry: its strings in UTF-8 bytes. */
const entrySize = (entry: PutEventsRequestEntry): number =>
  Buffer.byteLength(entry.Source ?? '') +
  Buffer.byteLength(entry.DetailType ?? '') +
  Buffer.byteLength(entry.Detail ?? '');

function* batches<T extends { entry: PutEventsRequestEntry }>(items: T[]): Generator<T[]> {
  let batch: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = entrySize(item.entry);
    if (batch.length > 0 && (batch.length >= MAX_ENTRIES || bytes + size > MAX_REQUEST_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
