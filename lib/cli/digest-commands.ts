import Table from 'cli-table3';
import type { Command } from 'commander';
import { CertwardenError } from '../domain/errors';
import { severityCounts, type DigestItem } from '../domain/notifications/expiry-digest';
import { systemClock, type Clock } from '../ports/clock';
import type { DigestNotifier } from '../ports/notifier';
import { sendDigest, type DigestReport } from '../use-cases/digest';
import {
  addStoreOptions,
  ledgerOf,
  localSettings,
  localTargets,
  slackWebhookOption,
  thresholdsOf,
  type LocalTarget,
  type LocalTargetOptions,
  type LocalTargetRetry,
} from './evaluate-commands';
import type { openInventory } from './open-inventory';

/** Exit codes of `certwarden digest`, as `certwarden evaluate`'s. */
export const DIGEST_EXIT = {
  ok: 0,
  /** A target refused the digest: the day's claim was given back and the next run sends it. */
  sendFailed: 1,
  /** The inventory could not be opened or read, the configuration is invalid, or an option is wrong. */
  error: 2,
} as const;

export interface DigestCommandDeps {
  /** Opens the configured inventory: main.ts passes `openInventory`. */
  openInventory: typeof openInventory;
  /** Sets the process's exit code, as main.ts's `buildProgram` callback does. */
  exit: (code: number) => void;
  /** @default systemClock */
  clock?: Clock;
  /** @default the Slack adapter's own retries */
  retry?: LocalTargetRetry;
  /** @default process.stdout */
  stdout?: (text: string) => void;
  /** @default process.stderr */
  stderr?: (text: string) => void;
}

interface DigestCommandOptions extends LocalTargetOptions {
  dryRun?: boolean;
  json?: boolean;
}

/**
 * Adds `certwarden digest [--dry-run] [--json]`: the daily digest of info and warning expiry news, exactly once
 * per UTC day as the deployed one (claimed in the alert ledger of the inventory table), printed and sent to the
 * local Slack target if any (`--slack-webhook`, else the config's `alerts.local.slackWebhookUrl`). With
 * `--dry-run` it prints what the digest would list and claims and sends nothing.
 */
export function registerDigestCommands(program: Command, deps: DigestCommandDeps): Command {
  const clock = deps.clock ?? systemClock;
  const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));

  const command = program
    .command('digest')
    .description('send the daily digest of info and warning expiry alerts, once a day, to stdout and Slack')
    .option('--dry-run', 'send and record nothing: show what the digest would list')
    .option('--json', 'print the digest report as JSON');
  return addStoreOptions(command)
    .addOption(slackWebhookOption())
    .action(async (options: DigestCommandOptions) => {
      try {
        deps.exit(await digest(options));
      } catch (error) {
        if (!(error instanceof CertwardenError)) throw error;
        err(`certwarden: ${error.message}\n`);
        deps.exit(DIGEST_EXIT.error);
      }
    });

  async function digest(options: DigestCommandOptions): Promise<number> {
    const { config, store } = localSettings(options);
    // The digest goes to Slack only (a SIEM gets every alert as an event from `evaluate` already).
    const { slack } = localTargets({ slackWebhook: options.slackWebhook }, config, deps.retry);
    const targets = slack ? [slack] : [];
    const inventory = await deps.openInventory(store);
    try {
      const report = await sendDigest({
        store: inventory.store,
        ledger: ledgerOf(inventory, clock),
        clock,
        notifiers: digestChannels(slack),
        dryRun: options.dryRun,
        ...thresholdsOf(config),
      });
      out(
        options.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : renderDigestReport(
              report,
              options.dryRun ?? false,
              targets.map((target) => target.name),
            ),
      );
      for (const failure of report.failed ?? [])
        err(`certwarden: digest not sent (will be retried): ${failure.message}\n`);
      return report.failed?.length ? DIGEST_EXIT.sendFailed : DIGEST_EXIT.ok;
    } finally {
      await inventory.close();
    }
  }
}

/**
 * The CLI's digest channels, each claimed on its own in the ledger (lib/use-cases/digest.ts): `local-slack`, not
 * the deployed `slack`, since the local webhook may be another Slack channel than the deployed one, and sharing a
 * claim would leave one of them without its digest (with `--store aws` both use the one table's ledger). With no
 * target the printout is the channel (`local-print`): the digest is still printed as sent once a day.
 */
function digestChannels(slack: LocalTarget | undefined): DigestNotifier[] {
  if (!slack) return [{ channel: 'local-print', sendDigest: () => Promise.resolve() }];
  return [{ channel: 'local-slack', sendDigest: (digest) => slack.sendDigest(digest) }];
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/**
 * The digest as a table (soonest expiry first) and one line saying what became of it. A digest sent before
 * today, or being sent by another run, prints that line alone: this run sent nothing.
 */
export function renderDigestReport(report: DigestReport, dryRun: boolean, targets: string[]): string {
  const count = report.items.length;
  const listed = `${plural(count, 'certificate')}${count ? ` (${severityCounts(report.items)})` : ''}`;
  const head = `Daily digest of ${report.day}: ${listed}`;
  if (count === 0) return `${head}: nothing to send\n`;
  if (report.alreadySent) return `${head}: sent before today's run, nothing sent\n`;
  if (report.heldElsewhere) return `${head}: another run is sending it, nothing sent\n`;
  const outcome = dryRun
    ? 'would be sent'
    : report.failed?.length
      ? 'not sent (retried next run)'
      : targets.length > 0
        ? `sent to ${targets.join(', ')}`
        : 'sent (printed here only: no Slack target)';
  return `${digestTable(report.items)}\n${head}, ${outcome}\n`;
}

function digestTable(items: readonly DigestItem[]): string {
  const table = new Table({
    head: ['severity', 'threshold', 'expires', 'days', 'name', 'owner', 'source', 'location'],
    style: { head: [], border: [] },
  });
  for (const item of items)
    table.push([
      item.severity.toUpperCase(),
      item.thresholdId,
      item.notAfter.slice(0, 10),
      String(item.daysLeft),
      item.name,
      item.owner,
      item.source,
      item.nativeId,
    ]);
  return table.toString();
}
