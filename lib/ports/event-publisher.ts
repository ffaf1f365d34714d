import type { CertwardenEvent } from '../domain/events';

export interface EventPublisher {
  publish(events: CertwardenEvent[]): Promise<void>;
}

/** For runs that only want the inventory updated. */
export const discardEvents: EventPublisher = { publish: async () => {} };
