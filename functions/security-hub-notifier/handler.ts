import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { SQSEvent } from 'aws-lambda';
import { SecurityHubPublisher } from '../../lib/adapters/security-hub';
import * as z from 'zod/mini';
import { recordDelivery } from '../shared/delivery';
import { loadEnv } from '../shared/env';
import {
  NOTIFIER_SDK_CONFIG,
  publishEachRecord,
  SECURITY_HUB_RECORD_BUDGET_MS,
  targetOf,
} from '../shared/eventbridge-record';
import { withPowertools } from '../shared/powertools';

/**
 * SQS → Security Hub: each record is a certwarden event (policy violations and resolutions, expiry alerts);
 * the ones that are findings (violations, high and critical expiry) are imported into this account's Security
 * Hub in this region, updated in place and archived when fixed. Account, region and partition come from the
 * function's own ARN: BatchImportFindings accepts findings for the caller's account only. A record whose import
 * failed fails alone (partial batch response): SQS redelivers it, then parks it in the DLQ. The client's
 * retries and timeouts are bounded (NOTIFIER_SDK_CONFIG): one record takes at most
 * SECURITY_HUB_RECORD_BUDGET_MS (56 s), and a record is not begun with less than that left of the invocation.
 */

/** The function's ARN does not name a partition, region and account. */
export class FunctionArnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** `arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]` → where the findings go. */
export function targetOfFunctionArn(arn: string): { partition: string; region: string; accountId: string } {
  const match = /^arn:(aws[a-z-]*):lambda:([a-z0-9-]+):(\d{12}):function:[^:]+(:[^:]+)?$/.exec(arn);
  if (!match) throw new FunctionArnError(`not a Lambda function ARN: ${arn}`);
  return { partition: match[1], region: match[2], accountId: match[3] };
}

/** The ledger's name of the hub the findings go to: a finding another account's hub took is not this one's. */
function securityHubTargetOf(functionArn: string): string {
  const { accountId, region } = targetOfFunctionArn(functionArn);
  return `securityHub (${accountId}/${region})`;
}

const env = loadEnv(
  z.object({
    /** The stage's name prefix, which every finding Id starts with (SecurityHubTarget.findingPrefix). */
    CERTWARDEN_FINDING_PREFIX: z.optional(z.string().check(z.minLength(1))),
  }),
);

/** One publisher per account and region: a function's ARN never changes, so in practice one. */
const publishers = new Map<string, SecurityHubPublisher>();

function publisherFor(functionArn: string): SecurityHubPublisher {
  const target = targetOfFunctionArn(functionArn);
  const key = `${target.partition}/${target.region}/${target.accountId}`;
  let publisher = publishers.get(key);
  if (!publisher) {
    publisher = new SecurityHubPublisher({
      client: new SecurityHubClient({ ...NOTIFIER_SDK_CONFIG, region: target.region }),
      ...target,
      findingPrefix: env.CERTWARDEN_FINDING_PREFIX,
    });
    publishers.set(key, publisher);
  }
  return publisher;
}

const delivery = recordDelivery();

export const handler = withPowertools((event: SQSEvent, context) =>
  publishEachRecord(event, context, {
    role: 'securityHubNotifier',
    targetsFor: () => [
      targetOf(securityHubTargetOf(context.invokedFunctionArn), publisherFor(context.invokedFunctionArn)),
    ],
    delivery,
    recordBudgetMs: SECURITY_HUB_RECORD_BUDGET_MS,
  }),
);
