import type { CertwardenEvent, ExpiryAlertDetail } from '../../domain/events';
import { compareThresholdIds } from '../../domain/expiry';
import { systemClock } from '../../ports/clock';
import { discardEvents, type EventPublisher } from '../../ports/event-publisher';
import { evaluateExpiry, scheduleEveryPlace, type EvaluateReport } from '../../use-cases/evaluate';
import type { EvaluateCommandDeps, EvaluateCommandOptions } from '../evaluate-commands';
import { EVALUATE_EXIT } from '../evaluate-commands';
import { renderTable } from '../render';
import {
  deliveryLedgerOf,
  FanOutPublisher,
  ledgerOf,
  localSettings,
  localTargets,
  thresholdsOf,
} from '../local-targets';
import { lazy } from '../lazy';
import { checkDueRevocations, renderRevocationReport } from '../revocation';

/** EventBridge's SDK is loaded only when `--event-bus` asks for it (evaluate, renew). */
export async function eventBridgePublisher(eventBusName: string): Promise<EventPublisher> {
  const { EventBridgeClient } = await import('@aws-sdk/client-eventbridge');
  const { EventBridgePublisher } = lazy.eventBridgePublisher();
  return new EventBridgePublisher({ client: new EventBridgeClient({}), eventBusName });
}

export async function evaluate(deps: EvaluateCommandDeps, options: EvaluateCommandOptions): Promise<number> {
  const clock = deps.clock ?? systemClock;
  const out = deps.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = deps.stderr ?? ((text: string) => void process.stderr.write(text));
  const { config, store } = localSettings(options);
  const { slack, siem } = localTargets(options, config, deps.retry);
  const targets: Array<{ name: string; publisher: EventPublisher }> = [];
  if (deps.events) targets.push({ name: 'events', publisher: deps.events });
  else if (options.eventBus)
    targets.push({
      name: `EventBridge (${options.eventBus})`,
      publisher: await eventBridgePublisher(options.eventBus),
    });
  for (const target of [slack, siem]) if (target) targets.push({ name: target.name, publisher: target });

  const inventory = await deps.openInventory(store);
  try {
    if (options.all) {
      const scheduled = await scheduleEveryPlace({ store: inventory.store, clock });
      err(`certwarden: ${scheduled} certificate${scheduled === 1 ? '' : 's'} made due for evaluation\n`);
    }
    // What this run sends, to print: a terminal's worth on a laptop, unlike the Lambda's runs, which keep counts.
    const emitted: CertwardenEvent[] = [];
    const fanOut = new FanOutPublisher(targets, {
      ledger: deliveryLedgerOf(inventory, clock),
      maxAttempts: config.alerts.deliveryAttempts,
      onUndelivered: (record, problems) => {
        err(
          `certwarden: not delivered (dead-lettered, not retried): ${record.alertId ?? record.deliveryId} to ` +
            `${record.target}: ${record.reason}${record.permanent ? '' : ` (${record.attempts} attempts)`}\n`,
        );
        for (const problem of problems) err(`certwarden: Alert Undelivered not sent to ${problem}\n`);
      },
    });
    const report = await evaluateExpiry({
      store: inventory.store,
      ledger: ledgerOf(inventory, clock),
      // A dry run claims and publishes nothing anyway; no target is even handed to it.
      events: options.dryRun || targets.length === 0 ? discardEvents : fanOut,
      clock,
      dryRun: options.dryRun,
      onEmitted: (event) => emitted.push(event),
      ...thresholdsOf(config),
    });
    const revocation = options.dryRun
      ? null
      : await checkDueRevocations(
          inventory.store,
          config.revocation,
          targets.length === 0 ? discardEvents : fanOut,
          clock,
        );
    // Places are alerted concurrently: sorted, the output is the same whatever order they finished in.
    emitted.sort(bySoonestExpiry);
    out(
      options.json
        ? `${JSON.stringify(emitted, null, 2)}\n`
        : renderEvaluation(report, emitted, options.dryRun ?? false) +
            (targets.length > 0 && report.emitted > 0 && !options.dryRun ? `sent to ${fanOut.summary()}\n` : '') +
            renderRevocationReport(revocation),
    );
    for (const failure of report.failures)
      err(`certwarden: not sent (will be retried): ${failure.alertId}: ${failure.message}\n`);
    if (report.failed > report.failures.length)
      err(`certwarden: not sent (will be retried): ${report.failed - report.failures.length} more\n`);
    return report.failed > 0 || fanOut.undelivered.length > 0 ? EVALUATE_EXIT.publishFailed : EVALUATE_EXIT.ok;
  } finally {
    await inventory.close();
  }
}

/** Soonest expiry first, then by place, then most urgent threshold first (as numbers: `1d` before `14d`). */
export const bySoonestExpiry = (a: CertwardenEvent, b: CertwardenEvent): number => {
  const [x, y] = [a.detail as ExpiryAlertDetail, b.detail as ExpiryAlertDetail];
  const [placeX, placeY] = [`${x.locationId}#${x.fingerprint}`, `${y.locationId}#${y.fingerprint}`];
  if (x.notAfter !== y.notAfter) return x.notAfter < y.notAfter ? -1 : 1;
  if (placeX !== placeY) return placeX < placeY ? -1 : 1;
  return compareThresholdIds(x.thresholdId, y.thresholdId);
};

/**
 * A table of the alerts, soonest expiry first, and a summary line. The certificates counted are those the
 * alert schedule had due: new or renewed ones, and those that crossed a threshold since the last run.
 */
export function renderEvaluation(report: EvaluateReport, emitted: CertwardenEvent[], dryRun: boolean): string {
  const summary =
    `${report.evaluated} certificate${report.evaluated === 1 ? '' : 's'} evaluated, ` +
    `${report.emitted} alert${report.emitted === 1 ? '' : 's'} ${dryRun ? 'would be sent' : 'sent'}, ` +
    `${report.alreadySent} settled before` +
    (report.passed ? `, ${report.passed} less urgent passed over` : '') +
    (report.heldElsewhere ? `, ${report.heldElsewhere} being sent by another run` : '') +
    (report.failed ? `, ${report.failed} failed (retried next run)` : '');
  if (emitted.length === 0) return `${summary}\n`;
  const head = ['severity', 'event', 'threshold', 'expires', 'days', 'name', 'owner', 'source', 'location'];
  return `${renderTable(head, emitted.map(row), { middle: [8] })}\n${summary}\n`;
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
