import { contentHash } from '../domain/content-hash';
import type { CertwardenEvent, PolicyViolationDetail } from '../domain/events';
import { evaluatePolicy, type CompiledPolicy } from '../domain/policy';
import type { CertificateRecord } from '../domain/certificate';
import type { KeySharingCertificate, Violation } from '../domain/policy/types';
import type { Clock } from '../ports/clock';
import { discardEvents, type EventPublisher } from '../ports/event-publisher';
import type { InventoryStore, StoredLocation, StoredViolation } from '../ports/inventory-store';

export interface EnforcePolicyOptions {
  store: InventoryStore;
  policy: CompiledPolicy;
  clock: Clock;
  events?: EventPublisher;
  /** Places to evaluate; removed ones have every violation resolved. */
  locations: AsyncIterable<StoredLocation> | Iterable<StoredLocation>;
  /** Places evaluated per round trip. @default 100 */
  batchSize?: number;
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
 * differs. Key reuse is judged against every live place of the inventory with the same public key (an index
 * query per place evaluated); a place that starts sharing its key with a new one is re-judged at the next full
 * evaluation (daily), the new one at once.
 */
export async function enforcePolicy(options: EnforcePolicyOptions): Promise<EnforcementReport> {
  const { store, policy, clock, events = discardEvents, batchSize = 100 } = options;
  const report: EnforcementReport = { evaluated: 0, opened: 0, resolved: 0, kept: 0 };

  const enforceBatch = async (batch: StoredLocation[]) => {
    const now = clock.now();
    const at = now.toISOString();
    const live = batch.filter((location) => location.status === 'live' && location.fingerprint);
    const certificates = await store.getCertificates(live.map((location) => location.fingerprint!));
    const published: CertwardenEvent[] = [];
    await Promise.all(
      batch.map(async (location) => {
        const record = location.fingerprint ? certificates.get(location.fingerprint) : undefined;
        const wanted = new Map<string, StoredViolation>();
        if (location.status === 'live' && record) {
          report.evaluated++;
          const sameKeyElsewhere = await sharingTheKey(store, record);
          const evaluation = evaluatePolicy(policy, { certificate: record, location }, { now, sameKeyElsewhere });
          for (const violation of evaluation.violations)
            wanted.set(violation.ruleId, stored(location, violation, null, at));
          for (const { violation, exemption } of evaluation.exemptions) {
            wanted.set(violation.ruleId, stored(location, violation, exemption, at));
          }
        }
        const existing = new Map((await store.violationsAt(location.locationId)).map((v) => [v.ruleId, v]));
        for (const [ruleId, violation] of wanted) {
          const before = existing.get(ruleId);
          if (before && sameFinding(before, violation)) {
            report.kept++;
            continue;
          }
          await store.saveViolation(before ? { ...violation, detectedAt: before.detectedAt } : violation);
          const nowOpen = violation.exemption === null;
          const wasOpen = before !== undefined && before.exemption === null;
          if (nowOpen && !wasOpen) {
            report.opened++;
            published.push({ detailType: 'Policy Violation', detail: detailOf(violation, at) });
          } else if (!nowOpen && wasOpen) {
            report.resolved++;
            published.push({ detailType: 'Violation Resolved', detail: detailOf(before, at) });
          } else {
            report.kept++;
          }
        }
        for (const [ruleId, before] of existing) {
          if (wanted.has(ruleId)) continue;
          await store.removeViolation(location.locationId, ruleId);
          if (before.exemption === null) {
            report.resolved++;
            published.push({ detailType: 'Violation Resolved', detail: detailOf(before, at) });
          }
        }
      }),
    );
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

/** Other certificates of the inventory with this certificate's public key, as the key-reuse rule reads them. */
async function sharingTheKey(store: InventoryStore, record: CertificateRecord): Promise<KeySharingCertificate[]> {
  const others = new Map<string, KeySharingCertificate>();
  for await (const place of store.locationsWithPublicKey(record.publicKeySha256)) {
    const { fingerprint, certificate } = place;
    if (!fingerprint || !certificate || fingerprint === record.fingerprintSha256) continue;
    others.set(fingerprint, {
      fingerprintSha256: fingerprint,
      subject: certificate.subject,
      subjectCommonName: certificate.subjectCommonName,
      sans: { dns: certificate.dnsNames, ip: [], email: [], uri: [] },
    });
  }
  return [...others.values()];
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
  contentHash({ ...a, detectedAt: null }) === contentHash({ ...b, detectedAt: null });

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
