import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { DynamoRenewalLedger } from '../../lib/adapters/dynamodb-renewal-ledger';
import { TTL_ATTRIBUTE } from '../../lib/adapters/dynamodb-table';
import { EventBridgePublisher } from '../../lib/adapters/eventbridge-publisher';
import { lazySecretsManagerFetcher } from '../../lib/adapters/secrets-manager';
import { createRenewer, type ConfiguredRenewer } from '../../lib/connectors/renewer-from-config';
import { ApprovalConfig } from '../../lib/domain/approval';
import { RENEWAL_WATCH_HOURS, watchIntervalSeconds } from '../../lib/domain/renewal-workflow';
import type { CertificateRenewer } from '../../lib/ports/certificate-renewer';
import type { SourceKind } from '../../lib/ports/certificate-source';
import { systemClock } from '../../lib/ports/clock';
import {
  answerApproval,
  checkRenewal,
  expireApproval,
  renew,
  type RenewalContext,
  type RenewReport,
} from '../../lib/use-cases/renew';
import { loadDeployment } from '../shared/deployment';
import { loadEnv } from '../shared/env';
import { logger, withPowertools } from '../shared/powertools';
import { RENEW_STEP, RenewStepInput, type RenewStepResult } from './steps';

/**
 * The deployed renewal workflow's steps (infra/renewal-workflow.ts): each state of the state machine invokes this
 * function with `{ step, … }` and gets a {@link RenewStepResult} back. One use case, lib/use-cases/renew.ts, whose
 * functions the steps are:
 * - `start` (a Certificate Expiring event): renew() the place if certwarden renews it and it is due; a place in
 *   the approval scope waits instead. Idempotent (Powertools, keyed by location + fingerprint): a redelivered event
 *   gets the first answer back, marked `replayed`, and its execution ends there.
 * - `await-approval`: keeps the waiting task's token with the request (the execution pauses until an answer).
 * - `approved`, `denied`, `expired`: the answer (`certwarden renew approve|deny`, or the task's timeout).
 * - `check`: one look at a renewal the provider was still at; the state machine waits between looks.
 */
const env = loadEnv(
  z.object({
    CERTWARDEN_TABLE: z.string().check(z.minLength(3)),
    CERTWARDEN_EVENT_BUS: z.string().check(z.minLength(1)),
    CERTWARDEN_DEPLOYMENT: z.optional(z.string().check(z.minLength(1))),
    /** The config's `renewal.watchHours` (infra/renewal-workflow.ts). */
    CERTWARDEN_RENEWAL_WATCH_HOURS: z._default(
      z.coerce.number().check(z.int(), z.minimum(1), z.maximum(RENEWAL_WATCH_HOURS.max)),
      RENEWAL_WATCH_HOURS.default,
    ),
  }),
);
const deployment = loadDeployment(env.CERTWARDEN_DEPLOYMENT);
const approval = ApprovalConfig.parse(deployment.approval ?? {});

const documents = createDocumentClient();
const store = new DynamoInventoryStore(documents, env.CERTWARDEN_TABLE);
const ledger = new DynamoRenewalLedger(documents, env.CERTWARDEN_TABLE, systemClock);
const events = new EventBridgePublisher({
  client: new EventBridgeClient({ maxAttempts: 8 }),
  eventBusName: env.CERTWARDEN_EVENT_BUS,
});

/**
 * The longest wait within one step (a Private CA's issue, which cannot be looked at again from another invocation):
 * under the function's 5-minute timeout (infra/renewal-workflow.ts), with room for the calls around it.
 */
const IN_CALL_WAIT_MS = 3 * 60_000;

/**
 * The renewer of each configured source, made on first use and kept by a warm container. The wait for a provider's
 * own renewal or a Key Vault order is one look: the state machine's Wait state waits between looks (`check`), not
 * this function.
 */
const renewers = new Map<string, Promise<ConfiguredRenewer | undefined>>();
const fetchSecret = lazySecretsManagerFetcher({ maxAttempts: 8 });
function renewerOf(sourceName: string): Promise<ConfiguredRenewer | undefined> {
  let renewer = renewers.get(sourceName);
  if (!renewer) {
    const source = deployment.sources.find((candidate) => candidate.name === sourceName);
    renewer = source
      ? createRenewer(source, { fetchSecret }, { watch: { timeoutMs: 0 }, poll: { timeoutMs: IN_CALL_WAIT_MS } })
      : Promise.resolve(undefined);
    renewers.set(sourceName, renewer);
  }
  return renewer;
}

/** The use case's context for a place's source: its renewer, the bus, the table. */
async function contextFor(locationId: string): Promise<RenewalContext> {
  const place = await store.getLocation(locationId);
  const configured = place ? await renewerOf(place.source) : undefined;
  const renewer: CertificateRenewer | undefined = configured?.renewer;
  return {
    store,
    ledger,
    events,
    clock: systemClock,
    renewerFor: (kind: SourceKind) => (renewer?.kind === kind ? renewer : undefined),
  };
}

/** How long the workflow watches a renewal the provider is still at before it fails it. */
const GIVE_UP_AFTER_MS = env.CERTWARDEN_RENEWAL_WATCH_HOURS * 3_600_000;

const resultOf = (
  report: Pick<RenewReport, 'outcome' | 'attempt' | 'message' | 'approvalRequest'>,
  key: { locationId: string; fingerprint: string },
): RenewStepResult => ({
  outcome: report.outcome,
  locationId: key.locationId,
  fingerprint: key.fingerprint,
  renewalId: report.attempt?.renewalId ?? null,
  requestId: report.approvalRequest?.requestId ?? null,
  message: report.message,
  replayed: false,
  waitSeconds: watchIntervalSeconds(
    report.attempt ? systemClock.now().getTime() - Date.parse(report.attempt.requestedAt) : 0,
  ),
});

/** The start, once per (location, certificate): the idempotency record lives in the inventory table. */
const idempotency = new IdempotencyConfig({
  eventKeyJmesPath: 'event.detail.[locationId, fingerprint]',
  // Longer than EventBridge keeps retrying a delivery (the rule's target: an hour), shorter than the days between
  // two expiry thresholds, so the next threshold's event tries again after a failure.
  expiresAfterSeconds: 24 * 3600,
  responseHook: (response) => ({ ...(response as object), replayed: true }),
});
const start = makeIdempotent(
  async (input: Extract<RenewStepInput, { step: 'start' }>): Promise<RenewStepResult> => {
    const { locationId, fingerprint } = input.event.detail;
    const report = await renew({
      ...(await contextFor(locationId)),
      locationId,
      requestedBy: 'expiry-event',
      approval,
      onlyWhenDueForCertwarden: true,
    });
    return resultOf(report, { locationId, fingerprint });
  },
  {
    config: idempotency,
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: env.CERTWARDEN_TABLE,
      keyAttr: 'pk',
      sortKeyAttr: 'sk',
      staticPkValue: 'IDEMPOTENCY#renew',
      expiryAttr: TTL_ATTRIBUTE,
      awsSdkV3Client: new DynamoDBClient({ maxAttempts: 8 }),
    }),
  },
);

async function step(input: RenewStepInput, context: Context): Promise<RenewStepResult> {
  switch (input.step) {
    case RENEW_STEP.start:
      idempotency.registerLambdaContext(context);
      return start(input);
    case RENEW_STEP.awaitApproval: {
      const request = await ledger.approval(input.requestId);
      const attached = await ledger.attachTaskToken(input.requestId, input.taskToken);
      return {
        outcome: attached ? 'awaiting-approval' : 'failed',
        locationId: request?.locationId ?? '',
        fingerprint: request?.fingerprint ?? '',
        renewalId: request?.renewalId ?? null,
        requestId: input.requestId,
        message: attached ? 'waiting for an answer' : `request ${input.requestId} is not pending`,
        replayed: false,
        waitSeconds: watchIntervalSeconds(0),
      };
    }
    case RENEW_STEP.approved:
    case RENEW_STEP.denied: {
      const answer =
        input.step === RENEW_STEP.approved ? { answer: 'approve' as const, ...input.answer } : deniedBy(input.error);
      return answered(input.requestId, (context) =>
        answerApproval({ ...context, requestId: input.requestId, ...answer }),
      );
    }
    case RENEW_STEP.expired:
      return answered(input.requestId, (context) => expireApproval({ ...context, requestId: input.requestId }));
    case RENEW_STEP.check: {
      const report = await checkRenewal({
        ...(await contextFor(input.locationId)),
        ...input,
        giveUpAfterMs: GIVE_UP_AFTER_MS,
      });
      return resultOf(report, input);
    }
  }
}

/** An answer to a request, in the context of the request's place. */
async function answered(
  requestId: string,
  answer: (context: RenewalContext) => Promise<RenewReport>,
): Promise<RenewStepResult> {
  const request = await ledger.approval(requestId);
  const report = await answer(await contextFor(request?.locationId ?? ''));
  return resultOf(report, report);
}

/** SendTaskFailure's cause is `{ by, reason }` as JSON (lib/cli/commands/renew-approval.ts). */
function deniedBy(error: { Cause?: string }): { answer: 'deny'; by: string; reason: string } {
  try {
    const cause = JSON.parse(error.Cause ?? '') as { by?: unknown; reason?: unknown };
    return { answer: 'deny', by: String(cause.by ?? 'unknown'), reason: String(cause.reason ?? '') };
  } catch {
    return { answer: 'deny', by: 'unknown', reason: error.Cause ?? '' };
  }
}

export const handler = withPowertools(async (event: unknown, context: Context): Promise<RenewStepResult> => {
  const input = RenewStepInput.parse(event);
  const result = await step(input, context);
  logger.info('renewal step', { step: input.step, ...result });
  return result;
});
