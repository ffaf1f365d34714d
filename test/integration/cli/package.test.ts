import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { certwarden } from '../../support/cli';
import {
  installProduct,
  linkPeers,
  packProduct,
  REPO,
  type InstalledProduct,
  type PackedProduct,
} from '../../support/packed-install';

/*
 * The product as users get it: `npm pack` (its `prepare` builds dist/), the tarball installed into an empty
 * project offline, then the installed `certwarden` and the construct imported from the package. Slow by nature
 * (a build, an install, a CDK synth), so one file does it once.
 */

const run = promisify(execFile);
let packed: PackedProduct;
let installed: InstalledProduct;
let work: string;
const installedCli = (args: string[], env: Record<string, string> = {}, cwd?: string) =>
  certwarden(args, env, cwd, [installed.bin]);

beforeAll(async () => {
  packed = await packProduct();
  installed = await installProduct(packed.tarball);
  work = await mkdtemp(join(tmpdir(), 'certwarden-product-'));
}, 600_000);

describe('npm pack', () => {
  it('holds the compiled CLI and construct, the sources the construct bundles, and nothing of the tests', () => {
    expect(packed.files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/lib/cli/bin/certwarden.js',
        'dist/infra/index.js',
        'dist/infra/index.d.ts',
        'functions/sync-worker/handler.ts',
        'lib/domain/event-schemas/certificate-expiring.schema.json',
      ]),
    );
    const unwanted = packed.files.filter(
      (file) =>
        /^(test|docs|\.ci|infra|dist\/functions)\//.test(file) ||
        /\.(map|snap)$|__snapshots__|fixtures|\.test\.ts$|run-ts\.js$/.test(file),
    );
    expect(unwanted).toEqual([]);
  });
});

describe('the installed certwarden', () => {
  it('has its dependencies and none of the optional peers or build tools', () => {
    const has = (name: string) => existsSync(join(installed.dir, 'node_modules', name));
    expect(['commander', 'dynalite', '@aws-sdk/client-dynamodb', 'node-forge'].filter((name) => !has(name))).toEqual(
      [],
    );
    const absent = ['aws-cdk-lib', 'constructs', 'cdk-nag', 'tsx', 'typescript', 'jest', 'esbuild', '@azure/identity'];
    expect(absent.filter(has)).toEqual([]);
  });

  it('prints its version and help', async () => {
    const manifest = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(await installedCli(['--version'])).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: '' });
    const help = await installedCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: certwarden');
  });

  it('runs the demo, and a resync of it finds nothing changed', async () => {
    const env = { CERTWARDEN_HOME: join(work, 'home') };
    const first = await installedCli(['demo'], env, work);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Made a demo estate of');
    expect(first.stdout).toMatch(/What `certwarden evaluate` would send now \(\d+\)/);
    const second = await installedCli(['demo'], env, work);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/│ 0 +│ 0 +│ 0 +│ 0 +│ 0 +│ 0 +│ \d+ +│/);
  });

  it('names the SDK to install for a provider whose SDK is left to the user', async () => {
    const dir = await mkdtemp(join(work, 'azure-'));
    await writeFile(
      join(dir, 'certwarden.config.json'),
      JSON.stringify({
        sources: [
          {
            kind: 'azure-key-vault',
            name: 'kv',
            vaults: [{ url: 'https://payments.vault.azure.net' }],
            credentials: { type: 'default' },
          },
        ],
      }),
    );
    const sync = await installedCli(['sync'], { CERTWARDEN_HOME: join(dir, 'home') }, dir);
    expect(sync.code).toBe(2);
    expect(sync.stderr).toBe(
      'certwarden: source kv: azure-key-vault needs @azure/identity and @azure/keyvault-certificates, which ' +
        'certwarden leaves to you: npm install @azure/identity @azure/keyvault-certificates ' +
        '(with -g beside a global certwarden)\n',
    );
  });
});

describe('a TypeScript configuration', () => {
  it('needs tsx, which the install leaves out: said in one line', async () => {
    const dir = await mkdtemp(join(work, 'ts-config-'));
    await writeFile(join(dir, 'certwarden.config.ts'), 'export default { sources: [] };\n');
    const sync = await installedCli(['sync'], { CERTWARDEN_HOME: join(dir, 'home') }, dir);
    expect(sync.code).toBe(2);
    expect(sync.stderr).toBe(
      `certwarden: ${join(dir, 'certwarden.config.ts')}: a TypeScript configuration needs tsx (npm install -g tsx), ` +
        'or write it as .json\n',
    );
  });
});

describe('the CertificateInventory construct from the package', () => {
  beforeAll(async () => {
    // What the app's own `npm install aws-cdk-lib constructs esbuild` would add.
    await linkPeers(installed.dir, ['aws-cdk-lib', 'constructs', 'esbuild', '@esbuild']);
    await symlink('../esbuild/bin/esbuild', join(installed.dir, 'node_modules/.bin/esbuild'));
  });

  const app = (sources: unknown[], props: Record<string, unknown> = {}) => `
const { App, Stack } = require('aws-cdk-lib');
const { CertificateInventory } = require('certwarden');
const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'PlatformCertificates', { env: { account: '123456789012', region: 'eu-west-1' } });
new CertificateInventory(stack, 'Inventory', { sources: ${JSON.stringify(sources)}, ...${JSON.stringify(props)} });
app.synth();
`;
  const templateOf = async () =>
    JSON.parse(await readFile(join(installed.dir, 'cdk.out/PlatformCertificates.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
  const PRIVATE_CA =
    'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555';
  const acm = {
    kind: 'aws-acm',
    name: 'acm',
    regions: ['eu-west-1'],
    ownerTagKeys: ['owner'],
    schedule: 'rate(1 hour)',
  };

  it('synthesizes in a fresh CDK app, its handlers bundled by the app’s esbuild', async () => {
    await writeFile(join(installed.dir, 'app.js'), app([acm]));
    await run(process.execPath, ['app.js'], { cwd: installed.dir, maxBuffer: 64 * 1024 * 1024 });
    const template = await templateOf();
    const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(4);
    expect(functions.every((fn) => fn.Properties.Runtime === 'nodejs24.x')).toBe(true);
    expect(Object.values(template.Resources).some((resource) => resource.Type === 'AWS::DynamoDB::Table')).toBe(true);
  });

  it('synthesizes ACM renewal without any optional provider package: the renew function bundles only ACM’s renewer', async () => {
    expect(existsSync(join(installed.dir, 'node_modules/@aws-sdk/client-acm-pca'))).toBe(false);
    expect(existsSync(join(installed.dir, 'node_modules/@azure'))).toBe(false);
    await writeFile(join(installed.dir, 'app-renew.js'), app([acm], { renewalWorkflow: true }));
    await run(process.execPath, ['app-renew.js'], { cwd: installed.dir, maxBuffer: 64 * 1024 * 1024 });
    const renew = Object.entries((await templateOf()).Resources).filter(
      ([id, resource]) => resource.Type === 'AWS::Lambda::Function' && /^InventoryRenew[0-9A-F]{8}$/.test(id),
    );
    expect(renew).toHaveLength(1);
    // The other providers' SDKs stay requires the function never reaches, not code in the bundle.
    const { S3Key } = renew[0][1].Properties.Code as { S3Key: string };
    const bundle = await readFile(join(installed.dir, `cdk.out/asset.${S3Key.replace(/\.zip$/, '')}/index.js`), 'utf8');
    for (const name of [
      '@azure/identity',
      '@google-cloud/certificate-manager',
      '@aws-sdk/client-iot',
      '@aws-sdk/client-acm-pca',
    ])
      expect(bundle).toContain(`require("${name}")`);
    expect(bundle).not.toContain('require("@aws-sdk/client-acm")');
  });

  it('refuses ACM renewal of a Private CA’s certificates without the Private CA SDK, naming it', async () => {
    const issuing = { ...acm, issuingCertificateAuthorities: [PRIVATE_CA] };
    await writeFile(join(installed.dir, 'app-renew-pca.js'), app([issuing], { renewalWorkflow: true }));
    const failure = await run(process.execPath, ['app-renew-pca.js'], { cwd: installed.dir }).catch(
      (error: { stderr: string }) => error,
    );
    expect((failure as { stderr: string }).stderr).toContain(
      'source acm: its renewer bundles @aws-sdk/client-acm-pca (to re-issue what its issuingCertificateAuthorities issued): add it to this app',
    );
  });

  it('refuses at synth a source whose provider SDK the app lacks, naming it', async () => {
    const kv = {
      kind: 'azure-key-vault',
      name: 'kv',
      vaults: [{ url: 'https://payments.vault.azure.net' }],
      credentials: { type: 'default' },
    };
    await writeFile(join(installed.dir, 'app-kv.js'), app([kv]));
    const failure = await run(process.execPath, ['app-kv.js'], { cwd: installed.dir }).catch(
      (error: { stderr: string }) => error,
    );
    expect((failure as { stderr: string }).stderr).toContain(
      'source kv: its sync worker bundles @azure/identity and @azure/keyvault-certificates: add them to this app',
    );
  });
});
