import * as z from 'zod/mini';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoDeliveryLedger } from '../../lib/adapters/dynamodb-delivery-ledger';
import { NOTIFIER_SDK_CONFIG } from '../../lib/adapters/notifier-budgets';
import type { CertwardenEvent } from '../../lib/domain/events';
import { systemClock } from '../../lib/ports/clock';
import { DEFAULT_DELIVERY_ATTEMPTS } from '../../lib/use-cases/deliver';
import type { RecordDelivery } from './eventbridge-record';
import { loadEnv } from './env';

/**
 * A notifier's delivery ledger (in the inventory table, CERTWARDEN_TABLE): an SQS
 * redelivery of a record the target took is not sent again, and what the target refuses for good, or fails
 * CERTWARDEN_DELIVERY_ATTEMPTS times (the config's `alerts.deliveryAttempts`), is dead-lettered with its reason
 * and announced on the bus (CERTWARDEN_EVENT_BUS) as Alert Undelivered, for the other channels. Read at module
 * load, so that a missing table fails the cold start with the variable's name.
 */
export function recordDelivery(): RecordDelivery {
  const env = loadEnv(
    z.object({
      CERTWARDEN_TABLE: z.string().check(z.minLength(3)),
      CERTWARDEN_EVENT_BUS: z.string().check(z.minLength(1)),
      CERTWARDEN_DELIVERY_ATTEMPTS: z._default(
        z.string().check(z.regex(/^[1-9][0-9]?$/)),
        String(DEFAULT_DELIVERY_ATTEMPTS),
      ),
    }),
  );
  return {
    ledger: new DynamoDeliveryLedger(createDocumentClient(), env.CERTWARDEN_TABLE, systemClock),
    maxAttempts: Number(env.CERTWARDEN_DELIVERY_ATTEMPTS),
    announce: announcerOn(env.CERTWARDEN_EVENT_BUS),
  };
}

/**
 * Publishes to the bus, its client made at the first dead letter: a notifier that never dead-letters (nearly every
 * invocation) does not load the EventBridge SDK at its cold start.
 */
function announcerOn(eventBusName: string): (event: CertwardenEvent) => Promise<void> {
  let publisher: { publish(events: CertwardenEvent[]): Promise<void> } | undefined;
  return async (event) => {
    if (!publisher) {
      // required, not import()ed: see docs/architecture.md, "Start-up".
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { EventBridgeClient } =
        require('@aws-sdk/client-eventbridge') as typeof import('@aws-sdk/client-eventbridge');
      const { EventBridgePublisher } =
        require('../../lib/adapters/eventbridge-publisher') as typeof import('../../lib/adapters/eventbridge-publisher');
      /* eslint-enable @typescript-eslint/no-require-imports */
      publisher = new EventBridgePublisher({ client: new EventBridgeClient(NOTIFIER_SDK_CONFIG), eventBusName });
    }
    await publisher.publish([event]);
  };
}
