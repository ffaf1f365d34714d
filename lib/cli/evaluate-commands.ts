import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import Table from 'cli-table3';
import { Command, Option } from 'commander';
import { loadConfig } from '../adapters/config-file';
import { DynamoAlertLedger } from '../adapters/dynamodb-alert-ledger';
import { EventBridgePublisher } from '../adapters/eventbridge-publisher';
import { SiemPoster } from '../adapters/siem';
import { SlackNotifier } from '../adapters/slack-notifier';
import type { CertwardenConfig } from '../domain/config';
import { CertwardenError, ConfigError } from '../domain/errors';
import type { CertwardenEvent, ExpiryAlertDetail } from '../domain/events';
import type { ExpiryThresholds } from '../domain/expiry';
import { NotificationError } from '../domain/notifications/notification-error';
import type { SeverityThresholds } from '../domain/severity';
import { systemClock, type Clock } from '../ports/clock';
import { discardEvents, type EventPublisher } from '../ports/event-publisher';
import type { DigestNotifier, ExpiryDigest } from '../ports/notifier';
import { evaluateExpiry, type EvaluateReport } from '../use-cases/evaluate';
import type { OpenInventory, openInventory, StoreOptions } from './open-inventory';

/** Exit codes of `certwarden evaluate`. */
export const EVALUATE_EXIT = {
  ok: 0,
  /** Some alerts could not be published: they were given back and the next run sends them. */
  publishFailed: 1,
  /** The inventory could not be opened or read, the configuration is invalid, or an option is wrong. */
  error: 2,
} as const;

/** Retries of the local Slack and SIEM targets (tests shorten them). */
export interface LocalTargetRetry {
  /** @default the adapters' own (Slack 5, SIEM 4) */
  maxAttempts?: number;
  /** @default the adapters' own (Slack 500 ms, SIEM 200 ms) */
  backoffMs?: number;
}

export interface EvaluateCommandDeps {
  /** Opens the configured inventory: main.ts passes `openInventory`. */
  openInventory: typeof openInventory;
  /** Sets the process's exit code, as main.ts's `buildProgram` callback does. */
  exit: (code: number) => void;
  /** @default systemClock */
  clock?: Clock;
  /**
   * Where alerts go besides stdout and the local targets (Slack, SIEM). @default an EventBridge bus when
   * `--event-bus` (CERTWARDEN_EVENT_BUS) is given, else nowhere more
   */
  events?: EventPublisher;
  /** @default the adapters' own retries */
  retry?: LocalTargetRetry;
  /** @default process.stdout */
  stdout?: (text: string) => void;
  /** @default process.stderr */
  stderr?: (text: string) => void;
}

/** The options that pick the configuration, the inventory and the local targets (evaluate and digest). */
export interface LocalTargetOptions extends StoreOptions {
  config?: string;
  slackWebhook?: string;
  siemUrl?: string;
  siemFormat?: 'ocsf' | 'json';
}

interface EvaluateCommandOptions extends LocalTargetOptions {
  dryRun?: boolean;
  json?: boolean;
  eventBus?: string;
}

/** The alert ledger lives in the inventory table. */
export const ledgerOf = (inventory: OpenInventory, clock: Clock): DynamoAlertLedger =>
  new DynamoAlertLedger(inventory.client, inventory.tableName, clock);

/** `--config`, `--store` and `--table`, as `sync` reads them (CERTWARDEN_CONFIG, CERTWARDEN_STORE, CERTWARDEN_TABLE). */
export function addStoreOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--config <path>', 'configuration file (default: certwarden.config.ts or .json here)').env(
        'CERTWARDEN_CONFIG',
      ),
    )
    .addOption(
      new Option('--store <target>', '"embedded" (dynalite under .certwarden/), "aws", or a DynamoDB endpoint URL').env(
        'CERTWARDEN_STORE',
      ),
    )
    .addOption(new Option('--table <name>', 'inventory table name').env('CERTWARDEN_TABLE'));
}

/**
 * `--slack-webhook`. Deliberately no environment variable: certwarden keeps secrets out of environments; the
 * config's `alerts.local.slackWebhookUrl` keeps it out of the shell's history instead.
 */
export const slackWebhookOption = (): Option =>
  new Option(
    '--slack-webhook <url>',
    "Slack incoming webhook URL (default: the config's alerts.local.slackWebhookUrl)",
  );

/** The configuration, and the inventory it names unless `--store` / `--table` say otherwise. */
export function localSettings(options: LocalTargetOptions): { config: CertwardenConfig; store: StoreOptions } {
  const { config } = loadConfig(options.config);
  return {
    config,
    store: { store: options.store ?? config.inventory.store, table: options.table ?? config.inventory.table },
  };
}

/** The config's alert thresholds, as evaluateExpiry and sendDigest take them. */
export const thresholdsOf = (
  config: CertwardenConfig,
): { thresholds: ExpiryThresholds; severity: SeverityThresholds } => ({
  thresholds: { days: config.expiry.days, lifetimeFraction: config.expiry.lifetimeFraction },
  severity: config.expiry.severity,
});

/**
 * A place alerts go from a laptop, named for people by its kind and host only: webhook URLs are secrets (the
 * path is the credential), so neither the name nor an error from it ever holds the URL. It takes the digest
 * too; the digest command names its channel (lib/cli/digest-commands.ts).
 */
export class LocalTarget implements EventPublisher {
  readonly name: string;

  constructor(
    kind: string,
    private readonly url: string,
    private readonly inner: EventPublisher & Partial<DigestNotifier>,
  ) {
    this.name = `${kind} (${new URL(url).host})`;
  }

  publish(events: CertwardenEvent[]): Promise<void> {
    return this.guard(() => this.inner.publish(events), events);
  }

  sendDigest(digest: ExpiryDigest): Promise<void> {
    if (!this.inner.sendDigest) return Promise.resolve();
    return this.guard(() => this.inner.sendDigest!(digest), []);
  }

  private async guard(work: () => Promise<void>, events: CertwardenEvent[]): Promise<void> {
    try {
      await work();
    } catch (error) {
      const message = redact(error instanceof Error ? error.message : String(error), this.url);
      // No cause: the adapter's error (and fetch's below it) may quote the URL.
      throw new NotificationError(
        `${this.name}: ${message}`,
        error instanceof NotificationError ? error.failed : events,
      );
    }
  }
}

/** `text` with the URL, and its path and query on their own, taken out. */
export function redact(text: string, url: string): string {
  const parsed = new URL(url);
  const secrets = [url, parsed.href, `${parsed.pathname}${parsed.search}`, parsed.pathname, parsed.search].filter(
    (secret) => secret.length > 1,
  );
  return secrets.reduce((result, secret) => result.split(secret).join('…'), text);
}

/**
 * Publishes each batch to every target, each attempted even when another fails. A failure of any makes the
 * publish fail with every failed target named, so evaluateExpiry gives the batch's alerts back and the next run
 * sends them again — to every target, including those that took them this time. A target may so get an alert
 * twice (once per failed run), never none: delivery is at least once per target, exactly once only when all
 * of them accept.
 */
export class FanOutPublisher implements EventPublisher {
  constructor(private readonly targets: ReadonlyArray<{ name: string; publisher: EventPublisher }>) {}

  async publish(events: CertwardenEvent[]): Promise<void> {
    const results = await Promise.allSettled(this.targets.map((target) => target.publisher.publish(events)));
    const failures = results.flatMap((result, index) => {
      if (result.status === 'fulfilled') return [];
      const name = this.targets[index].name;
      const message = result.reason instanceof Error ? result.reason.message : String(result.reason);
      return [message.startsWith(`${name}: `) ? message : `${name}: ${message}`];
    });
    if (failures.length > 0) throw new NotificationError(failures.join('; '), events);
  }
}

/**
 * The Slack and SIEM targets: the options first, then the config's `alerts.local`. A Slack target follows the
 * config's digest mode (`alerts.digest`: info and warning alerts wait for `certwarden digest`).
 */
export function localTargets(
  options: LocalTargetOptions,
  config: CertwardenConfig,
  retry: LocalTargetRetry = {},
): { slack?: LocalTarget; siem?: LocalTarget } {
  const local = config.alerts.local;
  const slackUrl = httpUrl('--slack-webhook', options.slackWebhook ?? local?.slackWebhookUrl);
  const siemUrl = httpUrl('--siem-url', options.siemUrl ?? local?.siemUrl);
  const format = options.siemFormat ?? local?.siemFormat ?? 'json';
  return {
    slack: slackUrl
      ? new LocalTarget(
          'Slack',
          slackUrl,
          new SlackNotifier({ webhookUrl: slackUrl, digest: config.alerts.digest !== undefined, ...retry }),
        )
      : undefined,
    siem: siemUrl
      ? new LocalTarget(`SIEM ${format}`, siemUrl, new SiemPoster({ url: siemUrl, format, ...retry }))
      : undefined,
  };
}

/** An http(s) URL or nothing; a wrong one is refused without being repeated (it may be a secret). */
function httpUrl(option: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = URL.canParse(value) ? new URL(value) : undefined;
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol))
    throw new ConfigError(`${option} (or alerts.local): expected an http(s) URL`);
  return value;
}

/**
 * Adds `certwarden evaluate [--dry-run] [--json]`: sends every expiry alert due now (Certificate Expiring /
 * Certificate Expired), each once per (location, certificate, threshold) however often it runs, to stdout and
 * to every local target (Slack webhook, SIEM collector: the options, else the config's `alerts.local`); prints
 * the events sent, or with `--dry-run` those that would be (claiming and sending nothing).
 */
export function registerEvaluateCommands(program: Command, deps: EvaluateCommandDeps): Command {
  const clock = deps.clock ?? systemClock;
  const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));

  const command = program
    .command('evaluate')
    .description('send the expiry alerts due now, each exactly once, to stdout and the local targets')
    .option('--dry-run', 'send and record nothing: show what would be sent')
    .option('--json', 'print the events as a JSON array');
  return addStoreOptions(command)
    .addOption(
      new Option('--event-bus <name>', 'also publish the events to this EventBridge bus').env('CERTWARDEN_EVENT_BUS'),
    )
    .addOption(slackWebhookOption())
    .addOption(new Option('--siem-url <url>', "SIEM collector URL (default: the config's alerts.local.siemUrl)"))
    .addOption(
      new Option(
        '--siem-format <format>',
        'what the collector gets (default: alerts.local.siemFormat, else json)',
      ).choices(['ocsf', 'json']),
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
    const { config, store } = localSettings(options);
    const { slack, siem } = localTargets(options, config, deps.retry);
    const targets: Array<{ name: string; publisher: EventPublisher }> = [];
    if (deps.events) targets.push({ name: 'events', publisher: deps.events });
    else if (options.eventBus)
      targets.push({
        name: `EventBridge (${options.eventBus})`,
        publisher: new EventBridgePublisher({ client: new EventBridgeClient({}), eventBusName: options.eventBus }),
      });
    for (const target of [slack, siem]) if (target) targets.push({ name: target.name, publisher: target });

    const inventory = await deps.openInventory(store);
    try {
      const report = await evaluateExpiry({
        store: inventory.store,
        ledger: ledgerOf(inventory, clock),
        // A dry run claims and publishes nothing anyway; no target is even handed to it.
        events: options.dryRun || targets.length === 0 ? discardEvents : new FanOutPublisher(targets),
        clock,
        dryRun: options.dryRun,
        ...thresholdsOf(config),
      });
      out(
        options.json
          ? `${JSON.stringify(report.emitted, null, 2)}\n`
          : renderEvaluation(report, options.dryRun ?? false) +
              (targets.length > 0 && report.emitted.length > 0 && !options.dryRun
                ? `sent to ${targets.map((target) => target.name).join(', ')}\n`
                : ''),
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
