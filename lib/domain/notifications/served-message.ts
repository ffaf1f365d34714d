import type { CertwardenEvent } from '../events';

/**
 * What a served-certificate event says, in words (the SIEM's message, Slack's text, the finding's description):
 * which certificate the endpoint serves and why that is wrong.
 */
export function servedMessage(
  event: Extract<CertwardenEvent, { detailType: 'Deployment Drift' | 'Unknown Certificate Served' }>,
): string {
  const detail = event.detail;
  const what = `${detail.endpoint}${detail.serverName ? ` (SNI ${detail.serverName})` : ''} serves ${detail.subjectCommonName ?? detail.subject} ${detail.fingerprint.slice(0, 16)}…, valid until ${detail.notAfter}`;
  if (event.detailType === 'Unknown Certificate Served') return `${what}, which no source of the inventory holds`;
  const newer = event.detail.inventory;
  return `${what}; ${newer.source} (${newer.sourceKind}) holds a newer certificate for ${event.detail.name}, ${newer.fingerprint.slice(0, 16)}… valid until ${newer.notAfter}: renewed but not deployed`;
}
