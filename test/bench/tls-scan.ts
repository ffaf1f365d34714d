import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { scanEndpoints, type ScopedTarget } from '../../lib/connectors/tls-endpoint';
import { TrustAnchors } from '../../lib/x509/chain';
import { ConnectionCounter, testPki, tlsServer, type LocalServer } from '../support/tls-servers';
import { ensureSslCertCheck, SSL_CERT_CHECK } from './ssl-cert-check';

const run = promisify(execFile);

interface SectionRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

/** Issue #18's size and target: 200 local endpoints, at least 20× faster than Debian's ssl-cert-check. */
const ENDPOINTS = Number(process.env.BENCH_TLS_ENDPOINTS ?? 200);
const SPEEDUP = 20;
/** The scanner's bound on open sockets, as a tls-endpoint source's `concurrency` sets it. */
const CONCURRENCY = 16;
/**
 * Endpoints ssl-cert-check is timed on: it checks one after the other (~0.9 s each here, 3 minutes for 200), so a
 * sample gives its time per endpoint, which is what the speed-up compares.
 */
const SSL_CERT_CHECK_SAMPLE = Math.min(ENDPOINTS, Number(process.env.BENCH_TLS_BASELINE_SAMPLE ?? 40));

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * `BENCH_ONLY=tlsscan`: 200 TLS servers on 127.0.0.1, each with its own certificate and chain, scanned by the
 * tls-endpoint scanner and by ssl-cert-check (one `openssl s_client` per endpoint, with shell around it, on
 * SSL_CERT_CHECK_SAMPLE of them) in the same run, compared per endpoint; and the most connections the servers held open at once while the scanner ran, against its concurrency.
 */
export async function benchTlsScan(): Promise<SectionRow[]> {
  await ensureSslCertCheck();
  const pki = await testPki(new Date());
  const counter = new ConnectionCounter();
  const servers: LocalServer[] = [];
  const work = await mkdtemp(join(tmpdir(), 'certwarden-tls-bench-'));
  try {
    for (let i = 0; i < ENDPOINTS; i++) {
      const leaf = await pki.leaf([`host-${i}.bench.example`]);
      servers.push(await tlsServer([leaf, pki.intermediate], counter));
    }
    const targets: ScopedTarget[] = servers.map((server, i) => ({
      host: '127.0.0.1',
      port: server.port,
      serverName: `host-${i}.bench.example`,
      scope: 'bench',
    }));

    const started = performance.now();
    let scanned = 0;
    let trusted = 0;
    for await (const result of scanEndpoints(targets, {
      anchors: TrustAnchors.of({ publicRoots: true, pem: pki.root.pem }),
      concurrency: CONCURRENCY,
      timeoutMs: 5000,
    })) {
      if (result.served) scanned++;
      if (result.served?.verdict.trusted && result.served.verdict.issues.length === 0) trusted++;
    }
    const ours = performance.now() - started;
    if (scanned !== ENDPOINTS || trusted !== ENDPOINTS)
      throw new Error(`tls bench: scanned ${scanned} and trusted ${trusted} of ${ENDPOINTS} endpoints`);
    const high = counter.high;

    // ssl-cert-check reads "host port" lines and runs openssl for each, one after the other.
    const list = join(work, 'endpoints.txt');
    const sample = servers.slice(0, SSL_CERT_CHECK_SAMPLE);
    await writeFile(list, sample.map((server) => `127.0.0.1 ${server.port}\n`).join(''));
    const theirsStarted = performance.now();
    const { stdout } = await run(SSL_CERT_CHECK, ['-b', '-f', list], { maxBuffer: 64 * 1024 * 1024 });
    const theirs = performance.now() - theirsStarted;
    const checked = stdout.split('\n').filter((line) => /127\.0\.0\.1/.test(line) && /Valid/.test(line)).length;
    if (checked !== sample.length)
      throw new Error(`tls bench: ssl-cert-check read ${checked} of ${sample.length} endpoints`);

    const speedup = theirs / sample.length / (ours / ENDPOINTS);
    return [
      { figure: `scan of ${ENDPOINTS} local TLS endpoints (concurrency ${CONCURRENCY})`, value: seconds(ours) },
      {
        figure: `ssl-cert-check on ${sample.length} of the same endpoints (one after the other), time per endpoint`,
        value: `${seconds(theirs)}, ${seconds(theirs / sample.length)} each (the scanner: ${(ours / ENDPOINTS).toFixed(1)} ms each)`,
      },
      {
        figure: 'scanner vs ssl-cert-check',
        value: `${speedup.toFixed(1)}× faster`,
        target: `≥ ${SPEEDUP}×`,
        met: speedup >= SPEEDUP,
      },
      {
        figure: 'connections open at once (server side, high-water mark)',
        value: String(high),
        target: `≤ ${CONCURRENCY}`,
        met: high <= CONCURRENCY,
      },
    ];
  } finally {
    await Promise.all(servers.map((server) => server.close()));
    await rm(work, { recursive: true, force: true });
  }
}
