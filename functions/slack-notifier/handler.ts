import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { cachedSecretFetcher, readSlackWebhookUrl, secretsManagerFetcher } from '../../lib/adapters/secrets-manager';
import { SlackNotifier } from '../../lib/adapters/slack-notifier';
import { recordDelivery } from '../shared/delivery';
import { loadEnv, secretArn } from '../shared/env';
import {
  NOTIFIER_SDK_CONFIG,
  publishEachRecord,
  SLACK_DELIVERY,
  SLACK_RECORD_BUDGET_MS,
  targetOf,
} from '../shared/eventbridge-record';
import { withPowertools } from '../shared/powertools';

/**
 * SQS → Slack: each record is a certwarden event (an EventBridge rule feeds the queue), posted to the channel
 * of the incoming webhook. The webhook URL is read from Secrets Manager at the first invocation and kept for
 * the life of the execution environment; it is a credential, never logged. A record whose post failed fails
 * alone (partial batch response): SQS redelivers it; a post Slack took is not made again, and one Slack refuses
 * for good (a 400 `invalid_blocks`, a 404 `no_service`) is dead-lettered at once (functions/shared/delivery.ts). Posts are bounded
 * (SLACK_DELIVERY: 3 attempts, 5 s each, a Retry-After of at most 15 s): one record takes at most
 * SLACK_RECORD_BUDGET_MS (62.5 s), and a record is not begun with less than that left of the invocation.
 */
const env = loadEnv(
  z.object({
    /** The secret holding the webhook URL: plain text, or JSON `{ "webhookUrl": … }`. */
    CERTWARDEN_SLACK_SECRET_ARN: secretArn,
    /** `true` when the config has `alerts.digest`: info and warning alerts wait for the daily digest. */
    CERTWARDEN_DIGEST: z._default(z.enum(['true', 'false']), 'false'),
  }),
);

const fetchSecret = cachedSecretFetcher(secretsManagerFetcher(new SecretsManagerClient(NOTIFIER_SDK_CONFIG)));

async function slackNotifier(): Promise<SlackNotifier> {
  const webhookUrl = await readSlackWebhookUrl(env.CERTWARDEN_SLACK_SECRET_ARN, fetchSecret);
  return new SlackNotifier({ ...SLACK_DELIVERY, webhookUrl, digest: env.CERTWARDEN_DIGEST === 'true' });
}

const delivery = recordDelivery();

export const handler = withPowertools((event: SQSEvent, context) =>
  publishEachRecord(event, context, {
    role: 'slackNotifier',
    // One channel per deployment: the webhook's deliveries are `slack` in the ledger.
    targetsFor: async () => [targetOf('slack', await slackNotifier())],
    delivery,
    recordBudgetMs: SLACK_RECORD_BUDGET_MS,
  }),
);
