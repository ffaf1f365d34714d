/**
 * The CloudWatch metrics the functions emit (Powertools Metrics, embedded metric format) and the stack's alarms
 * and dashboard read: one list, so the two cannot drift apart. Plain constants, here rather than under functions/
 * so that the construct (infra/) reads them without importing the functions' runtime code.
 */
export const METRICS_NAMESPACE = 'Certwarden';

/** Dimension naming the configured source. */
export const SOURCE_DIMENSION = 'source';
/** Dimension naming an expiry band of CertificatesByExpiry. */
export const BAND_DIMENSION = 'band';
/** Dimension naming a notification channel of NotificationsFailed (`email`, `slack`, `securityHub`). */
export const CHANNEL_DIMENSION = 'channel';

export const METRIC = {
  /** Sync worker, per source: errors of one run (unreadable places, failed scopes, a broken listing). */
  syncErrors: 'SyncErrors',
  /** Sync worker, per source: places discovered, renewed, updated, removed, restored or marked stale. */
  placesChanged: 'PlacesChanged',
  /** Sync worker, per source: wall time of one run, milliseconds. */
  syncDuration: 'SyncDuration',
  /** Sync planner, per source: messages (scopes) sent to the sync queue. */
  scopesPlanned: 'ScopesPlanned',
  /** Inventory metrics: live certificates already expired. */
  expiredCertificates: 'ExpiredCertificates',
  /** Inventory metrics, per band: live certificates by time left. */
  certificatesByExpiry: 'CertificatesByExpiry',
  /** Inventory metrics: places whose certificate cannot be read. */
  unreadablePlaces: 'UnreadablePlaces',
  /** Inventory metrics: tombstones (places no longer seen). */
  removedPlaces: 'RemovedPlaces',
  /** Inventory metrics, per source: days left of its soonest-expiring live certificate (negative: expired). */
  minDaysToExpiry: 'MinDaysToExpiry',
  /** Evaluate: expiry alerts published this run (each crossed threshold once, ever). */
  alertsSent: 'AlertsSent',
  /** Evaluate: expiry alerts whose publishing failed this run (released: the redelivered batch sends them). */
  alertsFailed: 'AlertsFailed',
  /** Notifiers, per channel: SQS records not delivered (failed alone, redelivered, then the DLQ). */
  notificationsFailed: 'NotificationsFailed',
  /** Digest: places listed in the daily digest this run sent (0 when nothing was sent). */
  digestItems: 'DigestItems',
  /** SIEM format, per batch: records dropped because they are not certwarden events. */
  siemRecordsDropped: 'SiemRecordsDropped',
} as const;

/** The bands of CertificatesByExpiry, as lib/use-cases/report.ts summarizeInventory counts them. */
export const EXPIRY_BANDS = ['expired', 'within7', 'within30', 'within60', 'later'] as const;
