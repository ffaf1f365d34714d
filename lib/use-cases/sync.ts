import { createHash } from 'node:crypto';
import type { ParsedCertificate } from '../domain/certificate';
import { contentHash } from '../domain/content-hash';
import {
  syncCompletedEvent,
  syncFailedEvent,
  inventoryChangeEvent,
  placeDetailOf,
  provisioningFailedEvent,
  type CertwardenEvent,
  type InventoryChangeDetail,
  type ProvisioningFailedDetail,
  type PublishedChangeKind,
} from '../domain/events';
import {
  isScopeFailure,
  listedUnder,
  locationIdOf,
  type CertificateSource,
  type LoadedEntry,
  type SourceEntry,
} from '../ports/certificate-source';
import type { CompiledPolicy } from '../domain/policy';
import { refreshDue } from '../domain/refresh';
import { revocationKnownAtOnce } from '../domain/revocation';
import type { Clock } from '../ports/clock';
import { discardEvents, type EventPublisher } from '../ports/event-publisher';
import type {
  CertificateSummary,
  ChangeKind,
  InventoryStore,
  LocationChange,
  LocationState,
  ScopeNote,
  StoredLocation,
  SyncRunRecord,
} from '../ports/inventory-store';
import {
  enforcePolicy,
  forgetDepartedCertificates,
  policyMarkOf,
  registerArrivedCertificates,
  type DepartedCertificate,
  type EnforcementReport,
} from './enforce-policy';

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
  /**
   * The scopes this run lists, when it lists only part of the source (one account and region of a fanned-out
   * sync), as the source names its places' scopes: places of other scopes are neither read, removed nor marked
   * stale by it. @default the whole source
   */
  scopes?: string[];
  /** How often a scope's "last good read" is written; more often would cost a write per resync. @default 1 hour */
  scopeReadIntervalMs?: number;
  onProgress?: (progress: SyncProgress) => void;
  signal?: AbortSignal;
  /**
   * Evaluated on every place that changed, and on every place of the source when the policy (or the day)
   * changed since the last evaluation: violations stored, Policy Violation / Violation Resolved emitted.
   * @default no policy enforcement
   */
  policy?: CompiledPolicy;
}

/** A run's record, as recorded in the store, and what broke it when it did not complete. */
export interface SyncReport extends SyncRunRecord {
  /**
   * The error that broke the listing or a write (a provider's or the store's, with its stack), when the run did
   * not complete: for the caller's logs, never recorded (the record keeps its message among `errors`).
   */
  cause?: unknown;
}

/** Errors kept on the run record; the counts stay exact beyond it. */
const MAX_RECORDED_ERRORS = 100;
const MAX_CONFLICT_RETRIES = 3;
/**
 * Batches of one scope compared and written at once. A listing hands on one scope's page after another, so a batch
 * is mostly one scope's places, whose detail calls its provider's quota paces: batches of different scopes load side
 * by side (a 4-scope ACM source synced whole ran at one scope's 10 certificates a second with one batch in flight;
 * a 16-scope one at 4 scopes' pace with 4 in all). Within a scope, 4 overlap a batch's store writes with the next's
 * reading.
 */
const BATCHES_IN_FLIGHT_PER_SCOPE = 4;
/**
 * Batches in flight or waiting for their scope, in all: what bounds a sync's memory (3,200 places at the default
 * batch size) and how far the listing runs ahead of the slowest scope.
 */
const MAX_BATCHES_HELD = 32;

/**
 * Brings the inventory to what a source holds now, writing only what changed. Places no longer listed become
 * tombstones, but only where the listing was complete: a scope that failed keeps its places (marked stale),
 * and a listing that broke leaves every place as it was.
 */
export async function syncSource(options: SyncOptions): Promise<SyncReport> {
  const run = await SyncRun.begin(options);
  const complete = await run.listInBatches();
  if (complete) {
    await run.retireUnseen();
    await run.enforceOnEveryPlace();
    await run.recordScopeNotes();
  }
  return run.finish(complete);
}

/** What a batch of entries resolved to: the place as stored, and as the source has it now (null: unchanged). */
interface BatchEntry {
  previous: StoredLocation | undefined;
  next: ResolvedEntry | null;
}

/**
 * One run of {@link syncSource}: what it has seen and counted so far, and its steps, each a method, in the order
 * syncSource takes them: list in batches (compare each batch with the store and write its changes), retire the
 * places not seen, note the scopes read, apply the policy where it has not been, and record and announce the run.
 */
class SyncRun {
  private readonly source: CertificateSource;
  private readonly store: InventoryStore;
  private readonly clock: Clock;
  private readonly events: EventPublisher;
  private readonly batchSize: number;
  private readonly counts: SyncReport['counts'] = {
    discovered: 0,
    renewed: 0,
    updated: 0,
    removed: 0,
    restored: 0,
    stale: 0,
    unchanged: 0,
    errors: 0,
  };
  private readonly errors: SyncReport['errors'] = [];
  /** What broke the listing (or a batch's writes), kept whole for the report's `cause`. */
  private brokenBy: unknown;
  private readonly warnings: string[] = [];
  private readonly failedScopes = new Map<string, string>();
  private readonly listedScopes = new Set<string>();
  /** Scopes where a place could not be loaded: not noted as read, so their due re-checks are tried again. */
  private readonly scopesWithLoadErrors = new Set<string>();
  /**
   * Places listed but not read this time (LoadedEntry.readFailed) that held a certificate, by native id, with why:
   * kept, marked stale, with the places listed under them.
   */
  private readonly unreadPlaces = new Map<string, string>();
  private readonly seen = new SeenLocations();
  /**
   * Places this run discovered (none was ever evaluated against a policy): a set that grows with what changed,
   * looked up between additions (a SeenLocations would sort on every batch).
   */
  private readonly discovered = new Set<string>();
  private readonly enforcement: EnforcementReport = { evaluated: 0, opened: 0, resolved: 0, kept: 0 };
  private fullyEvaluated = false;

  private constructor(
    private readonly options: SyncOptions,
    private readonly startedAt: string,
    /** The policy and day this run applies, when it enforces a policy. */
    private readonly policyMark: string | undefined,
    /**
     * The policy (or day) is not yet applied to this source's places: every place is evaluated after the
     * listing, so evaluating the changed ones on the way would be work done twice.
     */
    private readonly fullEvaluation: boolean,
    /** No policy was ever enforced on (some of) the run's places: their certificates may not be registered. */
    private readonly neverEnforced: boolean,
    /** What the run's scopes (every scope of the source, for a whole-source run) noted before. */
    private readonly scopeNotes: Map<string, ScopeNote>,
    /**
     * The live places of the run's scopes, read once at the start when the run lists named scopes of a modest
     * size: then the comparison, the tombstone pass and a full evaluation all use it, and a resync reads each
     * place once. Kept up to date with what the run writes. Undefined: each step reads the store.
     */
    private readonly known: Map<string, StoredLocation> | undefined,
  ) {
    this.source = options.source;
    this.store = options.store;
    this.clock = options.clock;
    this.events = options.events ?? discardEvents;
    this.batchSize = options.batchSize ?? 100;
  }

  static async begin(options: SyncOptions): Promise<SyncRun> {
    const { source, store, clock, policy } = options;
    const startedAt = clock.now().toISOString();
    const policyMark = policy ? policyMarkOf(policy, clock.now()) : undefined;
    const scopeNotes = await store.scopeNotes(source.name, options.scopes);
    const marks = options.scopes
      ? [...new Set(options.scopes)].map((scope) => scopeNotes.get(scope)?.policyMark)
      : [await store.policyMark(source.name)];
    const fullEvaluation = policyMark !== undefined && marks.some((mark) => mark !== policyMark);
    const neverEnforced = marks.some((mark) => mark === undefined);
    const known = options.scopes ? await readScopes(store, source.name, options.scopes) : undefined;
    return new SyncRun(options, startedAt, policyMark, fullEvaluation, neverEnforced, scopeNotes, known);
  }

  /**
   * Lists the source, handing its entries on in batches of `batchSize` and noting the scopes that could not be
   * listed. False when the listing broke: then nothing may be retired.
   */
  async listInBatches(): Promise<boolean> {
    const batches = new ScopePacedBatches((entries) => this.syncBatch(entries));
    try {
      let batch: SourceEntry[] = [];
      for await (const item of this.source.list(this.options.signal)) {
        if (isScopeFailure(item)) {
          this.failedScopes.set(item.failedScope, item.message);
          this.noteError(item.failedScope, `${item.failedScope}: ${item.message}`);
          continue;
        }
        batch.push(item);
        if (batch.length >= this.batchSize) {
          await batches.add(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await batches.add(batch);
      await batches.done();
      return true;
    } catch (error) {
      await batches.settled();
      this.brokenBy = error;
      const step =
        batches.failure?.error === error ? `writing what ${this.source.name} listed` : `listing ${this.source.name}`;
      this.noteError('*', `${step} failed: ${describe(error)}`);
      return false;
    }
  }

  /** Compares a batch with the stored places (one read) and writes what changed: certificates, then places. */
  private async syncBatch(entries: SourceEntry[]): Promise<void> {
    const latest = new Map(entries.map((entry) => [locationIdOf(this.source.kind, entry.nativeId), entry]));
    const stored = await this.storedStates([...latest.keys()]);
    const at = this.clock.now().toISOString();
    const resolved = await Promise.all(
      [...latest].map(async ([locationId, entry]): Promise<BatchEntry> => {
        this.seen.add(locationId);
        this.listedScopes.add(entry.scope);
        const previous = stored.get(locationId);
        const next = await this.resolve(entry, previous);
        // Kept as stored, and marked stale by retireUnseen: neither unchanged nor changed here.
        return next === UNREAD ? { previous: undefined, next: null } : { previous, next };
      }),
    );
    const { changes, certificates } = this.changesOf(resolved, at);
    // Certificates first: a location never points at a certificate the inventory does not hold.
    await this.store.saveCertificates(certificates);
    await this.apply(changes);
    this.progress();
  }

  /** The stored places of these ids: from what the run read at its start, reading the store only for the others. */
  private async storedStates(locationIds: string[]): Promise<Map<string, StoredLocation>> {
    if (!this.known) return this.store.getLocations(locationIds);
    const unknown = locationIds.filter((locationId) => !this.known!.has(locationId));
    // New places, tombstones coming back, places listed under another scope: read by key.
    const found = unknown.length > 0 ? await this.store.getLocations(unknown) : new Map<string, StoredLocation>();
    for (const locationId of locationIds) {
      const place = this.known.get(locationId);
      if (place) found.set(locationId, place);
    }
    return found;
  }

  /**
   * Whether the entry is a place the source could not read this time that holds a certificate: then it is kept as
   * stored and marked stale (retireUnseen), with its chain, and the run reports the error. A failed read is not
   * the source saying the certificate went: storing it would drop the certificate and its alerts, and announce a
   * change and a removal that the next good read would take back.
   */
  private keptUnread(entry: SourceEntry, loaded: LoadedEntry, previous: StoredLocation | undefined): boolean {
    if (!loaded.readFailed || previous?.status !== 'live' || previous.fingerprint === null) return false;
    const reason = loaded.error ?? `${entry.nativeId}: not read`;
    this.unreadPlaces.set(entry.nativeId, reason);
    this.scopesWithLoadErrors.add(entry.scope);
    this.noteError(entry.nativeId, reason);
    return true;
  }

  /**
   * The entry as the source has it now, loading details only when the cheap summary says it changed or the
   * place's periodic re-check is due (counted from when its scope was last read completely).
   */
  private async resolve(
    entry: SourceEntry,
    previous: StoredLocation | undefined,
  ): Promise<ResolvedEntry | null | typeof UNREAD> {
    const summaryUnchanged =
      entry.summaryHash !== undefined &&
      previous?.status === 'live' &&
      !previous.stale &&
      previous.summaryHash === entry.summaryHash;
    if (summaryUnchanged && !this.recheckDue(previous, entry)) return null;
    try {
      const loaded = entry.load === undefined ? entry : await entry.load();
      if (this.keptUnread(entry, loaded, previous)) return UNREAD;
      return toLocationState(this.source, entry, loaded, previous);
    } catch (error) {
      this.scopesWithLoadErrors.add(entry.scope);
      this.noteError(entry.nativeId, `${entry.nativeId}: ${describe(error)}`);
      return null;
    }
  }

  private recheckDue(previous: StoredLocation, entry: SourceEntry): boolean {
    if (entry.load === undefined || entry.refreshHours === undefined) return false;
    const lastRead = this.scopeNotes.get(entry.scope)?.lastGoodReadAt;
    const at = lastRead === undefined ? undefined : new Date(lastRead);
    return refreshDue(previous.locationId, at, this.clock.now(), entry.refreshHours);
  }

  /** The changes a resolved batch makes and the certificates new to it; counts the unchanged, notes errors. */
  private changesOf(
    resolved: BatchEntry[],
    at: string,
  ): { changes: LocationChange[]; certificates: ParsedCertificate[] } {
    const changes: LocationChange[] = [];
    const certificates: ParsedCertificate[] = [];
    for (const { previous, next } of resolved) {
      const change = next ? changeBetween(previous, next.state) : null;
      if (!next || !change) {
        // A new place whose details could not be loaded is an error of this run, not an unchanged place.
        if (next || previous) this.counts.unchanged++;
      } else {
        const knownAtOnce = next.certificate !== null && revocationKnownAtOnce(next.certificate.record);
        changes.push({ next: next.state, previous, change, at, revocationKnownAtOnce: knownAtOnce });
        if (next.certificate && next.certificate.record.fingerprintSha256 !== previous?.fingerprint) {
          certificates.push(next.certificate);
        }
      }
      if (next?.state.error) this.noteError(next.state.nativeId, next.state.error);
      for (const warning of next?.warnings ?? []) {
        if (this.warnings.length < MAX_RECORDED_ERRORS) this.warnings.push(warning);
      }
    }
    return { changes, certificates };
  }

  /**
   * Writes changes (each retried on a conflict), publishes what changed and applies the policy to it. When some
   * writes fail, what the others wrote is still announced and judged before the failure is thrown: a retry finds
   * those places unchanged and would announce nothing.
   */
  private async apply(changes: LocationChange[]): Promise<void> {
    const results = changes.length > 0 ? await this.store.applyChanges(changes) : [];
    const settled = await Promise.allSettled(
      changes.map(async (change, index) => {
        const result = results[index];
        if (result === 'conflict') return retryAfterConflict(this.store, change, this.noteError);
        if ('failed' in result) throw result.failed;
        return { change, stored: result };
      }),
    );
    const failure = settled.find((result) => result.status === 'rejected');
    const applied = settled.map((result) => (result.status === 'fulfilled' ? result.value : null));
    const published: CertwardenEvent[] = [];
    const changedPlaces: StoredLocation[] = [];
    for (const result of applied) {
      if (!result) continue;
      const { change, stored } = result;
      this.known?.set(stored.locationId, stored);
      if (change.change === 'discovered') this.discovered.add(stored.locationId);
      this.counts[change.change]++;
      if (change.change === 'stale') continue;
      published.push(inventoryChangeEvent(changeDetail(change, change.change)));
      const problem = newProblem(change);
      if (problem) published.push(provisioningFailedEvent(problem));
      changedPlaces.push(stored);
    }
    if (published.length > 0) await this.events.publish(published);
    if (this.options.policy) {
      // The register of public keys serves the key-reuse rule only: without a policy it is not kept.
      await forgetDepartedCertificates(this.store, departedCertificates(applied));
      await registerArrivedCertificates(this.store, arrivedCertificates(applied));
    }
    // A full evaluation judges the places live after the listing (enforceOnEveryPlace): one that left is judged here.
    await this.enforce(this.fullEvaluation ? changedPlaces.filter(({ status }) => status !== 'live') : changedPlaces);
    if (failure) throw failure.reason;
  }

  /**
   * The tombstone pass, after a complete listing: each live place of the source (of this run's scopes) that was
   * not listed becomes a tombstone, or, when a failed scope covers it, is marked stale.
   */
  async retireUnseen(): Promise<void> {
    let removals: LocationChange[] = [];
    const at = this.clock.now().toISOString();
    for await (const live of this.livePlaces()) {
      const unread = this.unreadPlaces.get(live.nativeId) ?? this.unreadPlaces.get(listedUnder(live.nativeId));
      if (this.seen.has(live.locationId) && unread === undefined) continue;
      const failure = unread ?? failureCovering(this.failedScopes, live.scope);
      if (failure === undefined) {
        removals.push({ previous: live, next: { ...stateOf(live), status: 'removed' }, change: 'removed', at });
      } else if (!live.stale) {
        const stale = {
          since: at,
          lastGoodReadAt: this.scopeNotes.get(live.scope)?.lastGoodReadAt ?? null,
          reason: failure,
        };
        removals.push({ previous: live, next: { ...stateOf(live), stale }, change: 'stale', at });
      }
      if (removals.length >= this.batchSize) {
        await this.apply(removals);
        removals = [];
      }
    }
    await this.apply(removals);
    this.progress();
  }

  /** A policy (or day) not yet applied to the run's places: evaluates every live one (marked applied after). */
  async enforceOnEveryPlace(): Promise<void> {
    if (!this.fullEvaluation) return;
    if (this.neverEnforced && this.counts.unchanged > 0) await this.registerEveryCertificate();
    await this.enforce(this.livePlaces());
    this.fullyEvaluated = true;
  }

  /**
   * Notes, per scope, when it was read without failure (at most once per `scopeReadIntervalMs`) and the policy
   * mark of a full evaluation, in one item per scope: an unchanged resync writes at most that.
   */
  async recordScopeNotes(): Promise<void> {
    const interval = this.options.scopeReadIntervalMs ?? 3_600_000;
    const now = this.clock.now();
    const updates = new Map<string, ScopeNote>();
    const update = (scope: string, note: ScopeNote) =>
      updates.set(scope, { ...(updates.get(scope) ?? this.scopeNotes.get(scope)), ...note });
    for (const scope of this.listedScopes) {
      if (failureCovering(this.failedScopes, scope) !== undefined || this.scopesWithLoadErrors.has(scope)) continue;
      const lastRead = Date.parse(this.scopeNotes.get(scope)?.lastGoodReadAt ?? '1970-01-01');
      if (now.getTime() - lastRead >= interval) update(scope, { lastGoodReadAt: now.toISOString() });
    }
    if (this.fullyEvaluated && this.options.scopes) {
      for (const scope of new Set(this.options.scopes)) update(scope, { policyMark: this.policyMark });
    }
    if (updates.size > 0) await this.store.recordScopeNotes(this.source.name, updates);
    if (this.fullyEvaluated && !this.options.scopes) await this.store.setPolicyMark(this.source.name, this.policyMark!);
  }

  /**
   * Puts every certificate of the run's places in the register of public keys before any place is judged against
   * it: places synced before a policy was ever enforced here were not registered as they arrived.
   */
  private async registerEveryCertificate(): Promise<void> {
    let batch: StoredLocation[] = [];
    for await (const place of this.livePlaces()) {
      batch.push(place);
      if (batch.length >= this.batchSize) {
        await registerArrivedCertificates(this.store, batch);
        batch = [];
      }
    }
    await registerArrivedCertificates(this.store, batch);
  }

  /** The live places this run answers for: its scopes' (each read alone), or the whole source's. */
  private async *livePlaces(): AsyncGenerator<StoredLocation> {
    if (this.known) {
      const scopes = new Set(this.options.scopes);
      for (const place of this.known.values()) if (place.status === 'live' && scopes.has(place.scope)) yield place;
      return;
    }
    const { scopes } = this.options;
    if (!scopes) {
      yield* this.store.bySource(this.source.name, 'live');
      return;
    }
    for (const scope of new Set(scopes)) yield* this.store.bySource(this.source.name, 'live', { scope });
  }

  private async enforce(locations: AsyncIterable<StoredLocation> | StoredLocation[]): Promise<void> {
    const { policy } = this.options;
    if (!policy) return;
    const { store, clock, events, batchSize } = this;
    // A place this run discovered was never evaluated before it (each place is enforced once per run).
    const neverEvaluated = (locationId: string) => this.discovered.has(locationId);
    const result = await enforcePolicy({ store, policy, clock, events, locations, batchSize, neverEvaluated });
    for (const key of Object.keys(this.enforcement) as Array<keyof EnforcementReport>) {
      this.enforcement[key] += result[key];
    }
  }

  /**
   * The run's report, recorded when it changed something or met errors (an unchanged, clean resync writes
   * nothing but, at most hourly, when each scope was last read), and announced: Sync Completed or Sync Failed.
   */
  async finish(complete: boolean): Promise<SyncReport> {
    const { counts, errors, source } = this;
    const report: SyncRunRecord = {
      source: source.name,
      sourceKind: source.kind,
      startedAt: this.startedAt,
      finishedAt: this.clock.now().toISOString(),
      complete,
      counts,
      errors,
      warnings: this.warnings,
      failedScopes: [...this.failedScopes].map(([scope, message]) => ({ scope, message })),
      ...(this.options.policy && { policy: this.enforcement }),
    };
    if (changedCount(counts) > 0 || counts.errors > 0 || !complete) await this.store.recordSyncRun(report);
    if (counts.errors > 0 || !complete) {
      await this.events.publish([
        syncFailedEvent({
          schemaVersion: 1,
          source: source.name,
          sourceKind: source.kind,
          complete,
          errors,
          at: report.finishedAt,
        }),
      ]);
    } else {
      const { errors: _none, ...changes } = counts;
      await this.events.publish([
        syncCompletedEvent({
          schemaVersion: 1,
          source: source.name,
          sourceKind: source.kind,
          scopes: this.options.scopes ? [...this.options.scopes] : null,
          counts: changes,
          startedAt: this.startedAt,
          at: report.finishedAt,
        }),
      ]);
    }
    return complete ? report : { ...report, cause: this.brokenBy };
  }

  private readonly noteError = (nativeId: string, message: string): void => {
    this.counts.errors++;
    if (this.errors.length < MAX_RECORDED_ERRORS) this.errors.push({ nativeId, message });
  };

  private progress(): void {
    this.options.onProgress?.({
      seen: this.seen.size,
      changed: changedCount(this.counts),
      errors: this.counts.errors,
    });
  }
}

/** `scope` and its ancestors, most specific first: scopes nest with `/` (an account above its regions). */
function* scopeAndAncestors(scope: string): Generator<string> {
  for (let candidate = scope; ; candidate = candidate.slice(0, candidate.lastIndexOf('/'))) {
    yield candidate;
    if (!candidate.includes('/')) return;
  }
}

/** What resolve says of an entry kept as stored because the source could not read it (LoadedEntry.readFailed). */
const UNREAD = Symbol('unread');

function failureCovering(failedScopes: Map<string, string>, scope: string): string | undefined {
  for (const candidate of scopeAndAncestors(scope)) {
    const failure = failedScopes.get(candidate);
    if (failure !== undefined) return failure;
  }
  return undefined;
}

/** A run's scopes hold at most this many places for it to keep them in memory (2 KB or so each). */
const KNOWN_PLACES_LIMIT = 20_000;

/** The live places of these scopes of a source, or undefined when they are more than KNOWN_PLACES_LIMIT. */
async function readScopes(
  store: InventoryStore,
  source: string,
  scopes: string[],
): Promise<Map<string, StoredLocation> | undefined> {
  const known = new Map<string, StoredLocation>();
  for (const scope of new Set(scopes)) {
    for await (const place of store.bySource(source, 'live', { scope })) {
      if (known.size >= KNOWN_PLACES_LIMIT) return undefined;
      known.set(place.locationId, place);
    }
  }
  return known;
}

/**
 * The locations a listing has shown, for the tombstone pass: the only state of a sync that grows with the
 * source. Kept off the JavaScript heap as 64-bit digests in a typed array (8 bytes a place), appended while
 * listing and sorted once for the lookups that follow it; a false "seen" would need two places of one source
 * to share a SHA-1 prefix of 64 bits (odds about 3·10⁻¹⁰ at 100,000 places).
 */
class SeenLocations {
  private digests = new BigUint64Array(64);
  private count = 0;
  private sorted = true;

  private static digest(locationId: string): bigint {
    return createHash('sha1').update(locationId).digest().readBigUInt64BE(0);
  }

  add(locationId: string): void {
    if (this.count === this.digests.length) {
      const grown = new BigUint64Array(this.digests.length * 2);
      grown.set(this.digests);
      this.digests = grown;
    }
    this.digests[this.count++] = SeenLocations.digest(locationId);
    this.sorted = false;
  }

  has(locationId: string): boolean {
    if (!this.sorted) {
      this.digests.subarray(0, this.count).sort();
      this.sorted = true;
    }
    const wanted = SeenLocations.digest(locationId);
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const value = this.digests[middle];
      if (value === wanted) return true;
      if (value < wanted) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }

  /** Places added, a place listed twice counted twice (it is only a progress figure). */
  get size(): number {
    return this.count;
  }
}

const changedCount = (counts: SyncReport['counts']) =>
  counts.discovered + counts.renewed + counts.updated + counts.removed + counts.restored + counts.stale;

function changeBetween(previous: StoredLocation | undefined, next: LocationState): ChangeKind | null {
  if (!previous) return 'discovered';
  if (previous.status === 'removed') return 'restored';
  if (previous.contentHash === next.contentHash && !previous.stale) return null;
  if (previous.fingerprint && next.fingerprint && previous.fingerprint !== next.fingerprint) return 'renewed';
  return 'updated';
}

/** The certificates that left their place in these changes (renewed away, or the place went). */
function departedCertificates(
  applied: Array<{ change: LocationChange; stored: StoredLocation } | null>,
): DepartedCertificate[] {
  const departed: DepartedCertificate[] = [];
  for (const result of applied) {
    const previous = result?.change.previous;
    if (!result || !previous?.fingerprint || !previous.certificate || previous.status !== 'live') continue;
    const { stored } = result;
    if (stored.status === 'live' && stored.fingerprint === previous.fingerprint) continue;
    departed.push({ fingerprint: previous.fingerprint, publicKeySha256: previous.certificate.publicKeySha256 });
  }
  return departed;
}

/** The places that got a certificate they did not hold live before (new, renewed, restored). */
function arrivedCertificates(
  applied: Array<{ change: LocationChange; stored: StoredLocation } | null>,
): StoredLocation[] {
  return applied
    .filter((result) => result !== null)
    .filter(
      ({ change: { previous }, stored }) => previous?.status !== 'live' || previous.fingerprint !== stored.fingerprint,
    )
    .map(({ stored }) => stored);
}

/** A change another writer got to first: recomputed from the fresh state and tried again. */
async function retryAfterConflict(
  store: InventoryStore,
  change: LocationChange,
  noteError: (nativeId: string, message: string) => void,
): Promise<{ change: LocationChange; stored: StoredLocation } | null> {
  let attempt = change;
  for (let tries = 0; tries < MAX_CONFLICT_RETRIES; tries++) {
    const current = await store.getLocation(attempt.next.locationId);
    if (attempt.change === 'removed' || attempt.change === 'stale') {
      // Retire what is stored now, not the state this change was computed from.
      const stillDue = current?.status === 'live' && (attempt.change === 'removed' || !current.stale);
      if (!stillDue) return null;
      const next = { ...stateOf(current), status: attempt.next.status, stale: attempt.next.stale };
      attempt = { ...attempt, previous: current, next };
    } else {
      const kind = changeBetween(current, attempt.next);
      if (!kind) return null;
      attempt = { ...attempt, previous: current, change: kind };
    }
    const result = await store.applyChange(attempt);
    if (result !== 'conflict') return { change: attempt, stored: result };
  }
  noteError(change.next.nativeId, `kept conflicting with concurrent writers after ${MAX_CONFLICT_RETRIES} tries`);
  return null;
}

/** A provider problem the place did not have before (or a different one), or undefined. */
function newProblem({ next, previous, at }: LocationChange): ProvisioningFailedDetail | undefined {
  if (next.status !== 'live' || !next.problem || next.problem === previous?.problem) return undefined;
  return {
    schemaVersion: 1,
    ...placeDetailOf(next),
    fingerprint: next.fingerprint,
    state: next.providerStatus ?? null,
    problem: next.problem,
    at,
  };
}

function changeDetail(change: LocationChange, kind: PublishedChangeKind): InventoryChangeDetail {
  const { next, previous } = change;
  return {
    schemaVersion: 1 as const,
    locationId: next.locationId,
    source: next.source,
    sourceKind: next.sourceKind,
    nativeId: next.nativeId,
    change: kind,
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
    publicKeySha256: record.publicKeySha256,
  };
}

interface ResolvedEntry {
  state: LocationState;
  certificate: ParsedCertificate | null;
  warnings?: string[];
}

function toLocationState(
  source: CertificateSource,
  entry: SourceEntry,
  loaded: LoadedEntry,
  previous: StoredLocation | undefined,
): ResolvedEntry {
  const kept = keptCertificate(loaded, previous);
  const state: Omit<LocationState, 'contentHash'> = {
    ...loaded.metadata,
    // Usage that could not be read this time is not a usage of none (LocationMetadata.inUseBy).
    inUseBy: loaded.metadata.inUseBy ?? previous?.inUseBy,
    locationId: locationIdOf(source.kind, entry.nativeId),
    source: source.name,
    sourceKind: source.kind,
    nativeId: entry.nativeId,
    role: entry.role,
    scope: entry.scope,
    summaryHash: entry.summaryHash,
    status: 'live',
    fingerprint: loaded.certificate?.record.fingerprintSha256 ?? kept?.fingerprint ?? null,
    certificate: loaded.certificate ? summarize(loaded.certificate) : (kept?.certificate ?? null),
    error: loaded.error,
  };
  return {
    state: { ...state, contentHash: contentHash(state) },
    certificate: loaded.certificate,
    warnings: loaded.warnings,
  };
}

/** The stored certificate a place keeps when the source names it but will not hand it over (see sameCertificateAs). */
function keptCertificate(loaded: LoadedEntry, previous: StoredLocation | undefined) {
  const same = loaded.sameCertificateAs;
  if (loaded.certificate || !same || !previous?.fingerprint || previous.status !== 'live') return undefined;
  if (previous.details?.[same.detail] !== same.value) return undefined;
  return { fingerprint: previous.fingerprint, certificate: previous.certificate };
}

/** The state part of a stored location (what a source reports), with its hash recomputed on change. */
function stateOf(stored: StoredLocation): LocationState {
  const {
    version: _v,
    firstSeenAt: _f,
    changedAt: _c,
    removedAt: _r,
    stale: _s,
    historyId: _h,
    nextAlertAt: _n,
    revocation: _rv,
    nextRevocationCheckAt: _rn,
    lastRenewal: _lr,
    ...state
  } = stored;
  return state;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The one allowance of the batches no provider paces (ScopePacedBatches.scopesOf); no scope is named so. */
const READ_BY_LISTING = '\u0000read by the listing';

/**
 * Runs batches of listed places, at most BATCHES_IN_FLIGHT_PER_SCOPE at once per scope they hold: a batch whose scope
 * is busy waits, and batches of other scopes listed after it start. `add` waits only when MAX_BATCHES_HELD are in
 * flight or waiting, and throws the first batch's failure (after which no waiting batch starts). Nothing waits
 * while nothing runs: a batch waits only for a busy scope, and the last batch of a scope to finish starts the
 * scope's next.
 */
class ScopePacedBatches {
  failure: { error: unknown } | undefined;
  private readonly running = new Set<Promise<void>>();
  private readonly waiting: SourceEntry[][] = [];
  private readonly busy = new Map<string, number>();

  constructor(private readonly run: (entries: SourceEntry[]) => Promise<void>) {}

  async add(entries: SourceEntry[]): Promise<void> {
    this.throwFailure();
    if (this.startable(entries)) this.start(entries);
    else this.waiting.push(entries);
    while (this.running.size + this.waiting.length >= MAX_BATCHES_HELD) {
      await Promise.race(this.running);
      this.throwFailure();
    }
  }

  /** Waits for every batch added; throws the first failure, also one that ended before this was called. */
  async done(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.race(this.running);
      this.throwFailure();
    }
    this.throwFailure();
  }

  /** Waits for the batches that started, whatever becomes of them. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private throwFailure(): void {
    if (this.failure) throw this.failure.error;
  }

  /**
   * The quotas a batch waits on: its entries' scopes where a detail call loads them. Entries the listing read
   * whole (local files, read ahead by the source) wait on no provider, whatever folder they are in: their batches
   * share one allowance, so that a scan of 100 folders keeps the memory of 4 batches, not 32.
   */
  private scopesOf(entries: SourceEntry[]): Set<string> {
    return new Set(entries.map((entry) => (entry.load ? entry.scope : READ_BY_LISTING)));
  }

  private startable(entries: SourceEntry[]): boolean {
    return [...this.scopesOf(entries)].every((scope) => (this.busy.get(scope) ?? 0) < BATCHES_IN_FLIGHT_PER_SCOPE);
  }

  private start(entries: SourceEntry[]): void {
    const scopes = this.scopesOf(entries);
    for (const scope of scopes) this.busy.set(scope, (this.busy.get(scope) ?? 0) + 1);
    const task: Promise<void> = this.run(entries)
      .catch((error: unknown) => void (this.failure ??= { error }))
      .finally(() => {
        this.running.delete(task);
        for (const scope of scopes) this.busy.set(scope, this.busy.get(scope)! - 1);
        if (!this.failure) this.startWaiting();
      });
    this.running.add(task);
  }

  /** In the order listed: a scope's batches start in turn. */
  private startWaiting(): void {
    for (let index = 0; index < this.waiting.length;) {
      if (this.startable(this.waiting[index])) this.start(this.waiting.splice(index, 1)[0]);
      else index++;
    }
  }
}
