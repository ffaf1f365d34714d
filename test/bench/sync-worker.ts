import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { DynamoDbMeter } from '../../lib/adapters/dynamodb-meter';
import { ensureInventoryTable } from '../../lib/adapters/embedded-dynamodb';
import { LocalFilesSource } from '../../lib/connectors/local-files';
import { systemClock } from '../../lib/ports/clock';
import { syncSource } from '../../lib/use-cases/sync';

/**
 * One scale of the sync benchmark, in its own process so that its peak RSS is its own: first sync, unchanged
 * resync, then "expiring within 30 days". Prints one JSON line of figures.
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
  client.destroy();
  process.stdout.write(
    `${JSON.stringify({
      first: { ...first, result: first.result.counts },
      resync: { ...resync, result: resync.result.counts },
      expiring: { ...expiring },
      syncPeakRssMb,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    })}\n`,
  );
})();
