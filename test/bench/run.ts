import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { normalize, parseCertificates } from '../../lib/x509/parse';
import { benchAwsAcm } from './aws-acm';
import { benchAwsHolders } from './aws-holders';
import { benchAzureKeyVault } from './azure-key-vault';
import { benchCli } from './cli';
import { benchCost } from './cost';
import { benchCt } from './ct';
import { benchFanout } from './fanout';
import { generateEstate } from './generate-estate';
import { benchGoogleCertificateManager } from './google-certificate-manager';
import { benchHtmlReport } from './html-report';
import { benchInfra } from './infra';
import { benchKeyReuse } from './key-reuse';
import { benchLocalScan } from './local-scan';
import { benchPolicy } from './policy';
import { benchRenewal } from './renewal';
import { benchReports } from './reports';
import { benchRevocation } from './revocation';
import { benchTlsScan } from './tls-scan';

/**
 * `npm run bench`: the performance figures the issues name, each with its target and, where there is one,
 * a baseline measured in the same run. `npm run bench -- --record` also writes docs/benchmarks.md (its table and
 * header; the `## ` sections after the table are kept). BENCH_SCALES sets the sync sizes: 2000,20000 by default,
 * 10000,100000 with BENCH_BIG=1 (the recorded sizes, ~40 minutes in all on 2 cores: the connectors then sync 10,000
 * certificates at the providers' published rates, and Key Vault's circuit breaker gets its baseline without); the
 * connector sections (acm, holders, keyvault, gcm, cost) sync the smallest of them, at most 1,000 (10,000 with
 * BENCH_BIG=1: what they prove, lists only on resyncs and no write on moved clocks, does not change with size,
 * and ACM's paced at its published rates in real time). The default run is meant to
 * stay under 20 minutes: its last row says what it took (docs/benchmarks.md, "Missed targets"). BENCH_ONLY (e.g.
 * `normalize,policy`) picks sections: normalize, sync, acm, holders (IAM server certificates, IoT Core), keyvault, gcm, policy, keyreuse, renewal (the renewal decision over 100,000 places), infra, cli, scan (`certwarden
 * scan` of BENCH_SCAN_FILES local files, default 5000), fanout (the 1M fan-out; BENCH_BIG=1 for its recorded
 * size), cost (issue #12's month of one ACM source at list prices, measured at the connectors' size and scaled to
 * 10,000 certificates; measured at 10,000 with BENCH_BIG=1), revocation (issue #16: OCSP checks of 1,000
 * certificates against a local `openssl ocsp`, BENCH_REVOCATION_CERTIFICATES for another size), html (issue #17: the
 * HTML report of 100,000 rows written and opened in Debian Chromium, BENCH_HTML_ROWS for another size), reports
 * (issue #17: every `certwarden report` on 10,000 seeded places, each in its own process; 100,000 with BENCH_BIG=1),
 * ct (issue #18: a poll of 5,000 entries of a local RFC 6962 log, BENCH_CT_ENTRIES for another size), tlsscan (issue
 * #18: 200 local TLS endpoints scanned by the tls-endpoint scanner and by Debian's ssl-cert-check, installed with apt
 * when missing; BENCH_TLS_ENDPOINTS for another count). A quick look at one section:
 * `BENCH_ONLY=keyvault BENCH_SCALES=1000 npm run bench`.
 *
 * The volume the test suite leaves out lives here: the suite proves each behaviour (pagination followed,
 * faults retried, an unchanged resync writing nothing) on a few certificates, these rows at thousands.
 */

const REPO = resolve(__dirname, '../..');
const ZLINT = resolve(REPO, '../shared/corpus/zlint');
const RUN_TS = join(REPO, 'lib/cli/bin/run-ts.js');

interface Row {
  figure: string;
  value: string;
  target: string;
  met: boolean | null;
}
const rows: Row[] = [];
const row = (figure: string, value: string, target = '', met: boolean | null = null) => {
  rows.push({ figure, value, target, met });
  process.stderr.write(`  ${figure}: ${value}${target ? ` (target ${target}: ${met ? 'met' : 'MISSED'})` : ''}\n`);
};

async function corpusDer(): Promise<Uint8Array[]> {
  const files: string[] = [];
  for (const entry of await readdir(ZLINT, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.pem')) files.push(join(entry.parentPath, entry.name));
  }
  const ders: Uint8Array[] = [];
  for (const file of files) {
    try {
      for (const { der } of parseCertificates(await readFile(file), file).certificates) ders.push(der);
    } catch {
      // Unreadable files are the robustness test's business; throughput is measured on certificates.
    }
  }
  return ders;
}

/** Certificates per second of `work` over `items`, repeated for at least `seconds`. */
function throughput(items: Uint8Array[], work: (der: Uint8Array) => unknown, seconds = 3): number {
  let done = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < deadline) {
    for (const item of items) work(item);
    done += items.length;
  }
  return done / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function benchNormalize(): Promise<void> {
  process.stderr.write('normalize throughput on the zlint corpus\n');
  const all = await corpusDer();
  // The comparison is over the certificates both can parse, so each side does the same work.
  const both = all.filter((der) => {
    try {
      new X509Certificate(der);
      return true;
    } catch {
      return false;
    }
  });
  throughput(both, normalize, 1);
  throughput(both, (der) => new X509Certificate(der), 1);
  const ours = throughput(both, normalize);
  const native = throughput(both, (der) => new X509Certificate(der));
  row('zlint certificates read (of all in corpus)', `${both.length} (${all.length})`);
  row('normalize(): certificates/s', ours.toFixed(0));
  row('crypto.X509Certificate bare parse: certificates/s (baseline)', native.toFixed(0));
  const ratio = ours / native;
  row('normalize vs bare parse', `${ratio.toFixed(2)}×`, '≥ 0.5×', ratio >= 0.5);
}

function runNode(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [RUN_TS, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => (code === 0 ? resolvePromise(output) : reject(new Error(`${args[0]} exited ${code}`))));
  });
}

interface SyncFigures {
  first: Measured;
  resync: Measured;
  expiring: Measured & { result: number };
  /** The expiry evaluation, in a process of its own; itemsRead are the alert schedule's. */
  evaluation: Measured & { result: EvaluationCounts };
  reevaluation: Measured & { result: EvaluationCounts };
  evaluationPeakRssMb: number;
  /** After the first sync and the resync: what the memory target is about. */
  syncPeakRssMb: number;
  /** After the expiry query too. */
  peakRssMb: number;
}
interface EvaluationCounts {
  evaluated: number;
  emitted: number;
  published: number;
  alreadySent: number;
}
interface Measured {
  seconds: number;
  writeRequests: number;
  writeUnits: number;
  readUnits: number;
  itemsRead: number;
  itemsReturned: number;
  result: unknown;
}

async function benchSync(scales: number[]): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'certwarden-bench-'));
  const server = spawn(process.execPath, [RUN_TS, join(__dirname, 'dynalite-server.ts'), join(work, 'dynamodb')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const endpoint = await new Promise<string>((resolveEndpoint) =>
      createInterface({ input: server.stdout! }).once('line', resolveEndpoint),
    );
    const figures = new Map<number, SyncFigures>();
    for (const scale of scales) {
      process.stderr.write(`sync of ${scale} generated certificates into dynalite\n`);
      const estate = join(work, `estate-${scale}`);
      const generated = process.hrtime.bigint();
      await generateEstate(estate, scale, new Date());
      process.stderr.write(`  (generated in ${(Number(process.hrtime.bigint() - generated) / 1e9).toFixed(1)} s)\n`);
      const result = JSON.parse(
        await runNode([join(__dirname, 'sync-worker.ts'), endpoint, estate, `bench-${scale}`]),
      ) as SyncFigures;
      figures.set(scale, result);
      await rm(estate, { recursive: true, force: true });
      const { first, resync, expiring, evaluation, reevaluation } = result;
      row(
        `${scale}: first sync wall time`,
        `${first.seconds.toFixed(1)} s (${(scale / first.seconds).toFixed(0)} certificates/s)`,
      );
      row(`${scale}: first sync DynamoDB write requests / write units`, `${first.writeRequests} / ${first.writeUnits}`);
      row(`${scale}: sync peak RSS (first sync + resync)`, `${result.syncPeakRssMb.toFixed(0)} MB`);
      row(`${scale}: peak RSS including the expiry query`, `${result.peakRssMb.toFixed(0)} MB`);
      row(`${scale}: unchanged resync wall time`, `${resync.seconds.toFixed(1)} s`);
      row(
        `${scale}: unchanged resync writes`,
        `${resync.writeRequests} requests, ${resync.writeUnits} units`,
        '0',
        resync.writeRequests === 0,
      );
      const readRatio = expiring.itemsRead / Math.max(1, expiring.itemsReturned);
      row(
        `${scale}: "expiring within 30 days" items read / returned`,
        `${expiring.itemsRead} / ${expiring.result} (${readRatio.toFixed(2)}×, ${(expiring.seconds * 1000).toFixed(0)} ms)`,
        '≤ 1.1×',
        readRatio <= 1.1,
      );
      row(
        `${scale}: expiry evaluation, first run (every place new, so due): schedule items read, alerts sent, wall time, DynamoDB reads / writes`,
        `${evaluation.itemsRead} items read (${evaluation.result.evaluated} places), ${evaluation.result.emitted} alerts, ${evaluation.seconds.toFixed(1)} s, ${evaluation.readUnits} read units / ${evaluation.writeRequests} write requests`,
      );
      row(
        `${scale}: expiry evaluation, rerun right after: schedule items read, alerts sent, wall time, writes`,
        `${reevaluation.itemsRead} items read, ${reevaluation.result.emitted} alerts, ${reevaluation.seconds.toFixed(2)} s, ${reevaluation.writeRequests} write requests`,
        '0 items read, 0 alerts, 0 writes',
        reevaluation.itemsRead === 0 && reevaluation.result.emitted === 0 && reevaluation.writeRequests === 0,
      );
      row(
        `${scale}: expiry evaluation peak RSS (its own process, both runs)`,
        `${result.evaluationPeakRssMb.toFixed(0)} MB`,
      );
    }
    const [small, large] = [Math.min(...scales), Math.max(...scales)];
    if (small !== large) {
      const growth = figures.get(large)!.syncPeakRssMb / figures.get(small)!.syncPeakRssMb;
      row(`sync peak RSS ${large} vs ${small}`, `${growth.toFixed(2)}×`, '≤ 1.2×', growth <= 1.2);
      const evaluationGrowth = figures.get(large)!.evaluationPeakRssMb / figures.get(small)!.evaluationPeakRssMb;
      row(
        `expiry evaluation peak RSS ${large} vs ${small}`,
        `${evaluationGrowth.toFixed(2)}×`,
        '≤ 1.2×',
        evaluationGrowth <= 1.2,
      );
    }
  } finally {
    server.kill('SIGTERM');
    await rm(work, { recursive: true, force: true });
  }
}

function markdown(): string {
  const lines = [
    '| figure | value | target | |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      ({ figure, value, target, met }) =>
        `| ${figure} | ${value} | ${target} | ${met === null ? '' : met ? 'met' : '**missed**'} |`,
    ),
  ];
  return lines.join('\n');
}

/** The `## ` sections of the recorded file (missed targets, the test suite's timings): written by hand, kept. */
async function keptSections(file: string): Promise<string> {
  const current = await readFile(file, 'utf8').catch(() => '');
  const start = current.search(/^## /m);
  return start < 0 ? '' : `\n${current.slice(start)}`;
}

interface SectionRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

/** A section measured by its own module: its rows join the table, prefixed with the section's name. */
async function section(name: string, rowsOf: () => Promise<SectionRow[]>): Promise<void> {
  process.stderr.write(`${name}\n`);
  const started = performance.now();
  for (const { figure, value, target, met } of await rowsOf()) row(`${name}: ${figure}`, value, target, met ?? null);
  process.stderr.write(`  (${name}: ${minutesSince(started)} min)\n`);
}

const minutesSince = (started: number) => ((performance.now() - started) / 60_000).toFixed(1);

void (async () => {
  const started = performance.now();
  const big = process.env.BENCH_BIG === '1';
  const scales = (process.env.BENCH_SCALES ?? (big ? '10000,100000' : '2000,20000')).split(',').map(Number);
  const only = process.env.BENCH_ONLY?.split(',');
  const wanted = (name: string) => !only || only.includes(name);
  if (wanted('normalize')) await benchNormalize();
  if (wanted('sync')) await benchSync(scales);
  const connectorCount = Math.min(...scales, big ? 10_000 : 1_000);
  if (wanted('acm')) await section('ACM', () => benchAwsAcm(connectorCount));
  // An account holds few IAM server certificates (and IAM is paced at 5 requests/s per account); IoT fleets are large.
  if (wanted('holders'))
    await section('IAM and IoT', () => benchAwsHolders(Math.min(200, connectorCount / 10), connectorCount));
  if (wanted('keyvault')) await section('Key Vault', () => benchAzureKeyVault(connectorCount));
  if (wanted('gcm')) await section('Certificate Manager', () => benchGoogleCertificateManager(connectorCount));
  if (wanted('policy')) await section('policy', () => benchPolicy());
  if (wanted('keyreuse')) await section('key reuse', () => benchKeyReuse());
  if (wanted('renewal')) await section('renewal', () => benchRenewal());
  if (wanted('infra')) await section('infra', () => benchInfra());
  if (wanted('cli')) await section('CLI', () => benchCli());
  if (wanted('fanout')) await section('fan-out at 1M', () => benchFanout());
  if (wanted('cost')) await section('cost', () => benchCost(connectorCount));
  if (wanted('scan')) await section('scan', () => benchLocalScan());
  if (wanted('revocation')) await section('revocation', () => benchRevocation());
  if (wanted('html')) await section('HTML report', () => benchHtmlReport());
  // Seeding 100,000 places takes ~10 minutes on 2 cores: the default run reads 10,000, BENCH_BIG=1 the recorded size.
  if (wanted('reports'))
    await section('reports', () => benchReports(Number(process.env.BENCH_REPORT_PLACES ?? (big ? 100_000 : 10_000))));
  if (wanted('ct')) await section('CT', () => benchCt());
  if (wanted('tlsscan')) await section('TLS endpoints', () => benchTlsScan());
  const minutes = minutesSince(started);
  // Issue #11: the default run (every section at its default size) stays under 20 minutes; a partial or big run has
  // no such bound.
  if (!only && !big && !process.env.BENCH_SCALES)
    row('this run: wall time', `${minutes} min`, '≤ 20 min', Number(minutes) <= 20);
  else row('this run: wall time', `${minutes} min`);
  const table = markdown();
  process.stdout.write(`\n${table}\n`);
  if (process.argv.includes('--record')) {
    const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
    const file = join(REPO, 'docs/benchmarks.md');
    await writeFile(
      file,
      `# Benchmarks\n\nLatest \`npm run bench -- --record\`: ${new Date().toISOString().slice(0, 10)}, ${machine}` +
        `${only ? ` (sections: ${only.join(', ')})` : ''}.\n` +
        `Sync figures run dynalite (LevelDB on disk) in its own process; the sync runs in another, whose peak RSS is shown.\n\n${table}\n` +
        (await keptSections(file)),
    );
  }
})();
