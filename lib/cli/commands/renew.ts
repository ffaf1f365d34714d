import { userInfo } from 'node:os';
import { loadConfig } from '../../adapters/config-file';
import { DynamoRenewalLedger } from '../../adapters/dynamodb-renewal-ledger';
import { lazySecretsManagerFetcher } from '../../adapters/secrets-manager';
import { createRenewer } from '../../connectors/renewer-from-config';
import { CertwardenError } from '../../domain/errors';
import type { CertwardenEvent } from '../../domain/events';
import { locationIdOf, SOURCE_KINDS } from '../../ports/certificate-source';
import { systemClock } from '../../ports/clock';
import type { EventPublisher } from '../../ports/event-publisher';
import type { InventoryStore } from '../../ports/inventory-store';
import { renew, type RenewalContext, type RenewReport } from '../../use-cases/renew';
import type { ApprovalRequest } from '../../ports/renewal-ledger';
import type { CertwardenConfig } from '../../domain/config';
import { EXIT, type ExitCode } from '../exit-codes';
import { withInventory, type StoreOptions } from '../open-inventory';
import { out } from '../output';
import { eventBridgePublisher } from './evaluate';

export interface RenewCommandOptions extends StoreOptions {
  config?: string;
  dryRun?: boolean;
  json?: boolean;
  eventBus?: string;
}

/** A place by its location id (`aws-acm:arn:…`) or by the provider's own id (the ARN, the Key Vault id). */
export async function placeIdOf(store: InventoryStore, location: string): Promise<string> {
  for (const candidate of [location, ...SOURCE_KINDS.map((kind) => locationIdOf(kind, location))]) {
    if (await store.getLocation(candidate)) return candidate;
  }
  throw new CertwardenError(`no place ${location} in the inventory (see certwarden list)`);
}

/** What a renewal command works with: the use case's context for one place, the config, the events sent. */
export interface RenewalSession {
  context: RenewalContext;
  config: CertwardenConfig;
  store: InventoryStore;
  ledger: DynamoRenewalLedger;
  /** Every event published, in order (also sent to `--event-bus` when given). */
  sent: CertwardenEvent[];
}

/**
 * Opens the inventory and, for the place `placeOf` names, its source's renewer with the source's configured
 * credentials and endpoints (the person's), then runs `work`; closes both however it ends.
 */
export async function withRenewal(
  options: RenewCommandOptions,
  placeOf: (store: InventoryStore, ledger: DynamoRenewalLedger) => Promise<string>,
  work: (session: RenewalSession, locationId: string) => Promise<ExitCode>,
): Promise<ExitCode> {
  const { config } = loadConfig(options.config);
  const storeOptions = {
    store: options.store ?? config.inventory.store,
    table: options.table ?? config.inventory.table,
  };
  return withInventory(storeOptions, async ({ store, client, tableName }) => {
    const ledger = new DynamoRenewalLedger(client, tableName, systemClock);
    const locationId = await placeOf(store, ledger);
    const place = await store.getLocation(locationId);
    const sourceConfig = config.sources.find((source) => source.name === place?.source);
    const configured = sourceConfig
      ? await createRenewer(sourceConfig, { fetchSecret: lazySecretsManagerFetcher() })
      : undefined;
    const sent: CertwardenEvent[] = [];
    const target = options.eventBus ? await eventBridgePublisher(options.eventBus) : undefined;
    const events: EventPublisher = {
      publish: async (batch) => {
        await target?.publish(batch);
        sent.push(...batch);
      },
    };
    const context: RenewalContext = {
      store,
      ledger,
      renewerFor: (kind) => (configured?.renewer.kind === kind ? configured.renewer : undefined),
      events,
      clock: systemClock,
    };
    try {
      return await work({ context, config, store, ledger, sent }, locationId);
    } finally {
      configured?.close();
    }
  });
}

/**
 * `certwarden renew <location>`: renews the certificate at one place through its source's provider, with the
 * source's configured credentials and endpoints, and prints what it did. A place in the approval scope (the config's
 * `renewal.approval`) is not renewed: a request is recorded and its id printed for `renew approve|deny`. Exit 0 when
 * renewed (or already renewed, or a dry run), 1 when the renewal failed, is still pending at the provider or waits
 * for approval.
 */
export async function renewCommand(location: string, options: RenewCommandOptions): Promise<ExitCode> {
  return withRenewal(
    options,
    (store) => placeIdOf(store, location),
    async ({ context, config, sent }, locationId) => {
      const report = await renew({
        ...context,
        locationId,
        requestedBy: `cli:${userInfo().username}`,
        dryRun: options.dryRun,
        approval: config.renewal.approval,
      });
      printRenewal(report, sent, options);
      return exitOf(report);
    },
  );
}

/** The report as JSON or as lines, on stdout. */
export function printRenewal(report: RenewReport, sent: CertwardenEvent[], options: RenewCommandOptions): void {
  out(
    options.json
      ? `${JSON.stringify({ ...report, events: sent.map((event) => event.detailType) }, null, 2)}\n`
      : renderRenewal(report, sent, options.eventBus),
  );
}

/** 0 when renewed, already renewed, or planned; 1 when it failed or is not done yet (pending, awaiting approval). */
export const exitOf = (report: RenewReport): ExitCode =>
  ['failed', 'pending', 'awaiting-approval'].includes(report.outcome) ? EXIT.findings : EXIT.ok;

/** A request and where it stands: its id while it waits, who answered and why once answered. */
const approvalLine = (request: ApprovalRequest): string =>
  request.state === 'pending'
    ? `${request.requestId} (${request.reason}; waits until ${request.expiresAt})`
    : `${request.requestId} ${request.state} by ${request.decidedBy} at ${request.decidedAt}: ${request.decisionReason}`;

/** What was done, one fact a line. */
export function renderRenewal(report: RenewReport, events: CertwardenEvent[], eventBus?: string): string {
  const { decision, attempt } = report;
  const lines: Array<[string, string | undefined]> = [
    ['place', report.locationId],
    ['owner', report.owner],
    ['method', `${decision.method} (${decision.due ? 'renewal due' : `renewal not due before ${decision.dueAt}`})`],
    ['outcome', report.outcome === 'planned' ? 'dry run: nothing done' : report.outcome],
    ['renewal', attempt && `${attempt.renewalId}, attempt ${attempt.attempt}, asked by ${attempt.requestedBy}`],
    ['approval', report.approvalRequest && approvalLine(report.approvalRequest)],
    ['result', report.message],
    ['new certificate', attempt?.newFingerprint ?? undefined],
    [
      'events',
      events.length === 0
        ? undefined
        : `${events.map((event) => event.detailType).join(', ')}${eventBus ? ` (sent to ${eventBus})` : ' (not sent: no --event-bus)'}`,
    ],
  ];
  return lines
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name.padEnd(16)}${value}\n`)
    .join('');
}
