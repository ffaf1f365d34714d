import { randomUUID } from 'node:crypto';
import type { SourceConfig } from '../domain/config';
import {
  deploymentDriftEvent,
  placeDetailOf,
  servedCertificateResolvedEvent,
  unknownCertificateServedEvent,
  type CertwardenEvent,
  type DeploymentDriftDetail,
  type ServedCertificateDetail,
  type ServedCertificateResolvedDetail,
} from '../domain/events';
import { addressOfEndpointId } from '../domain/tls-endpoints';
import { alertIdOf, type AlertKey, type AlertLedger } from '../ports/alert-ledger';
import type { SourceKind } from '../ports/certificate-source';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { InventoryStore, StoredLocation } from '../ports/inventory-store';
import type { OpenServedAlert, ServedAlertEvent, ServedAlerts } from '../ports/served-alerts';

/**
 * The sources whose newest certificate for a name is what should be deployed: the cloud certificate stores, where a
 * renewal lands (ACM renews in place, Key Vault adds a version, Certificate Manager replaces it).
 */
export const DEPLOYED_TRUTH_KINDS: readonly SourceKind[] = ['aws-acm', 'azure-key-vault', 'google-certificate-manager'];

/** The configured sources a drift check compares endpoints with. */
export const driftSourcesOf = (sources: readonly SourceConfig[]): string[] =>
  sources.filter((source) => DEPLOYED_TRUTH_KINDS.includes(source.kind)).map((source) => source.name);

/** The alert-ledger thresholds of the two served-certificate alerts. */
export const DRIFT_ALERT = 'deployment-drift';
export const UNKNOWN_SERVED_ALERT = 'unknown-served';

const alertKeyOf = ({ detailType, detail }: ServedAlertEvent): AlertKey => ({
  locationId: detail.locationId,
  fingerprint: detail.fingerprint,
  thresholdId: detailType === 'Deployment Drift' ? DRIFT_ALERT : UNKNOWN_SERVED_ALERT,
});

export interface DriftOptions {
  store: InventoryStore;
  ledger: AlertLedger;
  /** The alerts raised and not resolved yet: what a run resolves. */
  served: ServedAlerts;
  events: EventPublisher;
  clock: Clock;
  /** The tls-endpoint source whose served certificates are judged. */
  source: string;
  /** Only the places of these scopes (the groups a worker scanned). @default every scope */
  scopes?: string[];
  /** The sources holding what should be deployed (driftSourcesOf). */
  inventorySources: readonly string[];
  /** How long a claim on an alert holds while its event is published. @default 5 minutes */
  leaseMs?: number;
}

export interface DriftReport {
  /** Endpoints judged (leaf places with a certificate). */
  endpoints: number;
  /** Events raised by this run. */
  raised: CertwardenEvent[];
  /** Served Certificate Resolved events of this run: alerts raised before that no longer hold. */
  resolved: CertwardenEvent[];
  /** Findings raised before (or held by another run): not raised again. */
  alreadyRaised: number;
}

/** The newest certificate the inventory holds for a name. */
interface Newest {
  fingerprint: string;
  place: StoredLocation;
  notBefore: string;
  notAfter: string;
}

const namesOf = (place: StoredLocation): string[] => {
  const certificate = place.certificate!;
  return [...new Set([...certificate.dnsNames, certificate.subjectCommonName ?? ''].filter(Boolean))].map((name) =>
    name.toLowerCase(),
  );
};

/** What should be deployed, by name: each name's newest certificate (latest notBefore) among the places given. */
export type NewestByName = Map<string, Newest>;

/** Reads the live leaves of the truth sources once: name → its newest certificate. */
export async function newestByName(places: AsyncIterable<StoredLocation>): Promise<NewestByName> {
  const newest: NewestByName = new Map();
  for await (const place of places) {
    if (place.role !== 'leaf' || !place.certificate || !place.fingerprint || place.status !== 'live') continue;
    const { notBefore, notAfter } = place.certificate;
    for (const name of namesOf(place)) {
      const known = newest.get(name);
      if (!known || notBefore > known.notBefore || (notBefore === known.notBefore && notAfter > known.notAfter))
        newest.set(name, { fingerprint: place.fingerprint, place, notBefore, notAfter });
    }
  }
  return newest;
}

async function* livePlacesOf(store: InventoryStore, sources: readonly string[]): AsyncGenerator<StoredLocation> {
  for (const source of sources) yield* store.bySource(source, 'live');
}

/** The name an endpoint was asked for covered by a name of the index: itself, else the wildcard one level up. */
function lookup(index: Map<string, Newest>, name: string): Newest | undefined {
  return index.get(name) ?? index.get(`*.${name.split('.').slice(1).join('.')}`);
}

/**
 * Joins what TLS endpoints serve with the inventory: an endpoint serving an older certificate for its name than the
 * newest a cloud source holds raises Deployment Drift (renewed but not deployed); one serving a certificate no other
 * source holds (by fingerprint) raises Unknown Certificate Served. Drift explains an old certificate, so it is
 * raised instead of, never beside, Unknown. Each is raised once per (endpoint, served certificate), through the alert
 * ledger's conditional claims, however many scans and workers run: claimed, kept open, published, then marked sent;
 * a publish that fails gives the claim back for the next scan.
 *
 * An open alert that no longer holds is resolved (Served Certificate Resolved, once: of two runs closing it, one
 * does), when its endpoint serves another certificate, the one served is no longer wrong, or the endpoint is no
 * longer scanned; its ledger entry is forgotten, so the same certificate served again is raised again. An endpoint
 * that did not answer this scan serves nothing known: its alerts stay open.
 */
export async function detectDeploymentDrift(options: DriftOptions): Promise<DriftReport> {
  const { store, ledger, served, events, clock, source } = options;
  const index = await newestByName(livePlacesOf(store, options.inventorySources));
  const report: DriftReport = { endpoints: 0, raised: [], resolved: [], alreadyRaised: 0 };
  const owner = randomUUID();

  const raise = async (place: StoredLocation, event: ServedAlertEvent, open: boolean) => {
    const key = alertKeyOf(event);
    const alert: OpenServedAlert = { source, scope: place.scope, event };
    const claim = await ledger.claim(key, {
      owner,
      leaseMs: options.leaseMs ?? 300_000,
      keepUntil: new Date(place.certificate!.notAfter),
    });
    if (claim !== 'claimed') {
      report.alreadyRaised++;
      // Raised before open alerts were kept: kept from now on, so that its resolution is announced.
      if (claim === 'sent' && !open) await served.open(alert);
      return;
    }
    await served.open(alert);
    try {
      await events.publish([event]);
    } catch (error) {
      await served.close(alert);
      await ledger.release(key, owner);
      throw error;
    }
    await ledger.complete(key, owner);
    report.raised.push(event);
  };

  const resolve = async (alert: OpenServedAlert, resolution: string) => {
    if (!(await served.close(alert))) return;
    const event = servedCertificateResolvedEvent(resolutionOf(alert.event, resolution, clock.now().toISOString()));
    try {
      await events.publish([event]);
    } catch (error) {
      await served.open(alert);
      throw error;
    }
    await ledger.forget(alertKeyOf(alert.event));
    report.resolved.push(event);
  };

  for (const scope of options.scopes ?? [undefined]) {
    const open = new Map<string, OpenServedAlert[]>();
    for await (const alert of served.openIn(source, scope)) {
      const { locationId } = alert.event.detail;
      open.set(locationId, [...(open.get(locationId) ?? []), alert]);
    }
    for await (const place of store.bySource(source, 'live', scope === undefined ? {} : { scope })) {
      const alerts = open.get(place.locationId) ?? [];
      open.delete(place.locationId);
      if (place.role !== 'leaf' || !place.certificate || !place.fingerprint) continue;
      report.endpoints++;
      const event = await judgeServed(place, index, store, clock.now().toISOString());
      for (const alert of alerts) {
        if (event && sameAlert(alert.event, event)) continue;
        await resolve(alert, whyResolved(alert.event, place, event));
      }
      if (event)
        await raise(
          place,
          event,
          alerts.some((alert) => sameAlert(alert.event, event)),
        );
    }
    // Open alerts of places no longer live here: their endpoints were taken out of the scan.
    for (const alerts of open.values())
      for (const alert of alerts) await resolve(alert, 'the endpoint is no longer scanned');
  }
  return report;
}

const sameAlert = (a: ServedAlertEvent, b: ServedAlertEvent): boolean =>
  a.detailType === b.detailType && a.detail.fingerprint === b.detail.fingerprint;

/** Why an open alert no longer holds at a place still scanned, given what it is judged now. */
function whyResolved(alert: ServedAlertEvent, place: StoredLocation, now: ServedAlertEvent | undefined): string {
  if (place.fingerprint !== alert.detail.fingerprint) {
    const certificate = place.certificate!;
    return `the endpoint serves ${certificate.subjectCommonName ?? certificate.subject} ${place.fingerprint!.slice(0, 16)}… now`;
  }
  if (now) return `the certificate it serves is judged ${now.detailType} now`;
  return alert.detailType === 'Deployment Drift'
    ? 'no source holds a newer certificate for its name now'
    : 'a source of the inventory holds the certificate it serves now';
}

/** The resolution of a raised alert: the alert's own fields (its alertId, place, certificate), and why. */
function resolutionOf(alert: ServedAlertEvent, resolution: string, at: string): ServedCertificateResolvedDetail {
  const { severity: _severity, at: _raisedAt, ...raised } = alert.detail;
  const {
    name: _name,
    inventory: _inventory,
    ...served
  } = raised as typeof raised & Partial<Pick<DeploymentDriftDetail, 'name' | 'inventory'>>;
  return { ...served, resolves: alert.detailType, resolution, severity: 'info', at };
}

/** What is wrong with what an endpoint's place serves, as the event to raise; undefined when nothing is. */
export async function judgeServed(
  place: StoredLocation,
  index: NewestByName,
  store: InventoryStore,
  at: string,
): Promise<ServedAlertEvent | undefined> {
  const certificate = place.certificate!;
  const fingerprint = place.fingerprint!;
  const serverName = typeof place.details?.serverName === 'string' ? place.details.serverName : null;
  const served = (kind: string): ServedCertificateDetail => ({
    schemaVersion: 1,
    ...placeDetailOf(place),
    alertId: alertIdOf({ locationId: place.locationId, fingerprint, thresholdId: kind }),
    endpoint: addressOfEndpointId(place.nativeId),
    serverName,
    fingerprint,
    subject: certificate.subject,
    subjectCommonName: certificate.subjectCommonName,
    dnsNames: certificate.dnsNames,
    issuer: certificate.issuer,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    severity: kind === DRIFT_ALERT ? 'high' : 'medium',
    at,
  });
  for (const name of serverName ? [serverName] : namesOf(place)) {
    const newest = lookup(index, name);
    if (newest && newest.fingerprint !== fingerprint && newest.notBefore > certificate.notBefore) {
      const detail: DeploymentDriftDetail = {
        ...served(DRIFT_ALERT),
        name,
        inventory: {
          fingerprint: newest.fingerprint,
          locationId: newest.place.locationId,
          source: newest.place.source,
          sourceKind: newest.place.sourceKind,
          notBefore: newest.notBefore,
          notAfter: newest.notAfter,
        },
      };
      return deploymentDriftEvent(detail);
    }
  }
  for await (const holder of store.locationsOfCertificate(fingerprint)) {
    if (holder.sourceKind !== 'tls-endpoint' && holder.status === 'live') return undefined;
  }
  return unknownCertificateServedEvent(served(UNKNOWN_SERVED_ALERT));
}
