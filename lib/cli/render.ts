import { sep } from 'node:path';
import type { CertificateRecord } from '../domain/certificate';
import { assessExpiry, thresholdId, type ExpiryAssessment } from '../domain/expiry';
import { listedUnder } from '../ports/certificate-source';
import type { UndeliveredRecord } from '../ports/delivery-ledger';
import type { LocationListing, StoredLocation, StoredViolation, SyncRunRecord } from '../ports/inventory-store';
import type { AssessedLocation, InventorySummary } from '../use-cases/report';

export function describeExpiry(expiry: ExpiryAssessment): string {
  if (expiry.expired) return expiry.daysLeft === 0 ? 'EXPIRED today' : `EXPIRED ${-expiry.daysLeft} day(s) ago`;
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

/** The terminal's width, when stdout is one; piped output keeps whole rows for the scripts reading it. */
const terminalWidth = (): number | undefined => (process.stdout.isTTY ? process.stdout.columns : undefined);

/** `text` cut to `width` characters with an ellipsis: at the end, or (for paths and ids) in the middle. */
export function clip(text: string, width: number, where: 'end' | 'middle' = 'end'): string {
  if (text.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  if (where === 'end') return `${text.slice(0, width - 1)}…`;
  const tail = Math.floor((width - 1) / 2);
  return `${text.slice(0, width - 1 - tail)}…${text.slice(text.length - tail)}`;
}

/** Columns are never squeezed below this (or their heading), so every column stays readable. */
const MIN_COLUMN = 8;

export interface TableLayout {
  /** Columns holding paths or ids: shortened in the middle, where the least telling part is. */
  middle?: number[];
  /** @default the terminal's width when stdout is one, else unlimited */
  width?: number;
}

/**
 * A boxed table (a heading row, then one line per row) that fits `width`: the widest columns give up characters
 * first, down to MIN_COLUMN, and their cells are clipped (paths in the middle). Drawn here rather than by
 * cli-table3, whose layout is quadratic in rows: 45 of the 52 CPU seconds of `list` on 10,000 certificates.
 */
export function renderTable(head: string[], rows: Array<Array<string | number>>, layout: TableLayout = {}): string {
  const cells = rows.map((row) => row.map((cell) => String(cell).replace(/\s+/g, ' ')));
  const widths = head.map((title, column) => Math.max(title.length, ...cells.map((row) => row[column].length)));
  const width = layout.width ?? terminalWidth();
  // Each column takes its text and a space either side; the borders are one character between and around.
  let excess = width === undefined ? 0 : widths.reduce((sum, w) => sum + w + 3, 1) - width;
  const floors = head.map((title) => Math.max(MIN_COLUMN, title.length));
  while (excess > 0) {
    const widest = widths.reduce(
      (best, w, column) => (w - floors[column] > widths[best] - floors[best] ? column : best),
      0,
    );
    if (widths[widest] <= floors[widest]) break;
    widths[widest]--;
    excess--;
  }
  const rule = (left: string, join: string, right: string) =>
    `${left}${widths.map((w) => '─'.repeat(w + 2)).join(join)}${right}`;
  const line = (row: string[]) =>
    `│${row
      .map(
        (cell, column) =>
          ` ${clip(cell, widths[column], layout.middle?.includes(column) ? 'middle' : 'end').padEnd(widths[column])} `,
      )
      .join('│')}│`;
  return [rule('┌', '┬', '┐'), line(head), ...cells.map(line), rule('└', '┴', '┘')].join('\n');
}

/** What a run wrote to DynamoDB, from the store's meter: requests, and items by kind. */
export interface WriteCount {
  requests: number;
  items: ReadonlyMap<string, number>;
}

export function renderSyncReport(report: SyncRunRecord, writes?: WriteCount): string {
  const { counts } = report;
  const columns = ['discovered', 'renewed', 'updated', 'removed', 'restored', 'stale', 'unchanged', 'errors'] as const;
  const summary = renderTable([...columns], [columns.map((column) => counts[column])]);
  const lines = [
    `Sync of ${report.source} (${report.sourceKind})${report.complete ? '' : ' INCOMPLETE: nothing was marked removed'}`,
    summary,
  ];
  for (const { scope, message } of report.failedScopes)
    lines.push(`could not read ${scope}: ${message} (its places kept, marked stale)`);
  for (const error of report.errors) lines.push(`error: ${error.message}`);
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  if (report.policy) {
    const { evaluated, opened, resolved } = report.policy;
    lines.push(`policy: ${evaluated} place(s) evaluated, ${opened} violation(s) opened, ${resolved} resolved`);
  }
  if (writes) {
    const items = [...writes.items].map(([kind, count]) => `${count} ${kind}`).join(', ');
    lines.push(`DynamoDB writes for this sync: ${writes.requests} request(s)${items ? ` (items: ${items})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Paths under the working directory are shown relative to it; everything else as the provider names it. */
const shortPlace = (nativeId: string) => {
  const cwd = `${process.cwd()}${sep}`;
  return nativeId.startsWith(cwd) ? nativeId.slice(cwd.length) : nativeId;
};

const displayName = (location: LocationListing) =>
  location.certificate?.subjectCommonName ??
  location.certificate?.dnsNames[0] ??
  location.certificate?.subject ??
  '(none)';

export function renderLocations(rows: Array<AssessedLocation<LocationListing>>): string {
  const head = ['expires', 'days', 'threshold', 'name', 'kind', 'owner', 'source', 'location'];
  const cells = rows.map(({ location, expiry }) => [
    location.certificate?.notAfter.slice(0, 10) ?? '',
    // A revoked certificate is worse news than any expiry: it takes the days column.
    location.revocation?.status === 'revoked' ? 'REVOKED' : expiry.expired ? 'EXPIRED' : String(expiry.daysLeft),
    expiry.mostUrgent ? thresholdId(expiry.mostUrgent) : '',
    displayName(location),
    location.certificate?.kind ?? '',
    location.owner,
    location.source,
    location.role === 'chain' ? `${shortPlace(listedUnder(location.nativeId))} (chain)` : shortPlace(location.nativeId),
  ]);
  return `${renderTable(head, cells, { middle: [7] })}\n`;
}

export function renderProblemLocations(rows: StoredLocation[]): string {
  const head = ['since', 'status', 'owner', 'source', 'location', 'detail'];
  const cells = rows.map((location) => [
    (location.removedAt ?? location.changedAt).slice(0, 19),
    location.status === 'removed'
      ? 'removed'
      : location.error
        ? 'unreadable'
        : (location.providerStatus ?? (location.problem ? 'problem' : 'pending')),
    location.owner,
    location.source,
    shortPlace(location.nativeId),
    location.error ?? location.problem ?? (location.certificate ? displayName(location) : ''),
  ]);
  return `${renderTable(head, cells, { middle: [4] })}\n`;
}

/** Places without a certificate, under the certificate table: what they are waiting for, or what is wrong. */
export function renderPlacesWithoutCertificate(rows: StoredLocation[]): string {
  if (rows.length === 0) return '';
  return `\nWithout a certificate (${rows.length}):\n${renderProblemLocations(rows)}`;
}

export function renderSummary(summary: InventorySummary): string {
  const counts = (record: Record<string, number>) =>
    Object.entries(record)
      .sort(([, a], [, b]) => b - a)
      .map(([key, count]) => `${key} ${count}`)
      .join(', ');
  const { byExpiry } = summary;
  const expiry = renderTable(
    ['expired', '< 7 days', '< 30 days', '< 60 days', 'later'],
    [[byExpiry.expired, byExpiry.within7, byExpiry.within30, byExpiry.within60, byExpiry.later]],
  );
  return [
    `Inventory: ${summary.live} live certificate location(s), ${summary.unreadable} unreadable, ` +
      `${summary.withProblem} with a provider problem, ${summary.pending} awaiting a certificate, ${summary.removed} removed`,
    `  by kind:   ${counts(summary.byKind)}`,
    `  by owner:  ${counts(summary.byOwner)}`,
    `  by source: ${counts(summary.bySource)}`,
    expiry,
    '',
  ].join('\n');
}

/** Dead letters, newest first: what no target will be sent again, and why. */
export function renderUndelivered(rows: UndeliveredRecord[]): string {
  if (rows.length === 0) return 'No undelivered alerts.\n';
  const head = ['dead since', 'target', 'event', 'severity', 'name', 'owner', 'alert', 'reason'];
  const cells = rows.map((row) => [
    row.deadAt.slice(0, 16).replace('T', ' '),
    row.target,
    row.detailType,
    row.severity ?? '',
    row.subjectCommonName ?? '',
    row.owner ?? '',
    row.alertId ?? row.deliveryId,
    row.permanent ? row.reason : `${row.reason} (${row.attempts} attempts)`,
  ]);
  return `${renderTable(head, cells, { middle: [6] })}\n`;
}

export function renderViolations(rows: StoredViolation[]): string {
  const head = ['severity', 'rule', 'name', 'owner', 'source', 'location', 'finding'];
  const cells = rows.map((violation) => [
    violation.severity,
    violation.ruleId,
    violation.subjectCommonName ?? '',
    violation.owner,
    violation.source,
    shortPlace(violation.nativeId),
    violation.message,
  ]);
  return `${renderTable(head, cells, { middle: [5] })}\n`;
}
