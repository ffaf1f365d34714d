import type { CertwardenEvent } from '../events';

/**
 * What a served-certificate event says, in words (the SIEM's message, Slack's text, the finding's description):
 * which certificate the endpoint serves and why that is wrong, or why it no longer is.
 */
export function servedMessage(
  event: Extract<
    CertwardenEvent,
    { detailType: 'Deployment Drift' | 'Unknown Certificate Served' | 'Served Certificate Resolved' }
  >,
): string {
  const detail = event.detail;
  const endpoint = `${detail.endpoint}${detail.serverName ? ` (SNI ${detail.serverName})` : ''}`;
  const certificate = `${detail.subjectCommonName ?? detail.subject} ${detail.fingerprint.slice(0, 16)}…`;
  if (event.detailType === 'Served Certificate Resolved')
    return `${event.detail.resolves} at ${endpoint} resolved: ${event.detail.resolution} (it served ${certificate})`;
  const what = `${endpoint} serves ${certificate}, valid until ${detail.notAfter}`;
  if (event.detailType === 'Unknown Certificate Served') return `${what}, which no source of the inventory holds`;
  const newer = event.detail.inventory;
  return `${what}; ${newer.source} (${newer.sourceKind}) holds a newer certificate for ${event.detail.name}, ${newer.fingerprint.slice(0, 16)}… valid until ${newer.notAfter}: renewed but not deployed`;
}
