import { basename, resolve, sep } from 'node:path';
import { loadConfig } from '../../adapters/config-file';
import { DynamoAlertLedger } from '../../adapters/dynamodb-alert-ledger';
import { DynamoServedAlerts } from '../../adapters/dynamodb-served-alerts';
import type { CertwardenEvent } from '../../domain/events';
import { servedMessage } from '../../domain/notifications/served-message';
import { lazySecretsManagerFetcher } from '../../adapters/secrets-manager';
import { countCertificateFiles, LocalFilesSource, readPkcs12PasswordFile } from '../../connectors/local-files';
import { createSource } from '../../connectors/from-config';
import { CertwardenError, ConfigError } from '../../domain/errors';
import { systemClock } from '../../ports/clock';
import { listedUnder } from '../../ports/certificate-source';
import type { InventoryStore } from '../../ports/inventory-store';
import { detectDeploymentDrift, driftSourcesOf } from '../../use-cases/deployment-drift';
import { syncSource } from '../../use-cases/sync';
import { EXIT, type ExitCode } from '../exit-codes';
import { withInventory, writesOf, type StoreOptions } from '../open-inventory';
import { currentPolicy } from '../policy-files';
import { out } from '../output';
import { showsProgress, withProgress } from '../progress';
import { renderSyncReport } from '../render';
import { checkDueRevocations, renderRevocationReport } from '../revocation';

export interface ScanOptions extends StoreOptions {
  dir: string;
  name?: string;
  owner?: string;
  ownerFromDirectory?: boolean;
  pkcs12PasswordFile?: string;
}

/**
 * The source name a scan of `dir` gets when none is given: the directory's own name, so that scanning another
 * directory never retires this one's places.
 */
export function sourceNameOf(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
  return /^[a-z0-9]/.test(name) ? name : 'local';
}

/**
 * A scan retires the places of its source that it does not find. Under a name derived from the directory, two
 * directories of the same name would retire each other's places: refuse rather than guess.
 */
async function refuseForeignSource(store: InventoryStore, name: string, root: string): Promise<void> {
  for await (const place of store.bySource(name, 'live', { limit: 1 })) {
    if (place.nativeId.startsWith(`${root}${sep}`)) return;
    throw new CertwardenError(
      `source "${name}" already holds places outside ${root} (such as ${listedUnder(place.nativeId)}); ` +
        `scanning under that name would mark them removed: give this directory its own --name`,
    );
  }
}

export async function scan(options: ScanOptions): Promise<ExitCode> {
  // The configuration here, as for the policy (currentPolicy): its revocation settings apply to what the scan adds.
  const { config } = loadConfig();
  const root = resolve(options.dir);
  const name = options.name ?? sourceNameOf(root);
  const source = new LocalFilesSource({
    name,
    root,
    defaultOwner: options.owner,
    ownerFromTopDirectory: options.ownerFromDirectory,
    pkcs12Passwords: options.pkcs12PasswordFile ? [await readPkcs12PasswordFile(options.pkcs12PasswordFile)] : [],
  });
  // Counted beside the scan rather than before it: on a large tree the walk alone takes seconds.
  const total = showsProgress() ? countCertificateFiles(root) : null;
  return withInventory(options, async ({ store, meter }) => {
    if (options.name === undefined) await refuseForeignSource(store, name, root);
    meter.reset();
    const report = await withProgress(`syncing ${name}`, total, (onProgress, wrap) =>
      syncSource({ source: wrap(source), store, clock: systemClock, onProgress, policy: currentPolicy() }),
    );
    out(renderSyncReport(report, writesOf(meter)));
    out(renderRevocationReport(await checkDueRevocations(store, config.revocation)));
    return report.complete && report.counts.errors === 0 ? EXIT.ok : EXIT.findings;
  });
}

export interface SyncOptions extends StoreOptions {
  config?: string;
  source?: string[];
}

export async function sync(options: SyncOptions): Promise<ExitCode> {
  const { config, file } = loadConfig(options.config);
  const wanted = options.source ?? [];
  const unknown = wanted.filter((name) => !config.sources.some((source) => source.name === name));
  if (unknown.length > 0)
    throw new ConfigError(`no source named ${unknown.join(', ')} in ${file ?? 'the configuration'}`);
  const selected = config.sources.filter((source) => wanted.length === 0 || wanted.includes(source.name));
  if (selected.length === 0) {
    throw new ConfigError(`no sources configured${file ? ` in ${file}` : ' (no certwarden.config.json or .ts here)'}`);
  }
  const storeOptions = {
    store: options.store ?? config.inventory.store,
    table: options.table ?? config.inventory.table,
  };
  return withInventory(storeOptions, async ({ store, meter, client, tableName }) => {
    let failed = false;
    for (const sourceConfig of selected) {
      // Secrets named by the config are read with the person's own AWS credentials, when a source needs one.
      const source = await createSource(sourceConfig, { fetchSecret: lazySecretsManagerFetcher(), inventory: store });
      meter.reset();
      const report = await withProgress(`syncing ${source.name}`, null, (onProgress, wrap) =>
        syncSource({ source: wrap(source), store, clock: systemClock, onProgress, policy: currentPolicy() }),
      );
      out(renderSyncReport(report, writesOf(meter)));
      failed ||= !report.complete || report.counts.errors > 0;
      if (sourceConfig.kind === 'tls-endpoint') {
        const drift = await detectDeploymentDrift({
          store,
          ledger: new DynamoAlertLedger(client, tableName, systemClock),
          served: new DynamoServedAlerts(client, tableName),
          // The person running the sync is who hears of it, once: the ledger marks it raised.
          events: { publish: async (events) => events.forEach((event) => out(renderServedEvent(event))) },
          clock: systemClock,
          source: sourceConfig.name,
          inventorySources: driftSourcesOf(config.sources),
        });
        failed ||= drift.raised.length > 0;
      }
    }
    out(renderRevocationReport(await checkDueRevocations(store, config.revocation)));
    return failed ? EXIT.findings : EXIT.ok;
  });
}

/** A Deployment Drift, Unknown Certificate Served or Served Certificate Resolved event as one line for people. */
function renderServedEvent(event: CertwardenEvent): string {
  if (
    event.detailType !== 'Deployment Drift' &&
    event.detailType !== 'Unknown Certificate Served' &&
    event.detailType !== 'Served Certificate Resolved'
  )
    return '';
  return `${event.detailType}: ${servedMessage(event)}\n`;
}
