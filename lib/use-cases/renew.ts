import { randomUUID } from 'node:crypto';
import { approvalDeadlineOf, approvalReasonOf, type ApprovalConfig } from '../domain/approval';
import { CertwardenError } from '../domain/errors';
import { approvalEvent, placeDetailOf, renewalEvent, type RenewalDetail } from '../domain/events';
import {
  ACTOR_OF_METHOD,
  renewalDecision,
  type RenewalDecision,
  type RenewalMethod,
  type RenewalSettings,
} from '../domain/renewal';
import type { CertificateRenewer, RenewalOutcome } from '../ports/certificate-renewer';
import type { SourceKind } from '../ports/certificate-source';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { InventoryStore, StoredLocation } from '../ports/inventory-store';
import type { ApprovalRequest, RenewalAttempt, RenewalKey, RenewalLedger } from '../ports/renewal-ledger';

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

/** What every renewal use case works with. */
export interface RenewalContext {
  store: InventoryStore;
  ledger: RenewalLedger;
  /** The renewer of a source kind, if certwarden renews that kind; undefined leaves the place to a person. */
  renewerFor(kind: SourceKind): CertificateRenewer | undefined;
  events: EventPublisher;
  clock: Clock;
  settings?: RenewalSettings;
  signal?: AbortSignal;
}

export interface RenewInput extends RenewalContext {
  locationId: string;
  /** Who asked (a person's name, `expiry-event`): kept on the attempt. */
  requestedBy: string;
  /** Say what would be done, and do nothing: no claim, no event, no provider call. */
  dryRun?: boolean;
  /**
   * The approval scope (the config's `renewal.approval`): a place in it is not renewed but waits for a person's
   * answer ({@link answerApproval}). @default none: nothing waits
   */
  approval?: ApprovalConfig;
  /**
   * Renew only a place certwarden renews (lib/domain/renewal.ts ACTOR_OF_METHOD) whose renewal is due; any other
   * ends `skipped`, untouched. The deployed workflow's start on a Certificate Expiring event. @default false
   */
  onlyWhenDueForCertwarden?: boolean;
}

/**
 * What a request came to:
 * - `planned`: a dry run;
 * - `succeeded`, `failed`, `pending`: this request's attempt and how it ended (`manual` places end `failed`);
 * - `duplicate`: an attempt at this certificate is in progress, waits for approval or has succeeded; nothing was
 *   done again;
 * - `awaiting-approval`: the place is in the approval scope; `approvalRequest` waits for a person's answer;
 * - `skipped`: asked `onlyWhenDueForCertwarden`, and the place is not due or not certwarden's to renew.
 */
export interface RenewReport {
  locationId: string;
  nativeId: string;
  owner: string;
  fingerprint: string;
  decision: RenewalDecision;
  outcome: 'planned' | 'succeeded' | 'failed' | 'pending' | 'duplicate' | 'awaiting-approval' | 'skipped';
  /** The attempt this request made or found; absent for a dry run. */
  attempt?: RenewalAttempt;
  /** The request waiting for a person (`awaiting-approval`), or the one answered. */
  approvalRequest?: ApprovalRequest;
  /** What happened, in words for people. */
  message: string;
}

/**
 * Renews the certificate at one place through its provider's renewer. Every attempt is claimed in the ledger by
 * (place, fingerprint) first, so a redelivered request never renews twice; it is announced (Renewal Requested),
 * recorded beside the place's history (who, what, when, result) and ends with Renewal Succeeded or Renewal
 * Failed. An attempt the provider was still at (`pending`) is looked at again with its renewer's `check` ({@link
 * checkRenewal}), never started a second time. A place nobody but a person can renew ends Failed with "manual
 * renewal required" and its owner, so that the owner hears it in time. The attempt's end is also kept on the place
 * itself (`lastRenewal`, which `list` shows without reading the ledger). The next sync sees the new certificate at
 * the same place, which re-arms its alerts (they are keyed by fingerprint).
 */
export async function renew(input: RenewInput): Promise<RenewReport> {
  const place = await livePlace(input.store, input.locationId);
  const fingerprint = place.fingerprint!;
  const { decision, renewer } = await decide(input, place);
  const base = { locationId: place.locationId, nativeId: place.nativeId, owner: place.owner, fingerprint, decision };
  const actor = ACTOR_OF_METHOD[decision.method];
  if (input.onlyWhenDueForCertwarden && (actor !== 'certwarden' || !decision.due)) {
    const why = actor !== 'certwarden' ? `renewed by ${actor === 'manual' ? 'a person' : 'its provider'}` : 'not due';
    return { ...base, outcome: 'skipped', message: `${decision.method}: ${why}; nothing done` };
  }
  const approvalReason = input.approval && approvalReasonOf(place, input.approval);
  const key = { locationId: place.locationId, fingerprint };
  const earlier = renewer?.check ? await input.ledger.attempt(key) : undefined;
  if (input.dryRun) {
    if (earlier?.state === 'pending') {
      const since = `renewal ${earlier.renewalId} pending at the provider since ${earlier.requestedAt}`;
      return { ...base, outcome: 'planned', message: `${since}: would look at it again, not renew` };
    }
    const waits = approvalReason ? `; waits for approval first (${approvalReason})` : '';
    return { ...base, outcome: 'planned', message: `${planOf(place, decision, renewer)}${waits}` };
  }

  if (earlier?.state === 'pending') {
    // The provider is still at this certificate's renewal: look at it again rather than start a second one. No time
    // limit here: whoever asked sees where it stands; the deployed workflow's own looks give up after theirs.
    const look = await checkRenewal({ ...input, ...key, renewalId: earlier.renewalId, giveUpAfterMs: Infinity });
    return { ...base, ...look };
  }
  const claimed = await input.ledger.claim(key, {
    renewalId: randomUUID(),
    method: decision.method,
    requestedBy: input.requestedBy,
    leaseMs: RENEWAL_LEASE_MS,
  });
  const { attempt } = claimed;
  if (!claimed.claimed) {
    const state = { succeeded: 'has succeeded', 'awaiting-approval': 'waits for approval' }[attempt.state as string];
    return {
      ...base,
      outcome: 'duplicate',
      attempt,
      message: `renewal ${attempt.renewalId} of this certificate ${state ?? 'is in progress'} (requested by ${attempt.requestedBy} at ${attempt.requestedAt}): not renewed again`,
    };
  }
  if (approvalReason) return requestApproval(input, place, base, attempt, approvalReason, input.approval!);
  await input.events.publish([renewalEvent('requested', renewalDetail(input, place, attempt))]);
  return { ...base, ...(await perform(input, place, decision.method, renewer, attempt)) };
}

/** The place a renewal is asked for: live, with a certificate. */
async function livePlace(store: InventoryStore, locationId: string): Promise<StoredLocation> {
  const place = await store.getLocation(locationId);
  if (!place || place.status !== 'live') {
    throw new RenewalRequestError(`no live place ${locationId} in the inventory (see certwarden list)`);
  }
  if (!place.fingerprint || !place.certificate) {
    throw new RenewalRequestError(
      `${locationId} holds no certificate to renew${place.error ? `: ${place.error}` : ''}`,
    );
  }
  return place;
}

/** The renewal decision at a place (lib/domain/renewal.ts), with its renewer's settings, and who renews it. */
async function decide(
  context: RenewalContext,
  place: StoredLocation,
): Promise<{ decision: RenewalDecision; renewer: CertificateRenewer | undefined }> {
  const renewerOfKind = context.renewerFor(place.sourceKind);
  const settings = { ...context.settings, ...(await renewerOfKind?.renewalSettings?.()) };
  const decision = renewalDecision(place, context.clock.now(), settings);
  return { decision, renewer: decision.method === 'manual' ? undefined : renewerOfKind };
}

/** The detail of the renewal events of one attempt. */
function renewalDetail(
  context: Pick<RenewalContext, 'clock'>,
  place: StoredLocation,
  attempt: Pick<RenewalAttempt, 'renewalId' | 'fingerprint' | 'method'>,
  fields: Partial<RenewalDetail> = {},
): RenewalDetail {
  return {
    schemaVersion: 1,
    ...placeDetailOf(place),
    renewalId: attempt.renewalId,
    fingerprint: attempt.fingerprint,
    newFingerprint: null,
    method: attempt.method,
    error: null,
    at: context.clock.now().toISOString(),
    ...fields,
  };
}

type Ending = Pick<RenewReport, 'outcome' | 'attempt' | 'message'>;

/** Calls the renewer for a claimed attempt (in progress) and records how it ended. */
async function perform(
  context: RenewalContext,
  place: StoredLocation,
  method: RenewalMethod,
  renewer: CertificateRenewer | undefined,
  attempt: RenewalAttempt,
): Promise<Ending> {
  const outcome: RenewalOutcome = renewer
    ? await renewer
        .renew({ place, method, renewalId: attempt.renewalId, attempt: attempt.attempt, signal: context.signal })
        .catch((error: unknown) => ({ status: 'failed' as const, error: `renewal broke: ${(error as Error).message}` }))
    : { status: 'failed', error: noRenewer(place, method) };
  return conclude(context, place, attempt, outcome);
}

/**
 * Records how an attempt ended: in the ledger (if it is still this attempt's), on the place (`lastRenewal`), and as
 * Renewal Succeeded or Renewal Failed. `quietWhenTakenOver`: a look at a pending attempt (checkRenewal) that finds
 * it ended already by another look announces nothing, so that each attempt ends with one event.
 */
async function conclude(
  context: RenewalContext,
  place: StoredLocation,
  attempt: RenewalAttempt,
  outcome: RenewalOutcome,
  { quietWhenTakenOver = false } = {},
): Promise<Ending> {
  const state = outcome.status;
  const message = outcome.status === 'failed' ? outcome.error : outcome.message;
  const newFingerprint = outcome.status === 'succeeded' ? outcome.newFingerprint : null;
  const key = { locationId: place.locationId, fingerprint: attempt.fingerprint };
  const finished = await context.ledger.finish(key, attempt.renewalId, { state, newFingerprint, message });
  if (finished) {
    await context.store.recordRenewal(place.locationId, {
      outcome: state,
      at: context.clock.now().toISOString(),
      error: outcome.status === 'failed' ? outcome.error : null,
      newFingerprint,
    });
  }
  const announce = finished || !quietWhenTakenOver;
  if (announce && outcome.status === 'succeeded') {
    await context.events.publish([
      renewalEvent('succeeded', renewalDetail(context, place, attempt, { newFingerprint })),
    ]);
  } else if (announce && outcome.status === 'failed') {
    await context.events.publish([
      renewalEvent('failed', renewalDetail(context, place, attempt, { error: outcome.error })),
    ]);
  }
  const note = finished
    ? ''
    : quietWhenTakenOver
      ? ' (another look ended the attempt first)'
      : ' (its lease ran out meanwhile: another attempt may have started)';
  return {
    outcome: state,
    attempt: { ...attempt, state, newFingerprint, message, finishedAt: context.clock.now().toISOString() },
    message: `${message}${note}`,
  };
}

/** Parks a claimed attempt to wait for a person, writes the request, and announces it (Approval Required). */
async function requestApproval(
  input: RenewInput,
  place: StoredLocation,
  base: Omit<RenewReport, 'outcome' | 'message'>,
  attempt: RenewalAttempt,
  reason: string,
  scope: ApprovalConfig,
): Promise<RenewReport> {
  const now = input.clock.now();
  const request: ApprovalRequest = {
    requestId: randomUUID(),
    locationId: place.locationId,
    fingerprint: attempt.fingerprint,
    renewalId: attempt.renewalId,
    method: attempt.method,
    reason,
    requestedBy: input.requestedBy,
    requestedAt: now.toISOString(),
    expiresAt: approvalDeadlineOf(now, scope).toISOString(),
    state: 'pending',
  };
  if (!(await input.ledger.awaitApproval(request))) {
    return { ...base, outcome: 'duplicate', attempt, message: 'the attempt was taken over before it could wait' };
  }
  await input.events.publish([approvalEvent('required', approvalDetail(input, place, request))]);
  return {
    ...base,
    outcome: 'awaiting-approval',
    attempt: { ...attempt, state: 'awaiting-approval', approval: { requestId: request.requestId, state: 'pending' } },
    approvalRequest: request,
    message: `waits for approval (${reason}) until ${request.expiresAt}: certwarden renew approve|deny ${request.requestId} --reason ..`,
  };
}

function approvalDetail(context: Pick<RenewalContext, 'clock'>, place: StoredLocation, request: ApprovalRequest) {
  return {
    schemaVersion: 1 as const,
    ...placeDetailOf(place),
    requestId: request.requestId,
    renewalId: request.renewalId,
    fingerprint: request.fingerprint,
    method: request.method,
    reason: request.reason,
    requestedBy: request.requestedBy,
    expiresAt: request.expiresAt,
    at: context.clock.now().toISOString(),
  };
}

/** An approval request that does not exist, or was answered already. */
export class ApprovalRequestError extends CertwardenError {
  constructor(message: string) {
    super(message);
    this.name = 'ApprovalRequestError';
  }
}

export interface AnswerInput extends RenewalContext {
  requestId: string;
  answer: 'approve' | 'deny';
  /** Who answered (`cli:alice`, the caller's ARN): kept on the request and its attempt. */
  by: string;
  reason: string;
}

/**
 * A person's answer to an approval request. Approved, the attempt is taken back up and renewed (Renewal Requested,
 * then Succeeded or Failed); denied, it ends failed (Renewal Failed, `denied by … : reason`). A request past its
 * deadline is refused: it is recorded as expired (Approval Escalated, Renewal Failed) whatever the answer was.
 * Who answered, when and why stay on the request and on the attempt in the renewal ledger.
 */
export async function answerApproval(input: AnswerInput): Promise<RenewReport> {
  const request = await pendingRequest(input.ledger, input.requestId);
  if (input.clock.now().getTime() >= Date.parse(request.expiresAt)) {
    const report = await expireApproval({ ...input, requestId: request.requestId });
    return { ...report, message: `request ${request.requestId} expired at ${request.expiresAt}: ${report.message}` };
  }
  const approved = input.answer === 'approve';
  const failure = `denied by ${input.by}: ${input.reason}`;
  const decided = await input.ledger.decideApproval(
    request.requestId,
    { state: approved ? 'approved' : 'denied', by: input.by, reason: input.reason },
    { leaseMs: RENEWAL_LEASE_MS, failure },
  );
  if (!decided) throw answeredAlready((await input.ledger.approval(request.requestId))!);
  const place = (await input.store.getLocation(request.locationId)) ?? missingPlace(request);
  const attempt = (await input.ledger.attempt(request))!;
  const { decision, renewer } = await decide(input, place);
  const base = { locationId: place.locationId, nativeId: place.nativeId, owner: place.owner, decision };
  const report = { ...base, fingerprint: request.fingerprint, approvalRequest: decided };
  if (!approved) return { ...report, ...(await endWithoutRenewal(input, place, attempt, failure)) };
  if (place.fingerprint !== request.fingerprint) {
    const moved = `${place.locationId} holds another certificate now (${place.fingerprint}): nothing to renew`;
    return { ...report, ...(await conclude(input, place, attempt, { status: 'failed', error: moved })) };
  }
  await input.events.publish([renewalEvent('requested', renewalDetail(input, place, attempt))]);
  return { ...report, ...(await perform(input, place, request.method, renewer, attempt)) };
}

/**
 * Closes a request nobody answered in time: expired on the request and its attempt, Approval Escalated (for whoever
 * should have answered) and Renewal Failed (`approval timed out`). The renewal fails closed: nothing is renewed.
 */
export async function expireApproval(input: RenewalContext & { requestId: string }): Promise<RenewReport> {
  const request = await pendingRequest(input.ledger, input.requestId);
  const failure = `approval timed out: nobody approved or denied request ${request.requestId} by ${request.expiresAt}`;
  const decided = await input.ledger.decideApproval(
    request.requestId,
    { state: 'expired', by: 'certwarden', reason: 'no answer before the deadline' },
    { leaseMs: RENEWAL_LEASE_MS, failure },
  );
  if (!decided) throw answeredAlready((await input.ledger.approval(request.requestId))!);
  const place = (await input.store.getLocation(request.locationId)) ?? missingPlace(request);
  await input.events.publish([approvalEvent('escalated', approvalDetail(input, place, decided))]);
  const attempt = (await input.ledger.attempt(request))!;
  const { decision } = await decide(input, place);
  return {
    locationId: place.locationId,
    nativeId: place.nativeId,
    owner: place.owner,
    fingerprint: request.fingerprint,
    decision,
    approvalRequest: decided,
    ...(await endWithoutRenewal(input, place, attempt, failure)),
  };
}

/** A denied or expired attempt (failed in the ledger already): on the place, and Renewal Failed. */
async function endWithoutRenewal(
  context: RenewalContext,
  place: StoredLocation,
  attempt: RenewalAttempt,
  failure: string,
): Promise<Ending> {
  const at = context.clock.now().toISOString();
  await context.store.recordRenewal(place.locationId, { outcome: 'failed', at, error: failure, newFingerprint: null });
  await context.events.publish([renewalEvent('failed', renewalDetail(context, place, attempt, { error: failure }))]);
  return { outcome: 'failed', attempt, message: failure };
}

async function pendingRequest(ledger: RenewalLedger, requestId: string): Promise<ApprovalRequest> {
  const request = await ledger.approval(requestId);
  if (!request) throw new ApprovalRequestError(`no approval request ${requestId} (see the Approval Required event)`);
  if (request.state !== 'pending') throw answeredAlready(request);
  return request;
}

const answeredAlready = (request: ApprovalRequest) =>
  new ApprovalRequestError(
    `approval request ${request.requestId} is ${request.state} already (by ${request.decidedBy} at ${request.decidedAt}: ${request.decisionReason})`,
  );

const missingPlace = (request: ApprovalRequest): never => {
  throw new RenewalRequestError(`no place ${request.locationId} in the inventory any more`);
};

/**
 * One look at a renewal the provider was still at (`pending`, the deployed workflow's poll): its renewer's `check`,
 * never a second renewal call. Ends the attempt once the new certificate is in place or the provider says it failed,
 * and fails it once `giveUpAfterMs` have passed since it was requested. An attempt no longer pending (ended,
 * taken over) is reported as it is.
 */
export async function checkRenewal(
  input: RenewalContext & RenewalKey & { renewalId: string; giveUpAfterMs: number },
): Promise<Pick<RenewReport, 'outcome' | 'attempt' | 'message'>> {
  const attempt = await input.ledger.attempt(input);
  if (!attempt || attempt.renewalId !== input.renewalId || attempt.state !== 'pending') {
    const state = attempt?.renewalId === input.renewalId ? attempt.state : 'taken over';
    return { outcome: state === 'succeeded' ? 'succeeded' : 'failed', attempt, message: `attempt ${state}` };
  }
  const place = await livePlace(input.store, input.locationId);
  const renewer = input.renewerFor(place.sourceKind);
  // The renewer tells the new certificate from the one this attempt renews, which a sync since may have replaced.
  const request = {
    place: { ...place, fingerprint: attempt.fingerprint },
    method: attempt.method,
    renewalId: attempt.renewalId,
    attempt: attempt.attempt,
    signal: input.signal,
  };
  let outcome: RenewalOutcome = renewer?.check
    ? await renewer.check(request).catch((error: unknown) => ({
        status: 'failed' as const,
        error: `renewal check broke: ${(error as Error).message}`,
      }))
    : { status: 'failed', error: `${place.sourceKind} renewals cannot be watched from here` };
  const waited = input.clock.now().getTime() - Date.parse(attempt.requestedAt);
  if (outcome.status === 'pending' && waited >= input.giveUpAfterMs) {
    outcome = {
      status: 'failed',
      error: `not in place ${Math.round(waited / 60_000)} minutes after the renewal began: ${outcome.message}`,
    };
  }
  if (outcome.status === 'pending') return { outcome: 'pending', attempt, message: outcome.message };
  return conclude(input, place, attempt, outcome, { quietWhenTakenOver: true });
}

/** Why nothing renews a place: a person's job, or its source is not configured here (no credentials to act with). */
function noRenewer(place: StoredLocation, method: RenewalMethod): string {
  if (method === 'manual') return `manual renewal required: ${place.owner} renews ${place.nativeId} by hand`;
  return `${method} needs source ${place.source}'s configuration, which is not here: renew with its config`;
}

/** What a dry run says it would do. */
function planOf(place: StoredLocation, decision: RenewalDecision, renewer: CertificateRenewer | undefined): string {
  const due = decision.due ? 'due now' : `not due before ${decision.dueAt}`;
  if (!renewer) return `${noRenewer(place, decision.method)}; ${due}`;
  const actor = ACTOR_OF_METHOD[decision.method] === 'provider' ? 'the provider renews it; would check' : 'would renew';
  return `${decision.method}: ${actor} now (renewal ${due})`;
}
