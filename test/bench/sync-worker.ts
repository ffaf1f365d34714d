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
 * resync, then "expiring within 30 days", then the expiry evaluation twice. Prints one JSON line of figures.
 */
void (async () => {
  const [endpoint, root, table] = process.argv.slice(2);
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
  // Expiry evaluation over the same places: the first sends every alert due, the rerun must send nothing.
  const ledger = new DynamoAlertLedger(client, table, systemClock);
  let published = 0;
  const events = { publish: async (batch: unknown[]) => void (published += batch.length) };
  const evaluation = await measure(() => evaluateExpiry({ store, ledger, events, clock: systemClock }));
  const reevaluation = await measure(() => evaluateExpiry({ store, ledger, events, clock: systemClock }));
  client.destroy();
  process.stdout.write(
    `${JSON.stringify({
      first: { ...first, result: first.result.counts },
      resync: { ...resync, result: resync.result.counts },
      expiring: { ...expiring },
      evaluation: { ...evaluation, result: { emitted: evaluation.result.emitted.length, published } },
      reevaluation: {
        ...reevaluation,
        result: { emitted: reevaluation.result.emitted.length, alreadySent: reevaluation.result.alreadySent },
      },
      syncPeakRssMb,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    })}\n`,
  );
})();
