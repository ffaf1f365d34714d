import * as z from 'zod/mini';
import { RENEW_STEP } from '../../lib/domain/renewal-workflow';

export { RENEW_STEP };

/**
 * What the renewal workflow's states send the renew function, and what it answers. The step names are
 * lib/domain/renewal-workflow.ts's, which the state machine (infra/renewal-workflow.ts) sends.
 */

const id = z.string().check(z.minLength(1));

export const RenewStepInput = z.discriminatedUnion('step', [
  /** The Certificate Expiring event as EventBridge delivered it. */
  z.object({
    step: z.literal(RENEW_STEP.start),
    event: z.looseObject({ detail: z.looseObject({ locationId: id, fingerprint: id }) }),
  }),
  z.object({ step: z.literal(RENEW_STEP.awaitApproval), requestId: id, taskToken: id }),
  /** SendTaskSuccess's output: who approved, and why. */
  z.object({ step: z.literal(RENEW_STEP.approved), requestId: id, answer: z.object({ by: id, reason: z.string() }) }),
  /** The Catch of SendTaskFailure: `Cause` is `{ by, reason }` as JSON. */
  z.object({
    step: z.literal(RENEW_STEP.denied),
    requestId: id,
    error: z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }),
  }),
  z.object({ step: z.literal(RENEW_STEP.expired), requestId: id }),
  z.object({ step: z.literal(RENEW_STEP.check), locationId: id, fingerprint: id, renewalId: id }),
]);
export type RenewStepInput = z.infer<typeof RenewStepInput>;

/** Every step's answer; the state machine's Choice reads `outcome` and `replayed`. */
export interface RenewStepResult {
  /** RenewReport's outcome (`succeeded`, `failed`, `pending`, `awaiting-approval`, `skipped`, `duplicate`). */
  outcome: string;
  locationId: string;
  fingerprint: string;
  renewalId: string | null;
  requestId: string | null;
  message: string;
  /** True when the start was a redelivery, answered from its idempotency record: nothing was done again. */
  replayed: boolean;
  /** Seconds the Wait state waits before the next look at a pending renewal (watchIntervalSeconds). */
  waitSeconds: number;
}
