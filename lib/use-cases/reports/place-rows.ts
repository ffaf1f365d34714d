import { assessExpiry } from '../../domain/expiry';
import { renewalMethodOf, type RenewalSettings } from '../../domain/renewal';
import type { ReportColumn, ReportRow } from '../../domain/report';
import type { StoredLocation } from '../../ports/inventory-store';

/** Later than any certificate's notAfter: "every live place, in expiry order". */
export const END_OF_TIME = new Date('9999-12-31T23:59:59.999Z');

/** What the inventory holds of a place, as PCI DSS 4.2.1.1 asks an inventory to show it. */
export const PLACE_COLUMNS: ReportColumn[] = [
  { key: 'location', title: 'Location', type: 'text' },
  { key: 'subject', title: 'Subject CN', type: 'text' },
  { key: 'issuer', title: 'Issuer', type: 'text' },
  { key: 'keyAlgorithm', title: 'Key algorithm', type: 'text' },
  { key: 'keySize', title: 'Key size', type: 'number' },
  { key: 'notBefore', title: 'Not before', type: 'date' },
  { key: 'notAfter', title: 'Not after', type: 'date' },
  { key: 'daysLeft', title: 'Days left', type: 'number' },
  { key: 'owner', title: 'Owner', type: 'text' },
  { key: 'application', title: 'Application', type: 'text' },
  { key: 'source', title: 'Source', type: 'text' },
  { key: 'renewalMethod', title: 'Renewal method', type: 'text' },
  { key: 'inUseBy', title: 'In use by', type: 'text' },
  { key: 'status', title: 'Status', type: 'text' },
  { key: 'fingerprint', title: 'SHA-256 fingerprint', type: 'text' },
];

/**
 * What a place is now, in one word a reviewer reads: a read error or provider problem first, then a certificate
 * still awaited, revoked, expired, not yet valid, past an alert threshold (`expiring`), else `valid`.
 */
export function placeStatus(place: StoredLocation, now: Date): string {
  if (place.error) return 'unreadable';
  if (place.problem) return 'problem';
  if (!place.certificate) return 'pending';
  if (place.revocation?.status === 'revoked') return 'revoked';
  const expiry = assessExpiry(place.certificate, now);
  if (expiry.expired) return 'expired';
  if (expiry.notYetValid) return 'not yet valid';
  return expiry.mostUrgent ? 'expiring' : 'valid';
}

/** The `application` tag (any case), which the default policy's required-ownership rule asks for. */
const applicationOf = (tags: Record<string, string>): string | null =>
  Object.entries(tags).find(([key]) => key.toLowerCase() === 'application')?.[1] ?? null;

/** `unknown` when the source cannot tell what uses a place (a file, a vault); `none` when it says nothing does. */
export const inUseByCell = (place: StoredLocation): string =>
  place.inUseBy === undefined ? 'unknown' : place.inUseBy.length === 0 ? 'none' : place.inUseBy.join(' ');

export function placeRow(place: StoredLocation, now: Date, settings?: RenewalSettings): ReportRow {
  const certificate = place.certificate;
  return {
    location: place.locationId,
    subject: certificate?.subjectCommonName ?? certificate?.subject ?? null,
    issuer: certificate?.issuer ?? null,
    keyAlgorithm: certificate?.keyAlgorithm ?? null,
    keySize: certificate?.keySize ?? null,
    notBefore: certificate?.notBefore ?? null,
    notAfter: certificate?.notAfter ?? null,
    daysLeft: certificate ? assessExpiry(certificate, now).daysLeft : null,
    owner: place.owner,
    application: applicationOf(place.tags ?? {}),
    source: place.source,
    renewalMethod: renewalMethodOf(place, settings),
    inUseBy: inUseByCell(place),
    status: placeStatus(place, now),
    fingerprint: place.fingerprint,
  };
}
