import { contentHash } from '../domain/content-hash';
import type { CertwardenEvent, PolicyViolationDetail } from '../domain/events';
import { evaluatePolicy, type CompiledPolicy } from '../domain/policy';
import type { CertificateRecord } from '../domain/certificate';
import type { KeySharingCertificate, Violation } from '../domain/policy/types';
import type { Clock } from '../ports/clock';
import { discardEvents, type EventPublisher } from '../ports/event-publisher';
import type {
  InventoryStore,
  KeyUser,
  StoredLocation,
  StoredViolation,
  ViolationChange,
} from '../ports/inventory-store';
import { parseCertificates } from '../x509/parse';

export interface EnforcePolicyOptions {
  store: InventoryStore;
  policy: CompiledPolicy;
  clock: Clock;
  events?: EventPublisher;
  /** Places to evaluate; removed ones have every violation resolved. */
  locations: AsyncIterable<StoredLocation> | Iterable<StoredLocation>;
  /** Places evaluated per round trip. @default 100 */
  batchSize?: number;
  /**
   * Places never evaluated before (discovered by the run that enforces now): they have no stored violations to
   * read. @default none: every place's violations are read
   */
  neverEvaluated?: (locationId: string) => boolean;
}

export interface EnforcementReport {
  evaluated: number;
  opened: number;
  resolved: number;
  /** Violations found again, unchanged or updated (a new message or severity, an exemption that came or went). */
  kept: number;
}

/**
 * Brings the stored violations of places to what the policy says of their certificates now: a new violation
 * is saved and announced (Policy Violation), one that no longer holds is removed and announced (Violation
 * Resolved), whether the certificate changed, the place went away or the policy changed. Writes only what
 * differs. Key reuse is judged against the register of public keys (one query of at most KEY_SAMPLE certificates
 * per place evaluated, however many share the key, so a sync costs what changed); a place that starts sharing its
 * key with a new one is re-judged at the next full evaluation (daily), the new one at once.
 */
export async function enforcePolicy(options: EnforcePolicyOptions): Promise<EnforcementReport> {
  const { store, policy, clock, events = discardEvents, batchSize = 100 } = options;
  const report: EnforcementReport = { evaluated: 0, opened: 0, resolved: 0, kept: 0 };

  const enforceBatch = async (batch: StoredLocation[]) => {
    const now = clock.now();
    const at = now.toISOString();
    const live = batch.filter((location) => location.status === 'live' && location.fingerprint);
    const certificates = await upToDate(
      store,
      await store.getCertificates(live.map((location) => location.fingerprint!)),
    );
    const keys = await keysOfBatch(store, [...certificates.values()]);
    const published: CertwardenEvent[] = [];
    const saves: StoredViolation[] = [];
    const removals: StoredViolation[] = [];
    // Changes that announce (opened, resolved) at a place another run may be judging too: written conditionally,
    // announced by the run whose write went in. A place this run discovered is judged by this run alone.
    const claims: Array<{ change: ViolationChange; event: CertwardenEvent; counted: 'opened' | 'resolved' }> = [];
    await Promise.all(
      batch.map(async (location) => {
        const record = location.fingerprint ? certificates.get(location.fingerprint) : undefined;
        const wanted = new Map<string, StoredViolation>();
        if (location.status === 'live' && record) {
          report.evaluated++;
          const evaluation = evaluatePolicy(policy, { certificate: record, location }, { now, ...keys.of(record) });
          for (const violation of evaluation.violations)
            wanted.set(violation.ruleId, stored(location, violation, null, at));
          for (const { violation, exemption } of evaluation.exemptions) {
            wanted.set(violation.ruleId, stored(location, violation, exemption, at));
          }
        }
        const fresh = options.neverEvaluated?.(location.locationId) ?? false;
        const existing = new Map(
          (fresh ? [] : await store.violationsAt(location.locationId)).map((v) => [v.ruleId, v]),
        );
        const announce = (change: ViolationChange, event: CertwardenEvent, counted: 'opened' | 'resolved') => {
          if (!fresh) return claims.push({ change, event, counted });
          if (change.after) saves.push({ ...change.after, revision: 1 });
          else removals.push(change.before!);
          report[counted]++;
          published.push(event);
        };
        for (const [ruleId, violation] of wanted) {
          const before = existing.get(ruleId);
          if (before && sameFinding(before, violation)) {
            report.kept++;
            continue;
          }
          const after = { ...violation, detectedAt: before?.detectedAt ?? violation.detectedAt };
          const nowOpen = violation.exemption === null;
          const wasOpen = before !== undefined && before.exemption === null;
          if (nowOpen && !wasOpen) {
            announce({ before, after }, { detailType: 'Policy Violation', detail: detailOf(violation, at) }, 'opened');
          } else if (!nowOpen && wasOpen) {
            announce({ before, after }, { detailType: 'Violation Resolved', detail: detailOf(before, at) }, 'resolved');
          } else {
            saves.push({ ...after, revision: (before?.revision ?? 0) + 1 });
            report.kept++;
          }
        }
        for (const [ruleId, before] of existing) {
          if (wanted.has(ruleId)) continue;
          if (before.exemption === null)
            announce(
              { before, after: null },
              { detailType: 'Violation Resolved', detail: detailOf(before, at) },
              'resolved',
            );
          else removals.push(before);
        }
      }),
    );
    // The batch's writes go together (only those that announce are conditional: the claims), then the events: an
    // announced violation is always stored.
    await store.addKeyUsers(keys.unregistered);
    const [won] = await Promise.all([
      store.claimViolationChanges(claims.map(({ change }) => change)),
      store.saveViolations(saves),
      store.removeViolations(removals),
    ]);
    claims.forEach(({ event, counted }, index) => {
      if (!won[index]) return;
      report[counted]++;
      published.push(event);
    });
    if (published.length > 0) await events.publish(published);
  };

  let batch: StoredLocation[] = [];
  for await (const location of options.locations) {
    batch.push(location);
    if (batch.length >= batchSize) {
      await enforceBatch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await enforceBatch(batch);
  return report;
}

/**
 * What a full evaluation of a source's places was done against: the policy and the day, so that exemptions
 * that expire and rules judged by date are applied at least daily.
 */
export const policyMarkOf = (policy: CompiledPolicy, now: Date): string =>
  `${contentHash(policy.config)}@${now.toISOString().slice(0, 10)}`;

/**
 * Distinct certificates read from a key's register per place judged. Exact up to this many sharers; beyond, the
 * rule judges on this sample and says "at least" (a key shared by more than 50 certificates whose names all
 * overlap this one's, with an unrelated one further on, is the case a sample can miss until it is shown).
 */
const KEY_SAMPLE = 50;

/**
 * The other certificates of the inventory with each certificate's public key, as the key-reuse rule reads them,
 * from the register of keys: one query per distinct key of the batch, however many places share it, plus the
 * batch's own certificates (so places of one batch see each other). Names the batch's certificates missing from
 * the register, which the caller adds (a read, no write, once they are there).
 */
async function keysOfBatch(
  store: InventoryStore,
  records: CertificateRecord[],
): Promise<{
  of(record: CertificateRecord): { sameKeyElsewhere: KeySharingCertificate[]; sameKeySampled: boolean };
  unregistered: Array<{ publicKeySha256: string; user: KeyUser }>;
}> {
  const byKey = new Map<string, Map<string, KeyUser>>();
  for (const record of records) {
    const users = byKey.get(record.publicKeySha256) ?? new Map<string, KeyUser>();
    users.set(record.fingerprintSha256, keyUserOf(record));
    byKey.set(record.publicKeySha256, users);
  }
  const registers = new Map<string, { users: Map<string, KeyUser>; more: boolean }>();
  const unseen: Array<{ publicKeySha256: string; user: KeyUser }> = [];
  await Promise.all(
    [...byKey].map(async ([key, batchUsers]) => {
      const { sample, more } = await store.keyUsers(key, KEY_SAMPLE);
      const users = new Map(sample.map((user) => [user.fingerprint, user]));
      for (const [fingerprint, user] of batchUsers) {
        if (!users.has(fingerprint)) unseen.push({ publicKeySha256: key, user });
        users.set(fingerprint, user);
      }
      registers.set(key, { users, more });
    }),
  );
  // Not in a key's sample: in its register further on (a key of more than KEY_SAMPLE), or not yet in it.
  const further = new Set(
    unseen.length > 0
      ? await store.registeredKeyUsers(
          unseen.map(({ publicKeySha256, user }) => ({ publicKeySha256, fingerprint: user.fingerprint })),
        )
      : [],
  );
  const unregistered = unseen.filter(({ user }) => !further.has(user.fingerprint));
  return {
    of(record) {
      const { users, more } = registers.get(record.publicKeySha256)!;
      const sameKeyElsewhere = [...users.values()]
        .filter((user) => user.fingerprint !== record.fingerprintSha256)
        .map(keySharing);
      return { sameKeyElsewhere, sameKeySampled: more };
    },
    unregistered,
  };
}

const keySharing = (user: KeyUser): KeySharingCertificate => ({
  fingerprintSha256: user.fingerprint,
  subject: user.subject,
  subjectCommonName: user.subjectCommonName,
  sans: { dns: user.dnsNames, ip: [], email: [], uri: [] },
});

/**
 * The other certificates with one certificate's public key, as enforcement judges key reuse (`policy explain`
 * shows what `list --violations --rule key-reuse` holds): its key's register; when the register does not hold the
 * certificate (an inventory synced without a policy keeps none), the live places with that key, up to KEY_SAMPLE
 * certificates. Reads only.
 */
export async function keySharingOf(
  store: InventoryStore,
  record: CertificateRecord,
): Promise<{ sameKeyElsewhere: KeySharingCertificate[]; sameKeySampled: boolean }> {
  const keys = await keysOfBatch(store, [record]);
  if (keys.unregistered.length === 0) return keys.of(record);
  const others = new Map<string, KeySharingCertificate>();
  for await (const place of store.locationsWithPublicKey(record.publicKeySha256)) {
    const { fingerprint, certificate, status } = place;
    if (status !== 'live' || !fingerprint || !certificate || fingerprint === record.fingerprintSha256) continue;
    if (others.has(fingerprint)) continue;
    if (others.size === KEY_SAMPLE) return { sameKeyElsewhere: [...others.values()], sameKeySampled: true };
    const { subject, subjectCommonName, dnsNames } = certificate;
    others.set(fingerprint, keySharing({ fingerprint, subject, subjectCommonName, dnsNames }));
  }
  return { sameKeyElsewhere: [...others.values()], sameKeySampled: false };
}

const keyUserOf = (record: CertificateRecord): KeyUser => ({
  fingerprint: record.fingerprintSha256,
  subject: record.subject,
  subjectCommonName: record.subjectCommonName,
  dnsNames: record.sans.dns,
});

/**
 * Adds the certificates that arrived at places (new, renewed, restored) to the register of their keys, before
 * any place is judged against it: then a first sync's evaluation sees every certificate of the source.
 */
export async function registerArrivedCertificates(store: InventoryStore, places: StoredLocation[]): Promise<void> {
  const arrived = new Map<string, { publicKeySha256: string; user: KeyUser }>();
  for (const { fingerprint, certificate, status } of places) {
    if (status !== 'live' || !fingerprint || !certificate) continue;
    arrived.set(fingerprint, {
      publicKeySha256: certificate.publicKeySha256,
      user: {
        fingerprint,
        subject: certificate.subject,
        subjectCommonName: certificate.subjectCommonName,
        dnsNames: certificate.dnsNames,
      },
    });
  }
  await store.addKeyUsers([...arrived.values()]);
}

/** A certificate that left a place (renewed, removed): where it is no longer live anywhere, its key forgets it. */
export interface DepartedCertificate {
  fingerprint: string;
  publicKeySha256: string;
}

/**
 * Takes certificates that no live place holds any more out of the register of keys, so that a key-reuse
 * violation never names a certificate that is gone. Costs a query per departed certificate, stopping at the first
 * live place found.
 */
export async function forgetDepartedCertificates(
  store: InventoryStore,
  departed: DepartedCertificate[],
): Promise<void> {
  const unique = new Map(departed.map((certificate) => [certificate.fingerprint, certificate]));
  const gone = await Promise.all(
    [...unique.values()].map(async (certificate) => {
      for await (const place of store.locationsOfCertificate(certificate.fingerprint)) {
        if (place.status === 'live') return undefined;
      }
      return certificate;
    }),
  );
  await store.removeKeyUsers(gone.filter((certificate) => certificate !== undefined));
}

function stored(
  location: StoredLocation,
  violation: Violation,
  exemption: StoredViolation['exemption'],
  at: string,
): StoredViolation {
  return {
    locationId: location.locationId,
    source: location.source,
    sourceKind: location.sourceKind,
    nativeId: location.nativeId,
    owner: location.owner,
    fingerprint: location.fingerprint,
    subjectCommonName: location.certificate?.subjectCommonName ?? null,
    ruleId: violation.ruleId,
    severity: violation.severity,
    message: violation.message,
    details: violation.details,
    exemption,
    detectedAt: at,
  };
}

const sameFinding = (a: StoredViolation, b: StoredViolation): boolean =>
  contentHash({ ...a, detectedAt: null, revision: null }) === contentHash({ ...b, detectedAt: null, revision: null });

function detailOf(violation: StoredViolation, at: string): PolicyViolationDetail {
  return {
    schemaVersion: 1,
    locationId: violation.locationId,
    source: violation.source,
    sourceKind: violation.sourceKind,
    nativeId: violation.nativeId,
    owner: violation.owner,
    fingerprint: violation.fingerprint,
    subjectCommonName: violation.subjectCommonName,
    ruleId: violation.ruleId,
    severity: violation.severity,
    message: violation.message,
    at,
  };
}

/**
 * Records stored before the fields the newer rules read (see CertificateRecord) are read again from their bytes and
 * stored again, once: a sync stores a certificate only when it first sees it, so without this they would stay
 * not-applicable to those rules for as long as they are deployed.
 */
async function upToDate(
  store: InventoryStore,
  certificates: Map<string, CertificateRecord>,
): Promise<Map<string, CertificateRecord>> {
  const stale = [...certificates.values()].filter((record) => record.signatureAlgorithmsMatch === undefined);
  if (stale.length === 0) return certificates;
  const reread = await Promise.all(
    stale.map(async ({ fingerprintSha256 }) => {
      const stored = await store.getCertificate(fingerprintSha256);
      if (!stored) return [];
      try {
        return parseCertificates(stored.pem, fingerprintSha256).certificates.slice(0, 1);
      } catch {
        return []; // It was read once; if it no longer is, the old record still serves the other rules.
      }
    }),
  );
  const parsed = reread.flat();
  await store.saveCertificates(parsed);
  for (const { record } of parsed) certificates.set(record.fingerprintSha256, record);
  return certificates;
}
