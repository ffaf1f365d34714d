import { DAY_MS } from '../../domain/expiry';
import { UNOWNED } from '../../domain/owner';
import type { Report, ReportColumn, ReportRow } from '../../domain/report';
import type { InventoryStore, StoredLocation } from '../../ports/inventory-store';
import { placesWithoutCertificate } from '../report';
import { INVENTORY_CONTROLS, KEY_MANAGEMENT_CONTROLS, VALIDITY_CONTROLS } from './controls';
import { END_OF_TIME, PLACE_COLUMNS, inUseByCell, placeRow } from './place-rows';
import type { ReportRequest, ReportSources } from './sources';

/** `expiring` without `--days`. */
export const DEFAULT_EXPIRING_DAYS = 30;

/** Places as rows, as they stream. */
async function* rowsOf(places: AsyncIterable<StoredLocation>, sources: ReportSources, now: Date) {
  for await (const place of places) yield placeRow(place, now, sources.renewalSettings);
}

/**
 * Every live place (PCI DSS 4.2.1.1): those with a certificate soonest expiry first (the expiry index), then those
 * without one (pending, unreadable: the status index); with `owner`, that owner's (the owner index).
 */
export function inventoryReport(sources: ReportSources, request: ReportRequest): Report {
  const now = sources.clock.now();
  const { store } = sources;
  const places = request.owner
    ? store.byOwner(request.owner)
    : (async function* () {
        yield* store.expiringBefore(END_OF_TIME);
        yield* placesWithoutCertificate(store);
      })();
  return {
    name: 'inventory',
    title: 'Certificate inventory',
    description:
      'Every live place a certificate is kept or served, with its certificate, key, validity, owner, source, renewal method and use.',
    controls: INVENTORY_CONTROLS,
    readAt: now.toISOString(),
    parameters: { owner: request.owner ?? null },
    columns: PLACE_COLUMNS,
    rows: rowsOf(places, sources, now),
  };
}

/**
 * Live certificates expiring within `days` (or expired and still in place), grouped by owner and soonest first
 * within each: the expiry index read up to the cutoff only (or one owner's index), then grouped in memory. The
 * grouping holds the report's own rows, which the cutoff bounds, never the estate.
 */
export function expiringReport(sources: ReportSources, request: ReportRequest): Report {
  const now = sources.clock.now();
  const days = request.days ?? DEFAULT_EXPIRING_DAYS;
  const before = new Date(now.getTime() + days * DAY_MS);
  const { store } = sources;
  async function* grouped(): AsyncGenerator<ReportRow> {
    if (request.owner) {
      yield* rowsOf(store.byOwner(request.owner, { before }), sources, now);
      return;
    }
    const byOwner = new Map<string, ReportRow[]>();
    for await (const row of rowsOf(store.expiringBefore(before), sources, now)) {
      const owner = String(row.owner);
      const rows = byOwner.get(owner) ?? [];
      rows.push(row);
      byOwner.set(owner, rows);
    }
    for (const owner of [...byOwner.keys()].sort()) yield* byOwner.get(owner)!;
  }
  return {
    name: 'expiring',
    title: `Certificates expiring within ${days} days`,
    description: `Live certificates that expire within ${days} days or have expired and are still in place, by owner, soonest first.`,
    controls: VALIDITY_CONTROLS,
    readAt: now.toISOString(),
    parameters: { days, owner: request.owner ?? null },
    columns: PLACE_COLUMNS,
    rows: grouped(),
  };
}

/** Live places nobody answers for: the `unowned` owner's partition of the owner index. */
export function unownedReport(sources: ReportSources): Report {
  const now = sources.clock.now();
  return {
    name: 'unowned',
    title: 'Unowned certificates',
    description: `Live places whose tags and source name no owner (owner "${UNOWNED}"): nobody is told when they expire.`,
    controls: INVENTORY_CONTROLS,
    readAt: now.toISOString(),
    parameters: {},
    columns: PLACE_COLUMNS,
    rows: rowsOf(sources.store.byOwner(UNOWNED), sources, now),
  };
}

const UNUSED_COLUMNS: ReportColumn[] = [
  { key: 'kind', title: 'Kind', type: 'text' },
  { key: 'location', title: 'Location', type: 'text' },
  { key: 'subject', title: 'Subject CN', type: 'text' },
  { key: 'owner', title: 'Owner', type: 'text' },
  { key: 'source', title: 'Source / alert target', type: 'text' },
  { key: 'notAfter', title: 'Not after', type: 'date' },
  { key: 'at', title: 'Seen / dead at', type: 'date' },
  { key: 'detail', title: 'Detail', type: 'text' },
];

/** Candidates for `unused` checked side by side: a page of queries of the byFingerprint index at once. */
const UNUSED_CHECK_PAGE = 25;

const inUse = (place: Pick<StoredLocation, 'inUseBy'>): boolean => (place.inUseBy?.length ?? 0) > 0;

/** Sources whose places are endpoints serving a certificate (the TLS endpoint scan): such a place is a use. */
const SERVING_KINDS: ReadonlySet<string> = new Set(['tls-endpoint']);

/** Whether another live place of the certificate uses it or serves it (the byFingerprint index). */
async function usedElsewhere(store: InventoryStore, place: StoredLocation): Promise<boolean> {
  for await (const other of store.locationsOfCertificate(place.fingerprint!)) {
    if (other.locationId === place.locationId || other.status !== 'live') continue;
    if (inUse(other) || SERVING_KINDS.has(other.sourceKind)) return true;
  }
  return false;
}

/**
 * Certificates in no use anywhere, for the annual review: places whose source reports their users (ACM's InUseBy,
 * Certificate Manager's certificate maps) and reports none, whose certificate no other place uses either (another
 * account's load balancer, a scanned endpoint serving it). Then the alerts no target took (the dead letters).
 * Places whose source cannot tell their users are not listed: unknown is not unused.
 */
export function unusedReport(sources: ReportSources): Report {
  const now = sources.clock.now();
  const { store } = sources;
  const unusedRow = (place: StoredLocation): ReportRow => ({
    kind: 'unused certificate',
    location: place.locationId,
    subject: place.certificate?.subjectCommonName ?? place.certificate?.subject ?? null,
    owner: place.owner,
    source: place.source,
    notAfter: place.certificate?.notAfter ?? null,
    at: place.firstSeenAt,
    detail: `in use by: ${inUseByCell(place)}`,
  });
  async function* rows(): AsyncGenerator<ReportRow> {
    // Candidates are checked a page at a time, side by side: one query each, in order.
    let page: StoredLocation[] = [];
    const checked = async function* () {
      const used = await Promise.all(page.map((place) => usedElsewhere(store, place)));
      for (const [index, place] of page.entries()) if (!used[index]) yield unusedRow(place);
      page = [];
    };
    for await (const place of store.expiringBefore(END_OF_TIME)) {
      if (place.inUseBy === undefined || inUse(place) || !place.fingerprint) continue;
      page.push(place);
      if (page.length >= UNUSED_CHECK_PAGE) yield* checked();
    }
    yield* checked();
    for await (const letter of sources.undelivered()) {
      yield {
        kind: 'undelivered alert',
        location: letter.locationId,
        subject: letter.subjectCommonName,
        owner: letter.owner,
        source: letter.target,
        notAfter: null,
        at: letter.deadAt,
        detail: `${letter.detailType}${letter.severity ? ` (${letter.severity})` : ''}: ${letter.reason}`,
      };
    }
  }
  return {
    name: 'unused',
    title: 'Unused certificates and undelivered alerts',
    description:
      'Certificates whose provider reports no user and that no other place uses (candidates for deletion), then alerts that no target took.',
    controls: KEY_MANAGEMENT_CONTROLS,
    readAt: now.toISOString(),
    parameters: {},
    columns: UNUSED_COLUMNS,
    rows: rows(),
  };
}

const REVOCATION_COLUMNS: ReportColumn[] = [
  { key: 'location', title: 'Location', type: 'text' },
  { key: 'subject', title: 'Subject CN', type: 'text' },
  { key: 'issuer', title: 'Issuer', type: 'text' },
  { key: 'owner', title: 'Owner', type: 'text' },
  { key: 'source', title: 'Source', type: 'text' },
  { key: 'notAfter', title: 'Not after', type: 'date' },
  { key: 'revokedAt', title: 'Revoked at', type: 'date' },
  { key: 'reason', title: 'Reason', type: 'text' },
  { key: 'checkedAt', title: 'Checked at', type: 'date' },
  { key: 'via', title: 'Via', type: 'text' },
  { key: 'inUseBy', title: 'In use by', type: 'text' },
  { key: 'fingerprint', title: 'SHA-256 fingerprint', type: 'text' },
];

/** Live places whose certificate's issuer says it is revoked (the last OCSP or CRL check), still in place. */
export function revocationsReport(sources: ReportSources): Report {
  const now = sources.clock.now();
  async function* rows(): AsyncGenerator<ReportRow> {
    for await (const place of sources.store.revokedPlaces()) {
      const revocation = place.revocation!;
      yield {
        location: place.locationId,
        subject: place.certificate?.subjectCommonName ?? place.certificate?.subject ?? null,
        issuer: place.certificate?.issuer ?? null,
        owner: place.owner,
        source: place.source,
        notAfter: place.certificate?.notAfter ?? null,
        revokedAt: revocation.revokedAt,
        reason: revocation.reason,
        checkedAt: revocation.checkedAt,
        via: revocation.via,
        inUseBy: inUseByCell(place),
        fingerprint: place.fingerprint,
      };
    }
  }
  return {
    name: 'revocations',
    title: 'Revoked certificates still in place',
    description: 'Live places whose certificate its issuer reports revoked (OCSP or CRL): each must be replaced.',
    controls: VALIDITY_CONTROLS,
    readAt: now.toISOString(),
    parameters: {},
    columns: REVOCATION_COLUMNS,
    rows: rows(),
  };
}
