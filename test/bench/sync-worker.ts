import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { DynamoAlertLedger } from '../../lib/adapters/dynamodb-alert-ledger';
import { DynamoDbMeter } from '../../lib/adapters/dynamodb-meter';
import { ensureInventoryTable } from '../../lib/adapters/embedded-dynamodb';
import { LocalFilesSource } from '../../lib/connectors/local-files';
import { systemClock } from '../../lib/ports/clock';
import { evaluateExpiry } from '../../lib/use-cases/evaluate';
import { syncSource } from '../../lib/use-cases/sync';

/**
 * One scale of the sync benchmark, in its own process so that its peak RSS is its own: first sync, unchanged
 * resync, then "expiring within 30 days", then the expiry evaluation twice in a process of its own (this file
 * again, with `evaluate`), whose peak RSS is the evaluation's alone. Prints one JSON line of figures.
 */
void (async () => {
  const [endpoint, root, table, mode] = process.argv.slice(2);
  if (mode === 'evaluate') return evaluateTwice(endpoint, table);
  const client = createDocumentClient({ endpoint });
  await ensureInventoryTable(client, table);
  const meter = new DynamoDbMeter().attach(client);
  const store = new DynamoInventoryStore(client, table);
  const source = new LocalFilesSource({ name: 'bench', root });

  const measure = async <T>(work: () => Promise<T>) => {
    meter.reset();
    const started = process.hrtime.bigint();
    const result = await work();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return {
      result,
      seconds,
      writeRequests: meter.writeRequests,
      writeUnits: meter.writeUnits,
      readUnits: meter.readUnits,
      itemsRead: meter.itemsRead,
      itemsReturned: meter.itemsReturned,
    };
  };

  const first = await measure(() => syncSource({ source, store, clock: systemClock }));
  const resync = await measure(() => syncSource({ source, store, clock: systemClock }));
  const syncPeakRssMb = process.resourceUsage().maxRSS / 1024;
  const cutoff = new Date(Date.now() + 30 * 86_400_000);
  const expiring = await measure(async () => {
    let count = 0;
    for await (const _ of store.expiringBefore(cutoff)) count++;
    return count;
  });
  client.destroy();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const evaluations = JSON.parse(await runSelf([endpoint, root, table, 'evaluate'])) as object;
  process.stdout.write(
    `${JSON.stringify({
      first: { ...first, result: first.result.counts },
      resync: { ...resync, result: resync.result.counts },
      expiring: { ...expiring },
      ...evaluations,
      syncPeakRssMb,
      peakRssMb,
    })}\n`,
  );
})();

/**
 * The expiry evaluation over the synced places, twice: the first finds every place due (all are new) and sends
 * every alert crossed; the rerun right after must read no place. The store's client is metered alone, so that
 * its items read are the alert schedule's (the ledger's reads go through another client); writes and units
 * count both.
 */
async function evaluateTwice(endpoint: string, table: string): Promise<void> {
  const storeClient = createDocumentClient({ endpoint });
  const ledgerClient = createDocumentClient({ endpoint });
  const scheduleReads = new DynamoDbMeter().attach(storeClient);
  const ledgerMeter = new DynamoDbMeter().attach(ledgerClient);
  const store = new DynamoInventoryStore(storeClient, table);
  const ledger = new DynamoAlertLedger(ledgerClient, table, systemClock);
  let published = 0;
  const events = { publish: async (batch: unknown[]) => void (published += batch.length) };
  const measure = async () => {
    scheduleReads.reset();
    ledgerMeter.reset();
    published = 0;
    const started = process.hrtime.bigint();
    const report = await evaluateExpiry({ store, ledger, events, clock: systemClock });
    return {
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      writeRequests: scheduleReads.writeRequests + ledgerMeter.writeRequests,
      writeUnits: scheduleReads.writeUnits + ledgerMeter.writeUnits,
      readUnits: scheduleReads.readUnits + ledgerMeter.readUnits,
      itemsRead: scheduleReads.itemsRead,
      itemsReturned: scheduleReads.itemsReturned,
      result: { evaluated: report.evaluated, emitted: report.emitted, published, alreadySent: report.alreadySent },
    };
  };
  const evaluation = await measure();
  const reevaluation = await measure();
  storeClient.destroy();
  ledgerClient.destroy();
  const evaluationPeakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ evaluation, reevaluation, evaluationPeakRssMb })}\n`);
}

/** This file in a new process (as run.ts starts it): its output, the JSON line. */
function runSelf(args: string[]): Promise<string> {
  const runTs = join(__dirname, '../../lib/cli/bin/run-ts.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runTs, __filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`evaluation exited ${code}`))));
  });
}
