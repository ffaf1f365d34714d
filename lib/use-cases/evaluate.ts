import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { expiryAlertEvent, placeDetailOf, type CertwardenEvent, type ExpiryAlertDetail } from '../domain/events';
import {
  assessExpiry,
  DEFAULT_EXPIRY_THRESHOLDS,
  nextThresholdAt,
  planAlert,
  thresholdId,
  type CrossedThreshold,
  type ExpiryAssessment,
  type ExpiryThresholds,
} from '../domain/expiry';
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
  /** Crossed thresholds settled before: alerted for, or passed over for a more urgent one. */
  alreadySent: number;
  /** Crossed thresholds this run passed over, never to be sent: a more urgent one of theirs was alerted. */
  passed: number;
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
 * next threshold. For each due place, only the most urgent threshold crossed (`expired`, then the smallest
 * day threshold, then the lifetime one) is alerted, if it never was for this (location, fingerprint,
 * threshold): it is claimed in the ledger, published and marked sent, and the less urgent crossed thresholds
 * are recorded as passed, never to be sent (one alert for a place first seen expired, not seven). Then the
 * place is moved on to its next threshold, or off the schedule after expiry's alert. A failed publish gives the
 * claim back and leaves the place due, so a later run sends it (no alert is lost); a claim left by a crashed
 * run is taken over once its lease runs out.
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
    passed: 0,
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

  /**
   * Alerts the most urgent threshold the place has crossed, unless it was settled before, and passes over the
   * less urgent ones (planAlert); true when nothing of it is left unsettled.
   */
  const alertCrossed = async (location: StoredLocation, fingerprint: string, expiry: ExpiryAssessment) => {
    // One read for every threshold of this certificate here: a rerun costs a query per alerting place.
    const states = await ledger.statesOf(location.locationId, fingerprint);
    const settled = (id: string) => states.get(id) === 'sent' || states.get(id) === 'passed';
    report.alreadySent += expiry.crossed.filter((threshold) => settled(thresholdId(threshold))).length;
    const plan = planAlert(expiry.crossed, settled);
    const keyOf = (threshold: CrossedThreshold): AlertKey => ({
      locationId: location.locationId,
      fingerprint,
      thresholdId: thresholdId(threshold),
    });
    const keepUntil = new Date(location.certificate!.notAfter);
    // Recorded only once the most urgent one is settled (sent, by this run or another): a crash or a failed
    // publish before leaves them as they were, and the next run passes them over then.
    const passOver = async (alerted: string) => {
      if (options.dryRun) return;
      const passed = await Promise.all(
        plan.passOver.map((threshold) => ledger.pass(keyOf(threshold), { passedFor: alerted, keepUntil })),
      );
      report.passed += passed.filter(Boolean).length;
    };
    if (!plan.alert) {
      await passOver(thresholdId(expiry.crossed.at(-1)!));
      return true;
    }

    const key = keyOf(plan.alert);
    const serialNumber = (await store.getCertificate(fingerprint))?.serialNumber ?? null;
    const event = expiryAlertEvent(alertDetail(location, key, serialNumber, expiry.daysLeft, now, options.severity));
    if (options.dryRun) {
      emit([event]);
      return false;
    }

    const claim = await ledger.claim(key, { owner, leaseMs, keepUntil });
    if (claim === 'held') {
      report.heldElsewhere++;
      return false;
    }
    if (claim !== 'claimed') {
      report.alreadySent++;
      await passOver(key.thresholdId);
      return true;
    }
    try {
      await events.publish([event]);
    } catch (error) {
      // Given back whatever the error says: a later run sends it again (at worst twice somewhere), never not at all.
      const message = error instanceof Error ? error.message : String(error);
      report.failed++;
      if (report.failures.length < MAX_REPORTED_FAILURES) report.failures.push({ alertId: alertIdOf(key), message });
      await ledger.release(key, owner);
      return false;
    }
    // Taken by the publisher: marked sent, so that a rerun does not send it again.
    await ledger.complete(key, owner);
    emit([event]);
    await passOver(key.thresholdId);
    return true;
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
 * thresholds changed (each place waits for its next threshold under the old ones). A place whose revocation status
 * was never checked nor scheduled (synced before revocation checks existed) is made due a check too. It reads the
 * whole inventory, so it is an operator's step (`certwarden evaluate --all`), not every run's. Places already due
 * are left as they are. Returns how many places it made due (for either).
 */
export async function scheduleEveryPlace(options: {
  store: InventoryStore;
  clock: Clock;
  /** @default DEFAULT_EVALUATE_CONCURRENCY */
  concurrency?: number;
}): Promise<number> {
  const { store, clock } = options;
  const now = clock.now().toISOString();
  const alertDue = (location: StoredLocation) => location.nextAlertAt !== undefined && location.nextAlertAt <= now;
  const revocationUnscheduled = (location: StoredLocation) =>
    location.revocation === undefined && location.nextRevocationCheckAt === undefined;
  let scheduled = 0;
  async function* unscheduled(): AsyncGenerator<StoredLocation> {
    for await (const { location } of assessedLocations(store, clock)) {
      if (location.fingerprint && (!alertDue(location) || revocationUnscheduled(location))) yield location;
    }
  }
  await forEachConcurrently(unscheduled(), options.concurrency ?? DEFAULT_EVALUATE_CONCURRENCY, async (location) => {
    const fingerprint = location.fingerprint!;
    await Promise.all([
      alertDue(location) ? undefined : store.scheduleNextAlert(location.locationId, fingerprint, now),
      revocationUnscheduled(location)
        ? store.scheduleRevocationCheck(location.locationId, fingerprint, now)
        : undefined,
    ]);
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
