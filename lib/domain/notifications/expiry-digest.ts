/**
 * The daily digest of low-severity expiry news: one message listing every certificate that has crossed an
 * expiry threshold and is still at `info` or `warning`, instead of one message each. Pure: the model and its
 * email and Slack renderings; sending and exactly-once are the use case's (lib/use-cases/digest.ts).
 */

import { EXPIRY_SEVERITIES, type ExpirySeverity } from '../severity';
import { describeTimeLeft, snsSubject, type RenderedEmail } from './expiry-email';
import { renewalInstructions } from './renewal-guidance';
import { sourceKindLabel } from './source-labels';
import type { SlackMessage } from './slack-message';

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

/**
 * Slack's limits: blocks per message and characters per section text; and a serialized size we keep the message
 * under (Slack answers msg_too_long to very long messages; 40,000 characters is its documented limit on text).
 */
export const SLACK_MAX_BLOCKS = 50;
export const SLACK_MAX_SECTION_TEXT = 3000;
export const SLACK_DIGEST_MAX_CHARS = 40_000;

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

/** mrkdwn treats &, < and > as control characters. */
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

const EMOJI: Record<string, string> = { info: ':information_source:', warning: ':warning:' };

/**
 * The digest as one Slack Block Kit message: a header, a summary, then each owner's certificates as sections
 * (split to stay within 3,000 characters a section). Within Slack's 50 blocks and a conservative total size:
 * what does not fit is summarized as `…and N more`.
 */
export function renderDigestSlack(digest: ExpiryDigest): SlackMessage & { listed: number } {
  const title = headline(digest);
  const count = digest.items.length;
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: clip(`:calendar: ${title}`, 150), emoji: true } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${digest.day} · info and warning only: high and critical alerts are sent one by one as they happen`,
        },
      ],
    },
  ];
  // Room is always kept for the overflow and the footer blocks.
  const maxSections = SLACK_MAX_BLOCKS - blocks.length - 2;
  // The header, the context, the overflow and the footer take well under 1,000 characters serialized.
  const charBudget = SLACK_DIGEST_MAX_CHARS - 1000;
  const sections: string[] = [];
  let openOwner: string | undefined;
  let chars = 0;
  let listed = 0;
  outer: for (const [owner, items] of byOwner(digest.items)) {
    for (const [index, item] of items.entries()) {
      const line = clip(
        `${EMOJI[item.severity] ?? '•'} *${escape(item.name)}* ${describeTimeLeft(item)} (${item.notAfter.slice(0, 10)})` +
          ` · ${escape(sourceKindLabel(item.sourceKind))} \`${escape(item.nativeId)}\` · ${escape(item.source)}`,
        1000,
      );
      const last = sections.length - 1;
      if (openOwner === owner && sections[last].length + 1 + line.length <= SLACK_MAX_SECTION_TEXT) {
        // Serialized, the line costs its JSON form: its quotes make room for the escaped line break.
        const cost = JSON.stringify(line).length;
        if (chars + cost > charBudget) break outer;
        sections[last] += `\n${line}`;
        chars += cost;
      } else {
        const heading = `*${escape(clip(owner, 200))}* (${items.length}${index > 0 ? ', continued' : ''})`;
        const text = `${heading}\n${line}`;
        const cost = JSON.stringify(section(text)).length + 1;
        if (sections.length >= maxSections || chars + cost > charBudget) break outer;
        sections.push(text);
        chars += cost;
        openOwner = owner;
      }
      listed++;
    }
  }
  blocks.push(...sections.map(section));
  if (listed < count) blocks.push(section(`…and ${count - listed} more`));
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: 'Once a day while certificates are due for renewal · certwarden' }],
  });
  return { text: title, blocks, listed };
}
