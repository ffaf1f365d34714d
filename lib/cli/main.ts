import 'reflect-metadata';
import { describeIoError } from './io-errors';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import { loadConfig } from '../adapters/config-file';
import { secretsManagerFetcher } from '../adapters/secrets-manager';
import { createSource } from '../connectors/from-config';
import type { SecretFetcher } from '../ports/secrets';
import { RULE_IDS } from '../domain/policy';
import { registerDigestCommands } from './digest-commands';
import { registerEvaluateCommands } from './evaluate-commands';
import { loadPolicy, registerPolicyCommands } from './policy-commands';
import { CertificateParseError, CertwardenError, ConfigError } from '../domain/errors';
import { LocalFilesSource, countCertificateFiles } from '../connectors/local-files';
import type { CertificateSource } from '../ports/certificate-source';
import { systemClock } from '../ports/clock';
import type { StoredLocation, StoredViolation } from '../ports/inventory-store';
import { parseCertificates } from '../x509/parse';
import { syncSource, type SyncProgress } from '../use-cases/sync';
import { assessedLocations, summarizeInventory, type AssessedLocation } from '../use-cases/report';
import { assessExpiry } from '../domain/expiry';
import { writeDemoEstate } from './demo-estate';
import { dataDirectory, openInventory, type OpenInventory, type StoreOptions } from './open-inventory';
import {
  renderCertificate,
  renderLocations,
  renderProblemLocations,
  renderSummary,
  renderSyncReport,
  renderViolations,
} from './render';

const out = (text: string) => process.stdout.write(text);
const warn = (text: string) => process.stderr.write(`certwarden: ${text}\n`);

const storeOption = () =>
  new Option('--store <target>', '"embedded" (dynalite under .certwarden/), "aws", or a DynamoDB endpoint URL').env(
    'CERTWARDEN_STORE',
  );
const tableOption = () => new Option('--table <name>', 'inventory table name').env('CERTWARDEN_TABLE');

const positiveInteger = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number of days');
  return parsed;
};

async function withInventory<T>(options: StoreOptions, work: (inventory: OpenInventory) => Promise<T>): Promise<T> {
  const inventory = await openInventory(options);
  try {
    return await work(inventory);
  } finally {
    await inventory.close();
  }
}

async function inspect(paths: string[], options: { json?: boolean }): Promise<number> {
  const now = systemClock.now();
  const records: unknown[] = [];
  let failed = 0;
  for (const file of paths) {
    try {
      if ((await stat(file)).isDirectory())
        throw new CertwardenError(`${file}: is a directory (use \`certwarden scan --dir\`)`);
      const parsed = parseCertificates(await readFile(file), file);
      if (parsed.privateKeysDropped > 0) warn(`${file}: holds ${parsed.privateKeysDropped} private key(s); ignored`);
      for (const problem of parsed.problems) warn(`${file}: ${problem}`);
      for (const { record } of parsed.certificates) {
        if (options.json) records.push({ file, ...record });
        else out(renderCertificate(file, record, now));
      }
    } catch (error) {
      failed++;
      warn(
        error instanceof CertificateParseError || error instanceof CertwardenError
          ? error.message
          : `${file}: ${describeIoError(error)}`,
      );
    }
  }
  if (options.json) out(`${JSON.stringify(records, null, 2)}\n`);
  return failed > 0 ? 1 : 0;
}

/**
 * Shows progress on a terminal: a bar over `total` files when the count is known in advance, else a running
 * count of places. Counting happens as the source yields, so the figure moves even while nothing changes.
 */
async function withProgress<T>(
  label: string,
  total: number | null,
  run: (
    onProgress: (progress: SyncProgress) => void,
    source: (inner: CertificateSource) => CertificateSource,
  ) => Promise<T>,
): Promise<T> {
  if (!process.stderr.isTTY)
    return run(
      () => {},
      (inner) => inner,
    );
  const counts = '{changed} changed | {errors} errors';
  const bar = new SingleBar({
    format:
      total === null ? `${label}: {value} places | ${counts}` : `${label} [{bar}] {value}/{total} files | ${counts}`,
    stream: process.stderr,
  });
  bar.start(total ?? 0, 0, { changed: 0, errors: 0 });
  let counted = 0;
  const counting = (inner: CertificateSource): CertificateSource => ({
    kind: inner.kind,
    name: inner.name,
    async *list(signal) {
      for await (const item of inner.list(signal)) {
        // With a file count, only a file's leaf moves the bar; its chain certificates are extra places.
        if ('role' in item && (total === null || item.role === 'leaf')) bar.update(++counted);
        yield item;
      }
    },
  });
  try {
    return await run(
      (progress) => bar.update(counted, { changed: progress.changed, errors: progress.errors }),
      counting,
    );
  } finally {
    bar.stop();
  }
}

async function scan(
  options: StoreOptions & { dir: string; name: string; owner?: string; ownerFromDirectory?: boolean },
): Promise<number> {
  const source = new LocalFilesSource({
    name: options.name,
    root: options.dir,
    defaultOwner: options.owner,
    ownerFromTopDirectory: options.ownerFromDirectory,
  });
  const total = process.stderr.isTTY ? await countCertificateFiles(options.dir) : 0;
  return withInventory(options, async ({ store }) => {
    const report = await withProgress(`syncing ${options.name}`, total, (onProgress, wrap) =>
      syncSource({ source: wrap(source), store, clock: systemClock, onProgress, policy: currentPolicy() }),
    );
    out(renderSyncReport(report));
    return report.complete && report.counts.errors === 0 ? 0 : 1;
  });
}

async function sync(options: StoreOptions & { config?: string; source?: string[] }): Promise<number> {
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
  return withInventory(storeOptions, async ({ store }) => {
    let failed = false;
    for (const sourceConfig of selected) {
      const source = await createSource(sourceConfig, { fetchSecret: await personalSecretFetcher() });
      const report = await withProgress(`syncing ${source.name}`, null, (onProgress, wrap) =>
        syncSource({ source: wrap(source), store, clock: systemClock, onProgress, policy: currentPolicy() }),
      );
      out(renderSyncReport(report));
      failed ||= !report.complete || report.counts.errors > 0;
    }
    return failed ? 1 : 0;
  });
}

/** Secrets named by the config, read with the person's own AWS credentials, and only when a source needs one. */
async function personalSecretFetcher(): Promise<SecretFetcher> {
  let fetcher: SecretFetcher | undefined;
  return async (secretArn) => {
    if (!fetcher) {
      const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      const region = /^arn:[^:]+:secretsmanager:([^:]+):/.exec(secretArn)?.[1];
      fetcher = secretsManagerFetcher(new SecretsManagerClient({ region }));
    }
    return fetcher(secretArn);
  };
}

/** The policy in force here (certwarden.policy.json, the config's policy section, else the recommended one). */
const currentPolicy = () => loadPolicy(process.env.CERTWARDEN_POLICY, process.cwd()).policy;

interface ListOptions extends StoreOptions {
  expiring?: number;
  owner?: string;
  source?: string;
  removed?: boolean;
  errors?: boolean;
  violations?: boolean;
  rule?: string;
  json?: boolean;
}

async function list(options: ListOptions): Promise<number> {
  return withInventory(options, async ({ store }) => {
    const now = systemClock.now();
    if (options.violations || options.rule) {
      const violations: StoredViolation[] = [];
      const found = options.rule
        ? store.violationsByRule(options.rule)
        : options.owner
          ? store.violationsByOwner(options.owner)
          : undefined;
      if (!found) throw new CertwardenError('--violations needs --rule <id> or --owner <owner>');
      for await (const violation of found) {
        if (!options.owner || violation.owner === options.owner) violations.push(violation);
      }
      out(options.json ? `${JSON.stringify(violations, null, 2)}\n` : renderViolations(violations));
      return 0;
    }
    if (options.removed || options.errors) {
      const rows: StoredLocation[] = [];
      for await (const location of store.byStatus(options.removed ? 'removed' : 'error')) rows.push(location);
      out(options.json ? `${JSON.stringify(rows, null, 2)}\n` : renderProblemLocations(rows));
      return 0;
    }
    const cutoff = options.expiring === undefined ? undefined : new Date(now.getTime() + options.expiring * 86_400_000);
    const locations: AsyncIterable<StoredLocation> | undefined = options.owner
      ? store.byOwner(options.owner)
      : options.source
        ? store.bySource(options.source, 'live')
        : undefined;
    const rows: AssessedLocation[] = [];
    if (locations) {
      for await (const location of locations) {
        if (!location.certificate) continue;
        if (cutoff && location.certificate.notAfter >= cutoff.toISOString()) continue;
        rows.push({ location, expiry: assessExpiry(location.certificate, now) });
      }
      rows.sort((a, b) => (a.location.certificate!.notAfter < b.location.certificate!.notAfter ? -1 : 1));
    } else {
      for await (const row of assessedLocations(store, systemClock, { before: cutoff })) rows.push(row);
    }
    out(
      options.json
        ? `${JSON.stringify(
            rows.map(({ location, expiry }) => ({ ...location, expiry })),
            null,
            2,
          )}\n`
        : renderLocations(rows),
    );
    return 0;
  });
}

async function demo(options: StoreOptions): Promise<number> {
  const estate = join(dataDirectory(), 'demo-estate');
  const existing = await readdir(estate).catch(() => []);
  if (existing.length === 0) {
    const count = await writeDemoEstate(estate, systemClock.now());
    out(`Made a demo estate of ${count} certificates in ${estate}\n`);
  } else {
    out(`Using the demo estate in ${estate} (delete the folder for a fresh one)\n`);
  }
  return withInventory(options, async ({ store, description, meter }) => {
    out(`Inventory: ${description}\n\n`);
    const source = new LocalFilesSource({ name: 'demo', root: estate, ownerFromTopDirectory: true });
    meter.reset();
    const report = await syncSource({ source, store, clock: systemClock, policy: currentPolicy() });
    out(renderSyncReport(report));
    out(`DynamoDB writes for this sync: ${meter.writeRequests} request(s)\n\n`);
    const summary = await summarizeInventory(store, systemClock);
    out(renderSummary(summary));
    out(`\nWhat would alert now (${summary.alerting.length}):\n`);
    out(renderLocations(summary.alerting));
    const violations: StoredViolation[] = [];
    for (const ruleId of RULE_IDS)
      for await (const violation of store.violationsByRule(ruleId)) violations.push(violation);
    out(`\nOpen policy violations (${violations.length}):\n`);
    out(renderViolations(violations));
    return 0;
  });
}

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('certwarden')
    .description('Certificate inventory and lifecycle: find every certificate before it expires.')
    .showHelpAfterError();
  const exit = (code: number) => setExitCode(code);

  program
    .command('inspect')
    .description('read certificate files (PEM, DER, PKCS#7) and show one record per certificate')
    .argument('<path...>', 'certificate files')
    .option('--json', 'print a JSON array of records')
    .action(async (paths: string[], options) => exit(await inspect(paths, options)));

  program
    .command('scan')
    .description('sync a directory tree of certificate files into the inventory')
    .requiredOption('--dir <path>', 'directory to scan recursively')
    .option('--name <source>', 'source name in the inventory (only its own places can become tombstones)', 'local')
    .option('--owner <owner>', 'owner of the certificates found')
    .option('--owner-from-directory', 'owner = the first directory under --dir')
    .addOption(storeOption())
    .addOption(tableOption())
    .action(async (options) => exit(await scan(options)));

  program
    .command('sync')
    .description('sync the configured sources (certwarden.config.json or .ts) into the inventory')
    .option('--config <path>', 'configuration file', process.env.CERTWARDEN_CONFIG)
    .option('--source <name...>', 'only these sources')
    .addOption(storeOption())
    .addOption(tableOption())
    .action(async (options) => exit(await sync(options)));

  program
    .command('list')
    .description('query the inventory')
    .option('--expiring <days>', 'only certificates expiring within this many days (or expired)', positiveInteger)
    .option('--owner <owner>', 'only this owner')
    .option('--source <name>', 'only this source')
    .option('--removed', 'places no longer seen (tombstones)')
    .option('--errors', 'places whose certificate could not be read')
    .option('--violations', 'open policy violations (with --rule and/or --owner)')
    .option('--rule <id>', 'open violations of one policy rule')
    .option('--json', 'print JSON')
    .addOption(storeOption())
    .addOption(tableOption())
    .action(async (options) => exit(await list(options)));

  program
    .command('demo')
    .description('make a demo estate (first run), sync it into the embedded inventory and show what would alert')
    .addOption(storeOption())
    .addOption(tableOption())
    .action(async (options) => exit(await demo(options)));

  registerPolicyCommands(program, { openInventory, exit });
  registerEvaluateCommands(program, { openInventory, exit });
  registerDigestCommands(program, { openInventory, exit });

  return program;
}

export async function main(): Promise<void> {
  const program = buildProgram((code) => (process.exitCode = code));
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    warn(error instanceof Error ? error.message : String(error));
    if (process.env.CERTWARDEN_DEBUG) console.error(error);
    process.exitCode = 2;
  }
}
