import { SNSClient } from '@aws-sdk/client-sns';
import type { SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { SnsNotifier } from '../../lib/adapters/sns-notifier';
import { recordDelivery } from '../shared/delivery';
import { loadEnv, topicArn } from '../shared/env';
import { NOTIFIER_SDK_CONFIG, publishEachRecord, SNS_RECORD_BUDGET_MS } from '../shared/eventbridge-record';
import { withPowertools } from '../shared/powertools';

/**
 * SQS → email: each record is a `Certificate Expiring` / `Certificate Expired` event (an EventBridge rule feeds
 * the queue), sent as one email (one Publish) to the topic `CERTWARDEN_ALERTS_TOPIC`. A record whose publish
 * failed fails alone (partial batch response): SQS redelivers it, then parks it in the DLQ. Escalation is a
 * second instance of this function, fed by its own rule (high and critical) and queue, whose
 * `CERTWARDEN_ALERTS_TOPIC` is the escalation topic: a failure on one topic never re-sends to the other.
 */
const env = loadEnv(
  z.object({
    /** Every alert of this function's queue goes here: the alerts topic, or the escalation topic. */
    CERTWARDEN_ALERTS_TOPIC: topicArn,
    /** `true` when the config has `alerts.digest`: info and warning alerts wait for the daily digest. */
    CERTWARDEN_DIGEST: z._default(z.enum(['true', 'false']), 'false'),
  }),
);

const notifier = new SnsNotifier({
  client: new SNSClient(NOTIFIER_SDK_CONFIG),
  topicArn: env.CERTWARDEN_ALERTS_TOPIC,
  digest: env.CERTWARDEN_DIGEST === 'true',
});

const delivery = recordDelivery();
/** The alerts and escalation topics are two targets: one taking an alert says nothing of the other. */
const target = `email (${env.CERTWARDEN_ALERTS_TOPIC.split(':').pop()})`;

export const handler = withPowertools((event: SQSEvent, context) =>
  publishEachRecord(event, context, {
    role: 'emailNotifier',
    publisherFor: () => notifier,
    delivery,
    target,
    recordBudgetMs: SNS_RECORD_BUDGET_MS,
  }),
);
