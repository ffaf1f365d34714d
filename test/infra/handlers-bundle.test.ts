import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { FUNCTION_ENTRIES, esbuildOptionsFor, type FunctionRole } from '../../infra/function-bundling';

const run = promisify(execFile);

/**
 * Each handler bundled exactly as the construct bundles it (the same options, esbuild's API), copied out of the
 * repository so that nothing resolves from node_modules, then required in a fresh Node.js with the environment
 * the construct gives it: a handler that throws at load, or needs a module it did not bundle, fails here.
 */
const ENVIRONMENT: Record<FunctionRole, Record<string, string>> = {
  syncPlanner: {
    CERTWARDEN_SYNC_QUEUES: JSON.stringify({ 'aws-acm': 'https://sqs.eu-west-1.amazonaws.com/111111111111/q' }),
  },
  syncWorker: {
    CERTWARDEN_TABLE: 'certwarden-inventory',
    CERTWARDEN_EVENT_BUS: 'certwarden',
    CERTWARDEN_SOURCE_KIND: 'aws-acm',
    CERTWARDEN_POLICY: JSON.stringify({ rules: { 'no-wildcards': { severity: 'high' } } }),
  },
  inventoryMetrics: { CERTWARDEN_TABLE: 'certwarden-inventory' },
};

const work = mkdtempSync(join(tmpdir(), 'certwarden-bundles-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const bundled = Object.fromEntries(
  Object.entries(FUNCTION_ENTRIES).map(([role, entry]) => {
    const outfile = join(work, role, 'index.js');
    return [role, build(esbuildOptionsFor(entry, outfile)).then(() => outfile)];
  }),
) as Record<FunctionRole, Promise<string>>;

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
        AWS_REGION: 'eu-west-1',
        POWERTOOLS_SERVICE_NAME: 'certwarden-test',
        POWERTOOLS_METRICS_NAMESPACE: 'Certwarden',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
    },
  );

describe('every handler bundles with esbuild and loads', () => {
  it.each(Object.keys(FUNCTION_ENTRIES) as FunctionRole[])('%s', async (role) => {
    const bundle = await bundled[role];
    expect(statSync(bundle).size).toBeGreaterThan(0);
    await expect(load(bundle, ENVIRONMENT[role])).resolves.toBeDefined();
  });

  it('refuses to load without its environment, naming the variable', async () => {
    const bundle = await bundled.syncWorker;
    await expect(load(bundle, {})).rejects.toMatchObject({
      stderr: expect.stringMatching(/CERTWARDEN_TABLE is required/),
    });
  });
});
