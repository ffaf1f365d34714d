import { randomUUID } from 'node:crypto';
import { CertwardenError } from '../domain/errors';
import { placeDetailOf, renewalEvent, type RenewalDetail } from '../domain/events';
import { ACTOR_OF_METHOD, renewalDecision, type RenewalDecision, type RenewalSettings } from '../domain/renewal';
import type { CertificateRenewer, RenewalOutcome } from '../ports/certificate-renewer';
import type { SourceKind } from '../ports/certificate-source';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { InventoryStore, StoredLocation } from '../ports/inventory-store';
import type { RenewalAttempt, RenewalLedger } from '../ports/renewal-ledger';

/** A renewal asked for a place the inventory does not hold, or holds without a certificate to renew. */
export class RenewalRequestError extends CertwardenError {
  constructor(message: string) {
    super(message);
    this.name = 'RenewalRequestError';
  }
}

/**
 * How long an attempt holds its place: longer than the slowest renewer's bounded wait (10 minutes), so that a
 * second delivery never starts while the first still works, and short enough that a crashed one is taken over.
 */
export const RENEWAL_LEASE_MS = 15 * 60_000;

export interface RenewInput {
  locationId: string;
  store: InventoryStore;
  ledger: RenewalLedger;
  /** The renewer of a source kind, if certwarden renews that kind; undefined leaves the place to a person. */
  renewerFor(kind: SourceKind): CertificateRenewer | undefined;
  events: EventPublisher;
  clock: Clock;
  /** Who asked (a person's name, `expiry-event`): kept on the attempt. */
  requestedBy: string;
  settings?: RenewalSettings;
  /** Say what would be done, and do nothing: no claim, no event, no provider call. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/**
 * What a request came to:
 * - `planned`: a dry run;
 * - `succeeded`, `failed`, `pending`: this request's attempt and how it ended (`manual` places end `failed`);
 * - `duplicate`: an attempt at this certificate is in progress or has succeeded; nothing was done again.
 */
export interface RenewReport {
  locationId: string;
  nativeId: string;
  owner: string;
  fingerprint: string;
  decision: RenewalDecision;
  outcome: 'planned' | 'succeeded' | 'failed' | 'pending' | 'duplicate';
  /** The attempt this request made or found; absent for a dry run. */
  attempt?: RenewalAttempt;
  /** What happened, in words for people. */
  message: string;
}

/**
 * Renews the certificate at one place through its provider's renewer. Every attempt is claimed in the ledger by
 * (place, fingerprint) first, so a redelivered request never renews twice; it is announced (Renewal Requested),
 * recorded beside the place's history (who, what, when, result) and ends with Renewal Succeeded or Renewal
 * Failed. A place nobody but a person can renew ends Failed with "manual renewal required" and its owner, so that
 * the owner hears it in time. The attempt's end is also kept on the place itself (`lastRenewal`, which `list` shows
 * without reading the ledger). The next sync sees the new certificate at the same place, which re-arms its alerts
 * (they are keyed by fingerprint).
 */
export async function renew(input: RenewInput): Promise<RenewReport> {
  const place = await input.store.getLocation(input.locationId);
  if (!place || place.status !== 'live') {
    throw new RenewalRequestError(`no live place ${input.locationId} in the inventory (see certwarden list)`);
  }
  if (!place.fingerprint || !place.certificate) {
    throw new RenewalRequestError(
      `${input.locationId} holds no certificate to renew${place.error ? `: ${place.error}` : ''}`,
    );
  }
  const fingerprint = place.fingerprint;
  const renewerOfKind = input.renewerFor(place.sourceKind);
  const settings = { ...input.settings, ...(await renewerOfKind?.renewalSettings?.()) };
  const decision = renewalDecision(place, input.clock.now(), settings);
  const base = { locationId: place.locationId, nativeId: place.nativeId, owner: place.owner, fingerprint, decision };
  const renewer = decision.method === 'manual' ? undefined : renewerOfKind;
  if (input.dryRun) return { ...base, outcome: 'planned', message: planOf(place, decision, renewer) };

  const claimed = await input.ledger.claim(
    { locationId: place.locationId, fingerprint },
    { renewalId: randomUUID(), method: decision.method, requestedBy: input.requestedBy, leaseMs: RENEWAL_LEASE_MS },
  );
  const { attempt } = claimed;
  if (!claimed.claimed) {
    return {
      ...base,
      outcome: 'duplicate',
      attempt,
      message: `renewal ${attempt.renewalId} of this certificate ${attempt.state === 'succeeded' ? 'has succeeded' : 'is in progress'} (requested by ${attempt.requestedBy} at ${attempt.requestedAt}): not renewed again`,
    };
  }
  const detail = (fields: Partial<RenewalDetail> = {}): RenewalDetail => ({
    schemaVersion: 1,
    ...placeDetailOf(place),
    renewalId: attempt.renewalId,
    fingerprint,
    newFingerprint: null,
    method: decision.method,
    error: null,
    at: input.clock.now().toISOString(),
    ...fields,
  });
  await input.events.publish([renewalEvent('requested', detail())]);

  const outcome: RenewalOutcome = renewer
    ? await renewer
        .renew({
          place,
          method: decision.method,
          renewalId: attempt.renewalId,
          attempt: attempt.attempt,
          signal: input.signal,
        })
        .catch((error: unknown) => ({ status: 'failed' as const, error: `renewal broke: ${(error as Error).message}` }))
    : { status: 'failed', error: noRenewer(place, decision) };

  const state = outcome.status;
  const message = outcome.status === 'failed' ? outcome.error : outcome.message;
  const newFingerprint = outcome.status === 'succeeded' ? outcome.newFingerprint : null;
  const finished = await input.ledger.finish({ locationId: place.locationId, fingerprint }, attempt.renewalId, {
    state,
    newFingerprint,
    message,
  });
  if (finished) {
    await input.store.recordRenewal(place.locationId, {
      outcome: state,
      at: input.clock.now().toISOString(),
      error: outcome.status === 'failed' ? outcome.error : null,
      newFingerprint,
    });
  }
  if (outcome.status === 'succeeded') {
    await input.events.publish([renewalEvent('succeeded', detail({ newFingerprint }))]);
  } else if (outcome.status === 'failed') {
    await input.events.publish([renewalEvent('failed', detail({ error: outcome.error }))]);
  }
  const note = finished ? '' : ' (its lease ran out meanwhile: another attempt may have started)';
  return {
    ...base,
    outcome: state,
    attempt: { ...attempt, state, newFingerprint, message, finishedAt: input.clock.now().toISOString() },
    message: `${message}${note}`,
  };
}

/** Why nothing renews a place: a person's job, or its source is not configured here (no credentials to act with). */
function noRenewer(place: StoredLocation, decision: RenewalDecision): string {
  if (decision.method === 'manual') return `manual renewal required: ${place.owner} renews ${place.nativeId} by hand`;
  return `${decision.method} needs source ${place.source}'s configuration, which is not here: renew with its config`;
}

/** What a dry run says it would do. */
function planOf(place: StoredLocation, decision: RenewalDecision, renewer: CertificateRenewer | undefined): string {
  const due = decision.due ? 'due now' : `not due before ${decision.dueAt}`;
  if (!renewer) return `${noRenewer(place, decision)}; ${due}`;
  const actor = ACTOR_OF_METHOD[decision.method] === 'provider' ? 'the provider renews it; would check' : 'would renew';
  return `${decision.method}: ${actor} now (renewal ${due})`;
}
