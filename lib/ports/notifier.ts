import type { ExpiryDigest } from '../domain/notifications/expiry-digest';

export type { ExpiryDigest };

/**
 * A channel that takes the daily digest (SNS email, Slack). It throws when the digest was not delivered, so that
 * the channel's claim for the day is given back and a later run sends it (to this channel only).
 */
export interface DigestNotifier {
  /**
   * The channel's name in the digest's ledger key (`email`, `slack`): each channel's digest of a day is claimed,
   * completed and given back on its own, so a channel that failed is retried without sending again to one that
   * took it. Notifiers of one run must have different channels (sendDigest throws before claiming anything).
   */
  readonly channel: string;
  sendDigest(digest: ExpiryDigest): Promise<void>;
  /**
   * The digest as messages claimed one by one (the full digest, then each owner's), so that a message that failed
   * is sent again alone, never the ones that went. @default one part: sendDigest
   */
  digestParts?(digest: ExpiryDigest): DigestPart[];
}

/** One message of a channel's digest. */
export interface DigestPart {
  /** Its name in the day's ledger key besides the channel's (`owner:payments`); null: the channel's own key. */
  name: string | null;
  send(): Promise<void>;
}
