/**
 * The CloudWatch metrics the functions emit (Powertools Metrics, embedded metric format) and the stack's alarms
 * and dashboard read: each metric's name, unit, emitting function and dimensions, in one list, so the two cannot
 * drift apart. Plain constants, here rather than under functions/ so that the construct (infra/) reads them
 * without importing the functions' runtime code.
 *
 * Each series (name × dimension values) is billed ($0.30 a month), so a metric exists only because an alarm or the
 * opt-in dashboard reads it (docs/architecture.md, "Alarms and metrics"); what only the dashboard reads is written
 * only when the dashboard is deployed, and what only an alarm on "at least one" reads only when it is not zero.
 */
export const METRICS_NAMESPACE = 'Certwarden';

/**
 * Powertools Metrics adds this dimension to every metric, valued with the function's POWERTOOLS_SERVICE_NAME
 * ({@link serviceName}); a query that leaves it out names another series, one nobody writes.
 */
export const SERVICE_DIMENSION = 'service';
/** Dimension naming the configured source. */
export const SOURCE_DIMENSION = 'source';
/** Dimension naming an expiry band of CertificatesByExpiry. */
export const BAND_DIMENSION = 'band';

/** The functions that drain a notifier queue, by their role in infra/function-bundling.ts FUNCTION_ENTRIES. */
export type NotifierRole = 'emailNotifier' | 'slackNotifier' | 'securityHubNotifier';

/** The functions that emit metrics, by their role in infra/function-bundling.ts FUNCTION_ENTRIES. */
export type MetricEmitter = 'syncWorker' | 'inventoryMetrics' | 'ctMonitor' | NotifierRole;

/**
 * The POWERTOOLS_SERVICE_NAME of a function role under a stage's name prefix (`syncWorker` →
 * `certwarden-sync-worker`, `certwarden-dev-sync-worker`): two stages in one account write series of their own.
 */
export const serviceName = (role: string, namePrefix: string): string =>
  `${namePrefix}-${role.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;

export interface MetricDefinition {
  readonly name: string;
  /** A Powertools MetricUnit. */
  readonly unit: 'Count' | 'None';
  readonly emitter: MetricEmitter;
  /** The dimensions the emitter adds, besides {@link SERVICE_DIMENSION}. */
  readonly dimensions: readonly string[];
}

export const METRIC = {
  /** Sync worker, per source: errors of one scope's run (unreadable places, a broken listing); only when > 0. */
  syncErrors: { name: 'SyncErrors', unit: 'Count', emitter: 'syncWorker', dimensions: [SOURCE_DIMENSION] },
  /** Sync worker, per source: 1 for each scope synced completely; the staleness alarm's heartbeat. */
  scopesSynced: { name: 'ScopesSynced', unit: 'Count', emitter: 'syncWorker', dimensions: [SOURCE_DIMENSION] },
  /** Sync worker, per source (dashboard): places discovered, renewed, updated, removed, restored or marked stale. */
  placesChanged: { name: 'PlacesChanged', unit: 'Count', emitter: 'syncWorker', dimensions: [SOURCE_DIMENSION] },
  /** Inventory metrics: live certificates already expired; only when > 0. */
  expiredCertificates: { name: 'ExpiredCertificates', unit: 'Count', emitter: 'inventoryMetrics', dimensions: [] },
  /** Inventory metrics, per band (dashboard): live certificates by time left. */
  certificatesByExpiry: {
    name: 'CertificatesByExpiry',
    unit: 'Count',
    emitter: 'inventoryMetrics',
    dimensions: [BAND_DIMENSION],
  },
  /** Inventory metrics (dashboard): places whose certificate cannot be read. */
  unreadablePlaces: { name: 'UnreadablePlaces', unit: 'Count', emitter: 'inventoryMetrics', dimensions: [] },
  /** Inventory metrics (dashboard): tombstones (places no longer seen). */
  removedPlaces: { name: 'RemovedPlaces', unit: 'Count', emitter: 'inventoryMetrics', dimensions: [] },
  /** Inventory metrics, per source (dashboard): days left of its soonest-expiring live certificate (< 0: expired). */
  minDaysToExpiry: {
    name: 'MinDaysToExpiry',
    unit: 'None',
    emitter: 'inventoryMetrics',
    dimensions: [SOURCE_DIMENSION],
  },
  /** CT monitor: configured logs a poll could not read to where it meant to (unreachable, an error); only when > 0. */
  ctLogsUnread: { name: 'CtLogsUnread', unit: 'Count', emitter: 'ctMonitor', dimensions: [] },
} as const satisfies Record<string, MetricDefinition>;

/**
 * A notifier: events it dead-lettered (its target refused them for good, or failed them as often as allowed);
 * only when > 0. One series per notifier role (the email notifier's two topics, alerts and escalation, share one).
 */
export const alertsUndelivered = <R extends NotifierRole>(emitter: R) =>
  ({ name: 'AlertsUndelivered', unit: 'Count', emitter, dimensions: [] }) as const satisfies MetricDefinition;

/** The values of a metric's own dimensions. */
export type DimensionValues<M extends MetricDefinition> = Record<M['dimensions'][number], string>;

/**
 * The exact dimensions of one series of `metric` as CloudWatch stores it: its emitter's service (in the stage of
 * `namePrefix`), then its own.
 */
export function seriesDimensions<M extends MetricDefinition>(
  metric: M,
  values: DimensionValues<M>,
  namePrefix: string,
): Record<string, string> {
  const own = values as Record<string, string>;
  return {
    [SERVICE_DIMENSION]: serviceName(metric.emitter, namePrefix),
    ...Object.fromEntries(metric.dimensions.map((name) => [name, own[name]])),
  };
}

/** The bands of CertificatesByExpiry, as lib/use-cases/report.ts summarizeInventory counts them. */
export const EXPIRY_BANDS = ['expired', 'within7', 'within30', 'within60', 'later'] as const;
