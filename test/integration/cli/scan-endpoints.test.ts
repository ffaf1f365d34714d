import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certwarden } from '../../support/cli';
import { refusedPort, starttlsServer, testPki, tlsServer, type LocalServer } from '../../support/tls-servers';

/** `certwarden scan --endpoint …`: a one-off look at what endpoints serve, every endpoint whatever the others do. */
describe('certwarden scan --endpoint', () => {
  const now = new Date();
  let dir: string;
  let healthy: LocalServer;
  let lonely: LocalServer;
  let refused: number;
  let smtp: LocalServer;
  let refusingSmtp: LocalServer;
  let caFile: string;

  beforeAll(async () => {
    const pki = await testPki(now);
    const leaf = await pki.ipLeaf('127.0.0.1');
    healthy = await tlsServer([leaf, pki.intermediate]);
    lonely = await tlsServer([leaf]);
    refused = await refusedPort();
    smtp = await starttlsServer('smtp', [leaf, pki.intermediate]);
    refusingSmtp = await starttlsServer('smtp', [leaf], { behaviour: 'refuse' });
    dir = await mkdtemp(join(tmpdir(), 'certwarden-scan-endpoints-'));
    caFile = join(dir, 'root.pem');
    await writeFile(caFile, pki.root.pem);
  }, 60_000);
  afterAll(async () => {
    await healthy.close();
    await lonely.close();
    await smtp.close();
    await refusingSmtp.close();
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

  it('scans over STARTTLS with smtp:// in front, at a place of its own; a refusal is a line naming it', async () => {
    const run = await certwarden([
      'scan',
      '--endpoint',
      `smtp://127.0.0.1:${smtp.port}`,
      `smtp://127.0.0.1:${refusingSmtp.port}`,
      '--ca-file',
      caFile,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(`^smtp://127\\.0\\.0\\.1:${smtp.port}  ok  TLSv1\\.3 \\S+  local  until \\S+  trusted\\n$`),
    );
    expect(run.stderr).toBe(
      `certwarden: smtp://127.0.0.1:${refusingSmtp.port}: the SMTP server refused STARTTLS: 454 4.7.0 TLS not available\n`,
    );
  });

  it('names the STARTTLS protocol in --json', async () => {
    const run = await certwarden([
      'scan',
      '--endpoint',
      `smtp://127.0.0.1:${smtp.port}`,
      '--ca-file',
      caFile,
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject([
      { endpoint: `smtp://127.0.0.1:${smtp.port}`, port: smtp.port, starttls: 'smtp', trusted: true, issues: [] },
    ]);
  });

  it('refuses --dir with --endpoint, in one line', async () => {
    const run = await certwarden(['scan', '--dir', dir, '--endpoint', '127.0.0.1:1']);
    expect(run).toMatchObject({ code: 2, stderr: 'certwarden: give --dir or --endpoint/--endpoints-file, not both\n' });
  });
});
