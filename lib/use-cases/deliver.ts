import { NotificationError } from '../domain/notifications/notification-error';
import { alertUndeliveredEvent, type CertwardenEvent } from '../domain/events';
import { deliveryIdOf } from '../domain/notifications/delivery-id';
import type { DeliveryLedger, UndeliveredRecord } from '../ports/delivery-ledger';
import type { EventPublisher } from '../ports/event-publisher';

/** One place events go, named stably: the ledger keys its deliveries by this name. */
export interface DeliveryTarget {
  readonly name: string;
  readonly publisher: EventPublisher;
}

export interface DeliverOptions {
  ledger: DeliveryLedger;
  target: DeliveryTarget;
  events: readonly CertwardenEvent[];
  /** Failed attempts at one event after which it is dead-lettered. @default DEFAULT_DELIVERY_ATTEMPTS */
  maxAttempts?: number;
}

export interface DeliveryResult {
  /** Taken by the target now. */
  delivered: CertwardenEvent[];
  /** Taken or dead-lettered before: not sent again. */
  skipped: number;
  /** Failed now and left for another attempt, with why. */
  retry: Array<{ event: CertwardenEvent; reason: string }>;
  /** Dead-lettered by this attempt (refused for good, or failed `maxAttempts` times): never retried. */
  deadLettered: UndeliveredRecord[];
}

/** Attempts at one event per target, by default, before it is dead-lettered (config `alerts.deliveryAttempts`). */
export const DEFAULT_DELIVERY_ATTEMPTS = 5;

/**
 * Sends the events to one target, except those the ledger says it took or gave up before, and records what
 * became of each: taken, failed (to be retried: counted), or dead-lettered (refused for good — a
 * NotificationError's `refused` — or failed `maxAttempts` times). An error that names no event (not a
 * NotificationError) counts as every event failing.
 */
export async function deliverTo(options: DeliverOptions): Promise<DeliveryResult> {
  const { ledger, target } = options;
  const maxAttempts = options.maxAttempts ?? DEFAULT_DELIVERY_ATTEMPTS;
  const states = await ledger.statesAt(target.name, options.events.map(deliveryIdOf));
  const pending = options.events.filter((event) => {
    const state = states.get(deliveryIdOf(event));
    return state === undefined || state === 'failing';
  });
  const result: DeliveryResult = {
    delivered: [],
    skipped: options.events.length - pending.length,
    retry: [],
    deadLettered: [],
  };
  if (pending.length === 0) return result;

  let failed = new Map<CertwardenEvent, { reason: string; permanent: boolean }>();
  try {
    await target.publisher.publish(pending);
  } catch (error) {
    failed = failuresOf(error, pending);
  }
  result.delivered = pending.filter((event) => !failed.has(event));
  await Promise.all([
    result.delivered.length > 0 ? ledger.delivered(target.name, result.delivered) : undefined,
    ...[...failed].map(async ([event, { reason, permanent }]) => {
      const outcome = await ledger.failed({ event, target: target.name, reason, permanent, maxAttempts });
      if (outcome.outcome === 'retry') result.retry.push({ event, reason });
      else if (outcome.outcome === 'dead-lettered') result.deadLettered.push(outcome.record);
    }),
  ]);
  return result;
}

/**
 * Each event the error says failed, with why and whether for good. A NotificationError naming none of them (or
 * any other error) leaves unknown what was taken, so every event counts as failed: sent again rather than lost.
 */
function failuresOf(
  error: unknown,
  events: readonly CertwardenEvent[],
): Map<CertwardenEvent, { reason: string; permanent: boolean }> {
  const message = error instanceof Error ? error.message : String(error);
  const failures = new Map<CertwardenEvent, { reason: string; permanent: boolean }>();
  const named = error instanceof NotificationError ? error.failed.filter((event) => events.includes(event)) : [];
  for (const event of named.length > 0 ? named : events) failures.set(event, { reason: message, permanent: false });
  if (error instanceof NotificationError)
    for (const { event, reason } of error.refused)
      if (failures.has(event)) failures.set(event, { reason, permanent: true });
  return failures;
}

/** The Alert Undelivered event that tells of a dead letter. */
export const undeliveredEventOf = ({ detailType, deadAt, ...record }: UndeliveredRecord): CertwardenEvent =>
  alertUndeliveredEvent({ schemaVersion: 1, ...record, eventType: detailType, at: deadAt });
