import { CertwardenError } from '../errors';
import type { CertwardenEvent } from '../events';

/** Some notifications could not be delivered; `failed` are the events to keep for a retry or a dead-letter queue. */
export class NotificationError extends CertwardenError {
  constructor(
    message: string,
    readonly failed: CertwardenEvent[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
