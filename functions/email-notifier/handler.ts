import { SNSClient } from '@aws-sdk/client-sns';
import type { SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { SnsNotifier } from '../../lib/adapters/sns-notifier';
import { loadEnv } from '../shared/env';
import { publishEachRecord } from '../shared/eventbridge-record';
import { tracer, withPowertools } from '../shared/powertools';

/**
 * SQS → email: each record is a `Certificate Expiring` / `Certificate Expired` event (an EventBridge rule feeds
 * the queue), sent as an email through the alert topic, and through the escalation topic when high or
 * critical. A record whose publish failed fails alone (partial batch response): SQS redelivers it, then parks
 * it in the DLQ.
 */
const topicArn = z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w.-]+$/, 'expected an SNS topic ARN');
const env = loadEnv(
  z.object({
    /** Every alert goes here (and the daily digest). */
    CERTWARDEN_ALERTS_TOPIC: topicArn,
    /** Critical and high alerts go here too. */
    CERTWARDEN_ESCALATION_TOPIC: topicArn.optional(),
    /** `true` when the config has `alerts.digest`: info and warning alerts wait for the daily digest. */
    CERTWARDEN_DIGEST: z.enum(['true', 'false']).default('false'),
  }),
);

const notifier = new SnsNotifier({
  client: tracer.captureAWSv3Client(new SNSClient({ maxAttempts: 8 })),
  topicArn: env.CERTWARDEN_ALERTS_TOPIC,
  escalationTopicArn: env.CERTWARDEN_ESCALATION_TOPIC,
  digest: env.CERTWARDEN_DIGEST === 'true',
});

export const handler = withPowertools((event: SQSEvent, context) =>
  publishEachRecord(event, context, 'email', () => notifier),
);
