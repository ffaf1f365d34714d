import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { DEPLOYED_BUNDLES, DEPLOYMENT_FILE, FUNCTION_ENTRIES, esbuildOptionsFor } from '../../infra/function-bundling';
import { handlerEnvironment } from '../support/handler-environment';

const run = promisify(execFile);

/**
 * Each handler bundled exactly as the construct bundles it (the same options, esbuild's API), copied out of the
 * repository so that nothing resolves from node_modules, then required in a fresh Node.js with the environment
 * the construct gives it: a handler that throws at load, or needs a module it did not bundle, fails here.
 *
 * The suite's one bundling of the handlers: every deployed bundle is built once, here, and each test reads
 * what it needs of that build (the file, esbuild's metafile). The stack tests synthesize without bundling.
 */
const work = mkdtempSync(join(tmpdir(), 'certwarden-bundles-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const bundled = new Map(
  DEPLOYED_BUNDLES.map((bundle) => {
    const outfile = join(work, bundle.name.replace(':', '-'), 'index.js');
    const built = build(esbuildOptionsFor(FUNCTION_ENTRIES[bundle.role], outfile, bundle.kind, bundle.leftOut)).then(
      ({ metafile }) => ({ outfile, metafile }),
    );
    built.catch(() => undefined); // reported by the test that awaits it
    return [bundle.name, built];
  }),
);

const BUNDLES_BUILT_WITHIN_MS = 180_000;

const load = (bundle: string, env: Record<string, string>) =>
  run(
    process.execPath,
    [
      '-e',
      `const m = require(${JSON.stringify(bundle)}); if (typeof m.handler !== 'function') throw new Error('no handler export');`,
    ],
    {
      cwd: work,
      env: {
        PATH: process.env.PATH,
        ...env,
      },
    },
  );

describe('every handler bundles with esbuild and loads', () => {
  it.each(DEPLOYED_BUNDLES.map((bundle) => [bundle.name, bundle] as const))(
    '%s',
    async (name, bundle) => {
      const { outfile } = (await bundled.get(name))!;
      expect(statSync(outfile).size).toBeGreaterThan(0);
      await expect(load(outfile, handlerEnvironment(bundle))).resolves.toBeDefined();
    },
    // The first test waits for esbuild's runs of every bundle side by side (six sync workers among them): on a
    // loaded 2-core machine that passed the default 60 s bound, with nothing hung.
    BUNDLES_BUILT_WITHIN_MS,
  );

  it('bundles only the renewers’ optional packages into renew (an ACM deployment: the Private CA SDK, for re-issue)', async () => {
    const { metafile } = (await bundled.get('renew'))!;
    const [output] = Object.values(metafile!.outputs);
    const inputs = Object.entries(output.inputs)
      .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
      .map(([file]) => file)
      .join('\n');
    expect(inputs).toMatch(/@aws-sdk\/client-acm\//);
    expect(inputs).toMatch(/@aws-sdk\/client-acm-pca\//);
    expect(inputs).not.toMatch(/@azure|google-gax|@google-cloud|client-iam\/|client-iot\//);
    expect(output.imports.filter((i) => i.external).map((i) => i.path)).toEqual(
      expect.arrayContaining(['@azure/identity', '@aws-sdk/client-iot', '@aws-sdk/client-iam']),
    );
  });

  it('leaves the other source kinds out of a sync worker bundle', async () => {
    const inputs = async (kind: string) => {
      const { metafile } = (await bundled.get(`syncWorker:${kind}`))!;
      // Every file esbuild read is an input; what made it into the bundle has bytes in the output.
      const [output] = Object.values(metafile!.outputs);
      return Object.entries(output.inputs)
        .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
        .map(([file]) => file)
        .join('\n');
    };
    const acm = await inputs('aws-acm');
    expect(acm).toMatch(/lib\/connectors\/aws-acm\.ts/);
    expect(acm).not.toMatch(/@azure|google-gax|lib\/connectors\/aws-pca\.ts/);
    // Secrets hold Azure's and Google's credentials only; no handler carries the X-Ray SDK.
    expect(acm).not.toMatch(/client-secrets-manager|aws-xray-sdk/);
    const iot = await inputs('aws-iot');
    expect(iot).toMatch(/@aws-sdk\/client-iot/);
    expect(iot).not.toMatch(/@aws-sdk\/client-(acm|iam)\/|lib\/connectors\/aws-(acm|pca|iam)\.ts/);
    const keyVault = await inputs('azure-key-vault');
    expect(keyVault).toMatch(/@azure\/keyvault-certificates/);
    expect(keyVault).toMatch(/client-secrets-manager/);
    expect(keyVault).not.toMatch(/google-gax|client-acm|client-sts/);
  });

  it("leaves the config's schemas and zod's classic API out of every bundle (validated at synth; mini at start)", async () => {
    const loading: string[] = [];
    for (const [name, built] of bundled) {
      const [output] = Object.values((await built).metafile!.outputs);
      const files = Object.keys(output.inputs);
      if (files.some((file) => file.endsWith('lib/domain/config.ts'))) loading.push(`${name}: lib/domain/config.ts`);
      if (files.some((file) => file.includes('node_modules/zod/v4/classic/'))) loading.push(`${name}: zod classic`);
    }
    expect(loading).toEqual([]);
  });

  it('leaves node-forge out of every bundle (only local-files sources, synced by the CLI, hold PKCS#12)', async () => {
    const carrying: string[] = [];
    for (const [name, built] of bundled) {
      const [output] = Object.values((await built).metafile!.outputs);
      if (Object.keys(output.inputs).some((file) => file.includes('node_modules/node-forge/'))) carrying.push(name);
    }
    expect(carrying).toEqual([]);
  });

  it('reads the deployment file beside the bundle, as the construct places it, and refuses a broken one', async () => {
    const { outfile } = (await bundled.get('syncPlanner'))!;
    const environment = {
      ...handlerEnvironment({ name: 'syncPlanner', role: 'syncPlanner' }),
      CERTWARDEN_DEPLOYMENT: DEPLOYMENT_FILE,
    };
    const source = { kind: 'aws-acm', name: 'org', regions: ['eu-west-1'], accounts: [{ accountId: '111111111111' }] };
    writeFileSync(join(dirname(outfile), DEPLOYMENT_FILE), JSON.stringify({ sources: [source] }));
    await expect(load(outfile, environment)).resolves.toBeDefined();

    // The construct validated the sources; the cold start checks only that the file is a deployment.
    writeFileSync(join(dirname(outfile), DEPLOYMENT_FILE), JSON.stringify({ sources: [{ regions: [] }] }));
    await expect(load(outfile, environment)).rejects.toMatchObject({
      stderr: expect.stringMatching(/CERTWARDEN_DEPLOYMENT: .*certwarden-deployment\.json: sources\.0\.name/),
    });
  });

  it('refuses to load without its environment, naming the variable', async () => {
    const { outfile } = (await bundled.get('syncWorker:aws-acm'))!;
    await expect(load(outfile, { AWS_REGION: 'eu-west-1' })).rejects.toMatchObject({
      stderr: expect.stringMatching(/CERTWARDEN_TABLE is required/),
    });
  });
});
