import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import {
  DEPLOYED_BUNDLES,
  DEPLOYMENT_FILE,
  FUNCTION_ENTRIES,
  REPO_ROOT,
  esbuildOptionsFor,
  type DeployedBundle,
} from '../../infra/function-bundling';
import { loadConfig } from '../../lib/adapters/config-file';
import { handlerEnvironment } from '../support/handler-environment';
import { childCpuSeconds, median, quote } from './child-cpu';

export interface BenchRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

const run = promisify(execFile);

/** A handler's cold start may cost this much more CPU than a bundle of the SDK clients it constructs, alone. */
const COLD_RATIO_TARGET = 1.25;
/** …and its bundle may be this much larger than that SDK-only bundle. */
const SIZE_MARGIN_KB = 100;
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 20);

/**
 * How the SDK-only bundles hold each client a handler constructs: its modules and their exports, and the client
 * built as the handler builds it (the document client over a DynamoDB client, an Azure client with its credential).
 */
const SDK_CLIENTS = {
  dynamodb: {
    modules: { '@aws-sdk/client-dynamodb': ['DynamoDBClient'], '@aws-sdk/lib-dynamodb': ['DynamoDBDocumentClient'] },
    construct: 'DynamoDBDocumentClient.from(new DynamoDBClient({}))',
  },
  eventBridge: {
    modules: { '@aws-sdk/client-eventbridge': ['EventBridgeClient'] },
    construct: 'new EventBridgeClient({})',
  },
  sqs: { modules: { '@aws-sdk/client-sqs': ['SQSClient'] }, construct: 'new SQSClient({})' },
  sns: { modules: { '@aws-sdk/client-sns': ['SNSClient'] }, construct: 'new SNSClient({})' },
  s3: { modules: { '@aws-sdk/client-s3': ['S3Client'] }, construct: 'new S3Client({})' },
  securityHub: {
    modules: { '@aws-sdk/client-securityhub': ['SecurityHubClient'] },
    construct: 'new SecurityHubClient({})',
  },
  secretsManager: {
    modules: { '@aws-sdk/client-secrets-manager': ['SecretsManagerClient'] },
    construct: 'new SecretsManagerClient({})',
  },
  acm: { modules: { '@aws-sdk/client-acm': ['ACMClient'] }, construct: 'new ACMClient({})' },
  acmPca: { modules: { '@aws-sdk/client-acm-pca': ['ACMPCAClient'] }, construct: 'new ACMPCAClient({})' },
  iam: { modules: { '@aws-sdk/client-iam': ['IAMClient'] }, construct: 'new IAMClient({})' },
  iot: { modules: { '@aws-sdk/client-iot': ['IoTClient'] }, construct: 'new IoTClient({})' },
  sts: { modules: { '@aws-sdk/client-sts': ['STSClient'] }, construct: 'new STSClient({})' },
  keyVault: {
    modules: { '@azure/identity': ['ClientSecretCredential'], '@azure/keyvault-certificates': ['CertificateClient'] },
    construct: `new CertificateClient('https://kv.vault.azure.net', new ClientSecretCredential('t', 'c', 's'))`,
  },
  certificateManager: {
    modules: {
      '@google-cloud/certificate-manager': ['CertificateManagerClient'],
      'google-auth-library': ['GoogleAuth'],
    },
    construct: 'new CertificateManagerClient({ auth: new GoogleAuth() })',
  },
} satisfies Record<string, { modules: Record<string, string[]>; construct: string }>;
type SdkClient = keyof typeof SDK_CLIENTS;

/**
 * The SDK clients a deployed bundle constructs: at load (module scope), and on first use, where the handler
 * requires a module only when an invocation needs it (a sync worker's provider, lib/connectors/from-config.ts).
 * The SDK-only bundle does the same with each, so that both load the same clients at a cold start.
 */
interface HandlerClients {
  atLoad: SdkClient[];
  onFirstUse?: SdkClient[];
}

/** STS serves an AWS source without accounts (GetCallerIdentity), and the roles assumed for one with them. */
const CLIENTS_OF: Record<string, HandlerClients> = {
  syncPlanner: { atLoad: ['sqs'] },
  'syncWorker:aws-acm': { atLoad: ['dynamodb', 'eventBridge'], onFirstUse: ['acm', 'sts'] },
  'syncWorker:aws-pca': { atLoad: ['dynamodb', 'eventBridge'], onFirstUse: ['acmPca', 'sts'] },
  'syncWorker:aws-iam': { atLoad: ['dynamodb', 'eventBridge'], onFirstUse: ['iam', 'sts'] },
  'syncWorker:aws-iot': { atLoad: ['dynamodb', 'eventBridge'], onFirstUse: ['iot', 'sts'] },
  'syncWorker:azure-key-vault': { atLoad: ['dynamodb', 'eventBridge'], onFirstUse: ['secretsManager', 'keyVault'] },
  'syncWorker:google-certificate-manager': {
    atLoad: ['dynamodb', 'eventBridge'],
    onFirstUse: ['secretsManager', 'certificateManager'],
  },
  // Node's own TLS reaches the endpoints: no provider client.
  'syncWorker:tls-endpoint': { atLoad: ['dynamodb', 'eventBridge'] },
  inventoryMetrics: { atLoad: ['dynamodb'] },
  evaluate: { atLoad: ['dynamodb', 'eventBridge', 'sqs'] },
  // Each notifier's delivery ledger (DynamoDB) at load; EventBridge at its first dead letter (functions/shared/delivery.ts).
  emailNotifier: { atLoad: ['sns', 'dynamodb'], onFirstUse: ['eventBridge'] },
  slackNotifier: { atLoad: ['secretsManager', 'dynamodb'], onFirstUse: ['eventBridge'] },
  securityHubNotifier: { atLoad: ['securityHub', 'dynamodb'], onFirstUse: ['eventBridge'] },
  digest: { atLoad: ['dynamodb', 'sns', 'secretsManager'] },
  siemFormat: { atLoad: [] },
  ctMonitor: { atLoad: ['dynamodb', 'eventBridge'] },
  reportPack: { atLoad: ['dynamodb', 's3', 'sns'] },
  // Powertools idempotency's own DynamoDB client; the renewers of an ACM deployment (Private CA re-issue included).
  renew: { atLoad: ['dynamodb', 'eventBridge'], onFirstUse: ['acm', 'acmPca', 'sts'] },
};

const namesOf = ({ atLoad, onFirstUse = [] }: HandlerClients) =>
  [...atLoad, ...onFirstUse.map((client) => `${client} (on first use)`)].join(', ') || 'none';

/** A module that builds its clients at load, or in a function a handler would call on its first invocation. */
function sdkOnlySource({ atLoad, onFirstUse = [] }: HandlerClients): string {
  const imports = atLoad.flatMap((client) =>
    Object.entries(SDK_CLIENTS[client].modules).map(
      ([module, names]) => `import { ${names.join(', ')} } from '${module}';`,
    ),
  );
  const requires = onFirstUse.map((client) => {
    const { modules, construct } = SDK_CLIENTS[client];
    const required = Object.entries(modules).map(
      ([module, names]) => `const { ${names.join(', ')} } = require('${module}');`,
    );
    return `() => { ${required.join(' ')} return ${construct}; }`;
  });
  return `${imports.join('\n')}
export const clients = [${atLoad.map((client) => SDK_CLIENTS[client].construct).join(', ')}];
export const onFirstUse = [${requires.join(', ')}];
`;
}

/** One handler's cold start against its SDK-only bundle, measured in the same run. */
export interface ColdStart {
  name: string;
  clients: HandlerClients;
  kb: number;
  sdkOnlyKb: number;
  /** Median CPU milliseconds (user + sys) of a fresh `node` that requires the bundle. */
  cpuMs: number;
  sdkOnlyCpuMs: number;
  /** What the handler's bundle holds beyond the SDK-only one, by package (certwarden's own code as `certwarden`). */
  additions: Array<{ name: string; kb: number }>;
}

export const coldRatio = (result: ColdStart) => result.cpuMs / result.sdkOnlyCpuMs;
export const coldStartMet = (result: ColdStart) =>
  coldRatio(result) <= COLD_RATIO_TARGET && result.kb <= result.sdkOnlyKb + SIZE_MARGIN_KB;

/**
 * Bytes in the output by package: `@scope/name` under node_modules (a nested copy as `name (in outer)`), and
 * `certwarden` for the repository's own files.
 */
function bytesByPackage(metafile: Metafile): Map<string, number> {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(file);
      bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return bytes;
}

function packageOf(file: string): string {
  const marker = 'node_modules/';
  const last = file.lastIndexOf(marker);
  if (last < 0) return 'certwarden';
  const segments = file.slice(last + marker.length).split('/');
  const name = segments[0].startsWith('@') ? `${segments[0]}/${segments[1]}` : segments[0];
  const outer = file.slice(file.indexOf(marker) + marker.length, last).replace(/\/node_modules\/$/, '');
  return outer ? `${name} (in ${outer})` : name;
}

/** Packages the handler bundles more of than the SDK-only bundle does (a second copy counts), largest first. */
function additionsOver(handler: Metafile, sdkOnly: Metafile): ColdStart['additions'] {
  const floor = bytesByPackage(sdkOnly);
  return [...bytesByPackage(handler)]
    .map(([name, bytes]) => ({ name, kb: (bytes - (floor.get(name) ?? 0)) / 1024 }))
    .filter(({ kb }) => kb >= 1)
    .sort((a, b) => b.kb - a.kb);
}

/**
 * The deployment file the construct writes beside the sync functions' bundles, from the test configuration (its
 * sources and policy), so that their cold start reads and validates what a deployed one does.
 */
function writeDeployment(directory: string): void {
  const { config } = loadConfig(join(REPO_ROOT, 'test/infra/fixtures/certwarden.config.json'));
  writeFileSync(join(directory, DEPLOYMENT_FILE), JSON.stringify({ sources: config.sources, policy: config.policy }));
}

function environmentOf(bundle: DeployedBundle): Record<string, string> {
  const env = { PATH: process.env.PATH ?? '', ...handlerEnvironment(bundle) };
  return bundle.role === 'syncPlanner' || bundle.role === 'syncWorker'
    ? { ...env, CERTWARDEN_DEPLOYMENT: DEPLOYMENT_FILE }
    : env;
}

/** Builds `entry` (a file, or a module's source) as the construct bundles a handler; its size and metafile. */
async function bundle(outfile: string, entry: string | { source: string }, deployed?: DeployedBundle) {
  const options = esbuildOptionsFor(
    typeof entry === 'string' ? entry : 'sdk-only',
    outfile,
    deployed?.kind,
    deployed?.leftOut,
  );
  const { metafile } = await build(
    typeof entry === 'string'
      ? options
      : { ...options, entryPoints: undefined, stdin: { contents: entry.source, resolveDir: REPO_ROOT, loader: 'ts' } },
  );
  return { outfile, kb: statSync(outfile).size / 1024, metafile: metafile! };
}

/** `node -e 'require(bundle)'`, as a bash command line. */
const requireCommand = (outfile: string) =>
  `${quote(process.execPath)} -e ${quote(`require(${JSON.stringify(outfile)})`)}`;

/**
 * Each deployed handler's cold start against a bundle of the SDK clients it constructs and nothing else, both
 * built with the construct's esbuild options: their sizes, and the CPU (user + sys, as the kernel accounts it) of
 * a fresh Node.js that requires each, with the handler's environment (and the sync functions' deployment file),
 * median of BENCH_COLD_RUNS runs (20), the two interleaved (and alternating which goes first) so that a busy
 * machine weighs on both alike.
 */
export async function benchColdStart(): Promise<{ results: ColdStart[]; bareCpuMs: number }> {
  const work = mkdtempSync(join(tmpdir(), 'certwarden-bench-cold-'));
  try {
    const results: ColdStart[] = [];
    const bare: number[] = [];
    for (const deployed of DEPLOYED_BUNDLES) {
      const clients = CLIENTS_OF[deployed.name];
      if (!clients) throw new Error(`test/bench/infra.ts: say which SDK clients ${deployed.name} constructs`);
      const directory = join(work, deployed.name.replace(':', '-'));
      const handler = await bundle(join(directory, 'index.js'), FUNCTION_ENTRIES[deployed.role], deployed);
      const sdkOnly = await bundle(join(directory, 'sdk-only.js'), { source: sdkOnlySource(clients) });
      writeDeployment(directory);
      const env = environmentOf(deployed);
      const commands = { handler: requireCommand(handler.outfile), sdkOnly: requireCommand(sdkOnly.outfile) };
      // Each loads (a handler that threw at load would look fast), and the file cache is warm for both.
      for (const outfile of [handler.outfile, sdkOnly.outfile]) {
        await run(process.execPath, ['-e', `require(${JSON.stringify(outfile)})`], { cwd: directory, env });
      }
      const cpu = { handler: [] as number[], sdkOnly: [] as number[] };
      for (let index = 0; index < RUNS; index++) {
        const order = index % 2 === 0 ? (['handler', 'sdkOnly'] as const) : (['sdkOnly', 'handler'] as const);
        for (const which of order) cpu[which].push((await childCpuSeconds(commands[which], env)) * 1000);
        if (index % 4 === 0) bare.push((await childCpuSeconds(`${quote(process.execPath)} -e 0`, env)) * 1000);
      }
      results.push({
        name: deployed.name,
        clients,
        kb: handler.kb,
        sdkOnlyKb: sdkOnly.kb,
        cpuMs: median(cpu.handler),
        sdkOnlyCpuMs: median(cpu.sdkOnly),
        additions: additionsOver(handler.metafile, sdkOnly.metafile),
      });
    }
    return { results, bareCpuMs: median(bare) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const kb = (value: number) => `${value.toFixed(0)} KB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;
const COLD_TARGET = `≤ ${COLD_RATIO_TARGET}× CPU and ≤ SDK-only + ${SIZE_MARGIN_KB} KB`;

/** The cold-start figures as the bench's rows: one per handler, with what it adds to its SDK-only bundle. */
export function coldStartRows({ results, bareCpuMs }: { results: ColdStart[]; bareCpuMs: number }): BenchRow[] {
  return [
    ...results.map((result) => ({
      figure: `${result.name}: cold start vs its SDK clients alone (${namesOf(result.clients)}), CPU median of ${RUNS}`,
      value:
        `${kb(result.kb)} vs ${kb(result.sdkOnlyKb)} (+${kb(result.kb - result.sdkOnlyKb)}); ` +
        `${ms(result.cpuMs)} vs ${ms(result.sdkOnlyCpuMs)} (${coldRatio(result).toFixed(2)}×); adds ` +
        result.additions
          .slice(0, 4)
          .map((addition) => `${addition.name} ${kb(addition.kb)}`)
          .join(', '),
      target: COLD_TARGET,
      met: coldStartMet(result),
    })),
    { figure: `\`node -e 0\` CPU (median of ${Math.ceil(RUNS / 4) * results.length})`, value: ms(bareCpuMs) },
  ];
}

/** The cold-start figures as a Markdown table (docs/benchmarks.md, "Cold start"). */
export function coldStartTable({ results, bareCpuMs }: { results: ColdStart[]; bareCpuMs: number }): string {
  const lines = [
    '| handler | SDK clients | bundle | SDK-only | CPU | SDK-only CPU | ratio | target met |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...results.map(
      (result) =>
        `| ${result.name} | ${namesOf(result.clients)} | ${kb(result.kb)} | ${kb(result.sdkOnlyKb)} | ` +
        `${ms(result.cpuMs)} | ${ms(result.sdkOnlyCpuMs)} | ${coldRatio(result).toFixed(2)}× | ` +
        `${coldStartMet(result) ? 'yes' : '**no**'} |`,
    ),
  ];
  return `${lines.join('\n')}\n\n\`node -e 0\`: ${ms(bareCpuMs)} CPU.\n`;
}

/**
 * The deployed functions and the CDK app: each handler's cold start against its SDK clients alone
 * ({@link benchColdStart}), then `cdk synth`'s wall time on the test configuration (every deployable source kind;
 * bundling included).
 */
export async function benchInfra(): Promise<BenchRow[]> {
  const rows = coldStartRows(await benchColdStart());
  const work = mkdtempSync(join(tmpdir(), 'certwarden-bench-synth-'));
  try {
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

// Run alone, the cold start only, as a Markdown table and each handler's additions:
// `node lib/cli/bin/run-ts.js test/bench/infra.ts` (run-ts.js is then the main module).
if (require.main === module || module.parent === require.main) {
  void benchColdStart().then((measured) => {
    process.stdout.write(coldStartTable(measured));
    for (const result of measured.results) {
      const additions = result.additions.map((addition) => `${addition.name} ${kb(addition.kb)}`).join(', ');
      process.stdout.write(`\n${result.name} adds: ${additions}\n`);
    }
  });
}
