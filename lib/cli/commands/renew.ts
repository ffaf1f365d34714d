import { userInfo } from 'node:os';
import { loadConfig } from '../../adapters/config-file';
import { DynamoRenewalLedger } from '../../adapters/dynamodb-renewal-ledger';
import { lazySecretsManagerFetcher } from '../../adapters/secrets-manager';
import { createRenewer } from '../../connectors/renewer-from-config';
import type { CertwardenEvent } from '../../domain/events';
import { systemClock } from '../../ports/clock';
import type { EventPublisher } from '../../ports/event-publisher';
import { placeIdOf } from '../../use-cases/place-id';
import { renew, type RenewReport } from '../../use-cases/renew';
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

/**
 * `certwarden renew <location>`: renews the certificate at one place through its source's provider, with the
 * source's configured credentials and endpoints, and prints what it did. Exit 0 when renewed (or already renewed,
 * or a dry run), 1 when the renewal failed or is still pending at the provider.
 */
export async function renewCommand(location: string, options: RenewCommandOptions): Promise<ExitCode> {
  const { config } = loadConfig(options.config);
  const storeOptions = {
    store: options.store ?? config.inventory.store,
    table: options.table ?? config.inventory.table,
  };
  return withInventory(storeOptions, async ({ store, client, tableName }) => {
    const locationId = await placeIdOf(store, location);
    const place = (await store.getLocation(locationId))!;
    const sourceConfig = config.sources.find((source) => source.name === place.source);
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
