import type { CertwardenEvent } from '../domain/events';
import type { DescribedEvent } from '../domain/notifications/delivery-id';

/**
 * Remembers, per (event, target), whether a target took an event or gave it up for good, so that a retry goes
 * only to the targets that did not take it: the CLI's fan-out (lib/cli/local-targets.ts) and the AWS notifiers
 * (functions/shared/eventbridge-record.ts) share it. A target that took an event is never sent it again; one
 * that refused it for good (a 4xx other than 429) or failed it `maxAttempts` times has it dead-lettered, with
 * the reason, and is not sent it again either (`certwarden list --undelivered` shows it).
 */

/** Where an event stands with one target. `failing`: attempted and failed, to be retried. */
export type DeliveryState = 'delivered' | 'failing' | 'dead';

/** An event one target did not take and will not be sent again, with why. */
export interface UndeliveredRecord extends DescribedEvent {
  /** deliveryIdOf the event (lib/domain/notifications/delivery-id.ts). */
  deliveryId: string;
  /** The target's stable name (`Slack (hooks.slack.com)`, `email (certwarden-alerts)`). */
  target: string;
  /** The target's last answer: `HTTP 400 invalid_blocks`, a network error. Never a URL. */
  reason: string;
  /** True when the target refused it for good; false when it failed `maxAttempts` times. */
  permanent: boolean;
  attempts: number;
  deadAt: string;
}

/** What a failed attempt made of an event for one target. */
export type FailureOutcome =
  /** Left for the next attempt. */
  | { outcome: 'retry'; attempts: number }
  /** Dead-lettered by this attempt: whoever gets this tells the world (once). */
  | { outcome: 'dead-lettered'; record: UndeliveredRecord }
  /** Another attempt settled it meanwhile (delivered or dead-lettered it): nothing left to do. */
  | { outcome: 'settled' };

export interface FailedAttempt {
  event: CertwardenEvent;
  target: string;
  reason: string;
  /** The target refused it for good: dead-lettered at once. */
  permanent: boolean;
  /** Dead-lettered once this many attempts failed. */
  maxAttempts: number;
}

export interface DeliveryLedger {
  /** The states of these events at `target`, by delivery key, read consistently (events never attempted are absent). */
  statesAt(target: string, deliveryIds: readonly string[]): Promise<Map<string, DeliveryState>>;
  /** `target` took the events. */
  delivered(target: string, events: readonly CertwardenEvent[]): Promise<void>;
  /** An attempt failed: counted, and dead-lettered when permanent or the last allowed. */
  failed(attempt: FailedAttempt): Promise<FailureOutcome>;
  /** Every dead-lettered (event, target), newest first. */
  undelivered(): AsyncIterable<UndeliveredRecord>;
}
