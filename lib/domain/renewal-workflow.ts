/**
 * The steps of the deployed renewal workflow: what its state machine (infra/renewal-workflow.ts) asks the renew
 * function (functions/renew/handler.ts) to do, one name in both, so that the two cannot name different steps.
 */
export const RENEW_STEP = {
  start: 'start',
  awaitApproval: 'await-approval',
  approved: 'approved',
  denied: 'denied',
  expired: 'expired',
  check: 'check',
} as const;
