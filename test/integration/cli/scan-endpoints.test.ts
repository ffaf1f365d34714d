import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certwarden } from '../../support/cli';
import { refusedPort, testPki, tlsServer, type LocalServer } from '../../support/tls-servers';

/** `certwarden scan --endpoint …`: a one-off look at what endpoints serve, every endpoint whatever the others do. */
describe('certwarden scan --endpoint', () => {
  const now = new Date();
  let dir: string;
  let healthy: LocalServer;
  let lonely: LocalServer;
  let refused: number;
  let caFile: string;

  beforeAll(async () => {
    const pki = await testPki(now);
    const leaf = await pki.ipLeaf('127.0.0.1');
    healthy = await tlsServer([leaf, pki.intermediate]);
    lonely = await tlsServer([leaf]);
    refused = await refusedPort();
    dir = await mkdtemp(join(tmpdir(), 'certwarden-scan-endpoints-'));
    caFile = join(dir, 'root.pem');
    await writeFile(caFile, pki.root.pem);
  }, 60_000);
  afterAll(async () => {
    await healthy.close();
    await lonely.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints what a healthy endpoint serves and exits 0', async () => {
    const run = await certwarden(['scan', '--endpoint', `127.0.0.1:${healthy.port}`, '--ca-file', caFile]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(
      new RegExp(`^127\\.0\\.0\\.1:${healthy.port}  ok  TLSv1\\.3 \\S+  local  until \\S+  trusted\\n$`),
    );
  });

  it('scans the rest when some endpoints are bad, names each bad one on a line of its own, and exits 1', async () => {
    const file = join(dir, 'endpoints.txt');
    await writeFile(
      file,
      [`# web tier`, `127.0.0.1:${lonely.port}`, 'not a host', `127.0.0.1:${healthy.port}  # the good one`].join('\n'),
    );
    const run = await certwarden([
      'scan',
      '--endpoint',
      `127.0.0.1:${refused}`,
      '--endpoints-file',
      file,
      '--ca-file',
      caFile,
      '--timeout',
      '2000',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').filter(Boolean).sort()).toEqual(
      [
        `certwarden: ${file}:3: not a host: expected [protocol://]host[:port], host:from-to or [ipv6]:port (protocol, for STARTTLS: smtp, imap, pop3, ftp, ldap, postgres)`,
        `certwarden: 127.0.0.1:${refused}: connection refused`,
      ].sort(),
    );
    expect(run.stdout).toContain(`127.0.0.1:${healthy.port}  ok`);
    expect(run.stdout).toContain(`127.0.0.1:${lonely.port}  PROBLEMS  TLSv1.3`);
    expect(run.stdout).toContain('  missing-intermediate: local is issued by CN=Test Intermediate');
  });

  it('prints JSON with --json: the chain, the verdict, or the error of each endpoint', async () => {
    const run = await certwarden(['scan', '--endpoint', `127.0.0.1:${healthy.port}`, `127.0.0.1:${refused}`, '--json']);
    expect(run.code).toBe(1);
    const results = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(results.map((result) => [result.endpoint, result.error ?? result.trusted]).sort()).toEqual(
      [
        [`127.0.0.1:${healthy.port}`, false],
        [`127.0.0.1:${refused}`, 'connection refused'],
      ].sort(),
    );
  });

  it('refuses --dir with --endpoint, in one line', async () => {
    const run = await certwarden(['scan', '--dir', dir, '--endpoint', '127.0.0.1:1']);
    expect(run).toMatchObject({ code: 2, stderr: 'certwarden: give --dir or --endpoint/--endpoints-file, not both\n' });
  });
});
