import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { expiryAlertEvent, type CertwardenEvent, type ExpiryAlertDetail } from '../domain/events';
import { DEFAULT_EXPIRY_THRESHOLDS, thresholdId, type ExpiryThresholds } from '../domain/expiry';
import { NotificationError } from '../domain/notifications/notification-error';
import { renewalInstructions } from '../domain/notifications/renewal-guidance';
import { DEFAULT_SEVERITY_THRESHOLDS, expirySeverity, type SeverityThresholds } from '../domain/severity';
import { alertIdOf, type AlertKey, type AlertLedger } from '../ports/alert-ledger';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { InventoryStore, StoredLocation } from '../ports/inventory-store';
import { assessedLocations, type AssessedLocation } from './report';

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
  /** Claims nothing and publishes nothing: returns what would be emitted now. @default false */
  dryRun?: boolean;
  /** Identifies this run's claims. @default a random UUID */
  runId?: string;
  /** Places alerted at once. @default DEFAULT_EVALUATE_CONCURRENCY */
  concurrency?: number;
}

export interface EvaluateReport {
  /** Events published (or, with dryRun, that would be), soonest expiry first. */
  emitted: CertwardenEvent[];
  /** Live locations with a certificate looked at. */
  evaluated: number;
  /** Crossed thresholds alerted for before. */
  alreadySent: number;
  /** Alerts another evaluator holds right now (it sends them). */
  heldElsewhere: number;
  /** Alerts whose publishing failed: released, so a later run sends them. */
  failed: Array<{ alertId: string; message: string }>;
}

export const DEFAULT_ALERT_LEASE_MS = 5 * 60_000;
export const DEFAULT_EVALUATE_CONCURRENCY = 8;

/** Soonest expiry first, then by alert id: the same report whatever order the places finished in. */
const bySoonestExpiry = (a: CertwardenEvent, b: CertwardenEvent): number => {
  const [x, y] = [a.detail as ExpiryAlertDetail, b.detail as ExpiryAlertDetail];
  return x.notAfter < y.notAfter ? -1 : x.notAfter > y.notAfter ? 1 : x.alertId < y.alertId ? -1 : 1;
};

/**
 * Sends each expiry alert exactly once: for every live location, every threshold its certificate has crossed
 * (day thresholds, the lifetime one, `expired`) that was never alerted for this (location, fingerprint,
 * threshold) is claimed in the ledger, published, and marked sent. A failed publish gives the claim back, so a
 * later run sends it (no alert is lost); a claim left by a crashed run is taken over once its lease runs out.
 */
export async function evaluateExpiry(options: EvaluateOptions): Promise<EvaluateReport> {
  const { store, ledger, events, clock } = options;
  const owner = options.runId ?? randomUUID();
  const leaseMs = options.leaseMs ?? DEFAULT_ALERT_LEASE_MS;
  const report: EvaluateReport = { emitted: [], evaluated: 0, alreadySent: 0, heldElsewhere: 0, failed: [] };
  const now = clock.now();

  const thresholds = options.thresholds ?? DEFAULT_EXPIRY_THRESHOLDS;

  const alertPlace = async ({ location, expiry }: AssessedLocation): Promise<void> => {
    const fingerprint = location.fingerprint!;
    // One read for every threshold of this certificate here: a rerun costs a query per alerting place.
    const states = await ledger.statesOf(location.locationId, fingerprint);
    const pending: AlertKey[] = [];
    for (const threshold of expiry.crossed) {
      const key = { locationId: location.locationId, fingerprint, thresholdId: thresholdId(threshold) };
      if (states.get(key.thresholdId) === 'sent') report.alreadySent++;
      else pending.push(key);
    }
    if (pending.length === 0) return;

    const serialNumber = (await store.getCertificate(fingerprint))?.serialNumber ?? null;
    const eventOf = (key: AlertKey) =>
      expiryAlertEvent(alertDetail(location, key, serialNumber, expiry.daysLeft, now, options.severity));
    if (options.dryRun) {
      report.emitted.push(...pending.map(eventOf));
      return;
    }

    const claimed: AlertKey[] = [];
    for (const key of pending) {
      const result = await ledger.claim(key, { owner, leaseMs, keepUntil: new Date(location.certificate!.notAfter) });
      if (result === 'claimed') claimed.push(key);
      else if (result === 'sent') report.alreadySent++;
      else report.heldElsewhere++;
    }
    if (claimed.length === 0) return;
    const published = claimed.map(eventOf);
    let notSent: Set<string> | undefined;
    try {
      await events.publish(published);
    } catch (error) {
      notSent = notPublished(error, published);
      const message = error instanceof Error ? error.message : String(error);
      report.failed.push(...[...notSent].map((alertId) => ({ alertId, message })));
    }
    // What the publisher took is marked sent (a rerun must not send it again); the rest is given back.
    await Promise.all(
      claimed.map((key) => (notSent?.has(alertIdOf(key)) ? ledger.release(key, owner) : ledger.complete(key, owner))),
    );
    report.emitted.push(...published.filter((event) => !notSent?.has((event.detail as ExpiryAlertDetail).alertId)));
  };

  // Places are independent (each has its own claims), so several are alerted at once: a first evaluation of a
  // large estate is bound by round trips, not by work. The stream is read only as fast as places finish.
  const concurrency = options.concurrency ?? DEFAULT_EVALUATE_CONCURRENCY;
  const limit = pLimit(concurrency);
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for await (const assessed of assessedLocations(store, clock, { thresholds })) {
    if (failure) break;
    report.evaluated++;
    if (assessed.expiry.crossed.length === 0 || !assessed.location.fingerprint) continue;
    const task: Promise<void> = limit(() => alertPlace(assessed))
      .catch((error: unknown) => void (failure ??= { error }))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= concurrency * 2) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  report.emitted.sort(bySoonestExpiry);
  return report;
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
    locationId: location.locationId,
    source: location.source,
    sourceKind: location.sourceKind,
    nativeId: location.nativeId,
    owner: location.owner,
    account: location.account ?? null,
    region: location.region ?? null,
    inUseBy: location.inUseBy ?? [],
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
