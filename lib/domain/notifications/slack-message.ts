import type { CertwardenEvent, ExpiryAlertDetail } from '../events';
import { describeTimeLeft, displayNameOf } from './expiry-email';
import { sourceKindLabel } from './source-labels';

/** A Slack message: Block Kit blocks and the plain `text` shown in notifications and by screen readers. */
export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

const EMOJI: Record<string, string> = {
  info: ':information_source:',
  warning: ':warning:',
  high: ':rotating_light:',
  critical: ':fire:',
};

/** Slack's limit on a section's text. */
const MAX_TEXT = 3000;
const clip = (text: string) => (text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT - 1)}…`);
/** mrkdwn treats &, < and > as control characters. */
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text: clip(text) } });

/** Block Kit for one event: a rich message for expiry alerts, a short one for anything else. Pure. */
export function renderSlackMessage(event: CertwardenEvent): SlackMessage {
  if (event.detailType === 'Certificate Expiring' || event.detailType === 'Certificate Expired')
    return expiryMessage(event.detail as ExpiryAlertDetail);
  const detail = event.detail as { source?: string; locationId?: string; owner?: string; problem?: string };
  const text = `${event.detailType}${detail.locationId ? `: ${detail.locationId}` : detail.source ? `: ${detail.source}` : ''}`;
  return {
    text,
    blocks: [
      section(`*${escape(event.detailType)}*${detail.locationId ? `\n\`${escape(detail.locationId)}\`` : ''}`),
      ...(detail.problem ? [section(escape(detail.problem))] : []),
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: escape([detail.source, detail.owner].filter(Boolean).join(' · ') || 'certwarden') },
        ],
      },
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
    text: headline,
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: `${EMOJI[detail.severity]} ${headline}`.slice(0, 150), emoji: true },
      },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*Expires*\n${detail.notAfter}` },
          { type: 'mrkdwn', text: `*Owner*\n${escape(detail.owner)}` },
          { type: 'mrkdwn', text: `*Names*\n${escape(detail.dnsNames.join(', ') || '(none)')}` },
          { type: 'mrkdwn', text: `*Issuer*\n${escape(detail.issuer)}` },
        ],
      },
      section(`*Where*\n${escape(kind)} \`${escape(detail.nativeId)}\`${where ? `\n${escape(where)}` : ''}`),
      section(
        `*In use by*\n${detail.inUseBy.length ? detail.inUseBy.map((use) => `• \`${escape(use)}\``).join('\n') : '(nothing known)'}`,
      ),
      section(`*How to renew*\n${escape(detail.renewal.instructions)}`),
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `severity ${detail.severity} · threshold ${detail.thresholdId} · serial ${detail.serialNumber ?? 'unknown'} · sha256 ${detail.fingerprint.slice(0, 16)}…`,
          },
        ],
      },
    ],
  };
}
