import * as z from 'zod/mini';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { systemClock } from '../../lib/ports/clock';
import { countExpired, summarizeInventory } from '../../lib/use-cases/report';
import { loadEnv } from '../shared/env';
import { EXPIRY_BANDS, METRIC } from '../shared/metric-names';
import { logger, publishMetric, withPowertools } from '../shared/powertools';
import { soonestExpiryBySource } from './soonest-expiry';

/**
 * Scheduler → inventory metrics: the inventory-wide figures a sync worker cannot know (it sees one scope, and
 * only the places that changed): expired certificates (for their alarm) and, when the dashboard is deployed,
 * certificates by time left, unreadable and removed places, and each source's soonest expiry. Reads by Query
 * only: without the dashboard the expired places alone (one range of the expiry shards), with it every live place
 * and the status index, hourly (10,000 places are ~3,000 read units an hour, docs/benchmarks.md).
 */
const env = loadEnv(
  z.object({
    CERTWARDEN_TABLE: z.string().check(z.minLength(3)),
    /** Set when the dashboard is deployed: the series only it shows are written too. */
    CERTWARDEN_DASHBOARD_METRICS: z._default(z.stringbool(), false),
  }),
);

const store = new DynamoInventoryStore(createDocumentClient(), env.CERTWARDEN_TABLE);

export const handler = withPowertools(async () => {
  if (!env.CERTWARDEN_DASHBOARD_METRICS) {
    const expired = await countExpired(store, systemClock);
    if (expired > 0) publishMetric(METRIC.expiredCertificates, {}, expired);
    logger.info('inventory metrics', { expired });
    return { expired };
  }
  const summary = await summarizeInventory(store, systemClock);
  if (summary.byExpiry.expired > 0) publishMetric(METRIC.expiredCertificates, {}, summary.byExpiry.expired);
  const soonest = await soonestExpiryBySource(store, systemClock, Object.keys(summary.bySource));
  for (const band of EXPIRY_BANDS) publishMetric(METRIC.certificatesByExpiry, { band }, summary.byExpiry[band]);
  publishMetric(METRIC.unreadablePlaces, {}, summary.unreadable);
  publishMetric(METRIC.removedPlaces, {}, summary.removed);
  for (const [source, days] of soonest) publishMetric(METRIC.minDaysToExpiry, { source }, days);
  logger.info('inventory metrics', {
    live: summary.live,
    byExpiry: summary.byExpiry,
    soonest: Object.fromEntries(soonest),
  });
  return { live: summary.live, expired: summary.byExpiry.expired };
});
