import * as z from 'zod/mini';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { systemClock } from '../../lib/ports/clock';
import { summarizeInventory } from '../../lib/use-cases/report';
import { loadEnv } from '../shared/env';
import { BAND_DIMENSION, EXPIRY_BANDS, METRIC, SOURCE_DIMENSION } from '../shared/metric-names';
import { logger, metrics, withPowertools } from '../shared/powertools';
import { soonestExpiryBySource } from './soonest-expiry';

/**
 * Scheduler → inventory metrics: the inventory-wide figures a sync worker cannot know (it sees one scope, and
 * only the places that changed): expired certificates, certificates by time left, unreadable and removed
 * places, and each source's soonest expiry. Reads by Query only (the expiry shards and the status index).
 */
const env = loadEnv(z.object({ CERTWARDEN_TABLE: z.string().check(z.minLength(3)) }));

const store = new DynamoInventoryStore(createDocumentClient(), env.CERTWARDEN_TABLE);

export const handler = withPowertools(async () => {
  const summary = await summarizeInventory(store, systemClock);
  const soonest = await soonestExpiryBySource(store, systemClock, Object.keys(summary.bySource));

  metrics.addMetric(METRIC.expiredCertificates, 'Count', summary.byExpiry.expired);
  metrics.addMetric(METRIC.unreadablePlaces, 'Count', summary.unreadable);
  metrics.addMetric(METRIC.removedPlaces, 'Count', summary.removed);
  for (const band of EXPIRY_BANDS) {
    metrics
      .singleMetric()
      .addDimension(BAND_DIMENSION, band)
      .addMetric(METRIC.certificatesByExpiry, 'Count', summary.byExpiry[band]);
  }
  for (const [source, days] of soonest) {
    metrics.singleMetric().addDimension(SOURCE_DIMENSION, source).addMetric(METRIC.minDaysToExpiry, 'None', days);
  }
  logger.info('inventory metrics', {
    live: summary.live,
    byExpiry: summary.byExpiry,
    soonest: Object.fromEntries(soonest),
  });
  return { live: summary.live, expired: summary.byExpiry.expired };
});
