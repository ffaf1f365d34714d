import { DAY_MS } from '../../domain/expiry';
import { CertwardenError } from '../../domain/errors';
import type { Report, ReportColumn, ReportRow } from '../../domain/report';
import { placeIdOf } from '../place-id';
import type { RenewalAttempt } from '../../ports/renewal-ledger';
import { KEY_MANAGEMENT_CONTROLS, CONTROLS } from './controls';
import type { ReportRequest, ReportSources } from './sources';

/** `renewals` without `--since`: the 30 days before now. */
export const DEFAULT_RENEWAL_PERIOD_DAYS = 30;

const RENEWAL_COLUMNS: ReportColumn[] = [
  { key: 'requestedAt', title: 'Requested at', type: 'date' },
  { key: 'finishedAt', title: 'Finished at', type: 'date' },
  { key: 'location', title: 'Location', type: 'text' },
  { key: 'method', title: 'Method', type: 'text' },
  { key: 'actor', title: 'Requested by', type: 'text' },
  { key: 'attempt', title: 'Attempt', type: 'number' },
  { key: 'result', title: 'Result', type: 'text' },
  { key: 'beforeFingerprint', title: 'Before (SHA-256)', type: 'text' },
  { key: 'afterFingerprint', title: 'After (SHA-256)', type: 'text' },
  { key: 'message', title: 'Message', type: 'text' },
];

const renewalRow = (attempt: RenewalAttempt): ReportRow => ({
  requestedAt: attempt.requestedAt,
  finishedAt: attempt.finishedAt ?? null,
  location: attempt.locationId,
  method: attempt.method,
  actor: attempt.requestedBy,
  attempt: attempt.attempt,
  result: attempt.state,
  beforeFingerprint: attempt.fingerprint,
  afterFingerprint: attempt.newFingerprint ?? null,
  message: attempt.message ?? null,
});

/**
 * Renewal evidence: every renewal record whose latest attempt was requested in the period, earliest first, with
 * the certificate before and after, who asked and how it ended (the renewal ledger by time).
 */
export function renewalsReport(sources: ReportSources, request: ReportRequest): Report {
  const now = sources.clock.now();
  const until = request.until ?? now;
  const since = request.since ?? new Date(until.getTime() - DEFAULT_RENEWAL_PERIOD_DAYS * DAY_MS);
  if (since >= until)
    throw new CertwardenError(`--since ${since.toISOString()} is not before --until ${until.toISOString()}`);
  async function* rows(): AsyncGenerator<ReportRow> {
    for await (const attempt of sources.renewals.attemptsBetween(since, until)) yield renewalRow(attempt);
  }
  return {
    name: 'renewals',
    title: 'Renewal evidence',
    description:
      'Every certificate renewal requested in the period: who asked, by which method, the certificate before and after, and how it ended.',
    controls: [...KEY_MANAGEMENT_CONTROLS, CONTROLS.nistDataInTransit],
    readAt: now.toISOString(),
    parameters: { since: since.toISOString(), until: until.toISOString() },
    columns: RENEWAL_COLUMNS,
    rows: rows(),
  };
}

const AUDIT_COLUMNS: ReportColumn[] = [
  { key: 'at', title: 'At', type: 'date' },
  { key: 'event', title: 'Event', type: 'text' },
  { key: 'version', title: 'Version', type: 'number' },
  { key: 'actor', title: 'By', type: 'text' },
  { key: 'beforeFingerprint', title: 'Before (SHA-256)', type: 'text' },
  { key: 'afterFingerprint', title: 'After (SHA-256)', type: 'text' },
  { key: 'detail', title: 'Detail', type: 'text' },
];

/**
 * A place's audit trail: every change the inventory recorded (discovered, changed, removed, restored) and every
 * renewal attempt at it, oldest first. A place's history is a few records, read in its own partition.
 */
export async function auditReport(sources: ReportSources, request: ReportRequest): Promise<Report> {
  if (!request.location)
    throw new CertwardenError('report audit needs a location (certwarden report audit <location>)');
  const now = sources.clock.now();
  const locationId = await placeIdOf(sources.store, request.location);
  const [history, attempts] = await Promise.all([
    sources.store.history(locationId),
    sources.renewals.attemptsAt(locationId),
  ]);
  const rows: ReportRow[] = [
    ...history.map((record) => ({
      at: record.at,
      event: record.change,
      version: record.version,
      actor: 'sync',
      beforeFingerprint: record.previousFingerprint,
      afterFingerprint: record.fingerprint,
      detail: null,
    })),
    ...attempts.flatMap((attempt) => [
      {
        at: attempt.requestedAt,
        event: 'renewal requested',
        version: null,
        actor: attempt.requestedBy,
        beforeFingerprint: attempt.fingerprint,
        afterFingerprint: null,
        detail: `${attempt.method}, attempt ${attempt.attempt}`,
      },
      ...(attempt.finishedAt
        ? [
            {
              at: attempt.finishedAt,
              event: `renewal ${attempt.state}`,
              version: null,
              actor: attempt.requestedBy,
              beforeFingerprint: attempt.fingerprint,
              afterFingerprint: attempt.newFingerprint ?? null,
              detail: attempt.message ?? null,
            },
          ]
        : []),
    ]),
  ].sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1));
  return {
    name: 'audit',
    title: `Audit trail of ${locationId}`,
    description: 'Every change the inventory recorded at this place and every renewal attempt there, oldest first.',
    controls: KEY_MANAGEMENT_CONTROLS,
    readAt: now.toISOString(),
    parameters: { location: locationId },
    columns: AUDIT_COLUMNS,
    rows: (async function* () {
      yield* rows;
    })(),
  };
}
