import { severityCounts, type DigestItem } from '../../domain/notifications/expiry-digest';
import { systemClock } from '../../ports/clock';
import type { DigestNotifier } from '../../ports/notifier';
import { sendDigest, type DigestReport } from '../../use-cases/digest';
import { DIGEST_EXIT, type DigestCommandDeps, type DigestCommandOptions } from '../digest-commands';
import { renderTable } from '../render';
import { ledgerOf, localSettings, localTargets, thresholdsOf, type LocalTarget } from '../local-targets';

export async function digest(deps: DigestCommandDeps, options: DigestCommandOptions): Promise<number> {
  const clock = deps.clock ?? systemClock;
  const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));
  const { config, store } = localSettings(options);
  // The digest goes to Slack only (a SIEM gets every alert as an event from `evaluate` already).
  const { slack } = localTargets({ slackWebhook: options.slackWebhook }, config, deps.retry);
  const targets = slack ? [slack] : [];
  const inventory = await deps.openInventory(store, 'reads');
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
  const head = ['severity', 'threshold', 'expires', 'days', 'name', 'owner', 'source', 'location'];
  const rows = items.map((item) => [
    item.severity.toUpperCase(),
    item.thresholdId,
    item.notAfter.slice(0, 10),
    String(item.daysLeft),
    item.name,
    item.owner,
    item.source,
    item.nativeId,
  ]);
  return renderTable(head, rows, { middle: [7] });
}
