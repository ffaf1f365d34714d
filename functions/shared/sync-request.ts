import * as z from 'zod';
import { SourceConfig } from '../../lib/domain/config';

/**
 * What EventBridge Scheduler passes the planner: the name of a configured source, whose configuration the
 * planner reads from its deployment file (functions/shared/deployment.ts), so no estate outgrows the
 * schedule's 8,192-character input.
 */
export const PlanRequest = z.strictObject({ source: z.string().min(1) });
export type PlanRequest = z.infer<typeof PlanRequest>;

/**
 * One SQS message of the fan-out: a source and one of its scopes (lib/connectors/source-scopes.ts scopesOf), or
 * `null` for a source synced whole. The planner sends the source already narrowed to the scope (one account and
 * region, one vault), so a message stays small however large the source; the worker narrows it again, which
 * changes nothing then.
 */
export const SyncRequest = z.strictObject({ source: SourceConfig, scope: z.string().min(1).nullable() });
export type SyncRequest = z.infer<typeof SyncRequest>;
