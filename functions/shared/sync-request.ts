import * as z from 'zod/mini';

/**
 * What EventBridge Scheduler passes the planner: the name of a configured source, whose configuration the
 * planner reads from its deployment file (functions/shared/deployment.ts), so no estate outgrows the
 * schedule's 8,192-character input.
 */
export const PlanRequest = z.strictObject({ source: z.string().check(z.minLength(1)) });
export type PlanRequest = z.infer<typeof PlanRequest>;

/**
 * One SQS message of the fan-out: a source of the deployment, by name (and kind, for whoever reads the queue or its
 * DLQ), and one of its scopes (lib/connectors/source-scopes.ts scopesOf), or `null` for a source synced whole. The
 * worker takes the source's configuration from its own deployment file, as the construct validated it: a message
 * cannot make it sync anything the deployment does not configure, and a message stays small however large the
 * source. Other fields of `source` are ignored (the planner used to send the whole source, narrowed to the scope).
 */
export const SyncRequest = z.strictObject({
  source: z.looseObject({ name: z.string().check(z.minLength(1)) }),
  scope: z.nullable(z.string().check(z.minLength(1))),
});
export type SyncRequest = z.infer<typeof SyncRequest>;
