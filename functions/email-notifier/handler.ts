import { SNSClient } from '@aws-sdk/client-sns';
import type { SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { SnsNotifier } from '../../lib/adapters/sns-notifier';
import type { CertwardenEvent } from '../../lib/domain/events';
import { ESCALATED_SEVERITIES } from '../../lib/domain/severity';
import { recordDelivery } from '../shared/delivery';
import { loadEnv, topicArn } from '../shared/env';
import {
  NOTIFIER_SDK_CONFIG,
  publishEachRecord,
  SNS_RECORD_BUDGET_MS,
  type NotifierTarget,
} from '../shared/eventbridge-record';
import { withPowertools } from '../shared/powertools';

/**
 * SQS → email: each record is a `Certificate Expiring` / `Certificate Expired` event (an EventBridge rule feeds
 * the queue), sent as one email (one Publish) to the alerts topic and, when high or critical, one to the
 * escalation topic. The two topics are two targets in the delivery ledger: a record that one took and the other
 * failed is retried for the other alone, so a failure on one topic never re-sends to the other (one queue for
 * both: docs/architecture.md, "One queue per channel").
 */
const env = loadEnv(
  z.object({
    /** Every alert goes here (email subscriptions filter on `audience` and `owner`). */
    CERTWARDEN_ALERTS_TOPIC: topicArn,
    /** High and critical alerts also go here (`alerts.escalationEmails`, unfiltered). */
    CERTWARDEN_ESCALATION_TOPIC: topicArn,
    /** `true` when the config has `alerts.digest`: info and warning alerts wait for the daily digest. */
    CERTWARDEN_DIGEST: z._default(z.enum(['true', 'false']), 'false'),
  }),
);

const client = new SNSClient(NOTIFIER_SDK_CONFIG);
const targetNamed = (topic: string) => `email (${topic.split(':').pop()})`;
/** The rule feeds only expiry alerts; anything else is not for the escalation topic. */
const isEscalated = (event: CertwardenEvent) =>
  (event.detailType === 'Certificate Expiring' || event.detailType === 'Certificate Expired') &&
  ESCALATED_SEVERITIES.includes(event.detail.severity);

const targets: NotifierTarget[] = [
  {
    name: targetNamed(env.CERTWARDEN_ALERTS_TOPIC),
    publisher: new SnsNotifier({
      client,
      topicArn: env.CERTWARDEN_ALERTS_TOPIC,
      digest: env.CERTWARDEN_DIGEST === 'true',
    }),
  },
  {
    name: targetNamed(env.CERTWARDEN_ESCALATION_TOPIC),
    publisher: new SnsNotifier({ client, topicArn: env.CERTWARDEN_ESCALATION_TOPIC }),
    takes: isEscalated,
  },
];

const delivery = recordDelivery();

export const handler = withPowertools((event: SQSEvent, context) =>
  publishEachRecord(event, context, {
    role: 'emailNotifier',
    targetsFor: () => targets,
    delivery,
    recordBudgetMs: SNS_RECORD_BUDGET_MS,
  }),
);
