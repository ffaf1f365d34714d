import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import Table from 'cli-table3';
import { Command, Option } from 'commander';
import { DynamoAlertLedger } from '../adapters/dynamodb-alert-ledger';
import { EventBridgePublisher } from '../adapters/eventbridge-publisher';
import { CertwardenError } from '../domain/errors';
import type { CertwardenEvent, ExpiryAlertDetail } from '../domain/events';
import { systemClock, type Clock } from '../ports/clock';
import { discardEvents, type EventPublisher } from '../ports/event-publisher';
import { evaluateExpiry, type EvaluateReport } from '../use-cases/evaluate';
import type { OpenInventory, openInventory, StoreOptions } from './open-inventory';

/** Exit codes of `certwarden evaluate`. */
export const EVALUATE_EXIT = {
  ok: 0,
  /** Some alerts could not be published: they were given back and the next run sends them. */
  publishFailed: 1,
  /** The inventory could not be opened or read. */
  error: 2,
} as const;

export interface EvaluateCommandDeps {
  /** Opens the configured inventory: main.ts passes `openInventory`. */
  openInventory: typeof openInventory;
  /** Sets the process's exit code, as main.ts's `buildProgram` callback does. */
  exit: (code: number) => void;
  /** @default systemClock */
  clock?: Clock;
  /**
   * Where alerts go besides stdout. @default an EventBridge bus when `--event-bus` (CERTWARDEN_EVENT_BUS) is
   * given, else nowhere (the printed events are the output)
   */
  events?: EventPublisher;
  /** @default process.stdout */
  stdout?: (text: string) => void;
  /** @default process.stderr */
  stderr?: (text: string) => void;
}

interface EvaluateCommandOptions extends StoreOptions {
  dryRun?: boolean;
  json?: boolean;
  eventBus?: string;
}

/** The alert ledger lives in the inventory table. */
const ledgerOf = (inventory: OpenInventory, clock: Clock): DynamoAlertLedger =>
  new DynamoAlertLedger(inventory.client, inventory.tableName, clock);

/**
 * Adds `certwarden evaluate [--dry-run] [--json]`: sends every expiry alert due now (Certificate Expiring /
 * Certificate Expired), each once per (location, certificate, threshold) however often it runs; prints the
 * events sent, or with `--dry-run` those that would be (claiming nothing).
 */
export function registerEvaluateCommands(program: Command, deps: EvaluateCommandDeps): Command {
  const clock = deps.clock ?? systemClock;
  const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));

  return program
    .command('evaluate')
    .description('send the expiry alerts due now, each exactly once; print them')
    .option('--dry-run', 'send and record nothing: show what would be sent')
    .option('--json', 'print the events as a JSON array')
    .addOption(
      new Option('--store <target>', '"embedded" (dynalite under .certwarden/), "aws", or a DynamoDB endpoint URL').env(
        'CERTWARDEN_STORE',
      ),
    )
    .addOption(new Option('--table <name>', 'inventory table name').env('CERTWARDEN_TABLE'))
    .addOption(
      new Option('--event-bus <name>', 'also publish the events to this EventBridge bus').env('CERTWARDEN_EVENT_BUS'),
    )
    .action(async (options: EvaluateCommandOptions) => {
      try {
        deps.exit(await evaluate(options));
      } catch (error) {
        if (!(error instanceof CertwardenError)) throw error;
        err(`certwarden: ${error.message}\n`);
        deps.exit(EVALUATE_EXIT.error);
      }
    });

  async function evaluate(options: EvaluateCommandOptions): Promise<number> {
    const inventory = await deps.openInventory({ store: options.store, table: options.table });
    try {
      const events =
        deps.events ??
        (options.eventBus
          ? new EventBridgePublisher({ client: new EventBridgeClient({}), eventBusName: options.eventBus })
          : discardEvents);
      const report = await evaluateExpiry({
        store: inventory.store,
        ledger: ledgerOf(inventory, clock),
        events,
        clock,
        dryRun: options.dryRun,
      });
      out(
        options.json
          ? `${JSON.stringify(report.emitted, null, 2)}\n`
          : renderEvaluation(report, options.dryRun ?? false),
      );
      for (const failure of report.failed)
        err(`certwarden: not sent (will be retried): ${failure.alertId}: ${failure.message}\n`);
      return report.failed.length > 0 ? EVALUATE_EXIT.publishFailed : EVALUATE_EXIT.ok;
    } finally {
      await inventory.close();
    }
  }
}

/** A table of the alerts, most urgent last as they were found, and a summary line. */
export function renderEvaluation(report: EvaluateReport, dryRun: boolean): string {
  const summary =
    `${report.evaluated} certificate${report.evaluated === 1 ? '' : 's'} evaluated, ` +
    `${report.emitted.length} alert${report.emitted.length === 1 ? '' : 's'} ${dryRun ? 'would be sent' : 'sent'}, ` +
    `${report.alreadySent} sent before` +
    (report.heldElsewhere ? `, ${report.heldElsewhere} being sent by another run` : '') +
    (report.failed.length ? `, ${report.failed.length} failed (retried next run)` : '');
  if (report.emitted.length === 0) return `${summary}\n`;
  const table = new Table({
    head: ['severity', 'event', 'threshold', 'expires', 'days', 'name', 'owner', 'source', 'location'],
    style: { head: [], border: [] },
  });
  for (const event of report.emitted) table.push(row(event));
  return `${table.toString()}\n${summary}\n`;
}

function row(event: CertwardenEvent): string[] {
  const detail = event.detail as ExpiryAlertDetail;
  return [
    detail.severity.toUpperCase(),
    event.detailType,
    detail.thresholdId,
    detail.notAfter.slice(0, 10),
    String(detail.daysLeft),
    detail.subjectCommonName ?? detail.dnsNames[0] ?? detail.subject,
    detail.owner,
    detail.source,
    detail.nativeId,
  ];
}
