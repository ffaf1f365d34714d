import { assessExpiry } from '../../domain/expiry';
import { CertwardenError } from '../../domain/errors';
import { renewalActorOf, type MethodPlace, type RenewalActor } from '../../domain/renewal';
import { systemClock } from '../../ports/clock';
import type { InventoryStore, LocationListing, StoredLocation, StoredViolation } from '../../ports/inventory-store';
import {
  assessedListings,
  assessedLocations,
  placesWithoutCertificate,
  type AssessedLocation,
} from '../../use-cases/report';
import { EXIT, type ExitCode } from '../exit-codes';
import { withInventory, type OpenInventory, type StoreOptions } from '../open-inventory';
import { out } from '../output';
import { DynamoDeliveryLedger } from '../../adapters/dynamodb-delivery-ledger';
import type { UndeliveredRecord } from '../../ports/delivery-ledger';
import {
  renderUndelivered,
  renderLocations,
  renderPlacesWithoutCertificate,
  renderProblemLocations,
  renderViolations,
} from '../render';

export interface ListOptions extends StoreOptions {
  expiring?: number;
  owner?: string;
  source?: string;
  removed?: boolean;
  errors?: boolean;
  violations?: boolean;
  undelivered?: boolean;
  rule?: string;
  publicKey?: string;
  /** Only places renewed this way (`renewalActorOf`). */
  renewal?: RenewalActor;
  json?: boolean;
}

/** Whether a place is one `--renewal` asks for (all without it). */
const renewedAsAsked =
  (options: ListOptions) =>
  (place: MethodPlace): boolean =>
    !options.renewal || renewalActorOf(place) === options.renewal;

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

export async function list(options: ListOptions): Promise<ExitCode> {
  return withInventory(options, (inventory) => listFrom(inventory, options), 'reads');
}

async function listFrom(inventory: OpenInventory, options: ListOptions): Promise<ExitCode> {
  const { store } = inventory;
  const asked = renewedAsAsked(options);
  if (options.undelivered) {
    const rows: UndeliveredRecord[] = [];
    for await (const row of new DynamoDeliveryLedger(inventory.client, inventory.tableName, systemClock).undelivered())
      rows.push(row);
    out(options.json ? json(rows) : renderUndelivered(rows));
  } else if (options.violations || options.rule) {
    const violations = await openViolations(store, options);
    out(options.json ? json(violations) : renderViolations(violations));
  } else if (options.removed || options.errors) {
    const rows: StoredLocation[] = [];
    for await (const location of store.byStatus(options.removed ? 'removed' : 'error')) {
      if (asked(location)) rows.push(location);
    }
    out(options.json ? json(await placesAsJson(store, rows)) : renderProblemLocations(rows));
  } else if (options.json) {
    const rows = await liveLocations(store, options);
    const withCertificate = rows.map(({ location, expiry }) => ({ ...location, expiry }));
    const without = (await withoutCertificate(store, options)).map((location) => ({ ...location, expiry: null }));
    out(json(await placesAsJson(store, [...withCertificate, ...without])));
  } else if (!options.owner && !options.source && !options.publicKey) {
    // The table shows a few fields: read only those (a fifth of the CPU of listing 10,000 places).
    const rows: Array<AssessedLocation<LocationListing>> = [];
    for await (const row of assessedListings(store, systemClock, { before: cutoffOf(options) })) {
      if (asked(row.location)) rows.push(row);
    }
    out(renderLocations(rows) + renderPlacesWithoutCertificate(await withoutCertificate(store, options)));
  } else {
    const rows = await liveLocations(store, options);
    out(renderLocations(rows) + renderPlacesWithoutCertificate(await withoutCertificate(store, options)));
  }
  return EXIT.ok;
}

async function openViolations(store: InventoryStore, options: ListOptions): Promise<StoredViolation[]> {
  const found = options.rule
    ? store.violationsByRule(options.rule)
    : options.owner
      ? store.violationsByOwner(options.owner)
      : undefined;
  if (!found) throw new CertwardenError('--violations needs --rule <id> or --owner <owner>');
  const violations: StoredViolation[] = [];
  for await (const violation of found) {
    if (!options.owner || violation.owner === options.owner) violations.push(violation);
  }
  return violations;
}

/** `--expiring N`: N days from now. */
const cutoffOf = (options: ListOptions): Date | undefined =>
  options.expiring === undefined ? undefined : new Date(systemClock.now().getTime() + options.expiring * 86_400_000);

async function liveLocations(store: InventoryStore, options: ListOptions): Promise<AssessedLocation[]> {
  const now = systemClock.now();
  const cutoff = cutoffOf(options);
  const narrowed = options.publicKey
    ? store.locationsWithPublicKey(options.publicKey.toLowerCase())
    : options.owner
      ? store.byOwner(options.owner)
      : options.source
        ? store.bySource(options.source, 'live')
        : undefined;
  const asked = renewedAsAsked(options);
  const rows: AssessedLocation[] = [];
  if (!narrowed) {
    for await (const row of assessedLocations(store, systemClock, { before: cutoff })) {
      if (asked(row.location)) rows.push(row);
    }
    return rows;
  }
  for await (const location of narrowed) {
    if (!location.certificate || !asked(location)) continue;
    if (cutoff && location.certificate.notAfter >= cutoff.toISOString()) continue;
    rows.push({ location, expiry: assessExpiry(location.certificate, now) });
  }
  return rows.sort((a, b) => (a.location.certificate!.notAfter < b.location.certificate!.notAfter ? -1 : 1));
}

/**
 * The live places of a listing that hold no certificate (pending, failed, unreadable): none when the listing
 * asks for certificates expiring soon or sharing a key, since these have neither.
 */
async function withoutCertificate(store: InventoryStore, options: ListOptions): Promise<StoredLocation[]> {
  if (options.expiring !== undefined || options.publicKey) return [];
  const places = options.owner
    ? store.byOwner(options.owner)
    : options.source
      ? store.bySource(options.source, 'live')
      : placesWithoutCertificate(store);
  const asked = renewedAsAsked(options);
  const rows: StoredLocation[] = [];
  for await (const place of places) {
    if (!place.certificate && (!options.source || place.source === options.source) && asked(place)) rows.push(place);
  }
  return rows;
}

/**
 * Places as the JSON shows them: with who renews each (`renewalMethod`), the end of its last renewal attempt
 * (null when none), and the serial number. The serial number, as `inspect` shows it, lives on the certificate
 * record rather than on each place: one batched read of the distinct certificates adds it to the JSON, and the
 * table (which does not show it) pays nothing.
 */
async function placesAsJson<T extends StoredLocation>(
  store: InventoryStore,
  rows: T[],
): Promise<Array<T & { serialNumber: string | null; renewalMethod: RenewalActor }>> {
  const fingerprints = [...new Set(rows.flatMap((row) => (row.fingerprint ? [row.fingerprint] : [])))];
  const certificates = fingerprints.length > 0 ? await store.getCertificates(fingerprints) : new Map();
  return rows.map((row) => ({
    ...row,
    revocation: row.revocation ?? null,
    renewalMethod: renewalActorOf(row),
    lastRenewal: row.lastRenewal ?? null,
    serialNumber: (row.fingerprint && certificates.get(row.fingerprint)?.serialNumber) || null,
  }));
}
