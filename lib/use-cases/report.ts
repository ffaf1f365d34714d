import {
  assessExpiry,
  DEFAULT_EXPIRY_THRESHOLDS,
  type ExpiryAssessment,
  type ExpiryThresholds,
} from '../domain/expiry';
import type { Clock } from '../ports/clock';
import type { InventoryStore, LocationListing, StoredLocation } from '../ports/inventory-store';

/** Later than any certificate's notAfter: "every live location, in expiry order". */
const END_OF_TIME = new Date('9999-12-31T23:59:59.999Z');

export interface AssessedLocation<Location extends LocationListing = StoredLocation> {
  location: Location;
  expiry: ExpiryAssessment;
}

export interface InventorySummary {
  live: number;
  /** Places whose certificate could not be read. */
  unreadable: number;
  /** Places whose provider reports a failure (a failed issuance or authorization) and no read error. */
  withProblem: number;
  /** Live places without a certificate yet and nothing wrong: an issuance under way. */
  pending: number;
  removed: number;
  byKind: Record<string, number>;
  byOwner: Record<string, number>;
  bySource: Record<string, number>;
  /** Live certificates by time left: expired, ≤ 7, ≤ 30, ≤ 60 days, later. */
  byExpiry: { expired: number; within7: number; within30: number; within60: number; later: number };
  /** Live locations that have crossed at least one alert threshold, most urgent first. */
  alerting: AssessedLocation[];
}

const increment = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** Every live location with its expiry assessed, soonest expiry first (streamed, one query per shard). */
export async function* assessedLocations(
  store: InventoryStore,
  clock: Clock,
  options: { before?: Date; thresholds?: ExpiryThresholds } = {},
): AsyncGenerator<AssessedLocation> {
  yield* assess(store.expiringBefore(options.before ?? END_OF_TIME), clock.now(), options.thresholds);
}

/** As assessedLocations, with only what a listing shows of each place (LocationListing): a fraction of the reads. */
export function assessedListings(
  store: InventoryStore,
  clock: Clock,
  options: { before?: Date; thresholds?: ExpiryThresholds } = {},
): AsyncGenerator<AssessedLocation<LocationListing>> {
  return assess(store.listingsExpiringBefore(options.before ?? END_OF_TIME), clock.now(), options.thresholds);
}

async function* assess<Location extends LocationListing>(
  locations: AsyncIterable<Location>,
  now: Date,
  thresholds: ExpiryThresholds = DEFAULT_EXPIRY_THRESHOLDS,
): AsyncGenerator<AssessedLocation<Location>> {
  for await (const location of locations) {
    if (!location.certificate) continue;
    yield { location, expiry: assessExpiry(location.certificate, now, thresholds) };
  }
}

/**
 * Live places whose certificate has expired, reading only those: the places of the expiry index before now, not
 * the inventory (what an hourly alarm needs, at a few read units however large the inventory).
 */
export async function countExpired(store: InventoryStore, clock: Clock): Promise<number> {
  let expired = 0;
  const before = new Date(clock.now().getTime() + 1);
  for await (const { expiry } of assessedListings(store, clock, { before })) if (expiry.expired) expired++;
  return expired;
}

export async function summarizeInventory(
  store: InventoryStore,
  clock: Clock,
  thresholds: ExpiryThresholds = DEFAULT_EXPIRY_THRESHOLDS,
): Promise<InventorySummary> {
  const summary: InventorySummary = {
    live: 0,
    unreadable: 0,
    withProblem: 0,
    pending: 0,
    removed: 0,
    byKind: {},
    byOwner: {},
    bySource: {},
    byExpiry: { expired: 0, within7: 0, within30: 0, within60: 0, later: 0 },
    alerting: [],
  };
  for await (const assessed of assessedLocations(store, clock, { thresholds })) {
    const { location, expiry } = assessed;
    summary.live++;
    increment(summary.byKind, location.certificate!.kind);
    increment(summary.byOwner, location.owner);
    increment(summary.bySource, location.source);
    const band = expiry.expired
      ? 'expired'
      : expiry.daysLeft < 7
        ? 'within7'
        : expiry.daysLeft < 30
          ? 'within30'
          : expiry.daysLeft < 60
            ? 'within60'
            : 'later';
    summary.byExpiry[band]++;
    if (expiry.mostUrgent) summary.alerting.push(assessed);
  }
  for await (const place of store.byStatus('error')) {
    if (place.error) summary.unreadable++;
    else summary.withProblem++;
  }
  for await (const _ of store.byStatus('pending')) summary.pending++;
  for await (const _ of store.byStatus('removed')) summary.removed++;
  return summary;
}

/**
 * Live places without a certificate, which the expiry index does not hold: those awaiting one (pending), and
 * those that could not be read or whose provider reports a problem. Most recent first, pending ones first.
 */
export async function* placesWithoutCertificate(store: InventoryStore): AsyncGenerator<StoredLocation> {
  yield* store.byStatus('pending');
  for await (const place of store.byStatus('error')) if (!place.certificate) yield place;
}
