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

/** `in-progress` while an attempt holds its lease; a `failed` or `pending` one may be taken up again. */
export type RenewalState = 'in-progress' | 'succeeded' | 'failed' | 'pending';

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
}
