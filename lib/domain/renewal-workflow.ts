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

/**
 * How long the deployed workflow watches a renewal the provider is still at before it fails it (the config's
 * `renewal.watchHours`): an ACM or Key Vault renewal at a private CA is done in minutes, a Key Vault order at a
 * public CA's OV or EV validation can take days.
 */
export const RENEWAL_WATCH_HOURS = { default: 24, max: 720 } as const;

/**
 * The wait before the next look at a renewal still pending `elapsedMs` after it was requested: a minute while most
 * renewals finish, then 5 minutes, then 15: 120 looks the first day and 96 a day after (a look is three billed
 * state transitions), not 1,440 a day.
 */
export function watchIntervalSeconds(elapsedMs: number): number {
  if (elapsedMs < 10 * 60_000) return 60;
  if (elapsedMs < 2 * 3_600_000) return 300;
  return 900;
}
