import type { ExpiryDigest } from '../domain/notifications/expiry-digest';

export type { ExpiryDigest };

/**
 * A channel that takes the daily digest as one message (SNS email, Slack). It throws when the digest was not
 * delivered, so that the digest's claim for the day is given back and a later run sends it.
 */
export interface DigestNotifier {
  sendDigest(digest: ExpiryDigest): Promise<void>;
}
