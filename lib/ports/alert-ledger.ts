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

export type AlertState = 'claimed' | 'sent';

/** What a claim found: `claimed` (it is ours to send now), `sent` (done before) or `held` (another evaluator's live lease). */
export type ClaimResult = 'claimed' | 'sent' | 'held';

export interface ClaimOptions {
  /** Who claims: a token unique to one evaluation run. */
  owner: string;
  /** How long the claim holds; after it, another evaluator may take the alert over (its holder crashed). */
  leaseMs: number;
  /** Kept at least until then (the certificate's notAfter): the store may forget the alert some time after. */
  keepUntil: Date;
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
}

export const alertIdOf = ({ locationId, fingerprint, thresholdId }: AlertKey): string =>
  `${locationId}#${fingerprint}#${thresholdId}`;
