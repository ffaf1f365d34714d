import type { PutEventsCommandOutput, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type CertwardenEvent } from '../domain/events';
import { NotificationError } from '../domain/notifications/notification-error';
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

/** Why one event was not published: the entry's error code, or `RequestFailed` when its request threw. */
export interface EventPublishFailure {
  detailType: string;
  errorCode: string;
  errorMessage?: string;
}

/**
 * Some events were not published: `failed` holds exactly those (every other event of the publish was accepted
 * by EventBridge), `failures` says why for each, in the same order.
 */
export class EventPublishError extends NotificationError {
  constructor(
    message: string,
    failed: CertwardenEvent[],
    readonly failures: EventPublishFailure[],
    options?: { cause?: unknown },
  ) {
    super(message, failed, options);
  }
}

type Item = { event: CertwardenEvent; entry: PutEventsRequestEntry };
type Refused = { item: Item; failure: EventPublishFailure; cause?: unknown };

/** PutEvents takes at most 10 entries and 256 KB a request. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
/** Failure codes worth another round; anything else (malformed detail, access denied) fails at once. */
const TRANSIENT = new Set(['ThrottlingException', 'InternalFailure', 'InternalException', 'ServiceUnavailable']);

/**
 * Publishes certwarden events to an EventBridge bus with PutEvents: batches of at most 10 entries (and 256 KB),
 * entries reported in FailedEntryCount retried with backoff while their failure is transient. Every batch is
 * tried, except after a request that threw (the SDK's retries spent: the bus is out of reach), which fails its
 * batch and the ones after it. What was not accepted is thrown as one EventPublishError (a NotificationError)
 * whose `failed` are exactly those events: the caller can treat the others as published.
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly maxRounds: number;
  private readonly backoffMs: number;

  constructor(private readonly options: EventBridgePublisherOptions) {
    this.maxRounds = options.maxRounds ?? 4;
    this.backoffMs = options.backoffMs ?? 100;
  }

  async publish(events: CertwardenEvent[]): Promise<void> {
    const entries: Item[] = events.map((event) => ({
      event,
      entry: {
        EventBusName: this.options.eventBusName,
        Source: EVENT_SOURCE,
        DetailType: event.detailType,
        Detail: JSON.stringify(event.detail),
      } satisfies PutEventsRequestEntry,
    }));
    const refused: Refused[] = [];
    let rounds = 0;
    let unreachable: unknown;
    for (const batch of batches(entries)) {
      if (unreachable !== undefined) {
        // Not attempted: a request of this publish already failed after the SDK's retries.
        refused.push(...batch.map((item) => this.requestFailure(item, unreachable)));
        continue;
      }
      const result = await this.putWithRetries(batch);
      rounds = Math.max(rounds, result.rounds);
      refused.push(...result.refused);
      unreachable = result.thrown;
    }
    if (refused.length === 0) return;
    const failures = refused.map(({ failure }) => failure);
    throw new EventPublishError(
      `EventBridge refused ${refused.length} of ${events.length} event(s) on ${this.options.eventBusName}` +
        ` after ${rounds} round(s): ${[...new Set(failures.map((f) => f.errorCode))].join(', ')}`,
      refused.map(({ item }) => item.event),
      failures,
      { cause: refused.find((r) => r.cause !== undefined)?.cause },
    );
  }

  /**
   * One batch, in rounds: what is refused permanently (or still after the last round) comes back in `refused`;
   * a request that throws fails every entry still pending (`thrown` holds its error).
   */
  private async putWithRetries(batch: Item[]): Promise<{ refused: Refused[]; rounds: number; thrown?: unknown }> {
    const refused: Refused[] = [];
    let pending = batch;
    for (let round = 1; ; round++) {
      let output: Awaited<ReturnType<PutEventsClient['send']>>;
      try {
        output = await this.options.client.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) }));
      } catch (error) {
        // Whether EventBridge took any of them is unknown: counted as not published (sent again, never lost).
        refused.push(...pending.map((item) => this.requestFailure(item, error)));
        return { refused, rounds: round, thrown: error ?? new Error('PutEvents failed') };
      }
      if (!output.FailedEntryCount) return { refused, rounds: round };
      // Results come back in request order; a failed one carries an ErrorCode.
      const failed = pending
        .map((item, index) => ({ item, result: output.Entries?.[index] }))
        .filter(({ result }) => result === undefined || result.ErrorCode !== undefined);
      const transient = failed.filter(({ result }) => !result?.ErrorCode || TRANSIENT.has(result.ErrorCode));
      const lastRound = round >= this.maxRounds;
      for (const { item, result } of failed) {
        if (lastRound || !transient.some((t) => t.item === item))
          refused.push({
            item,
            failure: {
              detailType: item.event.detailType,
              errorCode: result?.ErrorCode ?? 'Unknown',
              errorMessage: result?.ErrorMessage,
            },
          });
      }
      if (lastRound || transient.length === 0) return { refused, rounds: round };
      pending = transient.map(({ item }) => item);
      await new Promise((resolve) => setTimeout(resolve, this.backoffMs * 2 ** (round - 1)));
    }
  }

  private requestFailure(item: Item, error: unknown): Refused {
    return {
      item,
      failure: {
        detailType: item.event.detailType,
        errorCode: 'RequestFailed',
        errorMessage: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      },
      cause: error,
    };
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
