import { userInfo } from 'node:os';
import { loadConfig } from '../../adapters/config-file';
import { DynamoRenewalLedger } from '../../adapters/dynamodb-renewal-ledger';
import { lazySecretsManagerFetcher } from '../../adapters/secrets-manager';
import { createRenewer } from '../../connectors/renewer-from-config';
import type { CertwardenConfig } from '../../domain/config';
import type { CertwardenEvent } from '../../domain/events';
import { systemClock } from '../../ports/clock';
import { placeIdOf } from '../../use-cases/place-id';
import { renew, type RenewReport } from '../../use-cases/renew';
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

/**
 * What a command that acts on one place starts from (`renew`, `revoke`): the configuration, the inventory it names
 * (or the options'), and the place's location id.
 */
export async function withConfiguredPlace<T>(
  location: string,
  options: StoreOptions & { config?: string },
  work: (context: OpenInventory & { config: CertwardenConfig; locationId: string }) => Promise<T>,
): Promise<T> {
  const { config } = loadConfig(options.config);
  const storeOptions = {
    store: options.store ?? config.inventory.store,
    table: options.table ?? config.inventory.table,
  };
  return withInventory(storeOptions, async (inventory) =>
    work({ ...inventory, config, locationId: await placeIdOf(inventory.store, location) }),
  );
}

/**
 * `certwarden renew <location>`: renews the certificate at one place through its source's provider, with the
 * source's configured credentials and endpoints, and prints what it did. Exit 0 when renewed (or already renewed,
 * or a dry run), 1 when the renewal failed or is still pending at the provider.
 */
export async function renewCommand(location: string, options: RenewCommandOptions): Promise<ExitCode> {
  return withConfiguredPlace(location, options, async ({ config, store, client, tableName, locationId }) => {
    const place = (await store.getLocation(locationId))!;
    const sourceConfig = config.sources.find((source) => source.name === place.source);
    const configured = sourceConfig
      ? await createRenewer(sourceConfig, { fetchSecret: lazySecretsManagerFetcher() })
      : undefined;
    const events = await recordingPublisher(options.eventBus);
    const { sent } = events;
    try {
      const report = await renew({
        locationId,
        store,
        ledger: new DynamoRenewalLedger(client, tableName, systemClock),
        renewerFor: (kind) => (configured?.renewer.kind === kind ? configured.renewer : undefined),
        events,
        clock: systemClock,
        requestedBy: `cli:${userInfo().username}`,
        dryRun: options.dryRun,
      });
      out(
        options.json
          ? `${JSON.stringify({ ...report, events: sent.map((event) => event.detailType) }, null, 2)}\n`
          : renderRenewal(report, sent, options.eventBus),
      );
      return report.outcome === 'failed' || report.outcome === 'pending' ? EXIT.findings : EXIT.ok;
    } finally {
      configured?.close();
    }
  });
}

/** What was done, one fact a line. */
export function renderRenewal(report: RenewReport, events: CertwardenEvent[], eventBus?: string): string {
  const { decision, attempt } = report;
  const lines: Array<[string, string | undefined]> = [
    ['place', report.locationId],
    ['owner', report.owner],
    ['method', `${decision.method} (${decision.due ? 'renewal due' : `renewal not due before ${decision.dueAt}`})`],
    ['outcome', report.outcome === 'planned' ? 'dry run: nothing done' : report.outcome],
    ['renewal', attempt && `${attempt.renewalId}, attempt ${attempt.attempt}, asked by ${attempt.requestedBy}`],
    ['result', report.message],
    ['new certificate', attempt?.newFingerprint ?? undefined],
    ['events', eventsLine(events, eventBus)],
  ];
  return factLines(lines);
}
