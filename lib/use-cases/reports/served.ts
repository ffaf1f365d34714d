import type { Report, ReportColumn, ReportRow } from '../../domain/report';
import type { InventoryStore, StoredLocation } from '../../ports/inventory-store';
import { DEPLOYED_TRUTH_KINDS, judgeServed, newestByName } from '../deployment-drift';
import { VALIDITY_CONTROLS } from './controls';
import { END_OF_TIME } from './place-rows';
import type { ReportSources } from './sources';

const SERVED_COLUMNS: ReportColumn[] = [
  { key: 'finding', title: 'Finding', type: 'text' },
  { key: 'endpoint', title: 'Endpoint', type: 'text' },
  { key: 'serverName', title: 'SNI name', type: 'text' },
  { key: 'subject', title: 'Served subject CN', type: 'text' },
  { key: 'owner', title: 'Owner', type: 'text' },
  { key: 'servedNotAfter', title: 'Served not after', type: 'date' },
  { key: 'servedFingerprint', title: 'Served SHA-256 fingerprint', type: 'text' },
  { key: 'inventoryLocation', title: 'Newer certificate at', type: 'text' },
  { key: 'inventoryNotBefore', title: 'Newer certificate not before', type: 'date' },
  { key: 'inventoryFingerprint', title: 'Newer SHA-256 fingerprint', type: 'text' },
];

async function* liveOfKinds(store: InventoryStore, kinds: readonly string[]): AsyncGenerator<StoredLocation> {
  for await (const place of store.expiringBefore(END_OF_TIME)) if (kinds.includes(place.sourceKind)) yield place;
}

/**
 * What TLS endpoints serve against what the inventory says they should: Deployment Drift (an older certificate
 * than the newest a cloud source holds for the name) and Unknown Certificate Served (one no source holds), judged
 * now as the sync's drift check judges them (lib/use-cases/deployment-drift.ts), whether or not their events were
 * raised. Two reads of the live places: the cloud sources' newest certificate per name, then the endpoints.
 */
export function servedReport(sources: ReportSources): Report {
  const now = sources.clock.now();
  const { store } = sources;
  async function* rows(): AsyncGenerator<ReportRow> {
    const index = await newestByName(liveOfKinds(store, DEPLOYED_TRUTH_KINDS));
    for await (const place of liveOfKinds(store, ['tls-endpoint'])) {
      if (place.role !== 'leaf' || !place.certificate || !place.fingerprint) continue;
      const event = await judgeServed(place, index, store, now.toISOString());
      if (event?.detailType !== 'Deployment Drift' && event?.detailType !== 'Unknown Certificate Served') continue;
      const { detail } = event;
      const newer = event.detailType === 'Deployment Drift' ? event.detail.inventory : undefined;
      yield {
        finding: event.detailType,
        endpoint: detail.endpoint,
        serverName: detail.serverName,
        subject: detail.subjectCommonName ?? detail.subject,
        owner: detail.owner,
        servedNotAfter: detail.notAfter,
        servedFingerprint: detail.fingerprint,
        inventoryLocation: newer?.locationId ?? null,
        inventoryNotBefore: newer?.notBefore ?? null,
        inventoryFingerprint: newer?.fingerprint ?? null,
      };
    }
  }
  return {
    name: 'served',
    title: 'What TLS endpoints serve that the inventory does not expect',
    description:
      'Endpoints serving an older certificate than the newest the cloud sources hold for the name (renewed but not deployed), or one no source holds.',
    controls: VALIDITY_CONTROLS,
    readAt: now.toISOString(),
    parameters: {},
    columns: SERVED_COLUMNS,
    rows: rows(),
  };
}
