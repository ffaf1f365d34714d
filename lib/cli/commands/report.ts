import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDeliveryLedger } from '../../adapters/dynamodb-delivery-ledger';
import { DynamoRenewalLedger } from '../../adapters/dynamodb-renewal-ledger';
import { REPORT_WRITERS, type ReportWriter } from '../../adapters/report-writers';
import { CertwardenError } from '../../domain/errors';
import { REPORT_NAMES, type Report, type ReportName } from '../../domain/report';
import { systemClock } from '../../ports/clock';
import {
  buildReport,
  isReportName,
  PACK_REPORTS,
  REPORT_OPTIONS,
  type ReportRequest,
  type ReportSources,
} from '../../use-cases/reports';
import { writeReportPack } from '../../use-cases/reports/pack';
import { EXIT, type ExitCode } from '../exit-codes';
import { describeIoError } from '../io-errors';
import type { ReportCommandDeps, ReportCommandOptions } from '../report-commands';

/** The option each request field comes from, for the message that names a misplaced one. */
const OPTION_OF: Record<Exclude<keyof ReportRequest, 'location'>, string> = {
  days: '--days',
  owner: '--owner',
  since: '--since',
  until: '--until',
};

/** The format a report is written in: a writer of the registry, `table` unless told. */
function writerOf(format = 'table'): ReportWriter {
  const writer = REPORT_WRITERS[format];
  if (!writer)
    throw new CertwardenError(`--format ${format}: expected one of ${Object.keys(REPORT_WRITERS).join(', ')}`);
  return writer;
}

/** The request of report `name`, refusing what does not apply to it (a typo'd report name is caught first). */
function requestOf(name: string, location: string | undefined, options: ReportCommandOptions): ReportRequest {
  if (!isReportName(name))
    throw new CertwardenError(`unknown report "${name}": expected one of ${[...REPORT_NAMES, 'pack'].join(', ')}`);
  const request: ReportRequest = {
    days: options.days,
    owner: options.owner,
    since: options.since,
    until: options.until,
  };
  for (const [field, option] of Object.entries(OPTION_OF) as Array<[keyof typeof OPTION_OF, string]>) {
    if (request[field] !== undefined && !REPORT_OPTIONS[name].includes(field))
      throw new CertwardenError(`${option} does not apply to report ${name}`);
  }
  if (name === 'audit') {
    if (!location) throw new CertwardenError('report audit needs a location: certwarden report audit <location>');
    request.location = location;
  } else if (location !== undefined) {
    throw new CertwardenError(`report ${name} takes no location (only audit does): "${location}"`);
  }
  return request;
}

/**
 * Writes to `path` through a file beside it, renamed into place once complete: a report that fails half way
 * leaves no half file for someone to hand an auditor.
 */
async function writeFile(path: string, write: (out: NodeJS.WritableStream) => Promise<void>): Promise<void> {
  const partial = `${path}.partial`;
  const handle = await open(partial, 'w').catch((error: unknown) => {
    throw new CertwardenError(`--out ${path}: ${describeIoError(error)}`, { cause: error });
  });
  const stream = handle.createWriteStream();
  try {
    await write(stream);
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    await rename(partial, path);
  } catch (error) {
    stream.destroy();
    await rm(partial, { force: true });
    throw error;
  }
}

/** The formats of a pack: every file format registered (the table is for terminals). */
const packFormats = (): string[] => Object.keys(REPORT_WRITERS).filter((format) => format !== 'table');

/**
 * `certwarden report <name> [location]`: builds the report from the configured inventory and writes it in
 * `--format` to stdout or `--out`. `certwarden report pack --out DIR`: every report of the pack, in every file
 * format, as DIR/<name>.<format>.
 */
export async function report(
  deps: ReportCommandDeps,
  name: string,
  location: string | undefined,
  options: ReportCommandOptions,
): Promise<ExitCode> {
  const isPack = name === 'pack';
  const request = isPack ? undefined : requestOf(name, location, options);
  if (isPack) {
    if (!options.out) throw new CertwardenError('report pack needs --out <directory>');
    if (options.format) throw new CertwardenError(`report pack writes ${packFormats().join(' and ')}: drop --format`);
    if ([options.days, options.owner, options.since, options.until, location].some((given) => given !== undefined))
      throw new CertwardenError(
        'report pack takes no location, --days, --owner, --since or --until: it writes every report with its defaults',
      );
  }
  const writer = isPack ? undefined : writerOf(options.format);
  const inventory = await deps.openInventory(options, 'reads');
  try {
    const clock = deps.clock ?? systemClock;
    const sources: ReportSources = {
      store: inventory.store,
      renewals: new DynamoRenewalLedger(inventory.client, inventory.tableName, clock),
      undelivered: () => new DynamoDeliveryLedger(inventory.client, inventory.tableName, clock).undelivered(),
      clock,
    };
    if (isPack) {
      await mkdir(options.out!, { recursive: true }).catch((error: unknown) => {
        throw new CertwardenError(`--out ${options.out}: ${describeIoError(error)}`, { cause: error });
      });
      const formats = Object.fromEntries(packFormats().map((format) => [format, REPORT_WRITERS[format]]));
      await writeReportPack(sources, formats, async ({ fileName }, write) => {
        const path = join(options.out!, fileName);
        await writeFile(path, write);
        return path;
      });
      (deps.stderr ?? ((text) => void process.stderr.write(text)))(
        `wrote ${PACK_REPORTS.length} reports (${packFormats().join(', ')}) to ${options.out}\n`,
      );
      return EXIT.ok;
    }
    const built: Report = await buildReport(name as ReportName, sources, request);
    if (options.out) await writeFile(options.out, (out) => writer!(built, out));
    else await writer!(built, deps.stdout ?? process.stdout);
    return EXIT.ok;
  } finally {
    await inventory.close();
  }
}
