import { randomUUID } from 'node:crypto';
import { DAY_MS, DEFAULT_EXPIRY_THRESHOLDS, thresholdId, type ExpiryThresholds } from '../domain/expiry';
import { compareDigestItems, expiryDigest, type DigestItem } from '../domain/notifications/expiry-digest';
import { displayNameOf } from '../domain/notifications/expiry-email';
import {
  DEFAULT_SEVERITY_THRESHOLDS,
  expirySeverity,
  isDigestedSeverity,
  type SeverityThresholds,
} from '../domain/severity';
import type { AlertKey, AlertLedger } from '../ports/alert-ledger';
import type { Clock } from '../ports/clock';
import type { InventoryStore } from '../ports/inventory-store';
import type { DigestNotifier } from '../ports/notifier';
import { DEFAULT_ALERT_LEASE_MS } from './evaluate';
import { assessedLocations } from './report';

export interface DigestOptions {
  store: InventoryStore;
  /** Where the day's digest is claimed, so that it goes out once however many runs overlap. */
  ledger: AlertLedger;
  clock: Clock;
  /**
   * Each gets the digest (SnsNotifier, SlackNotifier), claimed under its own `channel`: channels must differ.
   */
  notifiers: DigestNotifier[];
  /** @default DEFAULT_EXPIRY_THRESHOLDS */
  thresholds?: ExpiryThresholds;
  /** @default DEFAULT_SEVERITY_THRESHOLDS */
  severity?: SeverityThresholds;
  /** Claims nothing and sends nothing: returns what the digest would list now. @default false */
  dryRun?: boolean;
  /**
   * How long this run holds the day's claim while sending; a run that dies holding it is taken over after.
   * @default 5 minutes
   */
  leaseMs?: number;
  /**
   * Identifies this run's claims. When given, a run under the same id (a retry of one that died holding a channel's
   * claim) takes that claim back at once rather than after its lease. @default a random UUID
   */
  runId?: string;
}

/** What became of the day's digest on one channel in this run. */
export type DigestChannelOutcome =
  /** This run sent it there. */
  | 'sent'
  /** It went out there before (this run sent nothing there). */
  | 'alreadySent'
  /** Another run holds the channel's claim right now and sends it (this run sent nothing there). */
  | 'heldElsewhere'
  /** The channel refused it: its claim was given back, the next run sends it there. */
  | 'failed'
  /** A dry run, or nothing to list: nothing claimed, nothing sent. */
  | 'notSent';

export interface DigestChannelReport {
  /** DigestNotifier.channel. */
  channel: string;
  outcome: DigestChannelOutcome;
  /** Why it failed (`failed` only). */
  message?: string;
}

export interface DigestReport {
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  /** What the digest lists (or would), soonest expiry first; empty: nothing was sent and nothing claimed. */
  items: DigestItem[];
  /** Per channel, in the notifiers' order: what became of the digest there. */
  channels: DigestChannelReport[];
  /** This run sent the digest to at least one channel (see `channels` for which). */
  sent: boolean;
  /** Every channel had the day's digest before this run: it sent nothing. */
  alreadySent: boolean;
  /** Another run was sending the digest to at least one channel: this run left that channel to it. */
  heldElsewhere: boolean;
  /** Channels that failed: each one's claim was given back, so the next run sends the digest there (only there). */
  failed?: Array<{ channel: string; notifier: string; message: string }>;
}

/**
 * The ledger entry of one day's digest on one channel (a location id always has a colon, `<kind>:<id>`:
 * `digest` is none).
 */
export const digestKeyOf = (day: string, channel: string): AlertKey => ({
  locationId: 'digest',
  fingerprint: day,
  thresholdId: `daily:${channel}`,
});

/** A channel name: lower-case letters, digits and dashes (it is part of a ledger key). */
const CHANNEL = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Each notifier's channel; throws (before anything is claimed) on a missing, malformed or repeated one. */
function channelsOf(notifiers: readonly DigestNotifier[]): string[] {
  const channels = notifiers.map((notifier, index) => {
    const channel = notifier.channel;
    if (channel === undefined || !CHANNEL.test(channel))
      throw new TypeError(
        `digest notifier ${index} (${notifier.constructor?.name ?? 'object'}) has no valid channel: ${JSON.stringify(channel)}`,
      );
    return channel;
  });
  const repeated = channels.find((channel, index) => channels.indexOf(channel) !== index);
  if (repeated !== undefined)
    throw new TypeError(`two digest notifiers share the channel ${repeated}: each needs its own ledger claim`);
  return channels;
}

/**
 * Sends the daily digest of low-severity expiry news, exactly once per UTC day and channel: every live place
 * whose certificate has crossed an expiry threshold and is at `info` or `warning` now, in one message to each
 * notifier. Each channel's day is claimed in the alert ledger before its notifier is called (a conditional write:
 * of overlapping runs or a redelivered schedule, one wins per channel), marked sent once the notifier took the
 * digest, and given back when it failed, so that a later run sends it there again — and only there: a channel
 * that took it is not sent it twice. A channel whose digest is several messages (DigestNotifier.digestParts: the
 * full digest and each owner's) has each claimed alike, so a retry sends only the message that failed. Every
 * channel and message is tried, whatever became of the others.
 * An empty digest sends nothing and claims nothing: a later run the same day that finds something sends it.
 */
export async function sendDigest(options: DigestOptions): Promise<DigestReport> {
  const { store, ledger, clock, notifiers } = options;
  const channels = channelsOf(notifiers);
  const now = clock.now();
  const day = now.toISOString().slice(0, 10);
  const items = await digestItems(store, now, options.thresholds, options.severity);

  const results: DigestChannelReport[] = [];
  const failed: NonNullable<DigestReport['failed']> = [];
  if (items.length === 0 || options.dryRun) {
    for (const channel of channels) {
      const sentBefore = (await ledger.state(digestKeyOf(day, channel))) === 'sent';
      results.push({ channel, outcome: sentBefore ? 'alreadySent' : 'notSent' });
    }
  } else {
    const owner = options.runId ?? randomUUID();
    const claimOptions = {
      owner,
      // Each message's day is claimed once a run: a retry under the same run id takes back what it died holding.
      reclaimOwn: options.runId !== undefined,
      leaseMs: options.leaseMs ?? DEFAULT_ALERT_LEASE_MS,
      keepUntil: new Date(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS),
    };
    const digest = expiryDigest(day, items);
    for (const [index, notifier] of notifiers.entries()) {
      const channel = channels[index];
      const parts = notifier.digestParts?.(digest) ?? [{ name: null, send: () => notifier.sendDigest(digest) }];
      const outcomes: Array<{ outcome: DigestChannelOutcome; message?: string }> = [];
      for (const part of parts) {
        const key = digestKeyOf(day, part.name === null ? channel : `${channel}/${part.name}`);
        // Claimed just before sending, so that a slow message does not eat into the next one's lease.
        const claim = await ledger.claim(key, claimOptions);
        if (claim !== 'claimed') {
          outcomes.push({ outcome: claim === 'sent' ? 'alreadySent' : 'heldElsewhere' });
          continue;
        }
        try {
          await part.send();
        } catch (error) {
          await ledger.release(key, owner);
          outcomes.push({ outcome: 'failed', message: error instanceof Error ? error.message : String(error) });
          continue;
        }
        // False only when this run outlived its lease and another took the part over: the message did go out.
        await ledger.complete(key, owner);
        outcomes.push({ outcome: 'sent' });
      }
      const failure = outcomes.find(({ outcome }) => outcome === 'failed');
      if (failure) {
        results.push({ channel, outcome: 'failed', message: failure.message });
        failed.push({
          channel,
          notifier: notifier.constructor?.name || `notifier ${index}`,
          message: failure.message!,
        });
        continue;
      }
      const seen = new Set(outcomes.map(({ outcome }) => outcome));
      const outcome = seen.has('heldElsewhere') ? 'heldElsewhere' : seen.has('sent') ? 'sent' : 'alreadySent';
      results.push({ channel, outcome });
    }
  }

  return {
    day,
    items,
    channels: results,
    sent: results.some((result) => result.outcome === 'sent'),
    alreadySent: results.length > 0 && results.every((result) => result.outcome === 'alreadySent'),
    heldElsewhere: results.some((result) => result.outcome === 'heldElsewhere'),
    ...(failed.length > 0 ? { failed } : {}),
  };
}

/** Live places past a threshold at info or warning severity now, soonest expiry first. */
async function digestItems(
  store: InventoryStore,
  now: Date,
  thresholds: ExpiryThresholds = DEFAULT_EXPIRY_THRESHOLDS,
  severityThresholds: SeverityThresholds = DEFAULT_SEVERITY_THRESHOLDS,
): Promise<DigestItem[]> {
  const items: DigestItem[] = [];
  for await (const { location, expiry } of assessedLocations(store, { now: () => new Date(now) }, { thresholds })) {
    const certificate = location.certificate;
    if (!certificate || !expiry.mostUrgent) continue;
    const severity = expirySeverity(certificate, now, severityThresholds);
    if (!isDigestedSeverity(severity)) continue;
    items.push({
      locationId: location.locationId,
      name: displayNameOf(certificate),
      severity,
      daysLeft: expiry.daysLeft,
      notAfter: certificate.notAfter,
      source: location.source,
      sourceKind: location.sourceKind,
      nativeId: location.nativeId,
      owner: location.owner,
      account: location.account ?? null,
      thresholdId: thresholdId(expiry.mostUrgent),
      managed: location.managed ?? false,
      renewal: location.renewal ?? null,
    });
  }
  return items.sort(compareDigestItems);
}
