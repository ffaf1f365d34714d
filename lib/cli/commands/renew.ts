import { userInfo } from 'node:os';
import { loadConfig } from '../../adapters/config-file';
import { DynamoRenewalLedger } from '../../adapters/dynamodb-renewal-ledger';
import { lazySecretsManagerFetcher } from '../../adapters/secrets-manager';
import { createRenewer } from '../../connectors/renewer-from-config';
import type { CertwardenConfig } from '../../domain/config';
import type { CertwardenEvent } from '../../domain/events';
import { systemClock } from '../../ports/clock';
import type { InventoryStore } from '../../ports/inventory-store';
import type { ApprovalRequest } from '../../ports/renewal-ledger';
import { placeIdOf } from '../../use-cases/place-id';
import { renew, type RenewalContext, type RenewReport } from '../../use-cases/renew';
import { EXIT, type ExitCode } from '../exit-codes';
import { withInventory, type OpenInventory, type StoreOptions } from '../open-inventory';
import { out } from '../output';
import { eventsLine, factLines, recordingPublisher } from '../recording-publisher';

export interface RenewCommandOptions extends StoreOptions {
  config?: string;
  dryRun?: boolean;
  json?: boolean;
  eventBus?: string;
}

/** The configuration, and the inventory it names (or the options'), open for `work`. */
function withConfiguredInventory<T>(
  options: StoreOptions & { config?: string },
  work: (context: OpenInventory & { config: CertwardenConfig }) => Promise<T>,
): Promise<T> {
  const { config } = loadConfig(options.config);
  const storeOptions = {
    store: options.store ?? config.inventory.store,
    table: options.table ?? config.inventory.table,
  };
  return withInventory(storeOptions, (inventory) => work({ ...inventory, config }));
}

/**
 * What a command that acts on one place starts from (`renew`, `revoke`): the configuration, the inventory it names
 * (or the options'), and the place's location id.
 */
export function withConfiguredPlace<T>(
  location: string,
  options: StoreOptions & { config?: string },
  work: (context: OpenInventory & { config: CertwardenConfig; locationId: string }) => Promise<T>,
): Promise<T> {
  return withConfiguredInventory(options, async (inventory) =>
    work({ ...inventory, locationId: await placeIdOf(inventory.store, location) }),
  );
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
  return withConfiguredInventory(options, async ({ config, store, client, tableName }) => {
    const ledger = new DynamoRenewalLedger(client, tableName, systemClock);
    const locationId = await placeOf(store, ledger);
    const place = await store.getLocation(locationId);
    const sourceConfig = config.sources.find((source) => source.name === place?.source);
    const configured = sourceConfig
      ? await createRenewer(sourceConfig, { fetchSecret: lazySecretsManagerFetcher() })
      : undefined;
    const events = await recordingPublisher(options.eventBus);
    const context: RenewalContext = {
      store,
      ledger,
      renewerFor: (kind) => (configured?.renewer.kind === kind ? configured.renewer : undefined),
      events,
      clock: systemClock,
    };
    try {
      return await work({ context, config, store, ledger, sent: events.sent }, locationId);
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
    ['events', eventsLine(events, eventBus)],
  ];
  return factLines(lines);
}
