import type { ParsedCertificate } from '../domain/certificate';
import { contentHash } from '../domain/content-hash';
import { inventoryChangeEvent, type CertwardenEvent } from '../domain/events';
import { locationIdOf, type CertificateSource, type SourceEntry } from '../ports/certificate-source';
import type { Clock } from '../ports/clock';
import { discardEvents, type EventPublisher } from '../ports/event-publisher';
import type {
  CertificateSummary,
  ChangeKind,
  InventoryStore,
  LocationChange,
  LocationState,
  StoredLocation,
  SyncRunRecord,
} from '../ports/inventory-store';

export interface SyncProgress {
  seen: number;
  changed: number;
  errors: number;
}

export interface SyncOptions {
  source: CertificateSource;
  store: InventoryStore;
  clock: Clock;
  events?: EventPublisher;
  /** Entries compared against the store per round trip. @default 100 */
  batchSize?: number;
  onProgress?: (progress: SyncProgress) => void;
  signal?: AbortSignal;
}

export type SyncReport = SyncRunRecord;

/** Errors kept on the run record; the counts stay exact beyond it. */
const MAX_RECORDED_ERRORS = 100;
const MAX_CONFLICT_RETRIES = 3;

/**
 * Brings the inventory to what a source holds now, writing only what changed. Places no longer listed become
 * tombstones, but only after a complete listing: a listing that broke leaves every place as it was.
 */
export async function syncSource(options: SyncOptions): Promise<SyncReport> {
  const { source, store, clock, events = discardEvents, batchSize = 100 } = options;
  const startedAt = clock.now().toISOString();
  const counts: SyncReport['counts'] = {
    discovered: 0,
    renewed: 0,
    updated: 0,
    removed: 0,
    restored: 0,
    unchanged: 0,
    errors: 0,
  };
  const errors: SyncReport['errors'] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  const progress = () =>
    options.onProgress?.({ seen: seen.size, changed: changedCount(counts), errors: counts.errors });

  const noteError = (nativeId: string, message: string) => {
    counts.errors++;
    if (errors.length < MAX_RECORDED_ERRORS) errors.push({ nativeId, message });
  };

  const apply = async (changes: LocationChange[]) => {
    const applied = await Promise.all(changes.map((change) => applyWithRetry(store, change, noteError)));
    const published: CertwardenEvent[] = [];
    for (const change of applied) {
      if (!change) continue;
      counts[change.change]++;
      published.push(inventoryChangeEvent(changeDetail(change)));
    }
    if (published.length > 0) await events.publish(published);
  };

  const processBatch = async (entries: SourceEntry[]) => {
    const states = new Map<string, LocationState>();
    const certificates: ParsedCertificate[] = [];
    for (const entry of entries) {
      const state = toLocationState(source, entry);
      states.set(state.locationId, state);
      seen.add(state.locationId);
      if (entry.error) noteError(entry.nativeId, entry.error);
      for (const warning of entry.warnings ?? []) if (warnings.length < MAX_RECORDED_ERRORS) warnings.push(warning);
      if (entry.certificate) certificates.push(entry.certificate);
    }
    const stored = await store.getLocations([...states.keys()]);
    const at = clock.now().toISOString();
    const changes: LocationChange[] = [];
    for (const next of states.values()) {
      const previous = stored.get(next.locationId);
      const change = changeBetween(previous, next);
      if (change) changes.push({ next, previous, change, at });
      else counts.unchanged++;
    }
    const newFingerprints = new Set(
      changes
        .map((change) => change.next.fingerprint)
        .filter((fingerprint, index) => fingerprint && fingerprint !== changes[index].previous?.fingerprint),
    );
    const newCertificates = certificates.filter((parsed) => newFingerprints.has(parsed.record.fingerprintSha256));
    // Certificates first: a location never points at a certificate the inventory does not hold.
    await store.saveCertificates(newCertificates);
    await apply(changes);
    progress();
  };

  let complete = true;
  try {
    let batch: SourceEntry[] = [];
    for await (const entry of source.list(options.signal)) {
      batch.push(entry);
      if (batch.length >= batchSize) {
        await processBatch(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await processBatch(batch);
  } catch (error) {
    complete = false;
    noteError('*', `listing ${source.name} failed: ${describe(error)}`);
  }

  if (complete) {
    let removals: LocationChange[] = [];
    const at = clock.now().toISOString();
    for await (const live of store.bySource(source.name, 'live')) {
      if (seen.has(live.locationId)) continue;
      removals.push({ previous: live, next: { ...stateOf(live), status: 'removed' }, change: 'removed', at });
      if (removals.length >= batchSize) {
        await apply(removals);
        removals = [];
      }
    }
    await apply(removals);
    progress();
  }

  const report: SyncReport = {
    source: source.name,
    sourceKind: source.kind,
    startedAt,
    finishedAt: clock.now().toISOString(),
    complete,
    counts,
    errors,
    warnings,
  };
  // An unchanged, clean resync writes nothing at all, not even its own run record.
  if (changedCount(counts) > 0 || counts.errors > 0 || !complete) await store.recordSyncRun(report);
  if (counts.errors > 0 || !complete) {
    await events.publish([
      {
        detailType: 'Sync Failed',
        detail: {
          schemaVersion: 1,
          source: source.name,
          sourceKind: source.kind,
          complete,
          errors,
          at: report.finishedAt,
        },
      },
    ]);
  }
  return report;
}

const changedCount = (counts: SyncReport['counts']) =>
  counts.discovered + counts.renewed + counts.updated + counts.removed + counts.restored;

function changeBetween(previous: StoredLocation | undefined, next: LocationState): ChangeKind | null {
  if (!previous) return 'discovered';
  if (previous.status === 'removed') return 'restored';
  if (previous.contentHash === next.contentHash) return null;
  if (previous.fingerprint && next.fingerprint && previous.fingerprint !== next.fingerprint) return 'renewed';
  return 'updated';
}

/** Applies a change; when another writer got there first, recomputes it from the fresh state and tries again. */
async function applyWithRetry(
  store: InventoryStore,
  change: LocationChange,
  noteError: (nativeId: string, message: string) => void,
): Promise<LocationChange | null> {
  let attempt = change;
  for (let tries = 0; tries < MAX_CONFLICT_RETRIES; tries++) {
    const result = await store.applyChange(attempt);
    if (result !== 'conflict') return attempt;
    const current = await store.getLocation(attempt.next.locationId);
    const kind =
      attempt.change === 'removed'
        ? current?.status === 'live'
          ? 'removed'
          : null
        : changeBetween(current, attempt.next);
    if (!kind) return null;
    attempt = { ...attempt, previous: current, change: kind };
  }
  noteError(change.next.nativeId, `kept conflicting with concurrent writers after ${MAX_CONFLICT_RETRIES} tries`);
  return null;
}

function changeDetail(change: LocationChange) {
  const { next, previous } = change;
  return {
    schemaVersion: 1 as const,
    locationId: next.locationId,
    source: next.source,
    sourceKind: next.sourceKind,
    nativeId: next.nativeId,
    change: change.change,
    fingerprint: next.fingerprint,
    previousFingerprint: previous?.fingerprint ?? null,
    subjectCommonName: (next.certificate ?? previous?.certificate)?.subjectCommonName ?? null,
    notAfter: (next.certificate ?? previous?.certificate)?.notAfter ?? null,
    owner: next.owner,
    at: change.at,
  };
}

function summarize(parsed: ParsedCertificate): CertificateSummary {
  const { record } = parsed;
  return {
    subject: record.subject,
    subjectCommonName: record.subjectCommonName,
    issuer: record.issuer,
    dnsNames: record.sans.dns,
    notBefore: record.notBefore,
    notAfter: record.notAfter,
    kind: record.kind,
    keyAlgorithm: record.keyAlgorithm,
    keySize: record.keySize,
    signatureHash: record.signatureHash,
    isCA: record.isCA,
    selfSigned: record.selfSigned,
  };
}

function toLocationState(source: CertificateSource, entry: SourceEntry): LocationState {
  const state: Omit<LocationState, 'contentHash'> = {
    ...entry.metadata,
    locationId: locationIdOf(source.kind, entry.nativeId),
    source: source.name,
    sourceKind: source.kind,
    nativeId: entry.nativeId,
    role: entry.role,
    status: 'live',
    fingerprint: entry.certificate?.record.fingerprintSha256 ?? null,
    certificate: entry.certificate ? summarize(entry.certificate) : null,
    error: entry.error,
  };
  return { ...state, contentHash: contentHash(state) };
}

/** The state part of a stored location (what a source reports), with its hash recomputed on change. */
function stateOf(stored: StoredLocation): LocationState {
  const { version: _v, firstSeenAt: _f, changedAt: _c, removedAt: _r, ...state } = stored;
  return state;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
