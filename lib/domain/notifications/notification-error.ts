import { CertwardenError } from '../errors';
import type { CertwardenEvent } from '../events';

/** An event a target refused for good (sending it again would be refused again), with the target's answer. */
export interface Refusal {
  event: CertwardenEvent;
  /** The target's answer in words: `HTTP 400 invalid_blocks`. Never a URL or a credential. */
  reason: string;
}

/**
 * Some notifications could not be delivered; `failed` are the events to keep for a retry or a dead-letter queue.
 * Those of them in `refused` were refused for good: they are dead-lettered at once instead of retried.
 */
export class NotificationError extends CertwardenError {
  readonly refused: readonly Refusal[];

  constructor(
    message: string,
    readonly failed: CertwardenEvent[],
    options?: { cause?: unknown; refused?: readonly Refusal[] },
  ) {
    super(message, options);
    this.refused = options?.refused ?? [];
  }
}

/**
 * An HTTP status that no retry will change: a 4xx other than 408 (request timeout) and 429 (rate limited). A
 * 5xx, a 408, a 429 and a network failure are worth another attempt.
 */
export const isPermanentStatus = (status: number): boolean =>
  status >= 400 && status < 500 && status !== 408 && status !== 429;
