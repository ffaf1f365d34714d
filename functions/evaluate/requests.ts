import type { SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { ALERT_SHARDS } from '../../lib/ports/inventory-store';
import { parseEventBridgeBody } from '../shared/eventbridge-record';

const Shard = z.int().check(z.gte(0), z.lte(ALERT_SHARDS - 1));

/** A message asking for some shards of the alert schedule to be evaluated: what a fan-out sends. */
export const ShardRequest = z.union([
  z.strictObject({ shard: Shard }),
  z.strictObject({ shards: z.array(Shard).check(z.minLength(1), z.maxLength(ALERT_SHARDS)) }),
]);
export type ShardRequest = z.infer<typeof ShardRequest>;

const ScheduleTrigger = z.looseObject({ trigger: z.literal('schedule') });

/** What one batch of the evaluate function's messages asks for. */
export interface EvaluationPlan {
  /** The shards asked for by shard requests, each once, in order. */
  shards: number[];
  /** Message ids of the shard requests. */
  shardRecords: string[];
  /**
   * Message ids of the triggers (the schedule, a sync's end, anything unrecognized): each asks for every shard.
   */
  triggerRecords: string[];
  /** Triggers by kind, for the log: `schedule`, the sync event's detail type, or `unknown`. */
  triggers: Record<string, number>;
}

/**
 * Sorts a batch into shard requests and triggers. A message that is neither (not JSON, an unknown shape, a
 * shard out of range) is still a reason to evaluate: it counts as an `unknown` trigger, and
 * `onUnrecognized` hears of it; nothing in a batch makes it fail.
 */
export function planEvaluation(records: SQSRecord[], onUnrecognized: (messageId: string) => void): EvaluationPlan {
  const plan: EvaluationPlan = { shards: [], shardRecords: [], triggerRecords: [], triggers: {} };
  const shards = new Set<number>();
  for (const record of records) {
    const request = shardRequestOf(record.body);
    if (request) {
      for (const shard of 'shard' in request ? [request.shard] : request.shards) shards.add(shard);
      plan.shardRecords.push(record.messageId);
      continue;
    }
    const trigger = triggerOf(record.body);
    if (trigger === 'unknown') onUnrecognized(record.messageId);
    plan.triggers[trigger] = (plan.triggers[trigger] ?? 0) + 1;
    plan.triggerRecords.push(record.messageId);
  }
  plan.shards = [...shards].sort((a, b) => a - b);
  return plan;
}

function shardRequestOf(body: string): ShardRequest | undefined {
  try {
    const parsed = ShardRequest.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function triggerOf(body: string): string {
  try {
    if (ScheduleTrigger.safeParse(JSON.parse(body)).success) return 'schedule';
    return parseEventBridgeBody(body).detailType;
  } catch {
    return 'unknown';
  }
}
