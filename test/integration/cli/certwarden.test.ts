import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDynamoDb, type EmbeddedDynamoDb } from '../../../lib/adapters/embedded-dynamodb';
import { issueCertificate, privateKeyPem, type IssuedCertificate } from '../../../lib/x509/factory';
import type { ExpiryAlertDetail } from '../../../lib/domain/events';
import { certwarden } from '../../support/cli';

const DAY = 86_400_000;

/** The sync report table as numbers by column. */
function syncCounts(stdout: string): Record<string, number> {
  const lines = stdout.split('\n');
  const header = lines.findIndex((line) => line.includes('discovered'));
  const cells = (line: string) =>
    line
      .split('│')
      .map((cell) => cell.trim())
      .filter(Boolean);
  const names = cells(lines[header]);
  const values = cells(lines[header + 1]).map(Number);
  return Object.fromEntries(names.map((name, index) => [name, values[index]]));
}

/** The demo's preview of what evaluate would send: its count, and `<threshold> <name> <owner>` of each row. */
function demoPreview(stdout: string): { count: number; alerts: string[] } {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => /would send now \(\d+\)/.test(line));
  const count = Number(/\((\d+)\)/.exec(lines[start])![1]);
  const rows: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('│')) {
      if (line.startsWith('┌') || line.startsWith('└')) continue;
      break;
    }
    const cells = line.split('│').map((cell) => cell.trim());
    if (cells[1] !== 'severity') rows.push(`${cells[3]} ${cells[6]} ${cells[7]}`);
  }
  return { count, alerts: rows.sort() };
}

let work: string;
let ca: IssuedCertificate;
const leaf = (name: string, daysLeft: number) =>
  issueCertificate({
    subject: `CN=${name}`,
    dns: [name],
    issuer: ca,
    notBefore: new Date(Date.now() - 30 * DAY),
    notAfter: new Date(Date.now() + daysLeft * DAY),
  });

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'certwarden-cli-'));
  ca = await issueCertificate({
    subject: 'CN=CLI Test CA',
    ca: true,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 900 * DAY),
  });
});

describe('certwarden inspect', () => {
  it('prints a JSON array with one record per certificate, each naming the file as given', async () => {
    const bundle = join(work, 'bundle.pem');
    const single = join(work, 'single.der');
    const api = await leaf('api.example.com', 40);
    await writeFile(bundle, `intro text\r\n${api.pem}${ca.pem}`);
    await writeFile(single, (await leaf('db.example.com', 5)).der);

    const run = await certwarden(['inspect', '--json', bundle, single]);

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const records = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(records.map((record) => [record.file, record.subjectCommonName])).toEqual([
      [bundle, 'api.example.com'],
      [bundle, 'CLI Test CA'],
      [single, 'db.example.com'],
    ]);
    expect(records[1]).toMatchObject({ isCA: true, kind: 'ca' });
  });

  it('names each unreadable path in a one-line error, still prints the others, and exits 1', async () => {
    const good = join(work, 'good.pem');
    const garbage = join(work, 'garbage.pem');
    await writeFile(good, (await leaf('good.example.com', 90)).pem);
    await writeFile(garbage, 'hello, not a certificate');
    const missing = join(work, 'missing.pem');

    const run = await certwarden(['inspect', '--json', garbage, good, missing]);

    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as unknown[]).length).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^certwarden: ${garbage}: `));
    expect(lines[1]).toBe(`certwarden: ${missing}: no such file`);
  });

  it('drops a private key with a warning and never prints it', async () => {
    const keyed = await leaf('keyed.example.com', 90);
    const file = join(work, 'keyed.pem');
    const key = await privateKeyPem(keyed.keys);
    await writeFile(file, keyed.pem + key);

    const human = await certwarden(['inspect', file]);
    const json = await certwarden(['inspect', '--json', file]);

    for (const run of [human, json]) {
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('private key');
      expect(run.stdout + run.stderr).not.toContain(key.split('\n')[1]);
    }
    expect(human.stdout).toContain('keyed.example.com');
  });
});

describe('certwarden scan and list', () => {
  let dynamo: EmbeddedDynamoDb;
  beforeAll(async () => {
    dynamo = await startEmbeddedDynamoDb();
  });
  afterAll(() => dynamo.close());

  it('syncs a directory, lists what expires, by owner, and resyncs unchanged', async () => {
    const root = join(work, 'estate');
    await mkdir(join(root, 'team-a'), { recursive: true });
    await mkdir(join(root, 'team-b'), { recursive: true });
    await writeFile(join(root, 'team-a/soon.pem'), (await leaf('soon.example.com', 10)).pem);
    await writeFile(join(root, 'team-a/later.pem'), (await leaf('later.example.com', 200)).pem);
    await writeFile(join(root, 'team-b/expired.pem'), (await leaf('expired.example.com', -2)).pem);
    await writeFile(join(root, 'team-b/broken.crt'), 'broken');
    const store = ['--store', dynamo.endpoint, '--table', 'cli-test'];

    const scan = await certwarden(['scan', '--dir', root, '--name', 'estate', '--owner-from-directory', ...store]);
    expect(syncCounts(scan.stdout)).toMatchObject({ discovered: 4, errors: 1 });
    expect(scan.stdout).toContain(`error: ${join(root, 'team-b/broken.crt')}`);
    expect(scan.code).toBe(1);

    const expiring = await certwarden(['list', '--expiring', '30', '--json', ...store]);
    expect(expiring.code).toBe(0);
    const rows = JSON.parse(expiring.stdout) as Array<{ certificate: { subjectCommonName: string }; owner: string }>;
    expect(rows.map((row) => [row.certificate.subjectCommonName, row.owner])).toEqual([
      ['expired.example.com', 'team-b'],
      ['soon.example.com', 'team-a'],
    ]);

    const byOwner = await certwarden(['list', '--owner', 'team-a', '--json', ...store]);
    const teamA = JSON.parse(byOwner.stdout) as Array<{ nativeId: string; certificate: { publicKeySha256: string } }>;
    expect(teamA.length).toBe(2);

    const sameKey = await certwarden([
      'list',
      '--public-key',
      teamA[0].certificate.publicKeySha256,
      '--json',
      ...store,
    ]);
    expect((JSON.parse(sameKey.stdout) as Array<{ nativeId: string }>).map((row) => row.nativeId)).toEqual([
      teamA[0].nativeId,
    ]);

    const errors = await certwarden(['list', '--errors', ...store]);
    expect(errors.stdout).toContain('broken.crt');

    const table = await certwarden(['list', ...store]);
    expect(table.stdout).toMatch(/expired\.example\.com[\s\S]*soon\.example\.com[\s\S]*later\.example\.com/);

    const again = await certwarden(['scan', '--dir', root, '--name', 'estate', '--owner-from-directory', ...store]);
    expect(syncCounts(again.stdout)).toMatchObject({ discovered: 0, updated: 0, unchanged: 4, errors: 1 });
    // Each run says what it wrote: the first its places, their history and certificates; the unchanged rescan
    // only its run record (it met an error) and its scope's note.
    expect(scan.stdout).toMatch(/DynamoDB writes for this sync: [1-9]\d* request\(s\) \(items: .*4 location/);
    expect(again.stdout).toMatch(
      /DynamoDB writes for this sync: \d+ request\(s\) \(items: 1 sync-run(, 1 scope-note)?\)\n/,
    );
  });

  it('syncs the sources of a config file, one or all, and names a bad config field', async () => {
    const project = join(work, 'project');
    await mkdir(join(project, 'certs-a'), { recursive: true });
    await mkdir(join(project, 'certs-b'), { recursive: true });
    await writeFile(join(project, 'certs-a/a.pem'), (await leaf('a.example.com', 50)).pem);
    await writeFile(join(project, 'certs-b/b.pem'), (await leaf('b.example.com', 50)).pem);
    const config = {
      inventory: { store: dynamo.endpoint, table: 'cli-config' },
      sources: [
        { kind: 'local-files', name: 'team-a', root: join(project, 'certs-a'), defaultOwner: 'a' },
        { kind: 'local-files', name: 'team-b', root: join(project, 'certs-b'), defaultOwner: 'b' },
      ],
    };
    await writeFile(join(project, 'certwarden.config.json'), JSON.stringify(config));

    const one = await certwarden(['sync', '--source', 'team-b'], {}, project);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('Sync of team-b');
    expect(one.stdout).not.toContain('Sync of team-a');
    const all = await certwarden(['sync'], {}, project);
    expect(syncCounts(all.stdout.split('Sync of team-b')[0])).toMatchObject({ discovered: 1 });
    expect(syncCounts(all.stdout.split('Sync of team-b')[1])).toMatchObject({ unchanged: 1 });

    const unknown = await certwarden(['sync', '--source', 'team-c'], {}, project);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/^certwarden: no source named team-c in .*certwarden\.config\.json\n$/);

    await writeFile(join(project, 'bad.json'), JSON.stringify({ sources: [{ ...config.sources[0], root: '' }] }));
    const bad = await certwarden(['sync', '--config', 'bad.json'], {}, project);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('sources[0].root: ');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects a bad option value with a one-line error and exit 2 (usage)', async () => {
    const run = await certwarden(['list', '--expiring', 'soon', '--store', dynamo.endpoint]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("option '--expiring <days>' argument 'soon' is invalid");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('npm start (certwarden demo)', () => {
  it('makes the demo estate once, syncs it into the embedded inventory on disk, and resyncs unchanged', async () => {
    const home = join(work, 'home');
    const first = await certwarden(['demo'], { CERTWARDEN_HOME: home });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Made a demo estate of');
    expect(first.stdout).toMatch(/What `certwarden evaluate` would send now \(\d+\)/);
    expect(first.stdout).toContain('legacy.example.com');
    expect(first.stdout).toContain('private key(s); ignored');
    // One key per certificate but one deliberate pair: key-reuse finds that pair, and nothing else.
    const keyReuse = first.stdout
      .split('\n')
      .filter((line) => /│ key-reuse /.test(line))
      .map((line) => line.split('│')[3].trim());
    expect(keyReuse.sort()).toEqual(['checkout.example.com', 'pay-api.example.com']);

    const second = await certwarden(['demo'], { CERTWARDEN_HOME: home });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Using the demo estate');
    const counts = syncCounts(second.stdout);
    expect(counts).toMatchObject({ discovered: 0, renewed: 0, updated: 0, removed: 0, restored: 0, stale: 0 });
    expect(counts.unchanged).toBeGreaterThan(30);

    const alerts = await certwarden(['evaluate', '--json'], { CERTWARDEN_HOME: home });
    expect(alerts.code).toBe(0);
    const emitted = JSON.parse(alerts.stdout) as Array<{ detailType: string }>;
    expect(emitted.map((event) => event.detailType)).toEqual(
      expect.arrayContaining(['Certificate Expired', 'Certificate Expiring']),
    );
    const again = await certwarden(['evaluate', '--json'], { CERTWARDEN_HOME: home });
    expect(JSON.parse(again.stdout)).toEqual([]);
  });

  it('previews exactly what `evaluate` then sends: one alert per place, and nothing once it was sent', async () => {
    const home = join(work, 'home-preview');
    const demo = await certwarden(['demo'], { CERTWARDEN_HOME: home });
    const evaluate = await certwarden(['evaluate', '--json'], { CERTWARDEN_HOME: home });
    const after = await certwarden(['demo'], { CERTWARDEN_HOME: home });

    const preview = demoPreview(demo.stdout);
    const sent = (JSON.parse(evaluate.stdout) as Array<{ detail: ExpiryAlertDetail }>).map(({ detail }) => detail);
    expect(preview.count).toBe(sent.length);
    expect(preview.alerts).toEqual(
      sent.map((detail) => `${detail.thresholdId} ${detail.subjectCommonName} ${detail.owner}`).sort(),
    );
    // One alert per place, at its most urgent threshold: the expired certificate is told once, that it expired.
    expect(new Set(sent.map((detail) => detail.locationId)).size).toBe(sent.length);
    expect(
      sent.filter((detail) => detail.subjectCommonName === 'legacy.example.com').map((d) => d.thresholdId),
    ).toEqual(['expired']);
    expect(demoPreview(after.stdout)).toEqual({ count: 0, alerts: [] });
  });
});
