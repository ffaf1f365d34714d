import { sep } from 'node:path';
import Table from 'cli-table3';
import type { CertificateRecord } from '../domain/certificate';
import { assessExpiry, thresholdId, type ExpiryAssessment } from '../domain/expiry';
import type { StoredLocation, StoredViolation, SyncRunRecord } from '../ports/inventory-store';
import type { AssessedLocation, InventorySummary } from '../use-cases/report';

export function describeExpiry(expiry: ExpiryAssessment): string {
  if (expiry.expired) return `EXPIRED ${-expiry.daysLeft} day(s) ago`;
  if (expiry.notYetValid) return `not valid yet, expires in ${expiry.daysLeft} days`;
  return `expires in ${expiry.daysLeft} day(s)`;
}

const keyDescription = (record: Pick<CertificateRecord, 'keyAlgorithm' | 'keySize' | 'keyCurve'>) =>
  [record.keyAlgorithm, record.keyCurve, record.keySize ? `${record.keySize} bits` : null].filter(Boolean).join(' ');

export function renderCertificate(file: string, record: CertificateRecord, now: Date): string {
  const sans = [
    ...record.sans.dns.map((name) => `DNS:${name}`),
    ...record.sans.ip.map((ip) => `IP:${ip}`),
    ...record.sans.email.map((email) => `email:${email}`),
    ...record.sans.uri.map((uri) => `URI:${uri}`),
  ];
  const lines: Array<[string, string]> = [
    ['Subject', record.subject || '(empty)'],
    ['Issuer', record.issuer || '(empty)'],
    ['Serial', record.serialNumber],
    ['SHA-256', record.fingerprintSha256],
    ['Valid', `${record.notBefore} → ${record.notAfter} (${describeExpiry(assessExpiry(record, now))})`],
    ['Kind', `${record.kind}${record.isCA ? ' (CA)' : ''}${record.selfSigned ? ', self-signed' : ''}`],
    ['Key', keyDescription(record)],
    ['Signature', record.signatureAlgorithm],
    ['Names', sans.join(', ') || '(none)'],
    ['Key usage', record.keyUsage.join(', ') || '(none)'],
    ['Ext. key usage', record.extendedKeyUsage.join(', ') || '(none)'],
  ];
  return `${file}\n${lines.map(([label, value]) => `  ${`${label}:`.padEnd(16)}${value}`).join('\n')}\n`;
}

const table = (head: string[]) =>
  new Table({
    head,
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });

export function renderSyncReport(report: SyncRunRecord): string {
  const { counts } = report;
  const columns = ['discovered', 'renewed', 'updated', 'removed', 'restored', 'stale', 'unchanged', 'errors'] as const;
  const summary = table([...columns]);
  summary.push(columns.map((column) => counts[column]));
  const lines = [
    `Sync of ${report.source} (${report.sourceKind})${report.complete ? '' : ' INCOMPLETE: nothing was marked removed'}`,
    summary.toString(),
  ];
  for (const { scope, message } of report.failedScopes)
    lines.push(`could not read ${scope}: ${message} (its places kept, marked stale)`);
  for (const error of report.errors) lines.push(`error: ${error.message}`);
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  if (report.policy) {
    const { evaluated, opened, resolved } = report.policy;
    lines.push(`policy: ${evaluated} place(s) evaluated, ${opened} violation(s) opened, ${resolved} resolved`);
  }
  return `${lines.join('\n')}\n`;
}

/** Paths under the working directory are shown relative to it; everything else as the provider names it. */
const shortPlace = (nativeId: string) => {
  const cwd = `${process.cwd()}${sep}`;
  return nativeId.startsWith(cwd) ? nativeId.slice(cwd.length) : nativeId;
};

const displayName = (location: StoredLocation) =>
  location.certificate?.subjectCommonName ??
  location.certificate?.dnsNames[0] ??
  location.certificate?.subject ??
  '(none)';

export function renderLocations(rows: AssessedLocation[]): string {
  const output = table(['expires', 'days', 'threshold', 'name', 'kind', 'owner', 'source', 'location']);
  for (const { location, expiry } of rows) {
    output.push([
      location.certificate?.notAfter.slice(0, 10) ?? '',
      expiry.expired ? 'EXPIRED' : String(expiry.daysLeft),
      expiry.mostUrgent ? thresholdId(expiry.mostUrgent) : '',
      displayName(location),
      location.certificate?.kind ?? '',
      location.owner,
      location.source,
      location.role === 'chain'
        ? `${shortPlace(location.nativeId.split('#')[0])} (chain)`
        : shortPlace(location.nativeId),
    ]);
  }
  return `${output.toString()}\n`;
}

export function renderProblemLocations(rows: StoredLocation[]): string {
  const output = table(['since', 'status', 'owner', 'source', 'location', 'detail']);
  for (const location of rows) {
    output.push([
      (location.removedAt ?? location.changedAt).slice(0, 19),
      location.status === 'removed' ? 'removed' : 'unreadable',
      location.owner,
      location.source,
      shortPlace(location.nativeId),
      location.error ?? (location.certificate ? displayName(location) : ''),
    ]);
  }
  return `${output.toString()}\n`;
}

export function renderSummary(summary: InventorySummary): string {
  const counts = (record: Record<string, number>) =>
    Object.entries(record)
      .sort(([, a], [, b]) => b - a)
      .map(([key, count]) => `${key} ${count}`)
      .join(', ');
  const expiry = table(['expired', '< 7 days', '< 30 days', '< 60 days', 'later']);
  const { byExpiry } = summary;
  expiry.push([byExpiry.expired, byExpiry.within7, byExpiry.within30, byExpiry.within60, byExpiry.later]);
  return [
    `Inventory: ${summary.live} live certificate location(s), ${summary.unreadable} unreadable, ${summary.removed} removed`,
    `  by kind:   ${counts(summary.byKind)}`,
    `  by owner:  ${counts(summary.byOwner)}`,
    `  by source: ${counts(summary.bySource)}`,
    expiry.toString(),
    '',
  ].join('\n');
}

export function renderViolations(rows: StoredViolation[]): string {
  const output = table(['severity', 'rule', 'name', 'owner', 'source', 'location', 'finding']);
  for (const violation of rows) {
    output.push([
      violation.severity,
      violation.ruleId,
      violation.subjectCommonName ?? '',
      violation.owner,
      violation.source,
      shortPlace(violation.nativeId),
      violation.message,
    ]);
  }
  return `${output.toString()}\n`;
}
