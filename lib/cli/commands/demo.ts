import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalFilesSource } from '../../connectors/local-files';
import { RULE_IDS } from '../../domain/policy';
import { systemClock } from '../../ports/clock';
import { discardEvents } from '../../ports/event-publisher';
import type { StoredViolation } from '../../ports/inventory-store';
import type { CertwardenEvent } from '../../domain/events';
import { evaluateExpiry } from '../../use-cases/evaluate';
import { summarizeInventory } from '../../use-cases/report';
import { syncSource } from '../../use-cases/sync';
import { writeDemoEstate } from '../demo-estate';
import { EXIT, type ExitCode } from '../exit-codes';
import { dataDirectory, withInventory, writesOf, type StoreOptions } from '../open-inventory';
import { currentPolicy } from '../policy-files';
import { ledgerOf, localSettings, thresholdsOf } from '../local-targets';
import { out } from '../output';
import { renderSummary, renderSyncReport, renderViolations } from '../render';
import { bySoonestExpiry, renderEvaluation } from './evaluate';

/** `npm start`: a demo estate (made on the first run), synced into the inventory, and what would alert. */
export async function demo(options: StoreOptions): Promise<ExitCode> {
  const estate = join(dataDirectory(), 'demo-estate');
  const existing = await readdir(estate).catch(() => []);
  if (existing.length === 0) {
    const count = await writeDemoEstate(estate, systemClock.now());
    out(`Made a demo estate of ${count} certificates in ${estate}\n`);
  } else {
    out(`Using the demo estate in ${estate} (delete the folder for a fresh one)\n`);
  }
  // The thresholds `certwarden evaluate` would apply here, so that the preview is what it then sends.
  const { config } = localSettings({});
  return withInventory(options, async (inventory) => {
    const { store, description, meter } = inventory;
    out(`Inventory: ${description}\n\n`);
    const source = new LocalFilesSource({ name: 'demo', root: estate, ownerFromTopDirectory: true });
    meter.reset();
    const report = await syncSource({ source, store, clock: systemClock, policy: currentPolicy() });
    out(`${renderSyncReport(report, writesOf(meter))}\n`);
    const { thresholds, severity } = thresholdsOf(config);
    out(renderSummary(await summarizeInventory(store, systemClock, thresholds)));
    // evaluate's own dry run, ledger and all: what it would send now, one alert per place, none sent before.
    const preview: CertwardenEvent[] = [];
    const evaluation = await evaluateExpiry({
      store,
      ledger: ledgerOf(inventory, systemClock),
      events: discardEvents,
      clock: systemClock,
      dryRun: true,
      thresholds,
      severity,
      onEmitted: (event) => preview.push(event),
    });
    out(`\nWhat \`certwarden evaluate\` would send now (${evaluation.emitted}):\n`);
    out(renderEvaluation(evaluation, preview.sort(bySoonestExpiry), true));
    const violations: StoredViolation[] = [];
    for (const ruleId of RULE_IDS)
      for await (const violation of store.violationsByRule(ruleId)) violations.push(violation);
    out(`\nOpen policy violations (${violations.length}):\n`);
    out(renderViolations(violations));
    return EXIT.ok;
  });
}
