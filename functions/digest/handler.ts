import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import type { Context } from 'aws-lambda';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoAlertLedger } from '../../lib/adapters/dynamodb-alert-ledger';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { cachedSecretFetcher, readSlackWebhookUrl, secretsManagerFetcher } from '../../lib/adapters/secrets-manager';
import { SlackNotifier } from '../../lib/adapters/slack-notifier';
import { SnsNotifier } from '../../lib/adapters/sns-notifier';
import { systemClock } from '../../lib/ports/clock';
import type { DigestNotifier } from '../../lib/ports/notifier';
import { sendDigest } from '../../lib/use-cases/digest';
import { loadEnv, secretArn, topicArn } from '../shared/env';
import { expirySettings, expiryVariable } from '../shared/expiry-env';
import { logger, withPowertools } from '../shared/powertools';

/**
 * Scheduler → digest (asynchronous, any event): the day's low-severity expiry news in one message to the alert
 * topic and, when a Slack secret is set, to Slack; exactly once per UTC day (claimed in the alert ledger). A
 * digest that did not go out throws, so Lambda's asynchronous retries run it again, then its DLQ holds it.
 */
const env = loadEnv(
  z.object({
    CERTWARDEN_TABLE: z.string().check(z.minLength(3)),
    CERTWARDEN_ALERTS_TOPIC: topicArn,
    /** The secret holding the Slack webhook URL (plain text, or JSON `{ "webhookUrl": … }`); no Slack when unset. */
    CERTWARDEN_SLACK_SECRET_ARN: z.optional(secretArn),
    CERTWARDEN_EXPIRY: expiryVariable,
  }),
);
const { severity, thresholds } = expirySettings(env.CERTWARDEN_EXPIRY);

const documents = createDocumentClient();
const store = new DynamoInventoryStore(documents, env.CERTWARDEN_TABLE);
const ledger = new DynamoAlertLedger(documents, env.CERTWARDEN_TABLE, systemClock);
const email = new SnsNotifier({
  client: new SNSClient({ maxAttempts: 8 }),
  topicArn: env.CERTWARDEN_ALERTS_TOPIC,
  digest: true,
});
const fetchSecret = cachedSecretFetcher(secretsManagerFetcher(new SecretsManagerClient({ maxAttempts: 8 })));

/** The digest went to no channel, or not to every one: the next attempt sends it again. */
export class DigestNotSentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

async function notifiers(): Promise<DigestNotifier[]> {
  if (!env.CERTWARDEN_SLACK_SECRET_ARN) return [email];
  const webhookUrl = await readSlackWebhookUrl(env.CERTWARDEN_SLACK_SECRET_ARN, fetchSecret);
  return [email, new SlackNotifier({ webhookUrl, digest: true })];
}

export const handler = withPowertools(async (_event: unknown, context: Context) => {
  const report = await sendDigest({
    store,
    ledger,
    clock: systemClock,
    notifiers: await notifiers(),
    thresholds,
    severity,
    // A retry under the same request id takes back what its attempt died holding; one under another id waits for
    // the lease (below: a channel held elsewhere fails the invocation, so Lambda retries it later).
    runId: context.awsRequestId,
  });
  const summary = {
    day: report.day,
    items: report.items.length,
    sent: report.sent,
    alreadySent: report.alreadySent,
    heldElsewhere: report.heldElsewhere,
  };
  logger.info('digest', { ...summary, failed: report.failed });
  if (report.failed) {
    throw new DigestNotSentError(
      `the digest of ${report.day} was not sent: ${report.failed.map((f) => `${f.notifier}: ${f.message}`).join('; ')}`,
    );
  }
  // Another run holds a channel: it may be sending, or have died holding it. Failing has this invocation retried,
  // which finds the channel sent, or taken back once the lease ran out; never a day without a digest, unsaid.
  const held = report.channels.filter(({ outcome }) => outcome === 'heldElsewhere').map(({ channel }) => channel);
  if (held.length > 0) {
    throw new DigestNotSentError(`the digest of ${report.day} is held by another run on ${held.join(', ')}: retried`);
  }
  return summary;
});
