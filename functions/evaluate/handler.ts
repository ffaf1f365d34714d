import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoAlertLedger } from '../../lib/adapters/dynamodb-alert-ledger';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { EventBridgePublisher } from '../../lib/adapters/eventbridge-publisher';
import { systemClock } from '../../lib/ports/clock';
import { evaluateExpiry } from '../../lib/use-cases/evaluate';
import { loadEnv } from '../shared/env';
import { expirySettings, expiryVariable } from '../shared/expiry-env';
import { parseEventBridgeBody } from '../shared/eventbridge-record';
import { METRIC } from '../shared/metric-names';
import { logger, metrics, tracer, withPowertools } from '../shared/powertools';

/**
 * SQS → evaluate: the queue gathers triggers (each sync's `Sync Completed` / `Sync Failed` event, and the
 * scheduler's `{"trigger":"schedule"}`), and one invocation evaluates the whole inventory once, however many
 * triggers its batch holds. Each crossed expiry threshold is published to the event bus exactly once (the
 * alert ledger in the table). When some alert could not be published, every record of the batch fails, so
 * SQS redelivers the batch and the rerun sends what is missing (the ledger makes reruns safe).
 */
const env = loadEnv(
  z.object({
    CERTWARDEN_TABLE: z.string().min(3),
    CERTWARDEN_EVENT_BUS: z.string().min(1),
    CERTWARDEN_EXPIRY: expiryVariable,
  }),
);
const { severity, thresholds } = expirySettings(env.CERTWARDEN_EXPIRY);

const documents = tracer.captureAWSv3Client(createDocumentClient());
const store = new DynamoInventoryStore(documents, env.CERTWARDEN_TABLE);
const ledger = new DynamoAlertLedger(documents, env.CERTWARDEN_TABLE, systemClock);
const events = new EventBridgePublisher({
  client: tracer.captureAWSv3Client(new EventBridgeClient({ maxAttempts: 8 })),
  eventBusName: env.CERTWARDEN_EVENT_BUS,
});

const ScheduleTrigger = z.looseObject({ trigger: z.literal('schedule') });

/** What a record asks for, for the log: `schedule`, the sync event's detail type, or `unknown`. */
function triggerOf(record: SQSRecord): string {
  try {
    if (ScheduleTrigger.safeParse(JSON.parse(record.body)).success) return 'schedule';
    return parseEventBridgeBody(record.body).detailType;
  } catch {
    // Still a reason to evaluate: the evaluation does not depend on what woke it.
    logger.warn('unrecognized trigger', { messageId: record.messageId });
    return 'unknown';
  }
}

export const handler = withPowertools(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const triggers: Record<string, number> = {};
  for (const record of event.Records) {
    const trigger = triggerOf(record);
    triggers[trigger] = (triggers[trigger] ?? 0) + 1;
  }
  const report = await evaluateExpiry({ store, ledger, events, clock: systemClock, thresholds, severity });

  metrics.addMetric(METRIC.alertsSent, 'Count', report.emitted.length);
  metrics.addMetric(METRIC.alertsFailed, 'Count', report.failed.length);
  logger.info('expiry evaluated', {
    triggers,
    evaluated: report.evaluated,
    sent: report.emitted.length,
    alreadySent: report.alreadySent,
    heldElsewhere: report.heldElsewhere,
    failed: report.failed.length,
  });
  if (report.failed.length === 0) return { batchItemFailures: [] };
  logger.error('alerts not published: the batch is retried', { failed: report.failed.slice(0, 10) });
  return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
});
