import type { RenewalMethod } from '../domain/renewal';

/**
 * Remembers every renewal attempt at a place, keyed by (location, certificate fingerprint): the renewal of one
 * certificate at one place is done once, however often the request for it is delivered. A new certificate at
 * the place (the renewal's own result, or anyone else's) is a new key, so it can be renewed in its turn.
 */

export interface RenewalKey {
  locationId: string;
  fingerprint: string;
}

/**
 * `in-progress` while an attempt holds its lease, `awaiting-approval` while it waits for a person (its lease is the
 * request's timeout); a `failed` or `pending` one may be taken up again.
 */
export type RenewalState = 'in-progress' | 'awaiting-approval' | 'succeeded' | 'failed' | 'pending';

/** An attempt as the place's record keeps it: who asked, what was done, when, and how it ended. */
export interface RenewalAttempt extends RenewalKey {
  renewalId: string;
  /** 1 for the first attempt at this certificate, then one more for each attempt taken up again. */
  attempt: number;
  method: RenewalMethod;
  /** Who asked: a person's name from the CLI, `expiry-event` from the workflow. */
  requestedBy: string;
  requestedAt: string;
  state: RenewalState;
  finishedAt?: string;
  newFingerprint?: string | null;
  /** What the renewer said: the new certificate's note, or the error. */
  message?: string;
  /** The approval this attempt waited for, if it did, and the answer: who, when, why (see {@link ApprovalRequest}). */
  approval?: Pick<ApprovalRequest, 'requestId' | 'state' | 'decidedBy' | 'decidedAt' | 'decisionReason'>;
}

/** What a person answered: `approved`/`denied`, or `expired` when nobody did in time. */
export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired';

/**
 * A renewal waiting for a person, kept with the decision: who approved or denied it, when and why. Its id is what
 * `certwarden renew approve|deny` names; the deployed workflow's task token is kept with it, so that the answer
 * resumes the execution that waits.
 */
export interface ApprovalRequest extends RenewalKey {
  requestId: string;
  renewalId: string;
  method: RenewalMethod;
  /** Why it needs approval (lib/domain/approval.ts approvalReasonOf). */
  reason: string;
  requestedBy: string;
  requestedAt: string;
  /** When it stops waiting: the renewal then fails closed. */
  expiresAt: string;
  state: ApprovalState;
  /** The Step Functions task token of the execution waiting on it; absent when the CLI made the request. */
  taskToken?: string;
  decidedBy?: string;
  decidedAt?: string;
  /** The `--reason` given, or why it expired. */
  decisionReason?: string;
}

export interface ApprovalDecision {
  state: Exclude<ApprovalState, 'pending'>;
  by: string;
  reason: string;
}

export type ClaimedRenewal = { claimed: true; attempt: RenewalAttempt } | { claimed: false; attempt: RenewalAttempt };

export interface RenewalClaim {
  renewalId: string;
  method: RenewalMethod;
  requestedBy: string;
  /** How long the attempt holds the place; after it a crashed attempt may be taken over. */
  leaseMs: number;
}

export interface RenewalLedger {
  /**
   * Starts an attempt unless one is in progress (lease not run out) or has succeeded: then `claimed` is false and
   * `attempt` is that one. Atomic: of two requests at once, one claims.
   */
  claim(key: RenewalKey, claim: RenewalClaim): Promise<ClaimedRenewal>;
  /** Records how the attempt ended; false when it is no longer `renewalId`'s (its lease was taken over). */
  finish(
    key: RenewalKey,
    renewalId: string,
    result: Pick<RenewalAttempt, 'state' | 'newFingerprint' | 'message'>,
  ): Promise<boolean>;
  /** Every certificate's renewal record at a place, latest first. */
  attemptsAt(locationId: string): Promise<RenewalAttempt[]>;
  /**
   * The renewal records of the whole inventory whose latest attempt was requested in [since, until), earliest
   * first: the renewal evidence of a period (`certwarden report renewals`), reading only that period's records.
   */
  attemptsBetween(since: Date, until: Date): AsyncIterable<RenewalAttempt>;
  /** The attempt at one certificate, if any. */
  attempt(key: RenewalKey): Promise<RenewalAttempt | undefined>;
  /**
   * Parks a claimed attempt (`renewalId`, in progress) to wait for `request` and writes the request, which must be
   * new (a conditional put): false when the attempt is no longer `renewalId`'s. The attempt holds its place until
   * the request expires.
   */
  awaitApproval(request: ApprovalRequest): Promise<boolean>;
  /** A request by its id. */
  approval(requestId: string): Promise<ApprovalRequest | undefined>;
  /** Keeps the waiting workflow's task token on a pending request; false when it is no longer pending. */
  attachTaskToken(requestId: string, taskToken: string): Promise<boolean>;
  /**
   * Records the answer to a pending request (conditional: of two answers, the first counts) on the request and on
   * its attempt: approved, the attempt is taken back up (in progress, holding a fresh lease of `leaseMs`); denied or
   * expired, it ends `failed` with `failure` as its message. Undefined when the request was not pending any more;
   * the answered request otherwise.
   */
  decideApproval(
    requestId: string,
    decision: ApprovalDecision,
    options: { leaseMs: number; failure: string },
  ): Promise<ApprovalRequest | undefined>;
}
