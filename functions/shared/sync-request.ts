import * as z from 'zod';
import { SourceConfig } from '../../lib/domain/config';

/**
 * What EventBridge Scheduler passes the planner: one configured source, as the certwarden config has it
 * (names, ids and secret ARNs only, never a secret).
 */
export const PlanRequest = z.strictObject({ source: SourceConfig });
export type PlanRequest = z.infer<typeof PlanRequest>;

/**
 * One SQS message of the fan-out: a source and one of its scopes (lib/connectors/from-config.ts scopesOf), or
 * `null` for a source synced whole. The worker narrows the source to the scope itself.
 */
export const SyncRequest = z.strictObject({ source: SourceConfig, scope: z.string().min(1).nullable() });
export type SyncRequest = z.infer<typeof SyncRequest>;
