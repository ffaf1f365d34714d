import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { HttpRevocationChecker } from '../../lib/adapters/http-revocation-checker';
import { systemClock } from '../../lib/ports/clock';
import { RevocationCa } from '../support/revocation-ca';

export interface RevocationBenchRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

const CERTIFICATES = Number(process.env.BENCH_REVOCATION_CERTIFICATES ?? 1000);
/** What checkRevocation uses by default: certificates in flight, the checker bounding each host below it. */
const IN_FLIGHT = 32;
const PER_HOST = 4;
/** One certificate in REVOKED_EVERY is revoked in the CA's index. */
const REVOKED_EVERY = 20;

/**
 * Issue #16's row: OCSP checks of 1,000 certificates against a local `openssl ocsp` (OpenSSL's own responder: one
 * process answering one connection at a time, HTTP/1.0, so the others wait in its backlog; its `-multi` mode logs
 * only to syslog and gives no sign of being ready) with bounded concurrency: wall time, requests, the most
 * sockets open at once, and every answer right. The certificates are signed by `openssl x509 -req` in one shell
 * loop (one CSR, a serial each) and entered in the CA's index.txt directly, a twentieth of them revoked.
 */
export async function benchRevocation(count = CERTIFICATES): Promise<RevocationBenchRow[]> {
  const ca = await RevocationCa.create('certwarden bench CA');
  const checker = new HttpRevocationChecker({ clock: systemClock, perHostConcurrency: PER_HOST, timeoutMs: 10_000 });
  try {
    const leaves = await issueMany(ca, count);
    await ca.startResponder();
    const issuer = ca.caDer;
    const limit = pLimit(IN_FLIGHT);
    const started = process.hrtime.bigint();
    const answers = await Promise.all(leaves.map((der) => limit(() => checker.check({ der, issuer }))));
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const wrong = answers.filter(
      (answer, index) => answer.status !== ((index + 1) % REVOKED_EVERY === 0 ? 'revoked' : 'good'),
    ).length;
    const { requests, maxOpenSockets } = checker.stats;
    return [
      { figure: `OCSP checks of ${count} certificates (wall time)`, value: `${(wallMs / 1000).toFixed(2)} s` },
      { figure: 'certificates checked per second', value: (count / (wallMs / 1000)).toFixed(0) },
      { figure: 'OCSP requests', value: String(requests), target: `${count}`, met: requests === count },
      {
        figure: 'most sockets open to the responder at once',
        value: String(maxOpenSockets),
        target: `≤ ${PER_HOST} (per-host bound)`,
        met: maxOpenSockets <= PER_HOST,
      },
      { figure: 'answers not as the CA recorded', value: String(wrong), target: '0', met: wrong === 0 },
    ];
  } finally {
    checker.close();
    await ca.close();
  }
}

/** `count` leaves naming the CA's responder, signed in one shell loop, entered in its index (every 20th revoked). */
async function issueMany(ca: RevocationCa, count: number): Promise<Buffer[]> {
  // One CSR (and key) for all: what is measured is the checking, not key generation.
  await ca.issue('bench-template', { ocsp: true });
  writeFileSync(
    ca.path('bench.cnf'),
    `[ext]\nbasicConstraints=CA:false\nauthorityInfoAccess=OCSP;URI:${await ca.ocspUrl()}\n`,
  );
  // Two shell loops side by side (the machine's cores), each signing every other serial.
  const script =
    'i=$3; while [ "$i" -le "$1" ]; do ' +
    'openssl x509 -req -in "$2/bench-template.csr" -CA "$2/ca.pem" -CAkey "$2/ca.key" ' +
    '-set_serial $((0x20000 + i)) -days 10 -extfile "$2/bench.cnf" -extensions ext -outform DER -out "$2/bench-$i.der" ' +
    '2>/dev/null; i=$((i + 2)); done';
  await Promise.all(
    [1, 2].map(
      (first) =>
        new Promise<void>((resolve, reject) =>
          execFile('sh', ['-c', script, 'sh', String(count), ca.dir, String(first)], (error) =>
            error ? reject(error) : resolve(),
          ),
        ),
    ),
  );
  const expiry = `${new Date(Date.now() + 10 * 86_400_000).toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;
  const now = `${new Date().toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;
  const lines: string[] = [readFileSync(ca.path('index.txt'), 'utf8').trimEnd()];
  const leaves: Buffer[] = [];
  for (let i = 1; i <= count; i++) {
    const serial = (0x20000 + i).toString(16).toUpperCase();
    const revoked = i % REVOKED_EVERY === 0;
    lines.push(
      [revoked ? 'R' : 'V', expiry, revoked ? `${now},keyCompromise` : '', serial, 'unknown', `/CN=bench-${i}`].join(
        '\t',
      ),
    );
    leaves.push(readFileSync(ca.path(`bench-${i}.der`)));
  }
  writeFileSync(ca.path('index.txt'), `${lines.join('\n')}\n`);
  return leaves;
}

// Run alone: `node lib/cli/bin/run-ts.js test/bench/revocation.ts`. Only when run-ts.js loaded it (not under Jest).
const runAlone =
  require.main === module || (module.parent === require.main && /run-ts\.js$/.test(require.main?.filename ?? ''));
if (runAlone) {
  void benchRevocation().then((rows) => {
    for (const row of rows) {
      process.stdout.write(
        `${row.figure}: ${row.value}${row.target ? ` (target ${row.target}: ${row.met ? 'met' : 'MISSED'})` : ''}\n`,
      );
    }
    process.exit(0);
  });
}
