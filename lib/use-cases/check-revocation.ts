import pLimit from 'p-limit';
import type { CertificateRecord } from '../domain/certificate';
import { placeDetailOf, revocationEvent, type CertwardenEvent } from '../domain/events';
import { nextRevocationCheck, type RevocationStatus } from '../domain/revocation';
import type { Clock } from '../ports/clock';
import { discardEvents, type EventPublisher } from '../ports/event-publisher';
import { ALERT_SHARDS, type InventoryStore, type StoredLocation } from '../ports/inventory-store';
import type { RevocationChecker } from '../ports/revocation-checker';
import { decodeBase64, pemBlocks } from '../x509/pem';

export interface CheckRevocationOptions {
  store: InventoryStore;
  checker: RevocationChecker;
  clock: Clock;
  events?: EventPublisher;
  /** The shards of the revocation schedule to read (0 ≤ shard < ALERT_SHARDS). @default every shard */
  shards?: readonly number[];
  /** Certificates checked at once (the checker bounds each responder host on its own). @default 32 */
  concurrency?: number;
  /** Places read per run at most; the rest stay due for the next. @default 10,000 */
  limit?: number;
  signal?: AbortSignal;
}

export interface RevocationReport {
  /** Distinct certificates checked. */
  checked: number;
  /** Places whose status was recorded. */
  places: number;
  good: number;
  revoked: number;
  unknown: number;
  /** Revocation Detected events published (a place's certificate found revoked for the first time). */
  detected: number;
}

/**
 * Checks the revocation status of the places due (new and changed certificates at once, then each at its answer's
 * nextUpdate, at most daily), one check per certificate however many places hold it, and records it on each place.
 * A certificate found revoked at a live place raises Revocation Detected once for that place: a place already
 * recorded as revoked is not announced again.
 */
export async function checkRevocation(options: CheckRevocationOptions): Promise<RevocationReport> {
  const { store, checker, clock } = options;
  const events = options.events ?? discardEvents;
  const now = clock.now();
  const report: RevocationReport = { checked: 0, places: 0, good: 0, revoked: 0, unknown: 0, detected: 0 };
  const due = await duePlaces(store, now, options.shards ?? allShards(), options.limit ?? 10_000);
  if (due.size === 0) return report;
  const certificates = await loadCertificates(store, due);
  const limit = pLimit(options.concurrency ?? 32);
  const published: CertwardenEvent[] = [];
  await Promise.all(
    [...due].map(([fingerprint, places]) =>
      limit(async () => {
        const certificate = certificates.get(fingerprint);
        if (!certificate || options.signal?.aborted) return;
        const issuer = await issuerOf(store, certificate, certificates, places);
        const answer = await checker.check({ der: certificate.der, issuer: issuer?.der }, options.signal);
        report.checked++;
        report[answer.status]++;
        const status: RevocationStatus = {
          status: answer.status,
          reason: answer.reason,
          revokedAt: answer.revokedAt,
          checkedAt: clock.now().toISOString(),
          via: answer.via,
          issuerFingerprint: issuer?.record.fingerprintSha256 ?? null,
        };
        const nextCheckAt = nextRevocationCheck(answer, clock.now());
        for (const place of places) {
          const recorded = await store.recordRevocation(place.locationId, fingerprint, status, nextCheckAt);
          if (!recorded) continue;
          report.places++;
          if (status.status === 'revoked' && place.revocation?.status !== 'revoked') {
            published.push(
              revocationEvent({
                schemaVersion: 1,
                ...placeDetailOf(place),
                fingerprint,
                serialNumber: certificate.record.serialNumber,
                issuer: certificate.record.issuer,
                revokedAt: status.revokedAt ?? status.checkedAt,
                reason: status.reason,
                via: answer.via ?? 'ocsp',
                at: status.checkedAt,
              }),
            );
          }
        }
      }),
    ),
  );
  if (published.length > 0) await events.publish(published);
  report.detected = published.length;
  return report;
}

const allShards = () => Array.from({ length: ALERT_SHARDS }, (_, shard) => shard);

/** The due places with a certificate, by fingerprint. */
async function duePlaces(
  store: InventoryStore,
  now: Date,
  shards: readonly number[],
  limit: number,
): Promise<Map<string, StoredLocation[]>> {
  const due = new Map<string, StoredLocation[]>();
  let count = 0;
  for (const shard of shards) {
    for await (const place of store.revocationChecksDue(shard, now, { limit: limit - count })) {
      if (!place.fingerprint || place.status !== 'live') continue;
      due.set(place.fingerprint, [...(due.get(place.fingerprint) ?? []), place]);
      if (++count >= limit) return due;
    }
  }
  return due;
}

/** A certificate of the inventory with its DER bytes. */
export interface HeldCertificate {
  record: CertificateRecord;
  der: Uint8Array;
}

async function loadCertificates(
  store: InventoryStore,
  due: Map<string, StoredLocation[]>,
): Promise<Map<string, HeldCertificate>> {
  const held = new Map<string, HeldCertificate>();
  await Promise.all(
    [...due.keys()].map(async (fingerprint) => {
      const found = await heldCertificate(store, fingerprint);
      if (found) held.set(fingerprint, found);
    }),
  );
  return held;
}

/** The inventory's certificate of this fingerprint, with its DER; undefined when it holds none. */
export async function heldCertificate(
  store: InventoryStore,
  fingerprint: string,
): Promise<HeldCertificate | undefined> {
  const stored = await store.getCertificate(fingerprint);
  const body = stored && pemBlocks(stored.pem)[0]?.body;
  const der = body === undefined ? undefined : decodeBase64(body);
  return stored && der ? { record: stored, der } : undefined;
}

/**
 * The issuer's certificate as the inventory holds it: one this run checks (a scanned file's chain arrives with
 * its leaf), else the one the place's last check used. Undefined when the inventory has none: the checker then
 * follows the certificate's caIssuers URL.
 */
async function issuerOf(
  store: InventoryStore,
  certificate: HeldCertificate,
  inRun: Map<string, HeldCertificate>,
  places: StoredLocation[],
): Promise<HeldCertificate | undefined> {
  const { record } = certificate;
  if (record.selfSigned) return certificate;
  for (const candidate of inRun.values()) {
    if (candidate.record.isCA && candidate.record.subject === record.issuer) return candidate;
  }
  const remembered = places.find((place) => place.revocation?.issuerFingerprint)?.revocation?.issuerFingerprint;
  return remembered ? heldCertificate(store, remembered) : undefined;
}
