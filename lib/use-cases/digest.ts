import { randomUUID } from 'node:crypto';
import { DAY_MS, DEFAULT_EXPIRY_THRESHOLDS, thresholdId, type ExpiryThresholds } from '../domain/expiry';
import { compareDigestItems, expiryDigest, type DigestItem } from '../domain/notifications/expiry-digest';
import { displayNameOf } from '../domain/notifications/expiry-email';
import { DEFAULT_SEVERITY_THRESHOLDS, expirySeverity, type SeverityThresholds } from '../domain/severity';
import type { AlertKey, AlertLedger } from '../ports/alert-ledger';
import type { Clock } from '../ports/clock';
import type { InventoryStore } from '../ports/inventory-store';
import type { DigestNotifier } from '../ports/notifier';
import { DEFAULT_ALERT_LEASE_MS } from './evaluate';
import { assessedLocations } from './report';

export interface DigestOptions {
  store: InventoryStore;
  /** Where the day's digest is claimed, so that it goes out once however many runs overlap. */
  ledger: AlertLedger;
  clock: Clock;
  /** Each gets the digest as one message (SnsNotifier, SlackNotifier). */
  notifiers: DigestNotifier[];
  /** @default DEFAULT_EXPIRY_THRESHOLDS */
  thresholds?: ExpiryThresholds;
  /** @default DEFAULT_SEVERITY_THRESHOLDS */
  severity?: SeverityThresholds;
  /** Claims nothing and sends nothing: returns what the digest would list now. @default false */
  dryRun?: boolean;
  /**
   * How long this run holds the day's claim while sending; a run that dies holding it is taken over after.
   * @default 5 minutes
   */
  leaseMs?: number;
  /** Identifies this run's claim. @default a random UUID */
  runId?: string;
}

export interface DigestReport {
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  /** What the digest lists (or would), soonest expiry first; empty: nothing was sent and nothing claimed. */
  items: DigestItem[];
  /** This run sent the digest (to every notifier). */
  sent: boolean;
  /** The digest of this day went out before (this run sent nothing). */
  alreadySent: boolean;
  /** Another run holds the day's claim right now and sends it (this run sent nothing). */
  heldElsewhere: boolean;
  /** Notifiers that failed: the claim was given back, so the next run sends the digest (to every notifier). */
  failed?: Array<{ notifier: string; message: string }>;
}

/** The ledger entry of one day's digest (a location id always has a colon, `<kind>:<id>`: `digest` is none). */
export const digestKeyOf = (day: string): AlertKey => ({
  locationId: 'digest',
  fingerprint: day,
  thresholdId: 'daily',
});

/**
 * Sends the daily digest of low-severity expiry news, exactly once per UTC day: every live place whose
 * certificate has crossed an expiry threshold and is at `info` or `warning` now, in one message to each
 * notifier. The day is claimed in the alert ledger first (a conditional write: of overlapping runs or a
 * redelivered schedule, one wins), marked sent after every notifier took it, and given back when one failed, so
 * a later run sends it again (to every notifier: a duplicate on a channel that took it beats a lost digest).
 * An empty digest sends nothing and claims nothing: a later run the same day that finds something sends it.
 */
export async function sendDigest(options: DigestOptions): Promise<DigestReport> {
  const { store, ledger, clock, notifiers } = options;
  const now = clock.now();
  const day = now.toISOString().slice(0, 10);
  const key = digestKeyOf(day);
  const items = await digestItems(store, now, options.thresholds, options.severity);
  const report: DigestReport = { day, items, sent: false, alreadySent: false, heldElsewhere: false };

  if (items.length === 0 || options.dryRun) {
    report.alreadySent = (await ledger.state(key)) === 'sent';
    return report;
  }

  const owner = options.runId ?? randomUUID();
  const startOfNextDay = new Date(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS);
  const claim = await ledger.claim(key, {
    owner,
    leaseMs: options.leaseMs ?? DEFAULT_ALERT_LEASE_MS,
    keepUntil: startOfNextDay,
  });
  if (claim === 'sent') return { ...report, alreadySent: true };
  if (claim === 'held') return { ...report, heldElsewhere: true };

  const digest = expiryDigest(day, items);
  const failed: NonNullable<DigestReport['failed']> = [];
  for (const [index, notifier] of notifiers.entries()) {
    try {
      await notifier.sendDigest(digest);
    } catch (error) {
      failed.push({
        notifier: notifier.constructor?.name || `notifier ${index}`,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
  if (failed.length > 0) {
    await ledger.release(key, owner);
    return { ...report, failed };
  }
  // False only when this run outlived its lease and another took the day over: the digest did go out.
  await ledger.complete(key, owner);
  return { ...report, sent: true };
}

/** Live places past a threshold at info or warning severity now, soonest expiry first. */
async function digestItems(
  store: InventoryStore,
  now: Date,
  thresholds: ExpiryThresholds = DEFAULT_EXPIRY_THRESHOLDS,
  severityThresholds: SeverityThresholds = DEFAULT_SEVERITY_THRESHOLDS,
): Promise<DigestItem[]> {
  const items: DigestItem[] = [];
  for await (const { location, expiry } of assessedLocations(store, { now: () => new Date(now) }, { thresholds })) {
    const certificate = location.certificate;
    if (!certificate || !expiry.mostUrgent) continue;
    const severity = expirySeverity(certificate, now, severityThresholds);
    if (severity !== 'info' && severity !== 'warning') continue;
    items.push({
      locationId: location.locationId,
      name: displayNameOf(certificate),
      severity,
      daysLeft: expiry.daysLeft,
      notAfter: certificate.notAfter,
      source: location.source,
      sourceKind: location.sourceKind,
      nativeId: location.nativeId,
      owner: location.owner,
      account: location.account ?? null,
      thresholdId: thresholdId(expiry.mostUrgent),
      managed: location.managed ?? false,
      renewal: location.renewal ?? null,
    });
  }
  return items.sort(compareDigestItems);
}
