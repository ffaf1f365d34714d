import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import pLimit from 'p-limit';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { ensureInventoryTable, startEmbeddedDynamoDb } from '../../lib/adapters/embedded-dynamodb';
import { CertwardenConfig, type SourceConfig } from '../../lib/domain/config';
import { FakeAcm, type AcmKeyAlgorithm } from '../support/fakes/acm-server';
import { startFakeAws } from '../support/fakes/aws-json-server';
import { DynamoWireMeter, tagOutgoingRequests, workTag, type DynamoFigures } from './dynamodb-wire-meter';
import { chunksOf, lambdaContext, SQS_BATCH_BYTES, startFakeEventBridge, startFakeSqs } from './local-aws';
import { moveProcessClock } from './moved-clock';
import { HOURS_PER_MONTH, lambdaGbSecondPrice, PRICES } from './prices';

export interface BenchRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

/**
 * Published limits the simulation holds the measured runs to. Sources (read for this bench; docs/benchmarks.md
 * cites them): ACM's API rate quotas per account and region (acm/latest/userguide/acm-limits.html, "API rate
 * quotas"); DynamoDB on-demand initial throughput and per-partition maximum (developerguide on-demand-capacity-mode,
 * knowledge-center on-demand-table-throttling-dynamodb); Lambda's SQS scaling (lambda/latest/dg/services-sqs-
 * scaling.html) and event source maximum concurrency (2 to 1,000); SQS SendMessageBatch payload (sqs-batch-api).
 */
export const QUOTAS = {
  /** ACM requests per second per account × region, by operation. */
  acm: { ListCertificates: 1, DescribeCertificate: 10, GetCertificate: 10, ListTagsForCertificate: 10 },
  /** ACM certificates per account × region (the default quota). */
  acmCertificatesPerScope: 2_500,
  /** A new on-demand table serves up to this at once (write units/s; read units/s 12,000). */
  dynamoInitialWrites: 4_000,
  /**
   * The table and its indexes pre-warmed (config `inventory.warmWriteUnitsPerSecond`, DynamoDB warm throughput):
   * the rate the deployment sets for a first full sync of this size.
   */
  dynamoWarmWrites: 40_000,
  dynamoInitialReads: 12_000,
  /** Per partition (key value), table or index. */
  dynamoPartitionWrites: 1_000,
  dynamoPartitionReads: 3_000,
  /** Lambda's default concurrent executions per account and region. */
  lambdaConcurrency: 1_000,
  /** An SQS event source mapping's maximum concurrency, and how it scales up. */
  sqsEventSourceMaximum: 1_000,
  sqsEventSourceStart: 5,
  sqsEventSourceRampPerMinute: 300,
  /** SendMessageBatch: all messages of one call together. */
  sqsBatchBytes: SQS_BATCH_BYTES,
} as const;

const TARGETS = { fullSyncMinutes: 15, resyncMinutes: 3, readsPerPlace: 1.1 } as const;

/** The estate of issue #11. */
const ACCOUNTS = 500;
const REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'eu-south-1',
  'ap-south-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'me-south-1',
  'af-south-1',
];
const ESTATE_CERTIFICATES = 1_000_000;
const HOME = '111111111111';
const ROLE = { roleName: 'certwarden-reader', externalId: 'certwarden-bench' };
/**
 * Each certificate has a key of its own, as in a real estate (shared keys are the key-reuse rule's bench); EC keys
 * because a fresh RSA key takes ~50 ms to make and the sync's cost does not depend on the key type.
 */
const KEY_MIX: AcmKeyAlgorithm[] = ['EC_prime256v1', 'EC_prime256v1', 'EC_prime256v1', 'EC_secp384r1'];
const TABLE = 'certwarden-fanout';
const HOUR = 3_600_000;

export interface FanoutOptions {
  /** Scopes synced at full fidelity, spread evenly over the estate. */
  sampleScopes: number;
  certificatesPerScope: number;
  /** Also one scope at ACM's per-scope certificate quota: the slowest a scope can be. */
  fullScope: boolean;
  /** Worker invocations in flight at once in this process. */
  workers: number;
}

/** `BENCH_BIG=1`: the recorded run; otherwise a quick one that fits the normal bench. */
export function fanoutOptions(environment = process.env): FanoutOptions {
  const big = environment.BENCH_BIG === '1';
  return {
    sampleScopes: Number(environment.BENCH_FANOUT_SCOPES ?? (big ? 20 : 3)),
    certificatesPerScope: Number(environment.BENCH_FANOUT_CERTIFICATES ?? 100),
    fullScope: big,
    workers: Number(environment.BENCH_FANOUT_WORKERS ?? (big ? 10 : 3)),
  };
}

/** One scope's sync, measured. */
interface ScopeRun {
  scope: string;
  places: number;
  seconds: number;
  acmCalls: Record<string, number>;
  throttled: number;
  dynamo: DynamoFigures;
  events: number;
  failed: boolean;
}

interface Phase {
  name: string;
  offsetHours: number;
  runs: ScopeRun[];
  assumeRoleCalls: number;
}

/**
 * The 1M estate of issue #11 (500 accounts × 20 regions, ~100 certificates per scope) through the deployed code:
 * the real planner handler fans the configured source out into SQS messages (a fake SQS keeps them), and the real
 * sync worker handler syncs a sample of those scopes, `workers` at a time, against the ACM wire fake throttling at
 * ACM's published per-scope rates, into dynalite behind a meter that bills each request as DynamoDB would (index
 * copies included). Each sampled scope is synced first, then resynced unchanged on the real clock and on a clock
 * moved +1 h and +25 h. The 1M wall time and monthly cost are then computed (SIMULATED) from those measurements
 * and the published limits, with the binding limit named.
 */
export async function benchFanout(options: FanoutOptions = fanoutOptions()): Promise<BenchRow[]> {
  tagOutgoingRequests();
  const rows: BenchRow[] = [];
  const acm = await FakeAcm.create(new Date(), { ratePerScope: QUOTAS.acm });
  const aws = await startFakeAws({ services: [acm.service] });
  const dynamo = await startEmbeddedDynamoDb();
  const documents = createDocumentClient({ endpoint: dynamo.endpoint });
  await ensureInventoryTable(documents, TABLE);
  const meter = await new DynamoWireMeter(dynamo.endpoint).start();
  const sqs = await startFakeSqs();
  const eventBridge = await startFakeEventBridge();
  const caller = aws.callerCredentials(HOME);
  const work = mkdtempSync(join(tmpdir(), 'certwarden-fanout-'));
  const deploymentFile = join(work, 'deployment.json');
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: caller.accessKeyId,
    AWS_SECRET_ACCESS_KEY: caller.secretAccessKey,
    AWS_ENDPOINT_URL_ACM: aws.endpoint,
    AWS_ENDPOINT_URL_STS: aws.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: meter.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
    CERTWARDEN_SYNC_QUEUES: JSON.stringify({ 'aws-acm': `${sqs.endpoint}/${HOME}/certwarden-sync-aws-acm` }),
    CERTWARDEN_DEPLOYMENT: deploymentFile,
    CERTWARDEN_TABLE: TABLE,
    CERTWARDEN_EVENT_BUS: 'certwarden',
    CERTWARDEN_SOURCE_KIND: 'aws-acm',
    POWERTOOLS_SERVICE_NAME: 'certwarden-bench',
    POWERTOOLS_METRICS_NAMESPACE: 'CertwardenBench',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_DEV: 'true',
  });
  try {
    const [source] = CertwardenConfig.parse({
      sources: [
        {
          kind: 'aws-acm',
          name: 'org',
          regions: REGIONS,
          accounts: Array.from({ length: ACCOUNTS }, (_, index) => ({ accountId: accountId(index), ...ROLE })),
        },
      ],
    }).sources;
    // The planner's input: the source's name where the planner reads the sources from its deployment file, the
    // whole source where it still takes it from the schedule.
    const { PlanRequest } = load<typeof import('../../functions/shared/sync-request')>(
      '../../functions/shared/sync-request',
    );
    const planInput = PlanRequest.safeParse({ source: source.name }).success ? { source: source.name } : { source };
    writeFileSync(deploymentFile, JSON.stringify({ sources: [source] }));
    const deployed = await deployedSettings(source, planInput);
    rows.push(...deployed.rows);

    // The planner: every scope of the 1M estate becomes a message; the sampled ones are kept to be synced.
    const scopeCount = ACCOUNTS * REGIONS.length;
    const sampled = sampleScopes(options.sampleScopes, scopeCount);
    const fullScope = options.fullScope ? scopeId(Math.floor(scopeCount / 2) + 1) : undefined;
    const { handler: planner } = load<typeof import('../../functions/sync-planner/handler')>(
      '../../functions/sync-planner/handler',
    );
    const planned = process.hrtime.bigint();
    const plan = (await planner(planInput, lambdaContext(functionArn('planner'), 'planner'))) as { messages: number };
    const plannerSeconds = seconds(planned);
    const wanted = new Set([...sampled, ...(fullScope ? [fullScope] : [])]);
    const kept = new Map<string, string>();
    for (const body of sqs.take(`${sqs.endpoint}/${HOME}/certwarden-sync-aws-acm`)) {
      const { scope } = JSON.parse(body) as { scope: string };
      if (wanted.has(scope)) kept.set(scope, body);
    }
    messageBytes = sqs.largestMessage;
    rows.push({
      figure: `planner: ${ACCOUNTS} accounts × ${REGIONS.length} regions → SQS messages, wall time`,
      value:
        `${plan.messages} messages in ${sqs.batches} SendMessageBatch calls, ${plannerSeconds.toFixed(1)} s ` +
        `(fake SQS in process); each message ${kb(sqs.largestMessage)} ` +
        `largest batch ${kb(sqs.largestBatch)} of SQS's ${kb(QUOTAS.sqsBatchBytes)}`,
      target: `${scopeCount} messages`,
      met: plan.messages === scopeCount,
    });

    // ACM holds ~100 certificates in each sampled scope (and 2,500 in the full one); the others are never listed.
    for (const scope of sampled) fill(acm, scope, options.certificatesPerScope);
    if (fullScope) fill(acm, fullScope, QUOTAS.acmCertificatesPerScope);
    for (const scope of [...sampled, ...(fullScope ? [fullScope] : [])]) {
      aws.grantRole({ accountId: scope.split('/')[0], ...ROLE });
    }
    const { handler: worker } = load<typeof import('../../functions/sync-worker/handler')>(
      '../../functions/sync-worker/handler',
    );
    const startHours = hoursBeforeUtcDayEnds(Date.now()) < 2 ? -3 : 0;
    const runPhase = async (name: string, offsetHours: number, scopes: string[]): Promise<Phase> => {
      const restore = moveProcessClock((startHours + offsetHours) * HOUR);
      meter.reset();
      eventBridge.reset();
      const stsBefore = aws.calls.get('AssumeRole') ?? 0;
      const limit = pLimit(options.workers);
      try {
        const runs = await Promise.all(
          scopes.map((scope) =>
            limit(async () => {
              const callsBefore = snapshot(acm.scopeCalls.get(scope));
              const throttledBefore = total(snapshot(acm.scopeThrottles.get(scope)));
              const started = process.hrtime.bigint();
              const response = await workTag.run(scope, () =>
                worker(sqsEvent(kept.get(scope)!), lambdaContext(functionArn('worker'), `worker ${scope}`)),
              );
              return {
                scope,
                places: acm.all().filter((certificate) => scopeOf(certificate) === scope).length,
                seconds: seconds(started),
                acmCalls: difference(snapshot(acm.scopeCalls.get(scope)), callsBefore),
                throttled: total(snapshot(acm.scopeThrottles.get(scope))) - throttledBefore,
                dynamo: meter.of(scope),
                events: eventBridge.countOf(scope),
                failed: (response as { batchItemFailures: unknown[] }).batchItemFailures.length > 0,
              };
            }),
          ),
        );
        return { name, offsetHours, runs, assumeRoleCalls: (aws.calls.get('AssumeRole') ?? 0) - stsBefore };
      } finally {
        restore();
      }
    };

    const phases: Phase[] = [];
    for (const [name, offsetHours] of [
      ['first sync', 0],
      ['unchanged resync', 0],
      ['unchanged resync, clock +1 h', 1],
      ['unchanged resync, clock +25 h', 25],
    ] as const) {
      process.stderr.write(`  fanout: ${name} of ${sampled.length} scopes…\n`);
      const phase = await runPhase(name, offsetHours, sampled);
      phases.push(phase);
      rows.push(...measuredRows(phase, options));
    }
    const storage = storagePerPlace(meter, sampled, phases[0]);
    const full: Phase[] = [];
    if (fullScope) {
      for (const [name, offsetHours] of [
        ['first sync', 0],
        ['unchanged resync, clock +1 h', 1],
      ] as const) {
        process.stderr.write(`  fanout: ${name} of the ${QUOTAS.acmCertificatesPerScope}-certificate scope…\n`);
        const phase = await runPhase(`${name} (${QUOTAS.acmCertificatesPerScope}-certificate scope)`, offsetHours, [
          fullScope,
        ]);
        full.push(phase);
        rows.push(...measuredRows(phase, options));
      }
    }
    rows.push(...simulatedRows({ phases, full, plannerSeconds, deployed, storage }));
    return rows;
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    documents.destroy();
    await meter.close();
    await sqs.close();
    await eventBridge.close();
    await aws.close();
    await dynamo.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Hours left in the UTC day of `at`. The fan-out starts 3 hours earlier when fewer than 2 are left, so that its
 * "+1 h" resync (the hourly case, 23 hours of 24) stays in the first sync's day: one that crosses midnight is the
 * daily full policy evaluation, which the "+25 h" run measures (two runs at 23:00 UTC read 489 and 501 items a
 * 100-place scope at "+1 h" for that reason, 101 otherwise).
 */
const hoursBeforeUtcDayEnds = (at: number) => 24 - (at % (24 * HOUR)) / HOUR;

const accountId = (index: number) => String(200_000_000_000 + index);
/** Scopes in the planner's order: accounts × regions. */
const scopeId = (index: number) =>
  `${accountId(Math.floor(index / REGIONS.length))}/${REGIONS[index % REGIONS.length]}`;
const scopeOf = (certificate: { accountId: string; region: string }) =>
  `${certificate.accountId}/${certificate.region}`;

/** `count` scopes spread evenly over the estate, so that accounts and regions both vary. */
function sampleScopes(count: number, scopeCount: number): string[] {
  const step = scopeCount / count;
  return Array.from({ length: count }, (_, k) => scopeId(Math.floor(k * step + (k % REGIONS.length))));
}

function fill(acm: FakeAcm, scope: string, count: number): void {
  const [account, region] = scope.split('/');
  for (let index = 0; index < count; index++) {
    acm.add({
      accountId: account,
      region,
      domainName: `host-${index}.${region}.${account}.example.com`,
      keyAlgorithm: KEY_MIX[index % KEY_MIX.length],
      inUseBy:
        index % 3 === 0 ? [`arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/lb-${index}/1`] : [],
      tags: { owner: `team-${index % 20}` },
      daysLeft: 30 + (index % 300),
      ownKey: true,
    });
  }
}

/**
 * Loads a module when the section runs, not when the bench starts: the handlers read their environment at load,
 * and the CDK is slow to load. require() because the bench runs as CommonJS (tsx/cjs), where import() would not
 * compile TypeScript.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(path: string): T => require(path) as T;

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const snapshot = (counts: Map<string, number> | undefined) => Object.fromEntries(counts ?? []);
const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);
const difference = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([key, value]) => [key, value - (before[key] ?? 0)] as const)
      .filter(([, value]) => value > 0),
  );
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const callList = (calls: Record<string, number>) =>
  Object.entries(calls)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, n]) => `${operation} ${n}`)
    .join(', ') || 'none';
const minutes = (value: number) => (value < 120 ? `${value.toFixed(0)} s` : `${(value / 60).toFixed(1)} min`);
const money = (value: number) => `$${value < 10 ? value.toFixed(2) : Math.round(value).toLocaleString('en-US')}`;

/** A Lambda function of the bench's home account, by name. */
const functionArn = (name: string) => `arn:aws:lambda:us-east-1:${HOME}:function:${name}`;

function sqsEvent(body: string): SQSEvent {
  return {
    Records: [
      { messageId: createHash('sha1').update(body).digest('hex'), body, eventSource: 'aws:sqs', attributes: {} },
    ],
  } as unknown as SQSEvent;
}

/** Per-scope means of a phase, and what the targets ask of every scope. */
function measuredRows(phase: Phase, options: FanoutOptions): BenchRow[] {
  const { runs, name } = phase;
  const label = `${name}, per scope (mean of ${runs.length}, ${options.workers} workers at once)`;
  const calls: Record<string, number> = {};
  for (const run of runs)
    for (const [operation, n] of Object.entries(run.acmCalls)) calls[operation] = (calls[operation] ?? 0) + n;
  const perScope = Object.fromEntries(Object.entries(calls).map(([operation, n]) => [operation, n / runs.length]));
  const writes = runs.map((run) => run.dynamo.writeRequests);
  const readRatio = Math.max(...runs.map((run) => run.dynamo.itemsRead / Math.max(1, run.places)));
  const resync = name.startsWith('unchanged');
  const rows: BenchRow[] = [
    {
      figure: `${label}: places, wall time (max), ACM calls, throttled`,
      value:
        `${mean(runs.map((run) => run.places)).toFixed(0)} places, ${mean(runs.map((run) => run.seconds)).toFixed(1)} s ` +
        `(max ${Math.max(...runs.map((run) => run.seconds)).toFixed(1)} s); ` +
        `${callList(Object.fromEntries(Object.entries(perScope).map(([k, v]) => [k, Number(v.toFixed(1))])))}; ` +
        `${mean(runs.map((run) => run.throttled)).toFixed(1)} throttled; AssumeRole ${phase.assumeRoleCalls} in all`,
      ...(runs.some((run) => run.failed) ? { target: 'no failed scope', met: false } : {}),
    },
    {
      figure: `${label}: DynamoDB write requests, write units (table + index copies = total; dynalite's own table count)`,
      value:
        `${mean(writes).toFixed(1)} requests; ${mean(runs.map((run) => run.dynamo.tableWriteUnits)).toFixed(1)} + ` +
        `${mean(runs.map((run) => run.dynamo.indexWriteUnits)).toFixed(1)} (${mean(runs.map((run) => run.dynamo.indexCopies)).toFixed(1)} index entries) = ` +
        `${mean(runs.map((run) => run.dynamo.tableWriteUnits + run.dynamo.indexWriteUnits)).toFixed(1)} WRU ` +
        `(${mean(runs.map((run) => run.dynamo.reportedWriteUnits)).toFixed(1)}); events ${mean(runs.map((run) => run.events)).toFixed(1)}`,
      ...(resync ? { target: '0 writes in every scope', met: writes.every((n) => n === 0) } : {}),
    },
    ...(resync && writes.some((n) => n > 0) ? [writtenPartitions(runs, label)] : []),
    {
      figure: `${label}: DynamoDB read units, items read / places (worst scope)`,
      value:
        `${mean(runs.map((run) => run.dynamo.readUnits)).toFixed(1)} RRU; ` +
        `${mean(runs.map((run) => run.dynamo.itemsRead)).toFixed(0)} items read ` +
        `(${mean(runs.map((run) => run.dynamo.itemsQueried)).toFixed(0)} by queries, the rest by gets), ${readRatio.toFixed(2)}× places; ` +
        `requests ${callList(
          mergeCounts(
            runs.map((run) => run.dynamo.requests),
            runs.length,
          ),
        )}`,
      ...(resync ? { target: `≤ ${TARGETS.readsPerPlace}×`, met: readRatio <= TARGETS.readsPerPlace } : {}),
    },
  ];
  return rows;
}

/** Where an unchanged resync wrote: the partitions (table or index, key value) and their write units, all scopes. */
function writtenPartitions(runs: ScopeRun[], label: string): BenchRow {
  const units = new Map<string, number>();
  for (const run of runs) {
    for (const [partition, n] of run.dynamo.partitionUnits) units.set(partition, (units.get(partition) ?? 0) + n);
  }
  const top = [...units]
    .sort(([, a], [, b]) => b - a)
    .slice(0, 6)
    .map(([partition, n]) => `${partition}: ${n}`)
    .join(', ');
  return { figure: `${label}: what it wrote (partition: write units, all sampled scopes)`, value: top };
}

function mergeCounts(counts: Array<Record<string, number>>, divisor: number): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const count of counts) for (const [key, n] of Object.entries(count)) merged[key] = (merged[key] ?? 0) + n;
  return Object.fromEntries(Object.entries(merged).map(([key, n]) => [key, Number((n / divisor).toFixed(1))]));
}

/** Bytes a place keeps in the table and its indexes, from the items the first sync left (index entries included). */
function storagePerPlace(meter: DynamoWireMeter, scopes: string[], first: Phase): number {
  const wanted = new Set(scopes);
  let bytes = 0;
  for (const item of meter.stored.values()) if (wanted.has(item.tag)) bytes += item.bytes + item.indexBytes;
  return bytes / Math.max(1, total(Object.fromEntries(first.runs.map((run) => [run.scope, run.places]))));
}

interface Deployed {
  rows: BenchRow[];
  /** The ACM sync worker's event source maximum concurrency, as the construct deploys it by default. */
  maxConcurrency?: number;
  memoryMb?: number;
  /** `arm64` or `x86_64`: what Lambda's duration costs. */
  architecture?: string;
}

/**
 * What the construct deploys for this source: whether EventBridge Scheduler's input can carry it (the planner's
 * input), and the sync worker's default concurrency and memory, read from the synthesized template so that a
 * change of those defaults reaches the simulation.
 */
async function deployedSettings(source: SourceConfig, planInput: object): Promise<Deployed> {
  const { App, Stack } = load<typeof import('aws-cdk-lib')>('aws-cdk-lib');
  const { Template } = load<typeof import('aws-cdk-lib/assertions')>('aws-cdk-lib/assertions');
  const { CertificateInventory } = load<typeof import('../../infra')>('../../infra');
  const synthesize = (sources: SourceConfig[]) => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Fanout');
    new CertificateInventory(stack, 'Inventory', { sources });
    return Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties: never }> };
  };
  const rows: BenchRow[] = [];
  const characters = JSON.stringify(planInput).length;
  let template;
  try {
    template = synthesize([source]);
    rows.push({
      figure: `scheduler → planner input for ${ACCOUNTS} accounts × ${REGIONS.length} regions`,
      value: `${characters} characters: the construct deploys it`,
      target: 'deployable',
      met: true,
    });
  } catch (error) {
    rows.push({
      figure: `scheduler → planner input for ${ACCOUNTS} accounts × ${REGIONS.length} regions`,
      value: `${characters} characters: the construct refuses it (${
        String((error as Error).message)
          .split('\n')
          .find((line) => line.includes('characters')) ?? (error as Error).message
      }); the planner handler itself was fed the whole source`,
      target: 'deployable',
      met: false,
    });
    template = synthesize([source.kind === 'aws-acm' ? { ...source, accounts: source.accounts?.slice(0, 1) } : source]);
  }
  const resources = Object.entries(template.Resources);
  const worker = resources.find(
    ([, resource]) =>
      resource.Type === 'AWS::Lambda::Function' &&
      (resource.Properties as { Environment?: { Variables?: Record<string, string> } }).Environment?.Variables
        ?.CERTWARDEN_SOURCE_KIND === 'aws-acm',
  );
  const mapping = resources.find(
    ([, resource]) =>
      resource.Type === 'AWS::Lambda::EventSourceMapping' &&
      JSON.stringify((resource.Properties as { FunctionName: unknown }).FunctionName).includes(worker?.[0] ?? '?'),
  );
  const maxConcurrency = (mapping?.[1].Properties as { ScalingConfig?: { MaximumConcurrency?: number } } | undefined)
    ?.ScalingConfig?.MaximumConcurrency;
  const properties = worker?.[1].Properties as { MemorySize?: number; Architectures?: string[] } | undefined;
  const memoryMb = properties?.MemorySize;
  rows.push({
    figure: 'ACM sync worker as deployed by default: SQS event source maximum concurrency, memory',
    value: `${maxConcurrency ?? 'unset (up to 1,000)'} workers, ${memoryMb ?? '?'} MB`,
  });
  return { rows, maxConcurrency, memoryMb, architecture: properties?.Architectures?.[0] };
}

interface SimulationInput {
  phases: Phase[];
  full: Phase[];
  plannerSeconds: number;
  deployed: Deployed;
  storage: number;
}

/** One phase scaled to the estate: totals at 1M and what bounds its wall time. */
interface Scaled {
  scopes: number;
  meanSeconds: number;
  /** The slowest scope can be no faster than this (its own ACM calls at the per-scope rates). */
  floorSeconds: number;
  writeUnits: number;
  /** Write units at 1M of the busiest of the table and its indexes (each scales on demand on its own), and its name. */
  busiest: { name: string; units: number };
  readUnits: number;
  /** Write units of the hottest partition at 1M, and its name. */
  hotPartition: { name: string; units: number };
  invocations: number;
  events: number;
}

function scale(phase: Phase, full: Phase | undefined): Scaled {
  const runs = phase.runs;
  const scopes = ACCOUNTS * REGIONS.length;
  const factor = scopes / runs.length;
  // A partition two sampled scopes both wrote is shared by the estate: its load grows with the scopes. One written
  // by a single scope is that scope's own and keeps its size.
  const writers = new Map<string, { units: number; scopes: number }>();
  for (const run of runs) {
    for (const [partition, units] of run.dynamo.partitionUnits) {
      const entry = writers.get(partition) ?? { units: 0, scopes: 0 };
      entry.units += units;
      entry.scopes++;
      writers.set(partition, entry);
    }
  }
  const byTarget = new Map<string, number>();
  for (const [partition, { units }] of writers) {
    const target = partition.split(' ')[0];
    byTarget.set(target, (byTarget.get(target) ?? 0) + units * factor);
  }
  const [busiestName, busiestUnits] = [...byTarget].reduce((a, b) => (b[1] > a[1] ? b : a), ['none', 0]);
  let hotPartition = { name: 'none', units: 0 };
  for (const [name, { units, scopes: count }] of writers) {
    const atEstate = count > 1 ? units * factor : units;
    if (atEstate > hotPartition.units) hotPartition = { name, units: atEstate };
  }
  const sum = (value: (run: ScopeRun) => number) => runs.reduce((acc, run) => acc + value(run), 0) * factor;
  // A scope's ACM calls at the published rates: the fastest its sync can be, whatever the workers.
  const floorOf = (run: ScopeRun) =>
    Math.max(
      ...Object.entries(run.acmCalls).map(
        ([operation, n]) => n / (QUOTAS.acm[operation as keyof typeof QUOTAS.acm] ?? Infinity),
      ),
      0,
    );
  const largest = full?.runs[0];
  return {
    scopes,
    meanSeconds: mean(runs.map((run) => run.seconds)),
    floorSeconds: largest ? Math.max(largest.seconds, floorOf(largest)) : Math.max(...runs.map(floorOf)),
    writeUnits: sum((run) => run.dynamo.tableWriteUnits + run.dynamo.indexWriteUnits),
    busiest: { name: busiestName, units: busiestUnits },
    readUnits: sum((run) => run.dynamo.readUnits),
    hotPartition,
    invocations: scopes,
    events: sum((run) => run.events),
  };
}

/**
 * Wall time of `scopes` scope syncs of `meanSeconds` each through an SQS event source capped at `workers`, which
 * starts at 5 concurrent invocations and adds 300 a minute (Lambda's documented SQS scaling).
 */
function fanOutSeconds(scopes: number, meanSeconds: number, workers: number): number {
  let done = 0;
  let elapsed = 0;
  while (done < scopes) {
    const concurrency = Math.min(
      workers,
      QUOTAS.lambdaConcurrency,
      QUOTAS.sqsEventSourceStart + (QUOTAS.sqsEventSourceRampPerMinute * elapsed) / 60,
    );
    done += concurrency / meanSeconds;
    elapsed++;
  }
  return elapsed;
}

interface Bound {
  name: string;
  seconds: number;
}

/** The table a run writes to: new (on-demand ramp), new and warmed, or one that has served such peaks before. */
type TableState = 'new' | 'warm' | 'existing';

function wallTime(scaled: Scaled, workers: number, plannerSeconds: number, table: TableState): Bound[] {
  return [
    {
      name: `workers (${workers} at once)`,
      seconds: plannerSeconds + fanOutSeconds(scaled.scopes, scaled.meanSeconds, workers),
    },
    { name: 'slowest scope at ACM rates', seconds: scaled.floorSeconds },
    table === 'warm'
      ? {
          name: `warmed ${scaled.busiest.name} (${QUOTAS.dynamoWarmWrites.toLocaleString('en')} WRU/s)`,
          seconds: scaled.busiest.units / QUOTAS.dynamoWarmWrites,
        }
      : {
          name: `new on-demand ${scaled.busiest.name} (4,000 WRU/s, doubling each 30 min)`,
          seconds: table === 'new' ? onDemandSeconds(scaled.busiest.units, QUOTAS.dynamoInitialWrites) : 0,
        },
    { name: 'on-demand reads (12,000 RRU/s)', seconds: scaled.readUnits / QUOTAS.dynamoInitialReads },
    {
      name: `hot partition ${scaled.hotPartition.name} (1,000 WRU/s)`,
      seconds: scaled.hotPartition.units / QUOTAS.dynamoPartitionWrites,
    },
  ];
}

/**
 * Seconds to consume `units` on a new on-demand table or index: it serves `initial` units/s at once and, kept busy,
 * twice its previous peak after each 30 minutes (DynamoDB's documented ramp); a warmed table skips it.
 */
function onDemandSeconds(units: number, initial: number): number {
  let left = units;
  let elapsed = 0;
  while (left > 0) {
    const rate = initial * 2 ** Math.floor(elapsed / 1800);
    const step = Math.min(1800 - (elapsed % 1800), left / rate);
    left -= rate * step;
    elapsed += step;
  }
  return elapsed;
}

const binding = (bounds: Bound[]) => bounds.reduce((worst, bound) => (bound.seconds > worst.seconds ? bound : worst));
const describeBounds = (bounds: Bound[]) =>
  bounds
    .filter((bound) => bound.seconds > 0)
    .map((bound) => `${bound.name} ${minutes(bound.seconds)}`)
    .join('; ');

/** Fewest workers that meet `targetSeconds`, if any up to the event source maximum does. */
function workersFor(
  scaled: Scaled,
  targetSeconds: number,
  plannerSeconds: number,
  table: TableState,
): number | undefined {
  for (let workers = 2; workers <= QUOTAS.sqsEventSourceMaximum; workers += workers < 100 ? 1 : 10) {
    if (binding(wallTime(scaled, workers, plannerSeconds, table)).seconds <= targetSeconds) return workers;
  }
  return undefined;
}

function simulatedRows({ phases, full, plannerSeconds, deployed, storage }: SimulationInput): BenchRow[] {
  const [first, , hourLater, dayLater] = phases;
  const rows: BenchRow[] = [];
  const configured = deployed.maxConcurrency ?? QUOTAS.sqsEventSourceMaximum;
  const cases = [
    { label: 'full sync', phase: first, full: full[0], target: TARGETS.fullSyncMinutes * 60, table: 'new' as const },
    {
      label: 'full sync into a warmed table',
      phase: first,
      full: full[0],
      target: TARGETS.fullSyncMinutes * 60,
      table: 'warm' as const,
    },
    {
      label: 'unchanged hourly resync (the +1 h run)',
      phase: hourLater,
      full: full[1],
      target: TARGETS.resyncMinutes * 60,
      table: 'existing' as const,
    },
    {
      label: 'unchanged resync after a day (the +25 h run)',
      phase: dayLater,
      full: undefined,
      target: TARGETS.resyncMinutes * 60,
      table: 'existing' as const,
    },
  ];
  for (const { label, phase, full: largest, target, table } of cases) {
    const scaled = scale(phase, largest);
    const inputs =
      `measured: ${scaled.meanSeconds.toFixed(1)} s per scope, ${(scaled.writeUnits / scaled.scopes).toFixed(1)} WRU and ` +
      `${(scaled.readUnits / scaled.scopes).toFixed(1)} RRU per scope, slowest scope ${minutes(scaled.floorSeconds)}` +
      `${largest ? ` (the ${QUOTAS.acmCertificatesPerScope}-certificate scope)` : ' (calls ÷ ACM rates)'}; ` +
      `planner ${plannerSeconds.toFixed(1)} s`;
    for (const workers of [...new Set([configured, QUOTAS.sqsEventSourceMaximum])]) {
      const bounds = wallTime(scaled, workers, plannerSeconds, table);
      const worst = binding(bounds);
      rows.push({
        figure: `SIMULATED 1M ${label}: wall time with ${workers} workers${workers === configured ? ' (the deployed default)' : ''}`,
        value: `${minutes(worst.seconds)}, bound by ${worst.name} [${describeBounds(bounds)}]; ${inputs}`,
        target: `≤ ${target / 60} min`,
        met: worst.seconds <= target,
      });
    }
    const needed = workersFor(scaled, target, plannerSeconds, table);
    rows.push({
      figure: `SIMULATED 1M ${label}: workers needed for ≤ ${target / 60} min`,
      value: needed
        ? String(needed)
        : `none up to ${QUOTAS.sqsEventSourceMaximum} (bound by ${binding(wallTime(scaled, QUOTAS.sqsEventSourceMaximum, plannerSeconds, table)).name})`,
    });
  }

  // Cost: one unchanged hourly resync (+1 h) per hour, at the deployed memory size.
  const hourly = scale(hourLater, undefined);
  const memoryGb = (deployed.memoryMb ?? 1024) / 1024;
  const gbSecond = lambdaGbSecondPrice(deployed.architecture);
  const perHour = {
    dynamo: hourly.writeUnits * PRICES.dynamoWriteUnit + hourly.readUnits * PRICES.dynamoReadUnit,
    lambda: hourly.invocations * (hourly.meanSeconds * memoryGb * gbSecond + PRICES.lambdaRequest),
    // Per message: a tenth of a SendMessageBatch, one receive and one delete (batch size 1), each per 64 KB chunk.
    sqs: hourly.scopes * 2.1 * chunksOf(messageBytes) * PRICES.sqsRequest,
    events: hourly.events * PRICES.eventBridgeEvent,
  };
  const storageGb = (storage * ESTATE_CERTIFICATES) / 1024 ** 3;
  const monthly = (value: number) => value * HOURS_PER_MONTH;
  const month =
    monthly(perHour.dynamo) +
    monthly(perHour.lambda) +
    monthly(perHour.sqs) +
    monthly(perHour.events) +
    storageGb * PRICES.dynamoStorageGbMonth;
  rows.push({
    figure: 'SIMULATED 1M monthly cost, hourly sync (730 unchanged +1 h resyncs), us-east-1 on-demand',
    value:
      `${money(month)}: DynamoDB requests ${money(monthly(perHour.dynamo))}, storage ${money(storageGb * PRICES.dynamoStorageGbMonth)} ` +
      `(${storageGb.toFixed(1)} GB, ${(storage / 1024).toFixed(1)} KB a place with its index entries), Lambda ${money(monthly(perHour.lambda))} ` +
      `(${hourly.meanSeconds.toFixed(2)} s × ${memoryGb} GB × ${hourly.invocations} scopes an hour), SQS ${money(monthly(perHour.sqs))}, ` +
      `EventBridge ${money(monthly(perHour.events))}; ACM and STS calls free; logs and X-Ray not counted`,
  });
  const once = scale(first, undefined);
  rows.push({
    figure: 'SIMULATED 1M first full sync, one-off cost',
    value:
      `${money(once.writeUnits * PRICES.dynamoWriteUnit + once.readUnits * PRICES.dynamoReadUnit)} DynamoDB ` +
      `(${(once.writeUnits / 1e6).toFixed(1)} M WRU), ${money(once.invocations * once.meanSeconds * memoryGb * gbSecond)} Lambda, ` +
      `${money(once.events * PRICES.eventBridgeEvent)} EventBridge (${(once.events / 1e6).toFixed(2)} M events)`,
  });
  return rows;
}

/** Size of the planner's largest message, set by the run (a source's config travels in every message). */
let messageBytes = 0;

// Run alone: `node lib/cli/bin/run-ts.js test/bench/fanout.ts` (BENCH_BIG=1 for the recorded run).
if (require.main === module || module.parent === require.main) {
  void benchFanout().then((rows) => {
    for (const row of rows) {
      process.stdout.write(
        `${row.figure}: ${row.value}${row.target ? ` (target ${row.target}: ${row.met ? 'met' : 'MISSED'})` : ''}\n`,
      );
    }
    process.exit(0);
  });
}
