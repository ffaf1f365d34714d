import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { FUNCTION_ENTRIES, REPO_ROOT, esbuildOptionsFor, type FunctionRole } from '../../infra/function-bundling';

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

/** What each handler needs at load, as the construct sets it (test/infra/handlers-bundle.test.ts checks the same). */
const ENVIRONMENT: Record<FunctionRole, Record<string, string>> = {
  syncPlanner: {
    CERTWARDEN_SYNC_QUEUES: JSON.stringify({ 'aws-acm': 'https://sqs.eu-west-1.amazonaws.com/111111111111/q' }),
  },
  syncWorker: {
    CERTWARDEN_TABLE: 'certwarden-inventory',
    CERTWARDEN_EVENT_BUS: 'certwarden',
    CERTWARDEN_SOURCE_KIND: 'aws-acm',
  },
  inventoryMetrics: { CERTWARDEN_TABLE: 'certwarden-inventory' },
};

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
    for (const [role, entry] of Object.entries(FUNCTION_ENTRIES) as Array<[FunctionRole, string]>) {
      const outfile = join(work, role, 'index.js');
      await build(esbuildOptionsFor(entry, outfile));
      const kb = statSync(outfile).size / 1024;
      rows.push({
        figure: `${role}: bundle size (minified, AWS SDK included)`,
        value: `${kb.toFixed(0)} KB`,
        target: `≤ ${SIZE_TARGET_KB} KB`,
        met: kb <= SIZE_TARGET_KB,
      });
      const sdkExternal = join(work, `${role}-sdk-external`, 'index.js');
      await build({ ...esbuildOptionsFor(entry, sdkExternal), external: ['@aws-sdk/*'] });
      rows.push({
        figure: `${role}: bundle size with the runtime's AWS SDK (for comparison, not deployed)`,
        value: `${(statSync(sdkExternal).size / 1024).toFixed(0)} KB`,
      });

      const env = {
        AWS_REGION: 'eu-west-1',
        POWERTOOLS_SERVICE_NAME: `certwarden-${role}`,
        POWERTOOLS_METRICS_NAMESPACE: 'Certwarden',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...ENVIRONMENT[role],
      };
      const bare: number[] = [];
      const cold: number[] = [];
      timeNode(['-e', '0'], work, env);
      for (let i = 0; i < RUNS; i++) {
        bare.push(timeNode(['-e', '0'], work, env));
        cold.push(timeNode(['-e', `require(${JSON.stringify(outfile)})`], work, env));
      }
      const ratio = median(cold) / median(bare);
      rows.push({
        figure: `${role}: cold require vs bare node -e 0 (median of ${RUNS})`,
        value: `${median(cold).toFixed(0)} ms vs ${median(bare).toFixed(0)} ms (${ratio.toFixed(2)}×)`,
        target: `≤ ${COLD_TARGET}×`,
        met: ratio <= COLD_TARGET,
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
