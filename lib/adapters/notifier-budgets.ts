/**
 * How long one record's delivery can take through each notifier, at worst: the bounds of the notifiers' clients
 * (SDK clients, the Slack webhook client of lib/adapters/slack-notifier.ts) and what they add up to. A notifier
 * (functions/shared/eventbridge-record.ts publishEachRecord) stops taking records when less than one record's
 * budget is left; the construct (infra/alert-pipeline.ts) sizes each notifier's timeout so that a whole batch
 * fits. Plain constants, so that the construct reads them without loading any client.
 */

/**
 * How a notifier's SDK client (SNS, Security Hub, Secrets Manager) is bounded, so that the worst case of one
 * call is known: 4 attempts, each given up after `requestTimeout` without a response (connecting included:
 * both timers start with the request) plus `socketTimeout` of silence while the body is read.
 */
export const NOTIFIER_SDK_CONFIG = {
  maxAttempts: 4,
  requestHandler: {
    connectionTimeout: 1_000,
    requestTimeout: 3_000,
    socketTimeout: 3_000,
    throwOnRequestTimeout: true,
  },
} satisfies { maxAttempts: number; requestHandler: Record<string, unknown> };

/**
 * The worst case of one SDK call with `NOTIFIER_SDK_CONFIG`: every attempt runs out its timeouts, and the
 * standard retry strategy waits before retry k (k = 0, 1, …) at most min(20 s, 2^k × 500 ms) (full jitter
 * below that; 500 ms is the throttling base, the larger one). 4 × (3 + 3 s) + 0.5 + 1 + 2 s = 27.5 s.
 * A Retry-After header on an error response would lengthen a wait (the SDK takes the larger); SNS and
 * Security Hub do not send one.
 */
export const SDK_CALL_WORST_CASE_MS = (() => {
  const { maxAttempts, requestHandler } = NOTIFIER_SDK_CONFIG;
  let waits = 0;
  for (let retry = 0; retry < maxAttempts - 1; retry++) waits += Math.min(20_000, 2 ** retry * 500);
  return maxAttempts * (requestHandler.requestTimeout + requestHandler.socketTimeout) + waits;
})();

/** Logging, parsing and rendering around a record's calls. */
const RECORD_OVERHEAD_MS = 1_000;

/** The email notifier's record: a Publish to the alerts topic and, for a high or critical alert, to the escalation topic. */
export const SNS_RECORD_BUDGET_MS = 2 * SDK_CALL_WORST_CASE_MS + RECORD_OVERHEAD_MS;
/** The Security Hub notifier's record: one BatchImportFindings and, for a closing finding, one BatchUpdateFindings. */
export const SECURITY_HUB_RECORD_BUDGET_MS = 2 * SDK_CALL_WORST_CASE_MS + RECORD_OVERHEAD_MS;

/** How the Slack notifier posts (lib/adapters/slack-notifier.ts options). */
export const SLACK_DELIVERY = { maxAttempts: 3, backoffMs: 500, timeoutMs: 5_000, maxRetryAfterMs: 15_000 } as const;
/**
 * The Slack notifier's record, one post, from lib/adapters/slack-notifier.ts: each of the webhook client's
 * `maxAttempts` attempts runs under one `timeoutMs` abort signal, which ends the attempt's requests but not a
 * Retry-After sleep begun before it fired (at most `maxRetryAfterMs`; the next request then aborts at once): an
 * attempt lasts at most timeoutMs + maxRetryAfterMs. Between attempts (server and network errors; a final 429
 * is not retried) the backoff doubles from `backoffMs`: 3 × (5 + 15 s) + 0.5 + 1 s = 61.5 s.
 */
export const SLACK_RECORD_BUDGET_MS = (() => {
  const { maxAttempts, backoffMs, timeoutMs, maxRetryAfterMs } = SLACK_DELIVERY;
  let backoff = 0;
  for (let retry = 0; retry < maxAttempts - 1; retry++) backoff += backoffMs * 2 ** retry;
  return maxAttempts * (timeoutMs + maxRetryAfterMs) + backoff + RECORD_OVERHEAD_MS;
})();
