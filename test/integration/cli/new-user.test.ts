import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateKeys, issueCertificate, privateKeyPem, type IssuedCertificate } from '../../../lib/x509/factory';
import { certwarden, pipeline, RUN_TS } from '../../support/cli';
import { exportPkcs12 } from '../../support/openssl';

/*
 * What a new user trips on, each as the user meets it: the CLI run from its sources in a shell, on an embedded
 * inventory of its own (CERTWARDEN_HOME).
 */

const DAY = 86_400_000;
let work: string;
let ca: IssuedCertificate;

const leaf = async (name: string, daysLeft: number) =>
  issueCertificate({
    subject: `CN=${name}`,
    dns: [name],
    issuer: ca,
    keys: await generateKeys(),
    notBefore: new Date(Date.now() - 30 * DAY),
    notAfter: new Date(Date.now() + daysLeft * DAY),
  });

async function estate(dir: string, count: number, prefix: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let index = 0; index < count; index++)
    await writeFile(
      join(dir, `${prefix}-${index}.pem`),
      (await leaf(`${prefix}-${index}.example.com`, 20 + index)).pem,
    );
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'certwarden-new-user-'));
  ca = await issueCertificate({
    subject: 'CN=New User CA',
    ca: true,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 900 * DAY),
  });
});

describe('a closed pipe', () => {
  const home = () => ({ CERTWARDEN_HOME: join(work, 'pipe-home') });
  beforeAll(async () => {
    // More than a pipe's 64 KiB of JSON, so the reader closes it while certwarden is still writing.
    await estate(join(work, 'pipe-estate'), 60, 'pipe');
    expect((await certwarden(['scan', '--dir', join(work, 'pipe-estate')], home())).code).toBe(0);
  });

  it.each([
    ['list | head -3', ['list'], 'head -3'],
    ['list --json | head -c 100', ['list', '--json'], 'head -c 100'],
    ['inspect --json of many files | head -c 100', ['inspect', '--json'], 'head -c 100'],
  ])('%s ends quietly with exit 0', async (_name, args, reader) => {
    const files =
      args[0] === 'inspect'
        ? Array.from({ length: 60 }, (_, index) => join(work, 'pipe-estate', `pipe-${index}.pem`))
        : [];
    const run = await pipeline([...args, ...files], reader, home());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.length).toBeGreaterThan(0);
  });
});

describe('an embedded inventory that cannot be opened', () => {
  let holder: ChildProcess | undefined;
  afterEach(() => holder?.kill('SIGKILL'));

  async function hold(store: string, how: 'certwarden' | 'leveldb'): Promise<ChildProcess> {
    const script = join(work, `hold-store-${how}.ts`);
    const open =
      how === 'certwarden'
        ? `import { startEmbeddedDynamoDb } from ${JSON.stringify(join(__dirname, '../../../lib/adapters/embedded-dynamodb'))};\n` +
          `void startEmbeddedDynamoDb({ path: process.argv[2] }).then(() => console.log('holding'));\n`
        : `import { Level } from ${JSON.stringify(require.resolve('level'))};\n` +
          `void new Level(process.argv[2]).open({ createIfMissing: true }).then(() => console.log('holding'));\n` +
          // An open LevelDB does not keep the process alive on its own.
          `setInterval(() => {}, 60_000);\n`;
    await writeFile(script, open);
    const child = spawn(process.execPath, [RUN_TS, script, store], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((held) => createInterface({ input: child.stdout! }).once('line', held));
    return child;
  }

  it("held by another certwarden: one line naming the store and the holder's pid, exit 2", async () => {
    const home = join(work, 'held-home');
    const store = join(home, 'dynamodb');
    await mkdir(store, { recursive: true });
    holder = await hold(store, 'certwarden');

    for (const args of [['list'], ['scan', '--dir', work]]) {
      const run = await certwarden(args, { CERTWARDEN_HOME: home });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        new RegExp(
          `^certwarden: cannot open the embedded inventory at ${store}: it is in use by certwarden process ` +
            `${holder.pid} \\(open since \\d{4}-[^)]+\\); wait for it to finish, or stop it\n$`,
        ),
      );
    }
  });

  it('held by a process that did not say who it is (or crashed holding it): the cause without a pid', async () => {
    const home = join(work, 'held-home-unknown');
    const store = join(home, 'dynamodb');
    await mkdir(store, { recursive: true });
    // A record left by a crashed certwarden names a pid that no longer runs: not to be blamed.
    await writeFile(`${store}.holder`, JSON.stringify({ pid: 2 ** 22 + 1, since: new Date().toISOString() }));
    holder = await hold(store, 'leveldb');

    const run = await certwarden(['list'], { CERTWARDEN_HOME: home });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `certwarden: cannot open the embedded inventory at ${store}: it is in use by another process (another certwarden running?)\n`,
    );
  });

  it('once its holder is done, the store opens and the holder record is gone', async () => {
    const home = join(work, 'released-home');
    const store = join(home, 'dynamodb');
    expect((await certwarden(['list'], { CERTWARDEN_HOME: home })).code).toBe(0);
    await expect(access(`${store}.holder`)).rejects.toThrow(/ENOENT/);
  });

  it('where a file stands in for the store directory: one line naming it, exit 2', async () => {
    const home = join(work, 'file-home');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'dynamodb'), 'not a directory');
    const run = await certwarden(['list'], { CERTWARDEN_HOME: home });
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^certwarden: cannot open the embedded inventory at ${join(home, 'dynamodb')}: `),
      ),
    ]);
  });
});

describe('exit codes and help', () => {
  it('a usage error exits 2 and suggests the nearest command', async () => {
    const typo = await certwarden(['lst']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown command 'lst'");
    expect(typo.stderr).toContain('Did you mean list?');
    const option = await certwarden(['list', '--bogus']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("unknown option '--bogus'");
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(join(__dirname, '../../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(await certwarden(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('the help names CERTWARDEN_HOME and the exit codes, and every command has an example', async () => {
    const help = await certwarden(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('CERTWARDEN_HOME');
    expect(help.stdout).toMatch(/Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 /);
    const commands = [
      'inspect',
      'scan',
      'sync',
      'list',
      'demo',
      'evaluate',
      'digest',
      'report',
      'policy check',
      'policy explain',
    ];
    for (const command of commands) {
      const run = await certwarden([...command.split(' '), '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`Examples:\\n {2}\\$ certwarden ${command}`));
    }
  });
});

describe('PKCS#12 files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(work, 'p12');
    await mkdir(dir, { recursive: true });
    const issued = await leaf('p12.example.com', 90);
    const material = { certificate: issued.pem, key: await privateKeyPem(issued.keys), chain: ca.pem };
    await writeFile(join(dir, 'open.p12'), exportPkcs12(material, ''));
    await writeFile(join(dir, 'locked.pfx'), exportPkcs12(material, 's3cret'));
    await writeFile(join(work, 'p12-password'), 's3cret\n');
  });

  it('inspect reads them, or says a password is needed', async () => {
    const open = await certwarden(['inspect', '--json', join(dir, 'open.p12')]);
    expect(open.code).toBe(0);
    expect((JSON.parse(open.stdout) as Array<{ subjectCommonName: string }>).map((r) => r.subjectCommonName)).toEqual([
      'p12.example.com',
      'New User CA',
    ]);
    expect(open.stderr).toContain('private key');

    const locked = await certwarden(['inspect', join(dir, 'locked.pfx')]);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toBe(`certwarden: ${join(dir, 'locked.pfx')}: PKCS#12, password needed\n`);

    const unlocked = await certwarden([
      'inspect',
      '--pkcs12-password-file',
      join(work, 'p12-password'),
      join(dir, 'locked.pfx'),
    ]);
    expect(unlocked.code).toBe(0);
    expect(unlocked.stdout).toContain('p12.example.com');
  });

  it('scan inventories them; a locked one is an unreadable place until the password is given', async () => {
    const env = { CERTWARDEN_HOME: join(work, 'p12-home') };
    const first = await certwarden(['scan', '--dir', dir], env);
    expect(first.code).toBe(1);
    const errors = await certwarden(['list', '--errors', '--json'], env);
    expect((JSON.parse(errors.stdout) as Array<{ error: string }>).map((place) => place.error)).toEqual([
      `${join(dir, 'locked.pfx')}: PKCS#12, password needed`,
    ]);

    const second = await certwarden(['scan', '--dir', dir, '--pkcs12-password-file', join(work, 'p12-password')], env);
    expect(second.code).toBe(0);
    const live = JSON.parse((await certwarden(['list', '--json'], env)).stdout) as Array<{ nativeId: string }>;
    expect(live.map((place) => place.nativeId.split('#')[0]).sort()).toEqual([
      join(dir, 'locked.pfx'),
      join(dir, 'locked.pfx'),
      join(dir, 'open.p12'),
      join(dir, 'open.p12'),
    ]);
  });
});

describe('scan names its source after the directory', () => {
  it('scanning a second directory leaves the first one’s places alone', async () => {
    const env = { CERTWARDEN_HOME: join(work, 'two-dirs-home') };
    await estate(join(work, 'alpha'), 2, 'alpha');
    await estate(join(work, 'beta'), 2, 'beta');
    expect((await certwarden(['scan', '--dir', join(work, 'alpha')], env)).code).toBe(0);
    const second = await certwarden(['scan', '--dir', join(work, 'beta')], env);
    expect(second.stdout).toContain('Sync of beta (local-files)');

    const removed = JSON.parse((await certwarden(['list', '--removed', '--json'], env)).stdout) as unknown[];
    expect(removed).toEqual([]);
    const live = JSON.parse((await certwarden(['list', '--json'], env)).stdout) as Array<{ source: string }>;
    expect(live.map((place) => place.source).sort()).toEqual(['alpha', 'alpha', 'beta', 'beta']);
  });

  it('refuses, with a hint, a directory whose name another directory’s source already has', async () => {
    const env = { CERTWARDEN_HOME: join(work, 'same-name-home') };
    await estate(join(work, 'one', 'certs'), 1, 'one');
    await estate(join(work, 'two', 'certs'), 1, 'two');
    expect((await certwarden(['scan', '--dir', join(work, 'one', 'certs')], env)).code).toBe(0);

    const clash = await certwarden(['scan', '--dir', join(work, 'two', 'certs')], env);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(
      /source "certs" already holds places outside .*: give this directory its own --name\n$/,
    );
    expect((await certwarden(['scan', '--dir', join(work, 'two', 'certs'), '--name', 'two-certs'], env)).code).toBe(0);
  });
});

describe('list', () => {
  it('--json carries the serial number inspect shows', async () => {
    const env = { CERTWARDEN_HOME: join(work, 'serial-home') };
    await estate(join(work, 'serial'), 1, 'serial');
    const file = join(work, 'serial', 'serial-0.pem');
    await certwarden(['scan', '--dir', join(work, 'serial')], env);
    const [listed] = JSON.parse((await certwarden(['list', '--json'], env)).stdout) as Array<{ serialNumber: string }>;
    const [inspected] = JSON.parse((await certwarden(['inspect', '--json', file])).stdout) as Array<{
      serialNumber: string;
    }>;
    expect(listed.serialNumber).toBe(inspected.serialNumber);
    expect(listed.serialNumber).toMatch(/^([0-9A-F]{2})+$/);
  });
});
