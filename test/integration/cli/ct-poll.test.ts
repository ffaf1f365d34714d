import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate, type IssuedCertificate } from '../../../lib/x509/factory';
import { certwarden } from '../../support/cli';
import { FakeCtLog, poisonExtension, precertEntry, x509Entry } from '../../support/fakes/ct-log-server';
import { useEmbeddedDynamoDb } from '../../support/inventory';

const dynamo = useEmbeddedDynamoDb();
const notBefore = new Date(Date.now() - 86_400_000);
const notAfter = new Date(Date.now() + 90 * 86_400_000);

/** `certwarden ct poll` against a local log and one that is down, with the inventory a `scan` filled. */
describe('certwarden ct poll', () => {
  let root: string;
  let fake: FakeCtLog;
  let store: string[];
  let downUrl: string;

  beforeAll(async () => {
    const ca = await issueCertificate({ subject: 'CN=Example CA', ca: true, notBefore, notAfter });
    const issue = (
      name: string,
      extra: Partial<Parameters<typeof issueCertificate>[0]> = {},
    ): Promise<IssuedCertificate> =>
      issueCertificate({ subject: `CN=${name}`, dns: [name], issuer: ca, notBefore, notAfter, ...extra });
    const ours = await issue('www.example.com');
    const stray = await issue('stray.example.com');
    const precert = await issue('shadow.example.com', { extensions: [poisonExtension()] });
    const elsewhere = await issue('www.other.org');
    root = await mkdtemp(join(tmpdir(), 'certwarden-ct-cli-'));
    await writeFile(join(root, 'www.pem'), ours.pem);
    fake = new FakeCtLog();
    fake.maxPageSize = 2;
    fake.add(
      x509Entry(ours, [ca], 1),
      x509Entry(elsewhere, [ca], 2),
      x509Entry(stray, [ca], 3),
      precertEntry(precert, [ca], 4),
    );
    await fake.start();
    const down = new FakeCtLog();
    await down.start();
    downUrl = down.url;
    await down.stop();
    const inventory = await dynamo.inventory();
    store = ['--store', inventory.endpoint, '--table', inventory.tableName];
    await writeFile(
      join(root, 'certwarden.config.json'),
      JSON.stringify({
        ct: {
          domains: ['example.com'],
          startAt: 'first',
          logs: [
            { name: 'down', url: downUrl },
            { name: 'fake', url: fake.url },
          ],
        },
      }),
    );
    await writeFile(join(root, 'no-ct.config.json'), JSON.stringify({}));
    const scan = await certwarden(['scan', '--dir', root, ...store]);
    expect(scan.code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await fake?.stop();
    await rm(root, { recursive: true, force: true });
  });

  const config = () => ['--config', join(root, 'certwarden.config.json')];

  it('prints each unknown certificate once, and an unreachable log as one line on stderr', async () => {
    const first = await certwarden(['ct', 'poll', ...config(), ...store]);
    expect(first.stderr).toBe(`certwarden: ct log down: get-sth: ${downUrl} unreachable (ECONNREFUSED)\n`);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain(
      '2 unknown certificate(s) issued (Unknown Certificate Issued, not sent: no --event-bus)',
    );
    expect(first.stdout).toMatch(/│ fake +│ 2 +│ x509 +│ stray\.example\.com /);
    expect(first.stdout).toMatch(/│ fake +│ 3 +│ precert +│ shadow\.example\.com /);
    expect(first.stdout).not.toContain('www.example.com');

    const again = await certwarden(['ct', 'poll', '--log', 'fake', '--json', ...config(), ...store]);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(again.stdout) as { findings: unknown[]; logs: Array<{ from: number; to: number }> };
    expect(report.findings).toEqual([]);
    expect(report.logs).toEqual([expect.objectContaining({ log: 'fake', from: 4, to: 4, read: 0 })]);
    expect(fake.servedTwice()).toEqual([]);
  });

  it('refuses a configuration without a ct section, or a log it does not name, in one line', async () => {
    const none = await certwarden(['ct', 'poll', '--config', join(root, 'no-ct.config.json'), ...store]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      'certwarden: no "ct" section in the configuration: nothing to poll (see README, "Certificate Transparency")\n',
    );
    const unknown = await certwarden(['ct', 'poll', '--log', 'xenon', ...config(), ...store]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('certwarden: --log xenon: not in the configuration (down, fake)\n');
  });
});
