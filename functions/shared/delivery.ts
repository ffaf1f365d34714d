import * as z from 'zod/mini';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoDeliveryLedger } from '../../lib/adapters/dynamodb-delivery-ledger';
import { systemClock } from '../../lib/ports/clock';
import { DEFAULT_DELIVERY_ATTEMPTS } from '../../lib/use-cases/deliver';
import type { RecordDelivery } from './eventbridge-record';
import { loadEnv } from './env';

/**
 * A notifier's delivery ledger (in the inventory table, CERTWARDEN_TABLE): an SQS
 * redelivery of a record the target took is not sent again, and what the target refuses for good, or fails
 * CERTWARDEN_DELIVERY_ATTEMPTS times (the config's `alerts.deliveryAttempts`), is dead-lettered with its reason.
 * Read at module load, so that a missing table fails the cold start with the variable's name.
 */
export function recordDelivery(): RecordDelivery {
  const env = loadEnv(
    z.object({
      CERTWARDEN_TABLE: z.string().check(z.minLength(3)),
      CERTWARDEN_DELIVERY_ATTEMPTS: z._default(
        z.string().check(z.regex(/^[1-9][0-9]?$/)),
        String(DEFAULT_DELIVERY_ATTEMPTS),
      ),
    }),
  );
  return {
    ledger: new DynamoDeliveryLedger(createDocumentClient(), env.CERTWARDEN_TABLE, systemClock),
    maxAttempts: Number(env.CERTWARDEN_DELIVERY_ATTEMPTS),
  };
}
