import type {
  AlertUndeliveredDetail,
  CertwardenEvent,
  ExpiryAlertDetail,
  PolicyViolationDetail,
  RenewalDetail,
  RevocationDetail,
  SyncFailedDetail,
  UnknownCertificateIssuedDetail,
} from '../events';
import { certificateRevokedWords } from './certificate-revoked-words';
import { describeTimeLeft, displayNameOf } from './expiry-email';
import { sourceKindLabel } from './source-labels';
import { servedMessage } from './served-message';

/** A Slack message: Block Kit blocks and the plain `text` shown in notifications and by screen readers. */
export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

/**
 * What Slack accepts in one message, in characters (UTF-16 code units, never fewer than Slack's count). A message
 * over a limit is refused with a 400 (`invalid_blocks`), and a refusal is permanent: the alert would never arrive.
 * - Block Kit reference (docs.slack.dev/reference/block-kit/blocks/…): a section's text at most 3,000 characters,
 *   its `fields` at most 10 items of at most 2,000 each (section-block); a header's plain_text at most 150
 *   (header-block); a context block at most 10 elements (context-block); a text object at most 3,000
 *   (composition-objects/text-object), and never empty; at most 50 blocks a message (block-kit overview).
 * - The top-level `text`: Slack truncates it past 40,000 characters (api.slack.com changelog
 *   2018-04-truncating-really-long-messages), and may split one past 4,000 into several posts.
 * - All the blocks' text together: Slack refuses `msg_blocks_too_long` well below 50 full sections, at about
 *   13,000 characters; its maintainers give 12,000 text characters (slackapi/bolt-js issues #2509 and #2867).
 *   Undocumented, so kept as a budget for the whole message.
 */
export const SLACK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  textObject: 3000,
  messageText: 40_000,
  blocksText: 12_000,
} as const;

/** The fallback `text`: one line, kept under the 4,000 characters past which Slack may split a post. */
const FALLBACK_TEXT = 3000;

/** The overflow line of a clipped list. */
export const andMore = (count: number): string => `… and ${count} more`;

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/**
 * `text` cut to at most `max` characters, ending in `…` when cut. Never cuts a surrogate pair (an emoji or an
 * astral character stays whole or goes) nor an mrkdwn escape (`&amp;`, `&lt;`, `&gt;` stay whole or go).
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (end > 0 && isHighSurrogate(text.charCodeAt(end - 1))) end--;
  const amp = text.lastIndexOf('&', end - 1);
  if (amp >= 0 && end - amp < 5 && /^&(amp|lt|gt);/.test(text.slice(amp, amp + 5)) && text.indexOf(';', amp) >= end)
    end = amp;
  return `${text.slice(0, end)}…`;
}

/**
 * `items` joined by `separator` within `max` characters: as many whole items as fit, then `… and N more`. The
 * first item is clipped when even it does not fit, so the list never shows nothing but the count.
 */
export function clipList(items: readonly string[], max: number, separator: string): string {
  const whole = items.join(separator);
  if (whole.length <= max) return whole;
  // Room for the longest overflow line, so that adding it never breaks the budget.
  const room = max - separator.length - andMore(items.length).length;
  const shown: string[] = [];
  let used = 0;
  for (const item of items) {
    const cost = (shown.length > 0 ? separator.length : 0) + item.length;
    if (used + cost > room) break;
    shown.push(item);
    used += cost;
  }
  if (shown.length === 0) shown.push(clipText(items[0], room));
  return `${shown.join(separator)}${separator}${andMore(items.length - shown.length)}`;
}

/** mrkdwn treats &, < and > as control characters. */
export const escapeMrkdwn = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A section of mrkdwn text (already escaped), clipped to `max` (at most the section limit). */
export const section = (text: string, max: number = SLACK_LIMITS.sectionText) => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clipText(text, Math.min(max, SLACK_LIMITS.sectionText)) },
});

/** A context block of one mrkdwn element (already escaped), clipped to `max`. */
export const contextBlock = (text: string, max: number = SLACK_LIMITS.textObject) => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: clipText(text, Math.min(max, SLACK_LIMITS.textObject)) }],
});

/** A header of plain text (no escaping: plain_text shows it as it is), clipped to the header limit. */
export const headerBlock = (text: string) => ({
  type: 'header',
  text: { type: 'plain_text', text: clipText(text, SLACK_LIMITS.headerText), emoji: true },
});

/** The fallback text of a message, clipped. */
export const fallbackText = (text: string): string => clipText(text, FALLBACK_TEXT);

const EMOJI: Record<string, string> = {
  info: ':information_source:',
  warning: ':warning:',
  high: ':rotating_light:',
  critical: ':fire:',
};

/**
 * How many characters each part of a message may take. Each is within its Block Kit limit, and together
 * (an expiry alert about 10,100 with its labels, a short message about 5,100) within SLACK_LIMITS.blocksText.
 */
const PART_BUDGET = {
  owner: 300,
  names: SLACK_LIMITS.fieldText,
  issuer: 1000,
  where: 1500,
  inUseBy: SLACK_LIMITS.sectionText,
  renewal: 1500,
  context: 600,
  /** A short message's title and words (other events). */
  title: 1500,
  words: SLACK_LIMITS.sectionText,
  errors: SLACK_LIMITS.sectionText,
} as const;

/** A field: bold label, then the value, the whole within the field limit. */
const field = (label: string, value: string) => ({
  type: 'mrkdwn',
  text: clipText(`*${label}*\n${value}`, SLACK_LIMITS.fieldText),
});

/** `*Label*` then a list within `max` characters in all (`… and N more` for what does not fit), or `none`. */
const labelledList = (label: string, items: string[], max: number, separator: string, none: string) =>
  `*${label}*\n${items.length ? clipList(items, max - label.length - 3, separator) : none}`;

/** Block Kit for one event: a rich message for expiry alerts, a short one for anything else. Pure. */
export function renderSlackMessage(event: CertwardenEvent): SlackMessage {
  if (event.detailType === 'Certificate Expiring' || event.detailType === 'Certificate Expired')
    return expiryMessage(event.detail);
  return shortMessage(event);
}

/** What a short message says besides its title: the provider's problem, the rule broken, the error, the errors. */
function wordsOf(event: CertwardenEvent): string[] {
  switch (event.detailType) {
    case 'Certificate Provisioning Failed':
      return [clipText(escapeMrkdwn(event.detail.problem), PART_BUDGET.words)];
    case 'Policy Violation':
    case 'Violation Resolved': {
      const detail: PolicyViolationDetail = event.detail;
      return [
        clipText(
          `\`${escapeMrkdwn(detail.ruleId)}\` (${detail.severity}): ${escapeMrkdwn(detail.message)}`,
          PART_BUDGET.words,
        ),
      ];
    }
    case 'Renewal Failed': {
      const detail: RenewalDetail = event.detail;
      return detail.error ? [clipText(escapeMrkdwn(detail.error), PART_BUDGET.words)] : [];
    }
    case 'Revocation Detected': {
      const detail: RevocationDetail = event.detail;
      const reason = detail.reason ? ` (${detail.reason})` : '';
      return [
        clipText(
          escapeMrkdwn(`serial ${detail.serialNumber} revoked on ${detail.revokedAt}${reason}, found by ${detail.via}`),
          PART_BUDGET.words,
        ),
      ];
    }
    case 'Certificate Revoked':
      return [clipText(escapeMrkdwn(certificateRevokedWords(event.detail)), PART_BUDGET.words)];
    case 'Unknown Certificate Issued': {
      const detail: UnknownCertificateIssuedDetail = event.detail;
      const what = detail.entryType === 'precert' ? 'A precertificate' : 'A certificate';
      return [
        clipText(
          escapeMrkdwn(
            `${what} for ${detail.dnsNames.join(', ') || detail.subject} (serial ${detail.serialNumber}) from ` +
              `${detail.issuer} is in CT log ${detail.log} (entry ${detail.index}, ${detail.loggedAt}) and no ` +
              `source of the inventory holds it.`,
          ),
          PART_BUDGET.words,
        ),
      ];
    }
    case 'Alert Undelivered': {
      const detail: AlertUndeliveredDetail = event.detail;
      const why = detail.permanent ? 'refused it for good' : `failed it ${detail.attempts} times`;
      const what = detail.subjectCommonName ? ` for ${detail.subjectCommonName}` : '';
      return [
        clipText(
          escapeMrkdwn(`${detail.target} ${why}: ${detail.eventType}${what} will not be sent again. ${detail.reason}`),
          PART_BUDGET.words,
        ),
      ];
    }
    case 'Deployment Drift':
    case 'Unknown Certificate Served':
    case 'Served Certificate Resolved':
      return [clipText(escapeMrkdwn(servedMessage(event)), PART_BUDGET.words)];
    case 'Sync Failed': {
      const detail: SyncFailedDetail = event.detail;
      if (detail.errors.length === 0) return [];
      const lines = detail.errors.map(
        (error) => `• \`${escapeMrkdwn(error.nativeId)}\`: ${escapeMrkdwn(error.message)}`,
      );
      return [clipList(lines, PART_BUDGET.errors, '\n')];
    }
    default:
      return [];
  }
}

function shortMessage(event: CertwardenEvent): SlackMessage {
  const detail = event.detail as { source?: string; locationId?: string; owner?: string };
  const place = detail.locationId ?? detail.source;
  return {
    text: fallbackText(`${event.detailType}${place ? `: ${place}` : ''}`),
    blocks: [
      section(
        `*${escapeMrkdwn(event.detailType)}*${detail.locationId ? `\n\`${escapeMrkdwn(detail.locationId)}\`` : ''}`,
        PART_BUDGET.title,
      ),
      // A text object is never empty.
      ...wordsOf(event)
        .filter((words) => words.length > 0)
        .map((words) => section(words)),
      contextBlock(
        escapeMrkdwn([detail.source, detail.owner].filter(Boolean).join(' · ') || 'certwarden'),
        PART_BUDGET.context,
      ),
    ],
  };
}

function expiryMessage(detail: ExpiryAlertDetail): SlackMessage {
  const name = displayNameOf(detail);
  const kind = sourceKindLabel(detail.sourceKind);
  const headline = `${detail.severity.toUpperCase()}: ${name} ${describeTimeLeft(detail)} (${kind}, ${detail.source})`;
  const where = [detail.account && `account ${detail.account}`, detail.region && `region ${detail.region}`]
    .filter(Boolean)
    .join(', ');
  return {
    text: fallbackText(headline),
    blocks: [
      headerBlock(`${EMOJI[detail.severity]} ${headline}`),
      {
        type: 'section',
        fields: [
          field('Expires', detail.notAfter),
          field('Owner', clipText(escapeMrkdwn(detail.owner), PART_BUDGET.owner)),
          {
            type: 'mrkdwn',
            text: labelledList('Names', detail.dnsNames.map(escapeMrkdwn), PART_BUDGET.names, ', ', '(none)'),
          },
          field('Issuer', clipText(escapeMrkdwn(detail.issuer), PART_BUDGET.issuer)),
        ],
      },
      section(
        `*Where*\n${escapeMrkdwn(kind)} \`${escapeMrkdwn(detail.nativeId)}\`${where ? `\n${escapeMrkdwn(where)}` : ''}`,
        PART_BUDGET.where,
      ),
      section(
        labelledList(
          'In use by',
          detail.inUseBy.map((use) => `• \`${escapeMrkdwn(use)}\``),
          PART_BUDGET.inUseBy,
          '\n',
          '(nothing known)',
        ),
      ),
      section(`*How to renew*\n${escapeMrkdwn(detail.renewal.instructions)}`, PART_BUDGET.renewal),
      contextBlock(
        escapeMrkdwn(
          `severity ${detail.severity} · threshold ${detail.thresholdId} · serial ${detail.serialNumber ?? 'unknown'} · sha256 ${detail.fingerprint.slice(0, 16)}…`,
        ),
        PART_BUDGET.context,
      ),
    ],
  };
}
