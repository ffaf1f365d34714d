import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { DynamoAlertLedger } from '../../lib/adapters/dynamodb-alert-ledger';
import { DynamoServedAlerts } from '../../lib/adapters/dynamodb-served-alerts';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { EventBridgePublisher } from '../../lib/adapters/eventbridge-publisher';
import { lazySecretsManagerFetcher } from '../../lib/adapters/secrets-manager';
import { createSource, type SourceWiring } from '../../lib/connectors/from-config';
import { restrictToScope } from '../../lib/connectors/source-scopes';
import { compilePolicy, RECOMMENDED_POLICY } from '../../lib/domain/policy';
import { SOURCE_KINDS, type SourceKind } from '../../lib/ports/certificate-source';
import { systemClock } from '../../lib/ports/clock';
import type { SecretFetcher } from '../../lib/ports/secrets';
import { detectDeploymentDrift, driftSourcesOf } from '../../lib/use-cases/deployment-drift';
import { syncSource } from '../../lib/use-cases/sync';
import { loadDeployment } from '../shared/deployment';
import { loadEnv } from '../shared/env';
import { METRIC } from '../shared/metric-names';
import { logger, publishMetric, withPowertools } from '../shared/powertools';
import { SyncRequest } from '../shared/sync-request';

/**
 * SQS → sync worker: each message is one scope of one source (see the planner). The worker narrows the source
 * to that scope and syncs it into the inventory; a scope that could not be synced completely fails its record
 * alone (partial batch response), so SQS retries it and, after the queue's receive limit, parks it in the DLQ.
 */
const env = loadEnv(
  z.object({
    CERTWARDEN_TABLE: z.string().check(z.minLength(3)),
    CERTWARDEN_EVENT_BUS: z.string().check(z.minLength(1)),
    /** The one source kind this function syncs: its role holds that kind's permissions only. */
    CERTWARDEN_SOURCE_KIND: z.enum(SOURCE_KINDS),
    /**
     * The deployment file with the sources and the certificate policy (functions/shared/deployment.ts); unset, no
     * sources and the recommended policy.
     */
    CERTWARDEN_DEPLOYMENT: z.optional(z.string().check(z.minLength(1))),
    /** Set when the dashboard is deployed: the series only it shows are written too. */
    CERTWARDEN_DASHBOARD_METRICS: z._default(z.stringbool(), false),
  }),
);
const deployment = loadDeployment(env.CERTWARDEN_DEPLOYMENT);
const policy = deployment.policy === undefined ? RECOMMENDED_POLICY : compilePolicy(deployment.policy);

const documentClient = createDocumentClient();
const store = new DynamoInventoryStore(documentClient, env.CERTWARDEN_TABLE);
const events = new EventBridgePublisher({
  client: new EventBridgeClient({ maxAttempts: 8 }),
  eventBusName: env.CERTWARDEN_EVENT_BUS,
});

const wiring: SourceWiring = { fetchSecret: secretFetcherOf(env.CERTWARDEN_SOURCE_KIND) };

/**
 * Secrets hold the credentials of Azure and Google sources only. A worker bundled for another kind folds this
 * switch to its default (the bundler defines CERTWARDEN_BUNDLED_KIND, lib/connectors/from-config.ts) and holds no
 * Secrets Manager client; one that reads secrets loads the client on its first read.
 */
function secretFetcherOf(kind: SourceKind): SecretFetcher {
  switch ((process.env.CERTWARDEN_BUNDLED_KIND ?? kind) as SourceKind) {
    case 'azure-key-vault':
    case 'google-certificate-manager':
      return lazySecretsManagerFetcher({ maxAttempts: 8 });
    default:
      return async () => {
        throw new Error(`${kind} sources read no secrets`);
      };
  }
}

/** A message names a source this function does not sync: not in its deployment, or of another kind. */
export class SyncRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The sync of a scope ended incomplete (its listing, or a write of what it listed, broke): the record fails so that
 * SQS retries it. `cause` is what broke it (the provider's or DynamoDB's error, with its stack).
 */
export class SyncIncompleteError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

const processor = new BatchProcessor(EventType.SQS);

async function syncRecord(record: SQSRecord): Promise<void> {
  const request = SyncRequest.parse(JSON.parse(record.body));
  const source = deployment.sources.find((candidate) => candidate.name === request.source.name);
  if (!source) throw new SyncRequestError(`source ${request.source.name} is not in this deployment`);
  if (source.kind !== env.CERTWARDEN_SOURCE_KIND) {
    throw new SyncRequestError(
      `this function syncs ${env.CERTWARDEN_SOURCE_KIND} sources, not ${source.kind} (${source.name})`,
    );
  }
  const { scope } = request;
  const config = scope === null ? source : restrictToScope(source, scope);
  const report = await syncSource({
    source: await createSource(config, { ...wiring, inventory: store }),
    store,
    clock: systemClock,
    events,
    policy,
    scopes: scope === null ? undefined : [scope],
  });
  const { counts } = report;
  const series = { source: source.name };
  if (report.complete) publishMetric(METRIC.scopesSynced, series, 1);
  if (counts.errors > 0) publishMetric(METRIC.syncErrors, series, counts.errors);
  if (env.CERTWARDEN_DASHBOARD_METRICS) {
    const changed =
      counts.discovered + counts.renewed + counts.updated + counts.removed + counts.restored + counts.stale;
    publishMetric(METRIC.placesChanged, series, changed);
  }
  logger.info('scope synced', {
    source: source.name,
    scope,
    complete: report.complete,
    counts,
    failedScopes: report.failedScopes,
    errors: report.errors,
  });
  // What the endpoints of this scope serve, against the cloud sources: after the places are written, so it reads
  // this scan's. Each finding is raised once (the alert ledger), so a retried record raises nothing twice.
  if (source.kind === 'tls-endpoint') {
    const drift = await detectDeploymentDrift({
      store,
      ledger: new DynamoAlertLedger(documentClient, env.CERTWARDEN_TABLE, systemClock),
      served: new DynamoServedAlerts(documentClient, env.CERTWARDEN_TABLE),
      events,
      clock: systemClock,
      source: source.name,
      scopes: scope === null ? undefined : [scope],
      inventorySources: driftSourcesOf(deployment.sources),
    });
    logger.info('deployment drift checked', {
      source: source.name,
      scope,
      endpoints: drift.endpoints,
      raised: drift.raised.length,
      resolved: drift.resolved.length,
      alreadyRaised: drift.alreadyRaised,
    });
  }
  if (!report.complete) {
    throw new SyncIncompleteError(`sync of ${source.name}${scope ? ` scope ${scope}` : ''} did not complete`, {
      cause: report.cause,
    });
  }
}

/**
 * A record's sync, its failure logged with the error's stack and cause: the batch processor keeps a record's error
 * to itself, answering SQS with the record's id alone.
 */
async function syncLogged(record: SQSRecord): Promise<void> {
  try {
    await syncRecord(record);
  } catch (error) {
    logger.error('scope not synced: SQS retries the record', { messageId: record.messageId, error });
    throw error;
  }
}

export const handler = withPowertools((event: SQSEvent, context) =>
  processPartialResponse(event, syncLogged, processor, { context, processInParallel: false }),
);
