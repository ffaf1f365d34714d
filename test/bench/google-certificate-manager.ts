import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { OAuth2Client } from 'google-auth-library';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { DynamoDbMeter } from '../../lib/adapters/dynamodb-meter';
import { ensureInventoryTable } from '../../lib/adapters/embedded-dynamodb';
import {
  createCertificateManagerClient,
  GoogleCertificateManagerSource,
} from '../../lib/connectors/google-certificate-manager';
import { DAY_MS } from '../../lib/domain/expiry';
import { systemClock } from '../../lib/ports/clock';
import { movedClock, RESYNC_HOURS_LATER } from './moved-clock';
import { syncSource } from '../../lib/use-cases/sync';
import { generateKeys, issueCertificate } from '../../lib/x509/factory';
import { FakeCertificateManager } from '../support/fakes/certificate-manager-server';

export interface BenchRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

const RUN_TS = resolve(__dirname, '../../lib/cli/bin/run-ts.js');
const PROJECTS = ['shop-prod', 'data-prod'];
const LOCATIONS = ['global', 'us-central1', 'europe-west1'];
/** Share of the certificates in each project/location, in the order of PROJECTS × LOCATIONS. */
const SHARES = [0.35, 0.15, 0.05, 0.25, 0.12, 0.08];
const PAGE_SIZE = 200;
/** Smaller pages in the faulted run: more calls, so more of them meet a fault. */
const FAULTED_PAGE_SIZE = 50;

/**
 * Syncs `count` certificates from the wire-level Certificate Manager fake (REST transport, real SDK client) into
 * dynalite in its own process (LevelDB on disk, as `npm run bench` runs it), then resyncs the unchanged source.
 * Target for the resync: list pages only (ListCertificates pages, plus the certificate-map pages usage needs).
 * Then `faultedCount` (2,000) more in a fresh table through 30 % 429 and 10 % 503, with the connector's
 * production retry policy: what the integration test proves on 18 certificates in virtual time, at volume.
 */
export async function benchGoogleCertificateManager(
  count = 10_000,
  faultedCount = Math.min(count, 2_000),
): Promise<BenchRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'certwarden-bench-gcm-'));
  const database = spawn(process.execPath, [RUN_TS, join(__dirname, 'dynalite-server.ts'), join(work, 'dynamodb')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const fake = await FakeCertificateManager.start({ accessToken: 'bench-token' });
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: 'bench-token', expiry_date: Date.now() + 6 * 3_600_000 });
  const client = createCertificateManagerClient({ authClient: auth, ...fake.endpoint });
  try {
    const endpoint = await new Promise<string>((resolveEndpoint) =>
      createInterface({ input: database.stdout! }).once('line', resolveEndpoint),
    );
    const scopes = PROJECTS.flatMap((project) => LOCATIONS.map((location) => ({ project, location })));
    const sizes = SHARES.map((share) => Math.round(share * count));
    sizes[0] += count - sizes.reduce((sum, size) => sum + size, 0);
    await fillEstate(fake, scopes, sizes);
    for (const project of PROJECTS) {
      const map = `projects/${project}/locations/global/certificateMaps/frontend`;
      fake.putCertificateMap(
        { name: map, gclbTargets: [{ targetHttpsProxy: `projects/${project}/global/targetHttpsProxies/frontend` }] },
        [
          {
            name: `${map}/certificateMapEntries/www`,
            certificates: [`projects/${project}/locations/global/certificates/c-000001`],
          },
        ],
      );
    }

    const dynamo = createDocumentClient({ endpoint });
    await ensureInventoryTable(dynamo, 'bench-gcm');
    const meter = new DynamoDbMeter().attach(dynamo);
    const store = new DynamoInventoryStore(dynamo, 'bench-gcm');
    const source = new GoogleCertificateManagerSource({
      name: 'bench-gcm',
      client,
      projects: PROJECTS,
      locations: LOCATIONS,
      pageSize: PAGE_SIZE,
    });

    const measure = async (hoursLater = 0) => {
      fake.resetCalls();
      meter.reset();
      const started = process.hrtime.bigint();
      const report = await syncSource({ source, store, clock: movedClock(hoursLater) });
      return {
        report,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        calls: fake.countsByOperation(),
        writes: meter.writeRequests,
        itemWrites: meter.itemsWrittenExcept('scope-note'),
      };
    };
    const first = await measure();
    const resync = await measure();
    const later = [];
    for (const hours of RESYNC_HOURS_LATER) later.push({ hours, result: await measure(hours) });
    const faulted = await faultedSync(faultedCount, dynamo);
    dynamo.destroy();

    const listPages = sizes.reduce((sum, size) => sum + Math.max(1, Math.ceil(size / PAGE_SIZE)), 0);
    const expectedResync = {
      ListCertificates: listPages,
      ListCertificateMaps: PROJECTS.length,
      ListCertificateMapEntries: PROJECTS.length,
    };
    const callsText = (calls: Record<string, number>) =>
      Object.entries(calls)
        .map(([operation, calls]) => `${operation} ${calls}`)
        .join(', ');
    const resyncMet =
      JSON.stringify(Object.entries(resync.calls).sort()) === JSON.stringify(Object.entries(expectedResync).sort());
    return [
      {
        figure: `google-certificate-manager ${count}: first sync API calls`,
        value: `${callsText(first.calls)} (${first.report.counts.discovered} discovered, ${first.report.counts.errors} errors)`,
      },
      {
        figure: `google-certificate-manager ${count}: unchanged resync API calls`,
        value: `${callsText(resync.calls)} (${resync.report.counts.unchanged} unchanged)`,
        target: `list pages only: ${callsText(expectedResync)}`,
        met: resyncMet,
      },
      {
        figure: `google-certificate-manager ${count}: first sync wall time`,
        value: `${first.seconds.toFixed(1)} s (${(count / first.seconds).toFixed(0)} certificates/s)`,
      },
      {
        figure: `google-certificate-manager ${count}: unchanged resync wall time`,
        value: `${resync.seconds.toFixed(1)} s`,
      },
      {
        figure: `google-certificate-manager ${count}: first sync DynamoDB write requests`,
        value: String(first.writes),
      },
      {
        figure: `google-certificate-manager ${count}: unchanged resync DynamoDB write requests`,
        value: String(resync.writes),
        target: '0',
        met: resync.writes === 0,
      },
      ...later.map(({ hours, result }) => ({
        figure: `google-certificate-manager ${count}: unchanged resync +${hours} h, API calls and items written (scope notes apart)`,
        value: `${callsText(result.calls)}; ${result.itemWrites} items written (${result.report.counts.unchanged} unchanged, ${result.seconds.toFixed(1)} s)`,
        target: 'list pages only, 0 written',
        met:
          JSON.stringify(Object.entries(result.calls).sort()) ===
            JSON.stringify(Object.entries(expectedResync).sort()) && result.itemWrites === 0,
      })),
      ...faulted,
    ];
  } finally {
    await client.close();
    await fake.close();
    database.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * `count` certificates in a fresh fake whose every call has a 30 % chance of a 429 (Retry-After: 0) and a 10 %
 * chance of a 503 (never more than 3 faults in a row for one page), synced into a fresh table with the
 * connector's production retry policy: the inventory must end equal to the source, with no error.
 */
async function faultedSync(count: number, dynamo: ReturnType<typeof createDocumentClient>): Promise<BenchRow[]> {
  const fake = await FakeCertificateManager.start({ accessToken: 'bench-token' });
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: 'bench-token', expiry_date: Date.now() + 6 * 3_600_000 });
  const faultedClient = createCertificateManagerClient({ authClient: auth, ...fake.endpoint });
  try {
    const scopes = PROJECTS.flatMap((project) => LOCATIONS.map((location) => ({ project, location })));
    const sizes = SHARES.map((share) => Math.round(share * count));
    sizes[0] += count - sizes.reduce((sum, size) => sum + size, 0);
    await fillEstate(fake, scopes, sizes);
    fake.setFaults({ throttleRate: 0.3, retryAfterSeconds: 0, unavailableRate: 0.1, seed: 5 });
    const table = 'bench-gcm-faulted';
    await ensureInventoryTable(dynamo, table);
    const store = new DynamoInventoryStore(dynamo, table);
    const source = new GoogleCertificateManagerSource({
      name: 'bench-gcm-faulted',
      client: faultedClient,
      projects: PROJECTS,
      locations: LOCATIONS,
      pageSize: FAULTED_PAGE_SIZE,
    });
    const started = process.hrtime.bigint();
    const report = await syncSource({ source, store, clock: systemClock });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;

    const live: string[] = [];
    for await (const place of store.bySource('bench-gcm-faulted', 'live')) {
      live.push(`${place.nativeId} ${place.fingerprint ?? 'none'}`);
    }
    const exact = JSON.stringify(live.sort()) === JSON.stringify(fake.expectedInventory());
    const label = `google-certificate-manager ${count} in pages of ${FAULTED_PAGE_SIZE} through 30 % 429 and 10 % 503`;
    return [
      {
        figure: `${label}: inventory after the first sync`,
        value: `${exact ? 'equal to the source' : 'DIFFERENT from the source'} (${report.counts.discovered} discovered, ${report.counts.errors} errors, ${report.failedScopes.length} failed scopes)`,
        target: 'equal, 0 errors',
        met: exact && report.counts.errors === 0 && report.failedScopes.length === 0,
      },
      {
        figure: `${label}: faults answered, wall time`,
        value: `${fake.count(undefined, 'throttled')} × 429, ${fake.count(undefined, 'unavailable')} × 503; ${seconds.toFixed(1)} s`,
      },
    ];
  } finally {
    await faultedClient.close();
    await fake.close();
  }
}

/** Real certificates, one CA and one key pair for all (signing is the slow part), expiries spread over a year. */
async function fillEstate(
  fake: FakeCertificateManager,
  scopes: Array<{ project: string; location: string }>,
  sizes: number[],
): Promise<void> {
  const now = Date.now();
  const ca = await issueCertificate({
    subject: 'CN=Bench CA',
    ca: true,
    notBefore: new Date(now - 400 * DAY_MS),
    notAfter: new Date(now + 4000 * DAY_MS),
  });
  const keys = await generateKeys();
  const pending: Array<Promise<void>> = [];
  let serial = 0;
  for (const [index, { project, location }] of scopes.entries()) {
    for (let n = 0; n < sizes[index]; n++) {
      const id = `c-${String(n).padStart(6, '0')}`;
      const name = `projects/${project}/locations/${location}/certificates/${id}`;
      const host = `${id}.${location}.${project}.example.com`;
      const daysLeft = -30 + ((serial++ * 7919) % 395);
      pending.push(
        issueCertificate({
          subject: `CN=${host}`,
          dns: [host],
          issuer: ca,
          keys,
          notBefore: new Date(now + (daysLeft - 398) * DAY_MS),
          notAfter: new Date(now + daysLeft * DAY_MS),
        }).then((leaf) =>
          fake.putCertificate({
            name,
            labels: { owner: `team-${serial % 12}` },
            ...(n % 3 === 0
              ? { managed: { domains: [host], state: 'ACTIVE' as const } }
              : { selfManaged: {} as Record<string, never> }),
            pemCertificate: leaf.pem + ca.pem,
            sanDnsnames: [host],
            expireTime: new Date(now + daysLeft * DAY_MS).toISOString(),
          }),
        ),
      );
      if (pending.length >= 64) await Promise.all(pending.splice(0));
    }
  }
  await Promise.all(pending);
}

// `node lib/cli/bin/run-ts.js test/bench/google-certificate-manager.ts [count]`: run-ts.js requires this file itself.
if (require.main !== undefined && module.parent === require.main) {
  void benchGoogleCertificateManager(Number(process.argv[2] ?? 10_000)).then((rows) => {
    for (const row of rows) {
      const verdict = row.target ? ` (target ${row.target}: ${row.met ? 'met' : 'MISSED'})` : '';
      process.stdout.write(`${row.figure}: ${row.value}${verdict}\n`);
    }
  });
}
