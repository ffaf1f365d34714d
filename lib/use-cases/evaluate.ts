import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { expiryAlertEvent, placeDetailOf, type CertwardenEvent, type ExpiryAlertDetail } from '../domain/events';
import {
  assessExpiry,
  DEFAULT_EXPIRY_THRESHOLDS,
  nextThresholdAt,
  thresholdId,
  type ExpiryAssessment,
  type ExpiryThresholds,
} from '../domain/expiry';
import { NotificationError } from '../domain/notifications/notification-error';
import { renewalInstructions } from '../domain/notifications/renewal-guidance';
import { DEFAULT_SEVERITY_THRESHOLDS, expirySeverity, type SeverityThresholds } from '../domain/severity';
import { alertIdOf, type AlertKey, type AlertLedger } from '../ports/alert-ledger';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import { ALERT_SHARDS, type InventoryStore, type StoredLocation } from '../ports/inventory-store';
import { assessedLocations } from './report';

export interface EvaluateOptions {
  store: InventoryStore;
  ledger: AlertLedger;
  events: EventPublisher;
  clock: Clock;
  /** @default DEFAULT_EXPIRY_THRESHOLDS */
  thresholds?: ExpiryThresholds;
  /** @default DEFAULT_SEVERITY_THRESHOLDS */
  severity?: SeverityThresholds;
  /**
   * How long this run holds an alert between claiming and marking it sent; a run that dies holding it is
   * taken over by the first run after. Longer than one publish can take. @default 5 minutes
   */
  leaseMs?: number;
  /**
   * Claims nothing, publishes nothing and leaves the alert schedule as it is: reports (and hands `onEmitted`)
   * what would be emitted now. @default false
   */
  dryRun?: boolean;
  /** Identifies this run's claims. @default a random UUID */
  runId?: string;
  /** Places alerted at once. @default DEFAULT_EVALUATE_CONCURRENCY */
  concurrency?: number;
  /**
   * The shards of the alert schedule to evaluate (each 0 ≤ shard < ALERT_SHARDS), so that evaluations can
   * share the due places between them. @default every shard, one after the other
   */
  shards?: readonly number[];
  /**
   * Called with each event as it is published (with dryRun, as it would be), in no particular order: the
   * report keeps counts only, so that a run's memory does not grow with the alerts it sends.
   */
  onEmitted?: (event: CertwardenEvent) => void;
  /**
   * Once aborted, no further place is taken (those in flight finish): a run near its time limit stops cleanly,
   * and what it did not reach stays due for the next. @default never
   */
  signal?: AbortSignal;
}

export interface EvaluateReport {
  /** Places read from the alert schedule (due now), each assessed. */
  evaluated: number;
  /** Events published (or, with dryRun, that would be). */
  emitted: number;
  /** Crossed thresholds alerted for before. */
  alreadySent: number;
  /** Alerts another evaluator holds right now (it sends them; their places stay due). */
  heldElsewhere: number;
  /** Alerts whose publishing failed: released, and their places left due, so a later run sends them. */
  failed: number;
  /** The first MAX_REPORTED_FAILURES failed alerts, with why. */
  failures: Array<{ alertId: string; message: string }>;
  /** Places left due for the next run because an alert of theirs failed or is held by another evaluator. */
  keptDue: number;
  /** The signal stopped the run before it had read every due place; the rest is still due. */
  interrupted: boolean;
}

export const DEFAULT_ALERT_LEASE_MS = 5 * 60_000;
export const DEFAULT_EVALUATE_CONCURRENCY = 8;
/** Failed alerts named in a report: enough to see what went wrong, bounded whatever failed. */
export const MAX_REPORTED_FAILURES = 100;

/** Every shard of the alert schedule, in order. */
export const ALL_ALERT_SHARDS: readonly number[] = Array.from({ length: ALERT_SHARDS }, (_, shard) => shard);

/**
 * Sends each expiry alert exactly once, reading only the places the alert schedule says are due: a place is
 * due when it gets a certificate (the sync schedules it at once) and then when its certificate crosses its
 * next threshold. For each due place, every threshold crossed (day thresholds, the lifetime one, `expired`)
 * that was never alerted for this (location, fingerprint, threshold) is claimed in the ledger, published and
 * marked sent; then the place is moved on to its next threshold, or off the schedule after expiry's alert. A
 * failed publish gives the claim back and leaves the place due, so a later run sends it (no alert is lost);
 * a claim left by a crashed run is taken over once its lease runs out.
 */
export async function evaluateExpiry(options: EvaluateOptions): Promise<EvaluateReport> {
  const { store, ledger, events, clock } = options;
  const owner = options.runId ?? randomUUID();
  const leaseMs = options.leaseMs ?? DEFAULT_ALERT_LEASE_MS;
  const thresholds = options.thresholds ?? DEFAULT_EXPIRY_THRESHOLDS;
  const shards = shardsToEvaluate(options.shards);
  const report: EvaluateReport = {
    evaluated: 0,
    emitted: 0,
    alreadySent: 0,
    heldElsewhere: 0,
    failed: 0,
    failures: [],
    keptDue: 0,
    interrupted: false,
  };
  const now = clock.now();
  const emit = (sent: CertwardenEvent[]) => {
    report.emitted += sent.length;
    if (options.onEmitted) for (const event of sent) options.onEmitted(event);
  };

  /** Alerts what the place has crossed and not been alerted for; true when nothing of it is left unsent. */
  const alertCrossed = async (location: StoredLocation, fingerprint: string, expiry: ExpiryAssessment) => {
    // One read for every threshold of this certificate here: a rerun costs a query per alerting place.
    const states = await ledger.statesOf(location.locationId, fingerprint);
    const pending: AlertKey[] = [];
    for (const threshold of expiry.crossed) {
      const key = { locationId: location.locationId, fingerprint, thresholdId: thresholdId(threshold) };
      if (states.get(key.thresholdId) === 'sent') report.alreadySent++;
      else pending.push(key);
    }
    if (pending.length === 0) return true;

    const serialNumber = (await store.getCertificate(fingerprint))?.serialNumber ?? null;
    const eventOf = (key: AlertKey) =>
      expiryAlertEvent(alertDetail(location, key, serialNumber, expiry.daysLeft, now, options.severity));
    if (options.dryRun) {
      emit(pending.map(eventOf));
      return false;
    }

    const claimed: AlertKey[] = [];
    let held = 0;
    for (const key of pending) {
      const result = await ledger.claim(key, { owner, leaseMs, keepUntil: new Date(location.certificate!.notAfter) });
      if (result === 'claimed') claimed.push(key);
      else if (result === 'sent') report.alreadySent++;
      else held++;
    }
    report.heldElsewhere += held;
    if (claimed.length === 0) return held === 0;
    const published = claimed.map(eventOf);
    let notSent: Set<string> | undefined;
    try {
      await events.publish(published);
    } catch (error) {
      notSent = notPublished(error, published);
      const message = error instanceof Error ? error.message : String(error);
      report.failed += notSent.size;
      for (const alertId of notSent) {
        if (report.failures.length >= MAX_REPORTED_FAILURES) break;
        report.failures.push({ alertId, message });
      }
    }
    // What the publisher took is marked sent (a rerun must not send it again); the rest is given back.
    await Promise.all(
      claimed.map((key) => (notSent?.has(alertIdOf(key)) ? ledger.release(key, owner) : ledger.complete(key, owner))),
    );
    emit(published.filter((event) => !notSent?.has((event.detail as ExpiryAlertDetail).alertId)));
    return held === 0 && notSent === undefined;
  };

  const evaluatePlace = async (location: StoredLocation): Promise<void> => {
    const { certificate, fingerprint } = location;
    // The store schedules only places with a certificate; one without has nothing to alert, ever.
    if (!fingerprint || !certificate) {
      if (fingerprint && !options.dryRun) await store.scheduleNextAlert(location.locationId, fingerprint, null);
      return;
    }
    const expiry = assessExpiry(certificate, now, thresholds);
    const settled = expiry.crossed.length === 0 || (await alertCrossed(location, fingerprint, expiry));
    if (options.dryRun) return;
    if (!settled) {
      // Left where it is (due): the next run retries what failed, or finds sent what another run held.
      report.keptDue++;
      return;
    }
    const next = nextThresholdAt(certificate, now, thresholds);
    await store.scheduleNextAlert(location.locationId, fingerprint, next?.toISOString() ?? null);
  };

  // Places are independent (each has its own claims), so several are alerted at once: a first evaluation of a
  // large estate is bound by round trips, not by work.
  async function* duePlaces(): AsyncGenerator<StoredLocation> {
    for (const shard of shards) {
      for await (const location of store.alertsDue(shard, now)) {
        if (options.signal?.aborted) {
          report.interrupted = true;
          return;
        }
        report.evaluated++;
        yield location;
      }
    }
  }
  await forEachConcurrently(duePlaces(), options.concurrency ?? DEFAULT_EVALUATE_CONCURRENCY, evaluatePlace);
  return report;
}

/**
 * Makes every live place with a certificate due now, so that the next evaluation looks at each once: for an
 * inventory written before the alert schedule existed (its places were never scheduled), and after the
 * thresholds changed (each place waits for its next threshold under the old ones). It reads the whole
 * inventory, so it is an operator's step (`certwarden evaluate --all`), not every run's. Places already due are
 * left as they are. Returns how many places it made due.
 */
export async function scheduleEveryPlace(options: {
  store: InventoryStore;
  clock: Clock;
  /** @default DEFAULT_EVALUATE_CONCURRENCY */
  concurrency?: number;
}): Promise<number> {
  const { store, clock } = options;
  const now = clock.now().toISOString();
  let scheduled = 0;
  async function* unscheduled(): AsyncGenerator<StoredLocation> {
    for await (const { location } of assessedLocations(store, clock)) {
      if (location.fingerprint && !(location.nextAlertAt !== undefined && location.nextAlertAt <= now)) yield location;
    }
  }
  await forEachConcurrently(unscheduled(), options.concurrency ?? DEFAULT_EVALUATE_CONCURRENCY, async (location) => {
    await store.scheduleNextAlert(location.locationId, location.fingerprint!, now);
    scheduled++;
  });
  return scheduled;
}

/**
 * Runs `work` on each item as the stream yields it, `concurrency` at a time, reading the stream only as fast as
 * items finish: memory holds a page of the stream and the items in flight, however long it is. At the first
 * failure no further item is taken; those in flight finish, then it is thrown.
 */
async function forEachConcurrently<T>(
  items: AsyncIterable<T>,
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const limit = pLimit(concurrency);
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for await (const item of items) {
    if (failure) break;
    const task: Promise<void> = limit(() => work(item))
      .catch((error: unknown) => void (failure ??= { error }))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= concurrency * 2) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
}

/** The shards asked for, each once and in order; a shard outside the schedule is a caller's mistake. */
function shardsToEvaluate(shards: readonly number[] = ALL_ALERT_SHARDS): number[] {
  for (const shard of shards) {
    if (!Number.isInteger(shard) || shard < 0 || shard >= ALERT_SHARDS)
      throw new RangeError(`alert schedule shard ${shard} is not one of 0…${ALERT_SHARDS - 1}`);
  }
  return [...new Set(shards)].sort((a, b) => a - b);
}

/**
 * The alert ids a failed publish did not send. A NotificationError names its `failed` events, and the others
 * were delivered; any other error (or a NotificationError naming none of them) leaves unknown what was sent,
 * so every alert counts as not sent: sent again rather than lost.
 */
function notPublished(error: unknown, published: CertwardenEvent[]): Set<string> {
  const all = new Set(published.map((event) => (event.detail as ExpiryAlertDetail).alertId));
  if (!(error instanceof NotificationError)) return all;
  const failed = new Set(
    error.failed
      .map((event) => (event.detail as Partial<ExpiryAlertDetail>).alertId)
      .filter((alertId): alertId is string => alertId !== undefined && all.has(alertId)),
  );
  return failed.size > 0 ? failed : all;
}

function alertDetail(
  location: StoredLocation,
  key: AlertKey,
  serialNumber: string | null,
  daysLeft: number,
  now: Date,
  severity: SeverityThresholds = DEFAULT_SEVERITY_THRESHOLDS,
): ExpiryAlertDetail {
  const certificate = location.certificate!;
  return {
    schemaVersion: 1,
    alertId: alertIdOf(key),
    thresholdId: key.thresholdId,
    ...placeDetailOf(location),
    fingerprint: key.fingerprint,
    serialNumber,
    subject: certificate.subject,
    subjectCommonName: certificate.subjectCommonName,
    dnsNames: certificate.dnsNames,
    issuer: certificate.issuer,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    daysLeft,
    severity: expirySeverity(certificate, now, severity),
    isCA: certificate.isCA,
    renewal: {
      method: location.renewal ?? null,
      managed: location.managed ?? false,
      instructions: renewalInstructions(location),
    },
    at: now.toISOString(),
  };
}
