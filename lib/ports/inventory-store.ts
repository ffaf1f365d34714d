import type { CertificateKind, CertificateRecord, ParsedCertificate } from '../domain/certificate';
import type { ChangeKind } from '../domain/events';
import type { ExemptionRef, Severity } from '../domain/policy/types';
import type { RevocationStatus } from '../domain/revocation';
import type { LocationMetadata, SourceEntry, SourceKind } from './certificate-source';

export type { ChangeKind };

export type LocationStatus = 'live' | 'removed';

/** The few certificate fields copied onto a location, so that listing and alerting need no second read. */
export interface CertificateSummary {
  subject: string;
  subjectCommonName: string | null;
  issuer: string;
  dnsNames: string[];
  notBefore: string;
  notAfter: string;
  kind: CertificateKind;
  keyAlgorithm: string;
  keySize: number | null;
  signatureHash: string | null;
  isCA: boolean;
  selfSigned: boolean;
  publicKeySha256: string;
}

export interface LocationState extends LocationMetadata {
  locationId: string;
  source: string;
  sourceKind: SourceKind;
  nativeId: string;
  role: SourceEntry['role'];
  /** See SourceEntry.scope. */
  scope: string;
  /** See SourceEntry.summaryHash. */
  summaryHash?: string;
  status: LocationStatus;
  fingerprint: string | null;
  certificate: CertificateSummary | null;
  error?: string;
  /** Set while the scope of this place cannot be read: the place is kept as last seen. */
  stale?: StaleMark;
  /** Hash of everything above that a source reports: equal hash, nothing to write. */
  contentHash: string;
}

/** A place's write that failed, with why; see InventoryStore.applyChanges. */
export interface FailedWrite {
  failed: unknown;
}

export interface StaleMark {
  /** When the scope first failed to list. */
  since: string;
  /** The last time the scope was listed completely (hour precision), if known. */
  lastGoodReadAt: string | null;
  reason: string;
}

export interface StoredLocation extends LocationState {
  /** Increments on every change; the key of the history record of that change. */
  version: number;
  firstSeenAt: string;
  changedAt: string;
  removedAt?: string;
  /** The history record of the current version (see history): each record names the one before it. */
  historyId?: string;
  /**
   * When the expiry evaluation must look at this place next (the alert schedule): set to the time of the change
   * when a live place gets a certificate it did not have, kept while the certificate stays, moved on by the
   * evaluation to the next threshold it will cross (`scheduleNextAlert`), absent when no alert is left to send.
   */
  nextAlertAt?: string;
  /** The last revocation check of the place's certificate; dropped when the place gets another certificate. */
  revocation?: RevocationStatus;
  /**
   * When the revocation status must be checked next: set to the time of the change when a live place gets a
   * certificate it did not have (so a sync's new and changed certificates are due at once), then moved on by
   * each check (`recordRevocation`), absent when nothing will tell more (revoked, nowhere to ask).
   */
  nextRevocationCheckAt?: string;
  /**
   * How the last renewal attempt at the place ended (`renew` writes it when an attempt finishes; the renewal
   * ledger keeps every attempt): kept across the place's changes, since a renewal's success is a new certificate.
   */
  lastRenewal?: LastRenewal;
}

/** The end of a renewal attempt, as `certwarden list --json` shows it. */
export interface LastRenewal {
  outcome: 'succeeded' | 'failed' | 'pending';
  /** When the attempt ended. */
  at: string;
  /** The provider's words for a failure (or why nobody renews the place); null otherwise. */
  error: string | null;
  /** The certificate the renewal put in place, when known. */
  newFingerprint: string | null;
}

/** One entry of a location's audit trail. */
/**
 * What a listing of places shows (`certwarden list`'s table): a listing reads these fields of each place rather
 * than whole items, a fifth of the CPU of listing 10,000 places on the embedded store.
 */
/**
 * The places that need a look, apart from the certificates they hold: `removed` (tombstones), `error` (a read
 * error or a provider problem), `pending` (live, no certificate yet, nothing wrong: an issuance under way).
 */
export type ExceptionStatus = 'removed' | 'error' | 'pending';

export type LocationListing = Pick<
  StoredLocation,
  'locationId' | 'nativeId' | 'role' | 'owner' | 'source' | 'revocation' | 'sourceKind' | 'renewal' | 'managed'
> & {
  /** Only ACM's `type`, which the renewal method reads. */
  details?: { type?: unknown };
  certificate: Pick<
    CertificateSummary,
    'notBefore' | 'notAfter' | 'subject' | 'subjectCommonName' | 'dnsNames' | 'kind' | 'isCA' | 'issuer'
  > | null;
};

export interface HistoryRecord {
  locationId: string;
  version: number;
  /** Tells apart records of one version written by writers that raced: only the winner's is in the chain. */
  historyId: string;
  previousHistoryId: string | null;
  change: ChangeKind;
  at: string;
  fingerprint: string | null;
  previousFingerprint: string | null;
  contentHash: string;
}

export interface LocationChange {
  next: LocationState;
  /** The stored state this change was computed from; absent for a location never seen before. */
  previous?: StoredLocation;
  change: ChangeKind;
  at: string;
  /**
   * True when the certificate the place gets names nowhere to ask (revocationKnownAtOnce): its status is recorded
   * with the change, unknown for good, instead of a check being scheduled that nobody can answer.
   */
  revocationKnownAtOnce?: boolean;
}

export interface SyncRunRecord {
  source: string;
  sourceKind: SourceKind;
  startedAt: string;
  finishedAt: string;
  /** False when the listing broke: then nothing was marked removed. */
  complete: boolean;
  counts: Record<ChangeKind | 'unchanged' | 'errors', number>;
  /** Scopes that could not be listed: their places were kept and marked stale. */
  failedScopes: Array<{ scope: string; message: string }>;
  /** Policy enforcement on this run's places, when a policy was given. */
  policy?: { evaluated: number; opened: number; resolved: number; kept: number };
  errors: Array<{ nativeId: string; message: string }>;
  /** Worth a look but not errors (a private key found and dropped). */
  warnings: string[];
}

/** A policy rule broken by the certificate at a place, as the inventory keeps it until it is resolved. */
export interface StoredViolation {
  locationId: string;
  source: string;
  sourceKind: SourceKind;
  nativeId: string;
  owner: string;
  fingerprint: string | null;
  subjectCommonName: string | null;
  ruleId: string;
  severity: Severity;
  message: string;
  details: Record<string, unknown>;
  /** The exemption that covers it: reported, not counted as open. Null when it is open. */
  exemption: ExemptionRef | null;
  /** When it was first found at this place. */
  detectedAt: string;
  /**
   * Bumped by every write of it: what a write that announces a change is conditional on (InventoryStore
   * claimViolationChanges). Absent on one stored before revisions, and on what the listings return.
   */
  revision?: number;
}

/** A violation of a place as a writer found it (`before`) and as it leaves it (`after`; null: resolved, removed). */
export interface ViolationChange {
  before: StoredViolation | undefined;
  after: StoredViolation | null;
}

/** A certificate as the register of public keys knows it: enough to tell a renewal from an unrelated reuse. */
export interface KeyUser {
  fingerprint: string;
  subject: string;
  subjectCommonName: string | null;
  dnsNames: string[];
}

/**
 * What a sync keeps about one scope of a source, in one small item: the only thing an unchanged resync may write,
 * at most once an hour (the read time) or a day (the policy mark).
 */
export interface ScopeNote {
  /** When the scope was last listed completely (hour precision): stale marks and periodic re-checks count from it. */
  lastGoodReadAt?: string;
  /** What the scope's places were last fully evaluated against (a hash of the policy and the day). */
  policyMark?: string;
}

export interface ListOptions {
  /** Stop after this many. */
  limit?: number;
}

/**
 * The alert schedule is split into this many shards (by location id), so that evaluations run side by side
 * and no single invocation reads the whole of what is due.
 */
export const ALERT_SHARDS = 8;

export interface InventoryStore {
  /**
   * The stored state of these locations (missing ones are absent from the map), possibly a moment stale (on AWS
   * eventually consistent, half the read units): the sync compares with it and moves a location only from the
   * version it read, so a stale one ends in a conflict, re-read with getLocation and tried again.
   */
  getLocations(locationIds: string[]): Promise<Map<string, StoredLocation>>;
  /** The stored state of one location, as last written (strongly consistent): what a retry after a conflict reads. */
  getLocation(locationId: string): Promise<StoredLocation | undefined>;
  /** Certificates are immutable by fingerprint, so saving one twice is harmless. */
  saveCertificates(certificates: ParsedCertificate[]): Promise<void>;
  getCertificate(fingerprint: string): Promise<(CertificateRecord & { pem: string }) | undefined>;
  /**
   * Applies a change: records it in the location's history, then moves the location to its next state only if
   * it is still at `previous.version`. Returns the stored result, or `conflict` if someone else changed it first
   * (the history record written then never becomes part of the location's history).
   */
  applyChange(change: LocationChange): Promise<StoredLocation | 'conflict'>;
  /**
   * applyChange for many places at once, in fewer round trips: each result at its change's index. A place whose
   * write failed (a throttle past the client's retries) is a FailedWrite there: the others are written all the same,
   * and their caller owes them their events.
   */
  applyChanges(changes: LocationChange[]): Promise<Array<StoredLocation | 'conflict' | FailedWrite>>;
  locationsOfCertificate(fingerprint: string): AsyncIterable<StoredLocation>;
  /** Live places whose certificate has this public key (SPKI SHA-256). */
  locationsWithPublicKey(publicKeySha256: string): AsyncIterable<StoredLocation>;
  /**
   * The register of public keys, for the key-reuse rule: up to `sample` of the distinct certificates of the
   * inventory with this key, and whether there are more. One query of at most `sample + 1` items however many
   * share it.
   */
  keyUsers(publicKeySha256: string, sample: number): Promise<{ sample: KeyUser[]; more: boolean }>;
  /** Which of these certificates (fingerprints) are in the registers of their keys: batched reads by key. */
  registeredKeyUsers(users: Array<{ publicKeySha256: string; fingerprint: string }>): Promise<Set<string>>;
  /** Adds certificates to the registers of their keys, in batches; adding one again changes nothing. */
  addKeyUsers(users: Array<{ publicKeySha256: string; user: KeyUser }>): Promise<void>;
  /** Takes certificates out of the registers of their keys (no live place holds them any more), in batches. */
  removeKeyUsers(users: Array<{ publicKeySha256: string; fingerprint: string }>): Promise<void>;
  /** Live locations whose certificate expires before `cutoff`, soonest first. */
  expiringBefore(cutoff: Date, options?: ListOptions): AsyncIterable<StoredLocation>;
  /** The same places as expiringBefore, with only the fields a listing shows. */
  listingsExpiringBefore(cutoff: Date, options?: ListOptions): AsyncIterable<LocationListing>;
  /**
   * Live places of one alert-schedule shard (0 ≤ shard < ALERT_SHARDS) whose `nextAlertAt` is at or before `now`,
   * earliest first: all the expiry evaluation reads, so it grows with the alerts due, not with the inventory.
   */
  alertsDue(shard: number, now: Date, options?: ListOptions): AsyncIterable<StoredLocation>;
  /**
   * Moves a place's next look to `at` (null: nothing left to alert), unless its certificate changed since it was
   * read (then the sync has already scheduled it afresh). Never changes the place's version.
   */
  scheduleNextAlert(locationId: string, fingerprint: string, at: string | null): Promise<void>;
  /**
   * Live places of one shard (0 ≤ shard < ALERT_SHARDS) whose revocation status is due a check at `now`, earliest
   * first: an unchanged inventory has none due between checks, so reading them costs nothing then.
   */
  revocationChecksDue(shard: number, now: Date, options?: ListOptions): AsyncIterable<StoredLocation>;
  /**
   * Makes a place's revocation check due at `at` (null: never), unless its certificate changed since it was read:
   * for places synced before revocation checks existed (`certwarden evaluate --all`).
   */
  scheduleRevocationCheck(locationId: string, fingerprint: string, at: string | null): Promise<void>;
  /**
   * Stores a revocation check's result on a place and moves its next check to `nextCheckAt` (null: none), unless
   * its certificate changed since it was read. Never changes the place's version. False when it had changed.
   */
  recordRevocation(
    locationId: string,
    fingerprint: string,
    revocation: RevocationStatus,
    nextCheckAt: string | null,
  ): Promise<boolean>;
  /**
   * Stores how a renewal attempt at a place ended, unless the place is gone or holds a later attempt's end. Never
   * changes the place's version; a sync that read the place before this write conflicts and reads it again, so it
   * cannot put back the previous end. False when nothing was written.
   */
  recordRenewal(locationId: string, lastRenewal: LastRenewal): Promise<boolean>;
  /**
   * Live places whose certificate was found revoked at its last check, earliest revocation first: a sparse index,
   * so reading them costs what they are, not the inventory.
   */
  revokedPlaces(options?: ListOptions): AsyncIterable<StoredLocation>;
  /**
   * Live locations of an owner, soonest expiry first; with `before`, only those whose certificate expires before it
   * (reading nothing else).
   */
  byOwner(owner: string, options?: ListOptions & { before?: Date }): AsyncIterable<StoredLocation>;
  /**
   * Locations of a configured source in one status; with `scope`, only that scope's (reading nothing else, so a
   * sync of one scope costs what that scope holds, not what the source holds).
   */
  bySource(
    source: string,
    status: LocationStatus,
    options?: ListOptions & { scope?: string },
  ): AsyncIterable<StoredLocation>;
  /** Locations off the expiry index: see ExceptionStatus. Most recent first. */
  byStatus(status: ExceptionStatus, options?: ListOptions): AsyncIterable<StoredLocation>;
  history(locationId: string): Promise<HistoryRecord[]>;
  recordSyncRun(run: SyncRunRecord): Promise<void>;
  /** Full records of these certificates (missing ones are absent from the map). */
  getCertificates(fingerprints: string[]): Promise<Map<string, CertificateRecord>>;
  /**
   * The violations stored at a place, possibly a moment stale (eventually consistent): a place is enforced by one
   * run at a time and its violations were written by an earlier run, long settled.
   */
  violationsAt(locationId: string): Promise<StoredViolation[]>;
  /** Saves violations (replacing those of the same place and rule), in batches. */
  saveViolations(violations: StoredViolation[]): Promise<void>;
  /**
   * Writes each change only where the stored violation is still its `before` (by revision; absent for a new one):
   * true where this writer's change went in, false where another's came first, so that of two runs judging the same
   * place at once, one announces what changed.
   */
  claimViolationChanges(changes: ViolationChange[]): Promise<boolean[]>;
  removeViolations(violations: Array<{ locationId: string; ruleId: string }>): Promise<void>;
  /** Open violations of one rule across the inventory, most severe first; with `exempted`, the exempted ones. */
  violationsByRule(ruleId: string, options?: ListOptions & { exempted?: boolean }): AsyncIterable<StoredViolation>;
  /** An owner's violations, by rule. */
  violationsByOwner(owner: string, options?: ListOptions): AsyncIterable<StoredViolation>;
  /**
   * What the places of a whole source were last fully evaluated against (a hash of the policy and the day); a
   * scope's is in its note (ScopeNote.policyMark).
   */
  policyMark(source: string): Promise<string | undefined>;
  setPolicyMark(source: string, mark: string): Promise<void>;
  /** The notes of each scope of a source (only those named, when given). */
  scopeNotes(source: string, scopes?: string[]): Promise<Map<string, ScopeNote>>;
  /** Replaces these scopes' notes. */
  recordScopeNotes(source: string, notes: Map<string, ScopeNote>): Promise<void>;
  syncRuns(source: string, options?: ListOptions): Promise<SyncRunRecord[]>;
}
