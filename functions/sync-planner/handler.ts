import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import * as z from 'zod/mini';
import { scopesOf } from '../../lib/connectors/source-scopes';
import { SOURCE_KINDS } from '../../lib/ports/certificate-source';
import { loadDeployment } from '../shared/deployment';
import { jsonVariable, loadEnv } from '../shared/env';
import { logger, withPowertools } from '../shared/powertools';
import { PlanRequest, type SyncRequest } from '../shared/sync-request';

/**
 * Scheduler → planner: one SQS message per scope of the scheduled source, to the queue of the source's kind,
 * so that each sync worker invocation lists one scope and none nears Lambda's 15-minute limit.
 */
const env = loadEnv(
  z.object({
    /** Source kind → URL of its sync queue. */
    CERTWARDEN_SYNC_QUEUES: jsonVariable(z.partialRecord(z.enum(SOURCE_KINDS), z.url())),
    /** The deployment file with the sources (functions/shared/deployment.ts). */
    CERTWARDEN_DEPLOYMENT: z.optional(z.string().check(z.minLength(1))),
  }),
);
const { sources } = loadDeployment(env.CERTWARDEN_DEPLOYMENT);

const sqs = new SQSClient({ maxAttempts: 8 });

/** SQS takes at most 10 messages a batch. */
const BATCH = 10;
const ROUNDS = 4;
/** Batches in flight at once: 10,000 scopes are 1,000 batches, about 3 s this way rather than 30 in a row. */
const BATCHES_AT_ONCE = 10;

export class PlanningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export const handler = withPowertools(async (event: unknown) => {
  const { source: name } = PlanRequest.parse(event);
  const source = sources.find((candidate) => candidate.name === name);
  if (!source) throw new PlanningError(`source ${name} is not in this deployment`);
  const queueUrl = env.CERTWARDEN_SYNC_QUEUES[source.kind];
  if (!queueUrl) throw new PlanningError(`no sync queue for source kind ${source.kind} (source ${source.name})`);
  const requests: SyncRequest[] = (scopesOf(source) ?? [null]).map((scope) => ({
    source: { name: source.name, kind: source.kind },
    scope,
  }));
  const limit = pLimit(BATCHES_AT_ONCE);
  const batches: Array<Promise<void>> = [];
  for (let start = 0; start < requests.length; start += BATCH) {
    const entries = requests.slice(start, start + BATCH).map((request, index) => ({
      Id: String(start + index),
      MessageBody: JSON.stringify(request),
    }));
    batches.push(limit(() => sendAll(queueUrl, entries)));
  }
  await Promise.all(batches);
  logger.info('sync planned', { source: source.name, kind: source.kind, messages: requests.length });
  return { source: source.name, messages: requests.length };
});

/** Sends a batch, retrying the entries SQS reports failed (throttled, internal); throws if some never go. */
async function sendAll(queueUrl: string, entries: SendMessageBatchRequestEntry[]): Promise<void> {
  let pending = entries;
  for (let round = 0; pending.length > 0; round++) {
    if (round >= ROUNDS) {
      throw new PlanningError(`SQS kept refusing ${pending.length} messages for ${queueUrl}`);
    }
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** round));
    const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
    const failed = new Set(Failed.map((failure) => failure.Id));
    const permanent = Failed.filter((failure) => failure.SenderFault);
    if (permanent.length > 0) {
      throw new PlanningError(`SQS refused messages: ${permanent.map((f) => `${f.Code}: ${f.Message}`).join('; ')}`);
    }
    pending = pending.filter((entry) => failed.has(entry.Id));
  }
}
