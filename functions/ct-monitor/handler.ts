import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { DynamoAlertLedger } from '../../lib/adapters/dynamodb-alert-ledger';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoCtPositions } from '../../lib/adapters/dynamodb-ct-positions';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { EventBridgePublisher } from '../../lib/adapters/eventbridge-publisher';
import { httpCtLogs } from '../../lib/adapters/http-ct-log';
import { CtConfig } from '../../lib/domain/ct-config';
import { systemClock } from '../../lib/ports/clock';
import { monitorCt, monitorSettingsOf } from '../../lib/use-cases/monitor-ct';
import { jsonVariable, loadEnv } from '../shared/env';
import { METRIC } from '../shared/metric-names';
import { logger, publishMetric, withPowertools } from '../shared/powertools';

/**
 * Scheduler → CT monitor: reads the configured Certificate Transparency logs from their stored positions and
 * publishes Unknown Certificate Issued for each certificate of the configured domains that the inventory does not
 * hold, once (lib/use-cases/monitor-ct.ts). A log that cannot be read is logged and counted (CtLogsUnread, whose
 * alarm fires when a log stays unread) and the others are still polled; the invocation fails only when it could
 * not run at all, and its asynchronous retries then start from the stored positions.
 */
const env = loadEnv(
  z.object({
    CERTWARDEN_TABLE: z.string().check(z.minLength(3)),
    CERTWARDEN_EVENT_BUS: z.string().check(z.minLength(1)),
    /** The config's `ct` section, as JSON. */
    CERTWARDEN_CT: jsonVariable(CtConfig),
  }),
);
const ct = env.CERTWARDEN_CT;

const documents = createDocumentClient();
const store = new DynamoInventoryStore(documents, env.CERTWARDEN_TABLE);
const positions = new DynamoCtPositions(documents, env.CERTWARDEN_TABLE, systemClock);
const ledger = new DynamoAlertLedger(documents, env.CERTWARDEN_TABLE, systemClock);
const events = new EventBridgePublisher({
  client: new EventBridgeClient({ maxAttempts: 8 }),
  eventBusName: env.CERTWARDEN_EVENT_BUS,
});
const logs = httpCtLogs(ct);

/** Stop asking logs for more this long before Lambda's timeout: a page's lookups and publish finish within it. */
const STOP_BEFORE_TIMEOUT_MS = 30_000;

export const handler = withPowertools(async (_event: unknown, context: Context) => {
  const report = await monitorCt({
    logs,
    positions,
    ledger,
    store,
    clock: systemClock,
    events,
    ...monitorSettingsOf(ct),
    signal: AbortSignal.timeout(Math.max(1000, context.getRemainingTimeInMillis() - STOP_BEFORE_TIMEOUT_MS)),
  });
  const unread = report.logs.filter((log) => log.error !== null);
  for (const log of unread) logger.warn('ct log not read to its end', { log: log.log, error: log.error, at: log.to });
  if (unread.length > 0) publishMetric(METRIC.ctLogsUnread, {}, unread.length);
  const summary = {
    logs: report.logs.map(({ log, from, to, treeSize, read, matched, unknown, raised, unreadable }) => ({
      log,
      from,
      to,
      treeSize,
      read,
      matched,
      unknown,
      raised,
      unreadable: unreadable.length,
    })),
    raised: report.findings.length,
    unread: unread.length,
  };
  logger.info('ct poll', summary);
  return summary;
});
