import { loadConfig } from '../../adapters/config-file';
import { DynamoAlertLedger } from '../../adapters/dynamodb-alert-ledger';
import { DynamoCtPositions } from '../../adapters/dynamodb-ct-positions';
import { httpCtLogs } from '../../adapters/http-ct-log';
import { ConfigError } from '../../domain/errors';
import { systemClock } from '../../ports/clock';
import type { EventPublisher } from '../../ports/event-publisher';
import { monitorCt, monitorSettingsOf, type CtPollReport } from '../../use-cases/monitor-ct';
import { EXIT, type ExitCode } from '../exit-codes';
import { withInventory, type StoreOptions } from '../open-inventory';
import { out, warn } from '../output';
import { renderTable } from '../render';
import { eventBridgePublisher } from './evaluate';

export interface CtPollOptions extends StoreOptions {
  config?: string;
  /** Only these configured logs, by name. */
  log?: string[];
  json?: boolean;
  eventBus?: string;
}

/**
 * `certwarden ct poll`: reads the configured CT logs from where the last poll stopped and prints the certificates
 * for the configured domains that the inventory does not hold (each once, ever: the positions and the findings are
 * kept in the inventory table). A log that cannot be read is one line on stderr; the others are still polled.
 * Exit 0 when nothing was found, 1 when something was (or a log could not be read), 2 when it could not run.
 */
export async function ctPoll(options: CtPollOptions): Promise<ExitCode> {
  const { config } = loadConfig(options.config);
  if (!config.ct)
    throw new ConfigError(
      'no "ct" section in the configuration: nothing to poll (see README, "Certificate Transparency")',
    );
  const ct = config.ct;
  const unknownLogs = (options.log ?? []).filter((name) => !ct.logs.some((log) => log.name === name));
  if (unknownLogs.length > 0)
    throw new ConfigError(
      `--log ${unknownLogs.join(', ')}: not in the configuration (${ct.logs.map((log) => log.name).join(', ')})`,
    );
  const logs = httpCtLogs(ct).filter((log) => !options.log || options.log.includes(log.name));
  const events: EventPublisher | undefined = options.eventBus
    ? await eventBridgePublisher(options.eventBus)
    : undefined;
  const storeOptions = {
    store: options.store ?? config.inventory.store,
    table: options.table ?? config.inventory.table,
  };
  return withInventory(storeOptions, async ({ store, client, tableName }) => {
    const report = await monitorCt({
      logs,
      positions: new DynamoCtPositions(client, tableName, systemClock),
      ledger: new DynamoAlertLedger(client, tableName, systemClock),
      store,
      clock: systemClock,
      events,
      ...monitorSettingsOf(ct),
    });
    for (const log of report.logs) {
      if (log.error) warn(`ct log ${log.error.startsWith(`${log.log}:`) ? log.error : `${log.log}: ${log.error}`}`);
      for (const problem of log.unreadable) warn(`ct log ${log.log}: ${problem} (skipped)`);
    }
    out(options.json ? `${JSON.stringify(report, null, 2)}\n` : renderCtPoll(report, options.eventBus));
    return report.findings.length > 0 || report.logs.some((log) => log.error) ? EXIT.findings : EXIT.ok;
  });
}

/** The logs polled, then one line per certificate found. */
export function renderCtPoll(report: CtPollReport, eventBus?: string): string {
  const logs = renderTable(
    ['LOG', 'ENTRIES', 'READ', 'OURS', 'KNOWN', 'ALLOWED', 'UNKNOWN', 'RAISED'],
    report.logs.map((log) => [
      log.log,
      log.error && log.from === null ? 'unreadable' : `${log.from}-${log.to} of ${log.treeSize}`,
      log.read,
      log.matched,
      log.known,
      log.allowlisted,
      log.unknown,
      log.raised,
    ]),
  );
  if (report.findings.length === 0) return `${logs}\nNo unknown certificate found.\n`;
  const findings = renderTable(
    ['LOG', 'ENTRY', 'TYPE', 'NAMES', 'ISSUER', 'SERIAL'],
    report.findings.map((finding) => [
      finding.log,
      finding.index,
      finding.entryType,
      finding.dnsNames.join(', ') || finding.subject,
      finding.issuer,
      finding.serialNumber,
    ]),
  );
  const sent = eventBus ? `sent to ${eventBus}` : 'not sent: no --event-bus';
  return `${logs}\n${report.findings.length} unknown certificate(s) issued (Unknown Certificate Issued, ${sent}):\n${findings}\n`;
}
