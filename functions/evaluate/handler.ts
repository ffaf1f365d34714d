import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoAlertLedger } from '../../lib/adapters/dynamodb-alert-ledger';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { EventBridgePublisher } from '../../lib/adapters/eventbridge-publisher';
import { systemClock } from '../../lib/ports/clock';
import type { RevocationChecker } from '../../lib/ports/revocation-checker';
import { checkRevocation } from '../../lib/use-cases/check-revocation';
import { ALL_ALERT_SHARDS, evaluateExpiry } from '../../lib/use-cases/evaluate';
import { jsonVariable, loadEnv } from '../shared/env';
import { expirySettings, expiryVariable } from '../shared/expiry-env';
import { RevocationConfig } from '../../lib/domain/revocation-config';
import { logger, withPowertools } from '../shared/powertools';
import { planEvaluation, type ShardRequest } from './requests';

/**
 * SQS → evaluate. The evaluation reads only the places of the alert schedule that are due, one shard (of
 * ALERT_SHARDS) at a time. Two kinds of message reach it:
 * - triggers, gathered by the evaluate queue: each sync's `Sync Completed` / `Sync Failed` event and the
 *   scheduler's `{"trigger":"schedule"}`. With CERTWARDEN_EVALUATE_SHARD_QUEUE set, a batch of triggers fans out
 *   into one `{"shard": n}` message per shard that has a place due on that queue (none when nothing is due);
 *   without it, this invocation evaluates every shard;
 * - shard requests, `{"shard": n}` (or `{"shards": [...]}`): this invocation evaluates those shards only.
 * Each crossed expiry threshold is published to the event bus exactly once (the alert ledger in the table).
 * When some alert could not be published, or the invocation ran out of time, the records that asked for the
 * evaluation fail, so SQS redelivers them and the rerun sends what is missing (the places stay due).
 */
const env = loadEnv(
  z.object({
    CERTWARDEN_TABLE: z.string().check(z.minLength(3)),
    CERTWARDEN_EVENT_BUS: z.string().check(z.minLength(1)),
    CERTWARDEN_EXPIRY: expiryVariable,
    /** The config's `revocation` as JSON; the defaults (checks on) when unset. */
    CERTWARDEN_REVOCATION: z.optional(jsonVariable(RevocationConfig)),
    /** The queue of one-shard evaluations; unset, one invocation evaluates every shard in turn. */
    CERTWARDEN_EVALUATE_SHARD_QUEUE: z.optional(z.url()),
  }),
);
const { severity, thresholds } = expirySettings(env.CERTWARDEN_EXPIRY);
const revocationSettings = env.CERTWARDEN_REVOCATION ?? RevocationConfig.parse({});

const documents = createDocumentClient();
const store = new DynamoInventoryStore(documents, env.CERTWARDEN_TABLE);
const ledger = new DynamoAlertLedger(documents, env.CERTWARDEN_TABLE, systemClock);
const events = new EventBridgePublisher({
  client: new EventBridgeClient({ maxAttempts: 8 }),
  eventBusName: env.CERTWARDEN_EVENT_BUS,
});
const sqs = new SQSClient({ maxAttempts: 8 });

/**
 * Stop taking places this long before Lambda's timeout: longer than one place can take (a ledger read, claims,
 * a publish with the SDK's retries, the schedule write), so the run ends cleanly and is redelivered.
 */
const STOP_BEFORE_TIMEOUT_MS = 60_000;

export class FanOutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The shards with a place due now (an alert or a revocation check), from one item of each shard's schedules: a trigger fans out to these only. Most
 * hourly syncs change nothing and make nothing due, and an invocation per shard would then cost eight cold starts
 * an hour to read eight empty ranges. A place the schedule shows later than this read is evaluated at the next
 * trigger (the next sync's end, or the daily schedule).
 */
async function shardsDue(now: Date): Promise<number[]> {
  const due = await Promise.all(
    ALL_ALERT_SHARDS.map(async (shard) => {
      for await (const _ of store.alertsDue(shard, now, { limit: 1 })) return true;
      if (!revocationSettings.enabled) return false;
      for await (const _ of store.revocationChecksDue(shard, now, { limit: 1 })) return true;
      return false;
    }),
  );
  return ALL_ALERT_SHARDS.filter((_, index) => due[index]);
}

/**
 * One message per shard (ALERT_SHARDS ≤ 10: one SendMessageBatch). Throws when SQS refuses any, so the batch of
 * triggers is redelivered and fans out again: a shard evaluated twice reads only what is still due.
 */
async function fanOut(queueUrl: string, shards: readonly number[]): Promise<void> {
  if (shards.length === 0) return;
  const { Failed = [] } = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: shards.map((shard) => ({
        Id: String(shard),
        MessageBody: JSON.stringify({ shard } satisfies ShardRequest),
      })),
    }),
  );
  if (Failed.length > 0)
    throw new FanOutError(`SQS refused ${Failed.length} shard messages: ${Failed.map((f) => f.Code).join(', ')}`);
}

/**
 * The HTTP checker, loaded at the first revocation check due: its OCSP and CRL parsing (@peculiar's ASN.1 schemas,
 * ~120 KB) stays out of the cold start of the evaluations that have none due, most of them. Module-level: a warm
 * container keeps its CRLs (until their nextUpdate) and its responders' sockets.
 */
let httpChecker: RevocationChecker | undefined;
const revocationChecker: RevocationChecker = {
  check(query, signal) {
    if (!httpChecker) {
      // required, not import()ed: see docs/architecture.md, "Start-up".
      const { HttpRevocationChecker } =
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('../../lib/adapters/http-revocation-checker') as typeof import('../../lib/adapters/http-revocation-checker');
      httpChecker = new HttpRevocationChecker({
        clock: systemClock,
        timeoutMs: revocationSettings.timeoutMs,
        perHostConcurrency: revocationSettings.perHostConcurrency,
      });
    }
    return httpChecker.check(query, signal);
  },
};

export const handler = withPowertools(async (event: SQSEvent, context): Promise<SQSBatchResponse> => {
  const plan = planEvaluation(event.Records, (messageId) => logger.warn('unrecognized trigger', { messageId }));
  let shards: readonly number[] = plan.shards;
  let evaluating = plan.shardRecords;
  if (plan.triggerRecords.length > 0) {
    if (env.CERTWARDEN_EVALUATE_SHARD_QUEUE) {
      const due = await shardsDue(systemClock.now());
      await fanOut(env.CERTWARDEN_EVALUATE_SHARD_QUEUE, due);
      logger.info('evaluation fanned out', { triggers: plan.triggers, shards: due });
    } else {
      shards = ALL_ALERT_SHARDS;
      evaluating = event.Records.map((record) => record.messageId);
    }
  }
  if (shards.length === 0) return { batchItemFailures: [] };

  const signal = AbortSignal.timeout(Math.max(0, context.getRemainingTimeInMillis() - STOP_BEFORE_TIMEOUT_MS));
  const report = await evaluateExpiry({
    store,
    ledger,
    events,
    clock: systemClock,
    thresholds,
    severity,
    shards,
    signal,
  });

  // The same shards' revocation checks that are due (new certificates at once, then at most daily).
  if (revocationSettings.enabled) {
    const revocation = await checkRevocation({
      store,
      checker: revocationChecker,
      events,
      clock: systemClock,
      shards,
      signal,
    });
    logger.info('revocation checked', { shards, ...revocation });
  }

  logger.info('expiry evaluated', {
    triggers: plan.triggers,
    shards,
    evaluated: report.evaluated,
    sent: report.emitted,
    alreadySent: report.alreadySent,
    passed: report.passed,
    heldElsewhere: report.heldElsewhere,
    failed: report.failed,
    keptDue: report.keptDue,
    interrupted: report.interrupted,
  });
  if (report.failed === 0 && !report.interrupted) return { batchItemFailures: [] };
  if (report.failed > 0)
    logger.error('alerts not published: the evaluation is retried', { failed: report.failures.slice(0, 10) });
  else logger.warn('out of time: the evaluation is retried, from what is still due');
  return { batchItemFailures: evaluating.map((itemIdentifier) => ({ itemIdentifier })) };
});
