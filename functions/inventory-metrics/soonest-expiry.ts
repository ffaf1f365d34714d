import type { Clock } from '../../lib/ports/clock';
import type { InventoryStore } from '../../lib/ports/inventory-store';
import { assessedLocations } from '../../lib/use-cases/report';

/**
 * Days left of each source's soonest-expiring live certificate. The inventory streams in expiry order, so the
 * walk stops as soon as every source of `sources` has been met: usually after a handful of items.
 */
export async function soonestExpiryBySource(
  store: InventoryStore,
  clock: Clock,
  sources: Iterable<string>,
): Promise<Map<string, number>> {
  const wanted = new Set(sources);
  const soonest = new Map<string, number>();
  if (wanted.size === 0) return soonest;
  for await (const { location, expiry } of assessedLocations(store, clock)) {
    if (!wanted.has(location.source) || soonest.has(location.source)) continue;
    soonest.set(location.source, expiry.daysLeft);
    if (soonest.size === wanted.size) break;
  }
  return soonest;
}
