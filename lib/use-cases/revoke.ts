import { CertwardenError } from '../domain/errors';
import { certificateRevokedEvent, placeDetailOf, type CertificateRevokedDetail } from '../domain/events';
import { ACTOR_OF_METHOD, renewalMethodOf } from '../domain/renewal';
import type { RevocationReason, RevocationStatus } from '../domain/revocation';
import type { CertificateRevoker } from '../ports/certificate-revoker';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { InventoryStore, StoredLocation } from '../ports/inventory-store';
import type { RevocationLedger, RevocationRecord } from '../ports/revocation-ledger';
import { heldCertificate } from './check-revocation';

/** A revocation asked for a place the inventory does not hold, or holds without a certificate. */
export class RevocationRequestError extends CertwardenError {}

export interface RevokeInput {
  locationId: string;
  reason: RevocationReason;
  store: InventoryStore;
  ledger: RevocationLedger;
  /** The revoker of the configured Private CAs; undefined when the configuration names none. */
  revoker?: CertificateRevoker;
  events: EventPublisher;
  clock: Clock;
  /** Who asked (`cli:<user>`): kept in the record and the event. */
  requestedBy: string;
  /** Say what would be done, and do nothing: no CA call, no record, no event, no status. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** A place that holds the revoked certificate: what to replace, where it is used, who owns it, and how. */
export interface PlaceToReplace {
  locationId: string;
  nativeId: string;
  owner: string;
  account: string | null;
  region: string | null;
  /** What uses it (load balancers, target proxies, endpoints), as the provider reported. */
  inUseBy: string[];
  /** The command that puts a new certificate there, when certwarden can (`certwarden renew …`); null: by hand. */
  next: string | null;
}

/**
 * What a request came to:
 * - `planned`: a dry run;
 * - `revoked`: the configured Private CA revoked it now;
 * - `already-revoked`: the Private CA had revoked it before, outside certwarden (recorded now);
 * - `issuer-must-revoke`: no configured Private CA issued it; the issuing CA must revoke it;
 * - `duplicate`: it was revoked (or asked of its issuer) through certwarden before: nothing was done again.
 */
export type RevokeOutcome = 'planned' | 'revoked' | 'already-revoked' | 'issuer-must-revoke' | 'duplicate';

export interface RevokeReport {
  locationId: string;
  fingerprint: string;
  serialNumber: string;
  issuer: string;
  reason: RevocationReason;
  /** The Private CA that revokes (or revoked) it; null when the issuing CA must. */
  certificateAuthorityArn: string | null;
  outcome: RevokeOutcome;
  /** The record written, or found for a duplicate; absent for a dry run. */
  record?: RevocationRecord;
  /** Every live place holding the certificate. */
  replace: PlaceToReplace[];
  /** What happened, in words for people. */
  message: string;
}

/**
 * Emergency revocation of the certificate at a place. A certificate a configured ACM Private CA issued (its name
 * and signature, not the name alone) is revoked there; any other is left to its issuing CA, and the command says
 * so. Either way it is recorded once per certificate (who, when, why, serial, CA: a conditional write, so a
 * repeated command records nothing twice), announced (Certificate Revoked) and answered with a runbook: every
 * place holding the certificate (the byFingerprint index), what uses it, its owner, and the command that replaces
 * it. A revoked certificate's places are marked revoked at once (`via: certwarden`), so `list` shows it before the
 * CA's next CRL, and the next check does not announce it again as Revocation Detected.
 */
export async function revoke(input: RevokeInput): Promise<RevokeReport> {
  const place = await input.store.getLocation(input.locationId);
  if (!place || place.status !== 'live') {
    throw new RevocationRequestError(`no live place ${input.locationId} in the inventory (see certwarden list)`);
  }
  const certificate = place.fingerprint ? await heldCertificate(input.store, place.fingerprint) : undefined;
  if (!certificate) {
    throw new RevocationRequestError(
      `${input.locationId} holds no certificate to revoke${place.error ? `: ${place.error}` : ''}`,
    );
  }
  const { fingerprintSha256: fingerprint, serialNumber, issuer } = certificate.record;
  const authority = await input.revoker?.issuingAuthority(certificate);
  const places = await livePlacesOf(input.store, fingerprint);
  const base = {
    locationId: place.locationId,
    fingerprint,
    serialNumber,
    issuer,
    reason: input.reason,
    certificateAuthorityArn: authority ?? null,
    replace: places.map((held) => toReplace(held, authority ? issuer : undefined)),
  };

  const earlier = await input.ledger.recordOf(fingerprint);
  if (earlier) return duplicateOf(base, earlier);
  if (input.dryRun) {
    return {
      ...base,
      outcome: 'planned',
      message: authority
        ? `would revoke serial ${serialNumber} at ${authority} (${input.reason}); this cannot be undone`
        : issuerMustRevoke(issuer),
    };
  }

  const answer = authority
    ? await input.revoker!.revoke({ authority, serialNumber, reason: input.reason, signal: input.signal })
    : undefined;
  const at = input.clock.now().toISOString();
  const record: RevocationRecord = {
    fingerprint,
    serialNumber,
    issuer,
    reason: input.reason,
    outcome: answer ? 'revoked' : 'issuer-must-revoke',
    certificateAuthorityArn: authority ?? null,
    locationId: place.locationId,
    requestedBy: input.requestedBy,
    at,
    note: answer?.status === 'already-revoked' ? answer.message : null,
  };
  if (!(await input.ledger.record(record))) {
    // Another run recorded it between our read and our write: that one announced it.
    return duplicateOf(base, (await input.ledger.recordOf(fingerprint)) ?? record);
  }
  if (answer) {
    const status: RevocationStatus = {
      status: 'revoked',
      reason: input.reason,
      revokedAt: at,
      checkedAt: at,
      via: 'certwarden',
      issuerFingerprint: null,
    };
    for (const held of places) await input.store.recordRevocation(held.locationId, fingerprint, status, null);
  }
  const detail: CertificateRevokedDetail = {
    schemaVersion: 1,
    ...placeDetailOf(place),
    fingerprint,
    serialNumber,
    issuer,
    reason: input.reason,
    outcome: record.outcome,
    certificateAuthorityArn: record.certificateAuthorityArn,
    requestedBy: input.requestedBy,
    places: places.map((held) => held.locationId),
    at,
  };
  await input.events.publish([certificateRevokedEvent(detail)]);
  if (!answer) return { ...base, outcome: 'issuer-must-revoke', record, message: issuerMustRevoke(issuer) };
  return answer.status === 'revoked'
    ? { ...base, outcome: 'revoked', record, message: `${authority} revoked serial ${serialNumber} (${input.reason})` }
    : {
        ...base,
        outcome: 'already-revoked',
        record,
        message: `${authority} had revoked serial ${serialNumber} already (${answer.message}); recorded now`,
      };
}

const issuerMustRevoke = (issuer: string) =>
  `no configured ACM Private CA issued this certificate: its issuing CA (${issuer}) must revoke it; until it does, the certificate stays valid`;

function duplicateOf(base: Omit<RevokeReport, 'outcome' | 'message'>, earlier: RevocationRecord): RevokeReport {
  const what =
    earlier.outcome === 'revoked'
      ? `revoked at ${earlier.certificateAuthorityArn}`
      : `asked of its issuing CA (${earlier.issuer})`;
  return {
    ...base,
    certificateAuthorityArn: earlier.certificateAuthorityArn,
    outcome: 'duplicate',
    record: earlier,
    message: `already ${what} by ${earlier.requestedBy} at ${earlier.at} (${earlier.reason}): nothing done again`,
  };
}

/** The live places holding the certificate, the one asked about among them. */
async function livePlacesOf(store: InventoryStore, fingerprint: string): Promise<StoredLocation[]> {
  const places: StoredLocation[] = [];
  for await (const held of store.locationsOfCertificate(fingerprint)) if (held.status === 'live') places.push(held);
  return places.sort((a, b) => a.locationId.localeCompare(b.locationId));
}

/**
 * A place to replace, and how: `certwarden renew` where certwarden renews through the provider (with the revoking
 * CA counted as a re-issuing one, so an imported ACM certificate it issued is re-issued), else by hand.
 */
function toReplace(place: StoredLocation, reissuingIssuer: string | undefined): PlaceToReplace {
  const method = renewalMethodOf(place, { reissuingIssuers: new Set(reissuingIssuer ? [reissuingIssuer] : []) });
  return {
    locationId: place.locationId,
    nativeId: place.nativeId,
    owner: place.owner,
    account: place.account ?? null,
    region: place.region ?? null,
    inUseBy: place.inUseBy ?? [],
    next: ACTOR_OF_METHOD[method] === 'certwarden' ? `certwarden renew ${place.locationId}` : null,
  };
}
