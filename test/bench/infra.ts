import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { DEPLOYED_BUNDLES, FUNCTION_ENTRIES, REPO_ROOT, esbuildOptionsFor } from '../../infra/function-bundling';
import { handlerEnvironment } from '../support/handler-environment';

export interface BenchRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

const run = promisify(execFile);

const SIZE_TARGET_KB = 600;
const COLD_TARGET = 1.5;
const RUNS = Number(process.env.BENCH_INFRA_RUNS ?? 9);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Wall milliseconds of one `node` child process. */
function timeNode(args: string[], cwd: string, env: Record<string, string>): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: 'ignore',
  });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const POWERTOOLS = `
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
export const tracer = new Tracer();
export const parts = [new Logger(), new Metrics({ namespace: 'Floor' })];
`;

/** A handler's irreducible imports: what any certwarden function loads before its own code. */
const FLOORS = {
  'Powertools Logger + Metrics + Tracer': POWERTOOLS,
  'Powertools and one SQS client': `${POWERTOOLS}
import { SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
export const sqs = [tracer.captureAWSv3Client(new SQSClient({})), SendMessageBatchCommand];
`,
};

/**
 * Median wall time of `require(bundle)` in a fresh Node.js and of a bare `node -e 0`, runs interleaved so that a
 * busy machine slows both alike.
 */
function coldRequire(bundle: string, cwd: string, env: Record<string, string>): { cold: number; bare: number } {
  const bare: number[] = [];
  const cold: number[] = [];
  timeNode(['-e', '0'], cwd, env);
  for (let i = 0; i < RUNS; i++) {
    bare.push(timeNode(['-e', '0'], cwd, env));
    cold.push(timeNode(['-e', `require(${JSON.stringify(bundle)})`], cwd, env));
  }
  return { cold: median(cold), bare: median(bare) };
}

/**
 * The deployed functions and the CDK app: each handler's bundle size (esbuild with the construct's own options)
 * and its cold `require` time against a bare `node -e 0` measured in the same run (child processes, runs
 * interleaved so that a busy machine slows both alike, median of BENCH_INFRA_RUNS), then `cdk synth`'s wall time
 * on the test configuration (every deployable source kind; bundling included).
 */
export async function benchInfra(): Promise<BenchRow[]> {
  const work = mkdtempSync(join(tmpdir(), 'certwarden-bench-infra-'));
  const rows: BenchRow[] = [];
  try {
    for (const bundle of DEPLOYED_BUNDLES) {
      const role = bundle.name;
      const entry = FUNCTION_ENTRIES[bundle.role];
      const outfile = join(work, role.replace(':', '-'), 'index.js');
      await build(esbuildOptionsFor(entry, outfile, bundle.kind));
      const kb = statSync(outfile).size / 1024;
      rows.push({
        figure: `${role}: bundle size (minified, AWS SDK included)`,
        value: `${kb.toFixed(0)} KB`,
        target: `≤ ${SIZE_TARGET_KB} KB`,
        met: kb <= SIZE_TARGET_KB,
      });
      const sdkExternal = join(work, `${role.replace(':', '-')}-sdk-external`, 'index.js');
      await build({ ...esbuildOptionsFor(entry, sdkExternal, bundle.kind), external: ['@aws-sdk/*'] });
      rows.push({
        figure: `${role}: bundle size with the runtime's AWS SDK (for comparison, not deployed)`,
        value: `${(statSync(sdkExternal).size / 1024).toFixed(0)} KB`,
      });

      const { cold, bare } = coldRequire(outfile, work, handlerEnvironment(bundle));
      const ratio = cold / bare;
      rows.push({
        figure: `${role}: cold require vs bare node -e 0 (median of ${RUNS})`,
        value: `${cold.toFixed(0)} ms vs ${bare.toFixed(0)} ms (${ratio.toFixed(2)}×)`,
        target: `≤ ${COLD_TARGET}×`,
        met: ratio <= COLD_TARGET,
      });
    }

    // The floors under every handler: Powertools alone, then Powertools and one SDK client, nothing of ours.
    for (const [name, source] of Object.entries(FLOORS)) {
      const floor = join(work, `floor-${name}`, 'index.js');
      await build({
        ...esbuildOptionsFor('floor', floor),
        entryPoints: undefined,
        stdin: { contents: source, resolveDir: REPO_ROOT, loader: 'ts' },
      });
      const load = coldRequire(floor, work, { AWS_REGION: 'eu-west-1' });
      rows.push({
        figure: `floor: ${name}, bundled alike (${(statSync(floor).size / 1024).toFixed(0)} KB): cold require`,
        value: `${load.cold.toFixed(0)} ms vs ${load.bare.toFixed(0)} ms (${(load.cold / load.bare).toFixed(2)}×)`,
      });
    }

    const started = process.hrtime.bigint();
    await run(
      process.execPath,
      [
        join(REPO_ROOT, 'node_modules/aws-cdk/bin/cdk'),
        'synth',
        '-q',
        '--output',
        join(work, 'cdk.out'),
        '-c',
        `certwarden:config=${join(REPO_ROOT, 'test/infra/fixtures/certwarden.config.json')}`,
      ],
      { cwd: REPO_ROOT, env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' }, maxBuffer: 16 * 1024 * 1024 },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rows.push({
      figure: 'cdk synth -q (test config: 5 sources, 4 kinds, bundling included): wall time',
      value: `${seconds.toFixed(1)} s`,
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

// Run alone: `node lib/cli/bin/run-ts.js test/bench/infra.ts` (run-ts.js is then the main module).
if (require.main === module || module.parent === require.main) {
  void benchInfra().then((rows) => {
    for (const row of rows) {
      process.stdout.write(
        `${row.figure}: ${row.value}${row.target ? ` (target ${row.target}: ${row.met ? 'met' : 'MISSED'})` : ''}\n`,
      );
    }
  });
}
