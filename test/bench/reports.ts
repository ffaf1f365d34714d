import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoDeliveryLedger } from '../../lib/adapters/dynamodb-delivery-ledger';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { DynamoDbMeter } from '../../lib/adapters/dynamodb-meter';
import { DynamoRenewalLedger } from '../../lib/adapters/dynamodb-renewal-ledger';
import { writeCsv } from '../../lib/adapters/report-writers/csv';
import { ensureInventoryTable } from '../../lib/adapters/embedded-dynamodb';
import { contentHash } from '../../lib/domain/content-hash';
import { DAY_MS } from '../../lib/domain/expiry';
import { UNOWNED } from '../../lib/domain/owner';
import type { ReportName } from '../../lib/domain/report';
import { fixedClock } from '../../lib/ports/clock';
import type { LocationChange, LocationState, StoredViolation } from '../../lib/ports/inventory-store';
import { buildReport, PACK_REPORTS, type ReportSources } from '../../lib/use-cases/reports';
import type { BenchRow } from './policy';

const RUN_TS = resolve(__dirname, '../../lib/cli/bin/run-ts.js');
const NOW = new Date('2026-06-01T00:00:00Z');
const TABLE = 'bench-reports';
const ACCOUNT_SCOPE = '111111111111/eu-west-1';

/** What one report's own process measured. */
interface ReportFigures {
  name: ReportName;
  rows: number;
  itemsRead: number;
  seconds: number;
  peakRssMb: number;
}

/**
 * Place `index` of the bench estate: expiry spread evenly from 30 days ago to 365 days ahead (as
 * generate-estate.ts, so "within 30 days" is ~15%), 20 owners and 1 in 20 unowned, half in ACM (1 in 10 of those
 * with no user), keys of three kinds.
 */
function benchPlace(index: number): LocationState {
  const daysLeft = -30 + ((index * 7919) % 395);
  const acm = index % 2 === 0;
  const nativeId = acm
    ? `arn:aws:acm:eu-west-1:111111111111:certificate/${index}`
    : `/etc/ssl/d${index % 100}/host-${index}.pem`;
  const key = [
    { keyAlgorithm: 'EC', keySize: 256 },
    { keyAlgorithm: 'RSA', keySize: 2048 },
    { keyAlgorithm: 'RSA', keySize: 4096 },
  ][index % 3];
  const base: Omit<LocationState, 'contentHash'> = {
    locationId: `${acm ? 'aws-acm' : 'local-files'}:${nativeId}`,
    source: acm ? 'acm-prod' : 'files',
    sourceKind: acm ? 'aws-acm' : 'local-files',
    nativeId,
    scope: acm ? ACCOUNT_SCOPE : `/etc/ssl/d${index % 100}`,
    role: 'leaf',
    status: 'live',
    owner: index % 20 === 7 ? UNOWNED : `team-${index % 20}`,
    tags: { application: `app-${index % 50}` },
    ...(acm && {
      inUseBy:
        index % 10 === 0
          ? []
          : [`arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/lb-${index % 300}/x`],
      details: { type: index % 4 === 0 ? 'AMAZON_ISSUED' : 'IMPORTED' },
      managed: index % 4 === 0,
    }),
    fingerprint: `fp-${index}`,
    certificate: {
      subject: `CN=host-${index}.bench.example.com`,
      subjectCommonName: `host-${index}.bench.example.com`,
      issuer: `CN=Bench Issuing CA ${index % 3}`,
      dnsNames: [`host-${index}.bench.example.com`],
      notBefore: new Date(NOW.getTime() + (daysLeft - 398) * DAY_MS).toISOString(),
      notAfter: new Date(NOW.getTime() + daysLeft * DAY_MS).toISOString(),
      kind: 'tls-server',
      ...key,
      signatureHash: 'SHA-256',
      isCA: false,
      selfSigned: false,
      publicKeySha256: `spki-${index}`,
    },
  };
  return { ...base, contentHash: contentHash(base) };
}

/** Seeds `places` places, 1 in 1,000 revoked, 1 in 100 with a violation (a tenth exempted), 1 in 200 renewed. */
async function seed(endpoint: string, places: number): Promise<void> {
  const client = createDocumentClient({ endpoint });
  await ensureInventoryTable(client, TABLE);
  const store = new DynamoInventoryStore(client, TABLE);
  const at = new Date(NOW.getTime() - 90 * DAY_MS).toISOString();
  const batch = 100;
  const inFlight: Array<Promise<unknown>> = [];
  for (let start = 0; start < places; start += batch) {
    const changes: LocationChange[] = [];
    for (let index = start; index < Math.min(places, start + batch); index++)
      changes.push({ next: benchPlace(index), change: 'discovered', at });
    inFlight.push(
      store.applyChanges(changes).then((results) => {
        for (const result of results) if (typeof result === 'object' && 'failed' in result) throw result.failed;
      }),
    );
    if (inFlight.length >= 4) await Promise.all(inFlight.splice(0));
    if (start % 10_000 === 0) process.stderr.write(`  seeded ${start.toLocaleString('en-US')} places\n`);
  }
  await Promise.all(inFlight);
  const violations: StoredViolation[] = [];
  for (let index = 0; index < places; index += 100) {
    const place = benchPlace(index);
    violations.push({
      locationId: place.locationId,
      source: place.source,
      sourceKind: place.sourceKind,
      nativeId: place.nativeId,
      owner: place.owner,
      fingerprint: place.fingerprint,
      subjectCommonName: place.certificate!.subjectCommonName,
      ruleId: 'max-validity',
      severity: 'medium',
      message: 'valid 398 days, policy allows 397',
      details: {},
      exemption:
        index % 1000 === 0 ? { index: 0, id: 'EX-1', reason: 'legacy', expiresAt: '2026-12-31T00:00:00.000Z' } : null,
      detectedAt: at,
    });
  }
  await store.saveViolations(violations);
  for (let index = 0; index < places; index += 1000) {
    const place = benchPlace(index);
    await store.recordRevocation(
      place.locationId,
      place.fingerprint!,
      { status: 'revoked', reason: 'superseded', revokedAt: at, checkedAt: at, via: 'crl', issuerFingerprint: null },
      null,
    );
  }
  for (let index = 1; index < places; index += 200) {
    const key = { locationId: benchPlace(index).locationId, fingerprint: `fp-${index}` };
    const ledger = new DynamoRenewalLedger(client, TABLE, fixedClock(new Date(NOW.getTime() - (index % 60) * DAY_MS)));
    await ledger.claim(key, { renewalId: `r-${index}`, method: 'manual', requestedBy: 'bench', leaseMs: 60_000 });
    await ledger.finish(key, `r-${index}`, { state: 'succeeded', newFingerprint: `fp-${index}-2` });
  }
  client.destroy();
}

/** Runs one report in this process (its own, so its peak RSS is its alone) and prints its figures as JSON. */
async function measureOne(endpoint: string, name: ReportName): Promise<void> {
  const client = createDocumentClient({ endpoint });
  const meter = new DynamoDbMeter().attach(client);
  const clock = fixedClock(NOW);
  const sources: ReportSources = {
    store: new DynamoInventoryStore(client, TABLE),
    renewals: new DynamoRenewalLedger(client, TABLE, clock),
    undelivered: () => new DynamoDeliveryLedger(client, TABLE, clock).undelivered(),
    clock,
  };
  let rows = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      rows += chunk.toString().split('\r\n').length - 1;
      done();
    },
  });
  const request = name === 'audit' ? { location: benchPlace(1).locationId } : {};
  const started = process.hrtime.bigint();
  await writeCsv(await buildReport(name, sources, request), sink);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const figures: ReportFigures = {
    name,
    rows: rows - 1,
    itemsRead: meter.itemsRead,
    seconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  client.destroy();
}

/** The old space the capped inventory export runs in: its modules fit, 100,000 rows held at once would not. */
const CAPPED_OLD_SPACE_MB = 48;

function runChild(args: string[], nodeFlags: string[] = []): Promise<string> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, RUN_TS, __filename, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => (code === 0 ? done(output) : reject(new Error(`report child exited ${code}`))));
  });
}

/**
 * Every report as CSV on an inventory of `places` places in dynalite (its own process), each report in a process
 * of its own: items read / rows returned, wall time, peak RSS.
 */
export async function benchReports(places = 100_000): Promise<BenchRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'certwarden-bench-reports-'));
  const server = spawn(process.execPath, [RUN_TS, join(__dirname, 'dynalite-server.ts'), join(work, 'dynamodb')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const endpoint = await new Promise<string>((done) => createInterface({ input: server.stdout! }).once('line', done));
    const seeded = process.hrtime.bigint();
    await seed(endpoint, places);
    process.stderr.write(`  (seeded in ${(Number(process.hrtime.bigint() - seeded) / 1e9).toFixed(0)} s)\n`);
    const rows: BenchRow[] = [];
    const count = places.toLocaleString('en-US');
    for (const name of [...PACK_REPORTS, 'audit' as const]) {
      const figures = JSON.parse(await runChild(['child', endpoint, name])) as ReportFigures;
      const ratio = figures.itemsRead / Math.max(1, figures.rows);
      const value =
        `${figures.itemsRead.toLocaleString('en-US')} items read / ${figures.rows.toLocaleString('en-US')} rows ` +
        `(${ratio.toFixed(2)}×), ${figures.seconds.toFixed(1)} s, peak RSS ${figures.peakRssMb.toFixed(0)} MB`;
      rows.push(
        name === 'expiring'
          ? {
              figure: `report expiring (30 days) on ${count} places, CSV`,
              value,
              target: '≤ 1.1× read',
              met: ratio <= 1.1,
            }
          : { figure: `report ${name} on ${count} places, CSV`, value },
      );
    }
    // Peak RSS is V8 sizing its heap as it likes; what proves the export streams is the whole inventory written
    // with the old space capped far below what its rows would take held at once.
    const capped = await runChild(
      ['child', endpoint, 'inventory'],
      [`--max-old-space-size=${CAPPED_OLD_SPACE_MB}`],
    ).then(
      (output) => JSON.parse(output) as ReportFigures,
      (error: Error) => error,
    );
    rows.push({
      figure: `report inventory on ${count} places, CSV, V8 old space capped at ${CAPPED_OLD_SPACE_MB} MB`,
      value:
        capped instanceof Error
          ? `failed: ${capped.message}`
          : `written: ${capped.rows.toLocaleString('en-US')} rows, ${capped.seconds.toFixed(1)} s, peak RSS ${capped.peakRssMb.toFixed(0)} MB`,
      target: 'written',
      met: !(capped instanceof Error),
    });
    return rows;
  } finally {
    server.kill('SIGTERM');
    await new Promise((done) => server.once('exit', done));
    await rm(work, { recursive: true, force: true });
  }
}

// `node lib/cli/bin/run-ts.js test/bench/reports.ts` runs the section alone (BENCH_REPORT_PLACES for another
// size); `… child <endpoint> <report>` is one report's own process.
const runAlone =
  require.main === module || (module.parent === require.main && /run-ts\.js$/.test(require.main?.filename ?? ''));
if (runAlone) {
  const [mode, endpoint, name] = process.argv.slice(2);
  const work =
    mode === 'child'
      ? measureOne(endpoint, name as ReportName)
      : benchReports(Number(process.env.BENCH_REPORT_PLACES ?? 100_000)).then((rows) => {
          for (const row of rows) process.stdout.write(`${row.figure}: ${row.value}\n`);
        });
  void work.then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
