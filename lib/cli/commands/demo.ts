import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalFilesSource } from '../../connectors/local-files';
import { RULE_IDS } from '../../domain/policy';
import { systemClock } from '../../ports/clock';
import type { StoredViolation } from '../../ports/inventory-store';
import { summarizeInventory } from '../../use-cases/report';
import { syncSource } from '../../use-cases/sync';
import { writeDemoEstate } from '../demo-estate';
import { EXIT, type ExitCode } from '../exit-codes';
import { dataDirectory, withInventory, writesOf, type StoreOptions } from '../open-inventory';
import { currentPolicy } from '../policy-files';
import { out } from '../output';
import { renderLocations, renderSummary, renderSyncReport, renderViolations } from '../render';

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
  return withInventory(options, async ({ store, description, meter }) => {
    out(`Inventory: ${description}\n\n`);
    const source = new LocalFilesSource({ name: 'demo', root: estate, ownerFromTopDirectory: true });
    meter.reset();
    const report = await syncSource({ source, store, clock: systemClock, policy: currentPolicy() });
    out(`${renderSyncReport(report, writesOf(meter))}\n`);
    const summary = await summarizeInventory(store, systemClock);
    out(renderSummary(summary));
    out(`\nWhat would alert now (${summary.alerting.length}):\n`);
    out(renderLocations(summary.alerting));
    const violations: StoredViolation[] = [];
    for (const ruleId of RULE_IDS)
      for await (const violation of store.violationsByRule(ruleId)) violations.push(violation);
    out(`\nOpen policy violations (${violations.length}):\n`);
    out(renderViolations(violations));
    return EXIT.ok;
  });
}
