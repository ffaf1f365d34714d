/**
 * Remembers which expiry alerts have been sent, so that each is sent exactly once however many evaluators run
 * and however often. An alert is keyed by (location, certificate fingerprint, threshold): a renewal is a new
 * fingerprint, so its thresholds are armed again without anything being reset.
 */

export interface AlertKey {
  locationId: string;
  fingerprint: string;
  /** expiry.ts thresholdId: `30d`, `lifetime-33%`, `expired`. */
  thresholdId: string;
}

/**
 * `passed`: never to be sent, because a more urgent threshold of the same certificate was alerted instead (a
 * place first seen expired is told once that it expired, not also that it had 60, 30, … days left).
 */
export type AlertState = 'claimed' | 'sent' | 'passed';

/**
 * What a claim found: `claimed` (it is ours to send now), `sent` (done before), `passed` (passed over before) or
 * `held` (another evaluator's live lease).
 */
export type ClaimResult = 'claimed' | 'sent' | 'passed' | 'held';

export interface PassOptions {
  /** The threshold alerted instead, kept with the record to say why this one was not sent. */
  passedFor: string;
  /** As ClaimOptions.keepUntil. */
  keepUntil: Date;
}

export interface ClaimOptions {
  /** Who claims: a token unique to one evaluation run. */
  owner: string;
  /** How long the claim holds; after it, another evaluator may take the alert over (its holder crashed). */
  leaseMs: number;
  /** Kept at least until then (the certificate's notAfter): the store may forget the alert some time after. */
  keepUntil: Date;
  /**
   * Also take a live claim `owner` made: the claim of a run retried under the same token (a Lambda invocation's
   * request id) that died holding it, which would otherwise hold the alert until its lease ran out.
   * Only for an owner that claims each key once. @default false
   */
  reclaimOwn?: boolean;
}

export interface AlertLedger {
  /** The state of an alert, read consistently; undefined when it was never claimed (or was released). */
  state(key: AlertKey): Promise<AlertState | undefined>;
  /** The states of every alert of one certificate at one place, by thresholdId, read consistently in one go. */
  statesOf(locationId: string, fingerprint: string): Promise<Map<string, AlertState>>;
  /** Takes the alert if nobody has, or if the holder's lease has run out. */
  claim(key: AlertKey, options: ClaimOptions): Promise<ClaimResult>;
  /** Marks a claimed alert sent. False when the claim was no longer `owner`'s (its lease ran out and was taken). */
  complete(key: AlertKey, owner: string): Promise<boolean>;
  /** Gives a claim back (publishing failed) so that a later run sends the alert. */
  release(key: AlertKey, owner: string): Promise<void>;
  /**
   * Records an alert as passed over (never to be sent) unless it is settled or another evaluator's live claim
   * holds it (that one sends it). True when it is now passed.
   */
  pass(key: AlertKey, options: PassOptions): Promise<boolean>;
  /**
   * Forgets a sent alert, so that it can be raised again: for an alert whose issue can come back once resolved (an
   * endpoint that serves a drifted certificate again after it was fixed). A claim or a passed alert is kept.
   */
  forget(key: AlertKey): Promise<void>;
}

export const alertIdOf = ({ locationId, fingerprint, thresholdId }: AlertKey): string =>
  `${locationId}#${fingerprint}#${thresholdId}`;
