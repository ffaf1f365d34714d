/**
 * The daily digest of low-severity expiry news: one message listing every certificate that has crossed an
 * expiry threshold and is still at `info` or `warning`, instead of one message each. Pure: the model and its
 * email and Slack renderings; sending and exactly-once are the use case's (lib/use-cases/digest.ts).
 */

import { EXPIRY_SEVERITIES, type ExpirySeverity } from '../severity';
import { describeTimeLeft, snsSubject, type RenderedEmail } from './expiry-email';
import { renewalInstructions } from './renewal-guidance';
import { sourceKindLabel } from './source-labels';
import {
  andMore,
  clipText,
  contextBlock,
  escapeMrkdwn,
  fallbackText,
  headerBlock,
  section,
  SLACK_LIMITS,
  type SlackMessage,
} from './slack-message';

/** One certificate at one place in the digest. */
export interface DigestItem {
  locationId: string;
  /** For people: the subject CN, else the first DNS name, else the subject. */
  name: string;
  /** `info` or `warning` in practice: higher ones are alerted one by one at once. */
  severity: ExpirySeverity;
  /** Whole days left, rounded down. */
  daysLeft: number;
  notAfter: string;
  source: string;
  sourceKind: string;
  nativeId: string;
  owner: string;
  account: string | null;
  /** The most urgent threshold crossed (expiry.ts thresholdId): `60d`, `lifetime-33%`, … */
  thresholdId: string;
  /** Renewed by the provider without anyone acting (for the renewal guidance). */
  managed: boolean;
  /** The source's renewal word (`acm-managed`, `manual`, …), or null. */
  renewal: string | null;
}

/** The digest of one UTC day. */
export interface ExpiryDigest {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  /** Soonest expiry first. */
  items: DigestItem[];
}

/**
 * SNS message attributes of the full digest (every owner's items), for the `alerts.emails` subscriptions (filter
 * `audience: all`). Filter policies match attribute values exactly: an owner subscription (filter on `owner`)
 * does not get it, since no owner is `all`; it gets its owners' own digests instead (renderDigestEmail with
 * `owner`: that owner and audience `owner`). Every value is non-empty (SNS refuses empty attribute values).
 */
export const DIGEST_ATTRIBUTES = {
  severity: 'digest',
  source: 'all',
  owner: 'all',
  account: 'all',
  audience: 'all',
} as const;

/** The email body is cut here (UTF-8 bytes): below SNS's 256 KiB message limit, subject and attributes included. */
export const DIGEST_EMAIL_MAX_BYTES = 240_000;

/** The digest of `day` with its items in order: soonest expiry first, then by name and place (stable output). */
export function expiryDigest(day: string, items: DigestItem[]): ExpiryDigest {
  return { day, items: [...items].sort(compareDigestItems) };
}

/** Soonest expiry first, then by name and place. */
export const compareDigestItems = (a: DigestItem, b: DigestItem): number =>
  a.notAfter.localeCompare(b.notAfter) || a.name.localeCompare(b.name) || a.locationId.localeCompare(b.locationId);

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** `3 warning, 9 info`: the counts by severity, most severe first, zero counts left out. */
export function severityCounts(items: readonly DigestItem[]): string {
  return [...EXPIRY_SEVERITIES]
    .reverse()
    .map((severity) => [severity, items.filter((item) => item.severity === severity).length] as const)
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`)
    .join(', ');
}

/** `Daily digest: 12 certificates expiring (3 warning, 9 info)`; `Daily digest for payments: …` for one owner. */
function headline(digest: ExpiryDigest, owner?: string): string {
  const count = digest.items.length;
  const title = owner === undefined ? 'Daily digest' : `Daily digest for ${owner}`;
  return count === 0
    ? `${title}: no certificates expiring`
    : `${title}: ${plural(count, 'certificate')} expiring (${severityCounts(digest.items)})`;
}

/**
 * The owners in order of their soonest item, each with its items (still soonest first). Owners with the same
 * `keyOf` are one group, named by that key.
 */
function byOwner(
  items: readonly DigestItem[],
  keyOf: (owner: string) => string = (owner) => owner,
): Array<[string, DigestItem[]]> {
  const groups = new Map<string, DigestItem[]>();
  for (const item of items) {
    const key = keyOf(item.owner);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return [...groups];
}

/**
 * The digest split by owner, for owners' own emails: one digest per owner (per value of `keyOf(owner)`: an
 * adapter passes how its channel spells an owner, so that owners it cannot tell apart share one digest), each
 * listing only that owner's items, in order of each owner's soonest item.
 */
export function ownerDigests(
  digest: ExpiryDigest,
  keyOf?: (owner: string) => string,
): Array<{ owner: string; digest: ExpiryDigest }> {
  return byOwner(digest.items, keyOf).map(([owner, items]) => ({ owner, digest: { day: digest.day, items } }));
}

const renewalOf = (item: DigestItem) =>
  renewalInstructions({ sourceKind: item.sourceKind, managed: item.managed, renewal: item.renewal ?? undefined });

/**
 * The digest as an email (SNS email subscription): subject
 * `[certwarden] Daily digest: 12 certificates expiring (3 warning, 9 info)`, a body grouped by owner with each
 * certificate's time left, place and how to renew it. A digest too large for one SNS message lists what fits
 * and ends with `... and N more`. The full digest carries DIGEST_ATTRIBUTES; with `owner` it is that owner's own
 * digest (pass only its items, see ownerDigests): subject `Daily digest for <owner>: …`, attributes owner
 * `<owner>` and audience `owner`.
 */
export function renderDigestEmail(
  digest: ExpiryDigest,
  options: { maxBytes?: number; owner?: string } = {},
): RenderedEmail & { listed: number } {
  const maxBytes = options.maxBytes ?? DIGEST_EMAIL_MAX_BYTES;
  const owner = options.owner;
  const count = digest.items.length;
  const head = [
    count === 0
      ? `No certificate has crossed an expiry threshold at info or warning severity on ${digest.day}.`
      : `${plural(count, 'certificate')} crossed an expiry threshold and ${count === 1 ? 'is' : 'are'} due for renewal (${severityCounts(digest.items)}), on ${digest.day}.`,
    ...(owner === undefined ? [] : [`Only the certificates of ${owner} are listed.`]),
    'High and critical alerts are not in this list: they are sent one by one as they happen.',
    '',
  ].join('\n');
  const foot = ['', 'You get this once a day while certificates are due for renewal. — certwarden', ''].join('\n');
  const overflowLine = (left: number) =>
    `\n... and ${left} more (the message would be too long): \`certwarden list --expiring <days>\` lists them all.\n`;

  const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
  // Room for the longest overflow line, so that adding it never breaks the budget.
  let budget = maxBytes - bytes(head) - bytes(foot) - bytes(overflowLine(count));
  const parts: string[] = [];
  let listed = 0;
  outer: for (const [itemsOwner, items] of byOwner(digest.items)) {
    const heading = `\n${itemsOwner} (${items.length})\n`;
    for (const [index, item] of items.entries()) {
      const kind = sourceKindLabel(item.sourceKind);
      const entry = [
        `  - ${item.name} ${describeTimeLeft(item)} (${item.notAfter}), ${item.severity}, threshold ${item.thresholdId}`,
        `      ${kind} ${item.nativeId}`,
        `      Source ${item.source}${item.account ? `, account ${item.account}` : ''}`,
        `      Renew: ${renewalOf(item)}`,
        '',
      ].join('\n');
      const text = index === 0 ? heading + entry : entry;
      if (bytes(text) > budget) break outer;
      budget -= bytes(text);
      parts.push(text);
      listed++;
    }
  }
  const overflow = listed < count ? overflowLine(count - listed) : '';
  return {
    subject: snsSubject(`[certwarden] ${headline(digest, owner)}`),
    body: head + parts.join('') + overflow + foot,
    attributes: owner === undefined ? { ...DIGEST_ATTRIBUTES } : { ...DIGEST_ATTRIBUTES, owner, audience: 'owner' },
    listed,
  };
}

const EMOJI: Record<string, string> = { info: ':information_source:', warning: ':warning:' };

/** What the header, the context, the overflow line and the footer take at most, out of the text budget. */
const DIGEST_FRAME_CHARS = 600;
/** One certificate's line at most: a long name or place is clipped, not the list. */
const DIGEST_LINE_CHARS = 1000;

/**
 * The digest as one Slack Block Kit message: a header, a summary, then each owner's certificates as sections
 * (split to stay within a section's limit). Within Slack's limits (SLACK_LIMITS: 50 blocks, and the text of all
 * blocks together): what does not fit is summarized as `… and N more`.
 */
export function renderDigestSlack(digest: ExpiryDigest): SlackMessage & { listed: number } {
  const title = headline(digest);
  const count = digest.items.length;
  const blocks: Array<Record<string, unknown>> = [
    headerBlock(`:calendar: ${title}`),
    contextBlock(`${digest.day} · info and warning only: high and critical alerts are sent one by one as they happen`),
  ];
  // Room is always kept for the overflow and the footer blocks.
  const maxSections = SLACK_LIMITS.blocks - blocks.length - 2;
  const charBudget = SLACK_LIMITS.blocksText - DIGEST_FRAME_CHARS;
  const sections: string[] = [];
  let openOwner: string | undefined;
  let chars = 0;
  let listed = 0;
  outer: for (const [owner, items] of byOwner(digest.items)) {
    for (const [index, item] of items.entries()) {
      const line = clipText(
        `${EMOJI[item.severity] ?? '•'} *${escapeMrkdwn(item.name)}* ${describeTimeLeft(item)} (${item.notAfter.slice(0, 10)})` +
          ` · ${escapeMrkdwn(sourceKindLabel(item.sourceKind))} \`${escapeMrkdwn(item.nativeId)}\` · ${escapeMrkdwn(item.source)}`,
        DIGEST_LINE_CHARS,
      );
      const last = sections.length - 1;
      if (openOwner === owner && sections[last].length + 1 + line.length <= SLACK_LIMITS.sectionText) {
        if (chars + 1 + line.length > charBudget) break outer;
        sections[last] += `\n${line}`;
        chars += 1 + line.length;
      } else {
        const heading = `*${clipText(escapeMrkdwn(owner), 200)}* (${items.length}${index > 0 ? ', continued' : ''})`;
        const text = `${heading}\n${line}`;
        if (sections.length >= maxSections || chars + text.length > charBudget) break outer;
        sections.push(text);
        chars += text.length;
        openOwner = owner;
      }
      listed++;
    }
  }
  blocks.push(...sections.map((text) => section(text)));
  if (listed < count) blocks.push(section(andMore(count - listed)));
  blocks.push(contextBlock('Once a day while certificates are due for renewal · certwarden'));
  return { text: fallbackText(title), blocks, listed };
}
