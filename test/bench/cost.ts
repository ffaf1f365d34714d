import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { CertwardenConfig } from '../../lib/domain/config';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { ensureInventoryTable } from '../../lib/adapters/embedded-dynamodb';
import { PUBLISHED_RATES } from '../../lib/connectors/rate-limiter';
import { esbuildOptionsFor, FUNCTION_ENTRIES } from '../../infra/function-bundling';
import { CertificateMill, FakeAcm, type AcmKeyAlgorithm } from '../support/fakes/acm-server';
import { startFakeAws } from '../support/fakes/aws-json-server';
import { handlerEnvironment } from '../support/handler-environment';
import {
  StackRun,
  shapeOf,
  type InvocationRecord,
  type StackShape,
  type StepFigures,
  type TemplateJson,
} from './deployed-stack';
import type { DynamoFigures } from './dynamodb-wire-meter';
import { moveProcessClock } from './moved-clock';
import { HOURS_PER_MONTH, PRICES, PRICES_DATE, lambdaGbSecondPrice } from './prices';

export interface BenchRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

/** Issue #12's target: all-in monthly cost of the scenario. */
export const BUDGET_PER_MONTH = 3;
/** The scenario: one ACM source synced hourly (2 accounts × 8 regions), one alert email, every other default. */
export const SCENARIO_CONFIG = join(__dirname, 'cost-scenario.config.json');
/** Every option on (the stack tests' configuration): its fixed costs show what each opt-in adds. */
const FIXTURE_CONFIG = join(__dirname, '../infra/fixtures/certwarden.config.json');
/** The scenario's size; a run at another size scales what grows with certificates (DynamoDB, events, alerts). */
export const SCENARIO_CERTIFICATES = 10_000;

const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The steady day measured after the first sync: its 24 hourly steps × 730/24 make the month. */
const STEPS_PER_DAY = 24;
const MONTH_PER_DAY = HOURS_PER_MONTH / STEPS_PER_DAY;
const KEY_MIX: AcmKeyAlgorithm[] = ['EC_prime256v1', 'EC_prime256v1', 'EC_prime256v1', 'EC_secp384r1'];
/**
 * A public TLS certificate lives at most 200 days since March 2026 (CA/Browser Forum SC-081, the recommended
 * policy's max-validity); ACM's live 198 days and ACM renews those in use 60 days before the end. The estate is in
 * use, 198-day certificates of every age up to that renewal (10 to 138 days old, spread evenly to the quarter
 * hour), so that each hour about 1/3,072 of it crosses the lifetime-third alert (66 days left) and as many are
 * renewed.
 */
const LIFETIME_DAYS = 198;
const RENEWAL_DAYS = 60;
const daysOldOf = (index: number) => 10 + ((index * 7919) % 12_800) / 100;

/** Lambda's CPU share grows with memory up to one vCPU at 1,769 MB (Lambda's memory and computing power docs). */
const ONE_VCPU_MB = 1769;
/**
 * An in-region AWS API round trip (DynamoDB, EventBridge), counted one after another: an upper bound, as the code
 * batches and overlaps its requests.
 */
const AWS_REQUEST_MS = 10;
/** ACM's default quota of certificates per account and region: the largest scope a worker syncs by default. */
const LARGEST_SCOPE = 2_500;
const RUN_TS = join(__dirname, '../../lib/cli/bin/run-ts.js');

/** A poller of an SQS event source long-polls 20 s: three ReceiveMessage a minute while the queue is empty. */
const IDLE_RECEIVES_PER_POLLER_MINUTE = 3;
/** Lambda keeps 5 pollers on a queue whose mapping has a maximum concurrency, otherwise as few as 2. */
const idlePollers = (maxConcurrency: number | undefined) => (maxConcurrency === undefined ? 2 : 5);

export interface LineItem {
  item: string;
  quantity: number;
  unit: string;
  price: number;
  monthly: number;
  /** Where the quantity comes from: the synthesized template, a measurement of the month, or a stated model. */
  basis: 'template' | 'measured' | 'model';
}

const item = (name: string, quantity: number, unit: string, price: number, basis: LineItem['basis']): LineItem => ({
  item: name,
  quantity,
  unit,
  price,
  monthly: quantity * price,
  basis,
});

interface Synthesized {
  template: TemplateJson;
  config: CertwardenConfig;
  deploymentFile: string;
}

/** The deployed app's stack from a config file, synthesized offline without bundling (what `cdk synth` reads). */
export function synthesize(configPath: string): Synthesized {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { App } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Template } = require('aws-cdk-lib/assertions') as typeof import('aws-cdk-lib/assertions');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CertwardenStack } = require('../../infra/certwarden-stack') as typeof import('../../infra/certwarden-stack');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadConfig } = require('../../lib/adapters/config-file') as typeof import('../../lib/adapters/config-file');
  const { config } = loadConfig(configPath);
  const stack = new CertwardenStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Certwarden', { config });
  return {
    template: Template.fromStack(stack).toJSON() as TemplateJson,
    config,
    deploymentFile: stack.inventory.deploymentFile,
  };
}

const resourcesOf = (template: TemplateJson, type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

/** Secrets the deployment needs: the ones it creates (an EventBridge connection makes one) and the ones it reads. */
function secretsOf(template: TemplateJson, config: CertwardenConfig): number {
  const created =
    resourcesOf(template, 'AWS::SecretsManager::Secret').length +
    resourcesOf(template, 'AWS::Events::Connection').length;
  const read = new Set<string>();
  for (const source of config.sources) {
    const credentials = (source as { credentials?: { secretArn?: string } }).credentials;
    if (credentials?.secretArn) read.add(credentials.secretArn);
  }
  if (config.alerts.slack) read.add(config.alerts.slack.webhookSecretArn);
  if (config.alerts.siem) read.add(config.alerts.siem.auth.secretArn);
  return created + read.size;
}

/**
 * What the template costs whatever it does: keys, dashboards, alarms (each metric of a metric-math alarm priced
 * as an alarm metric, below a minute as high resolution), the idle polling of each SQS event source, secrets.
 */
export function fixedItems(template: TemplateJson, config: CertwardenConfig, shape = shapeOf(template)): LineItem[] {
  let standard = 0;
  let highResolution = 0;
  for (const [, { Properties: p = {} }] of resourcesOf(template, 'AWS::CloudWatch::Alarm')) {
    const metrics = (p.Metrics as Array<{ MetricStat?: { Period?: number } }> | undefined) ?? [
      { MetricStat: { Period: p.Period as number } },
    ];
    for (const metric of metrics) {
      if (!metric.MetricStat) continue;
      if ((metric.MetricStat.Period ?? 60) < 60) highResolution++;
      else standard++;
    }
  }
  const idleReceives = shape.mappings.reduce(
    (sum, mapping) =>
      sum + idlePollers(mapping.maxConcurrency) * IDLE_RECEIVES_PER_POLLER_MINUTE * 60 * HOURS_PER_MONTH,
    0,
  );
  const keys = resourcesOf(template, 'AWS::KMS::Key');
  return [
    item(`KMS keys (${keys.length})`, keys.length, 'key-month', PRICES.kmsKeyMonth, 'template'),
    item(
      'CloudWatch dashboards',
      resourcesOf(template, 'AWS::CloudWatch::Dashboard').length,
      'dashboard-month',
      PRICES.dashboardMonth,
      'template',
    ),
    item(
      'CloudWatch alarms, standard resolution',
      standard,
      'alarm metric-month',
      PRICES.standardAlarmMetricMonth,
      'template',
    ),
    item(
      'CloudWatch alarms, high resolution',
      highResolution,
      'alarm metric-month',
      PRICES.highResolutionAlarmMetricMonth,
      'template',
    ),
    item(
      'CloudWatch composite alarms',
      resourcesOf(template, 'AWS::CloudWatch::CompositeAlarm').length,
      'alarm-month',
      PRICES.compositeAlarmMonth,
      'template',
    ),
    item(
      `SQS idle polling: ${shape.mappings.length} event sources (${shape.mappings.filter((m) => m.maxConcurrency !== undefined).length} with a maximum concurrency: 5 pollers, else 2), 3 long polls a minute each`,
      idleReceives,
      'request',
      PRICES.sqsRequest,
      'model',
    ),
    item(
      'Secrets Manager secrets (created or read)',
      secretsOf(template, config),
      'secret-month',
      PRICES.secretMonth,
      'template',
    ),
  ].filter((line) => line.quantity > 0);
}

/** The measured day (24 hourly steps after the first sync) and the first sync itself. */
interface Measured {
  firstSync: StepFigures;
  day: StepFigures[];
  /** ACM's published rates make each scope's calls of a step take at least this long, by step. */
  pacing: Array<Map<string, number>>;
  initMs: Map<string, number>;
  storageBytes: number;
  seconds: number;
  count: number;
}

/**
 * The scenario's month on the ACM wire fake: `count` certificates over the source's scopes, the deployed handlers
 * run from the template (deployed-stack.ts), first a full sync (step 0, with everything its events start), then 24
 * hourly steps of whatever the schedules fire (the syncs, the inventory metrics, the daily evaluation and everything
 * they set off), on a process clock moved to each step's hour. DynamoDB (dynalite) runs in a process of its own, so
 * that this process's CPU time is the handlers' and the fakes'.
 */
async function measureMonth(synthesized: Synthesized, count: number): Promise<Measured> {
  const started = process.hrtime.bigint();
  const { template, config } = synthesized;
  const [source] = config.sources;
  if (source?.kind !== 'aws-acm') throw new Error('the cost scenario is one ACM source');
  const accounts = source.accounts ?? [{ accountId: ACCOUNT }];
  const acm = new FakeAcm(await CertificateMill.create(new Date()));
  for (let index = 0; index < count; index++) {
    acm.add({
      accountId: accounts[index % accounts.length].accountId,
      region: source.regions[Math.floor(index / accounts.length) % source.regions.length],
      domainName: `host-${index}.example.com`,
      keyAlgorithm: KEY_MIX[index % KEY_MIX.length],
      inUseBy: [`arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/lb-${index}/1`],
      tags: { owner: `team-${index % 20}` },
      daysLeft: LIFETIME_DAYS - daysOldOf(index),
      daysOld: daysOldOf(index),
      ownKey: true,
    });
  }
  const aws = await startFakeAws({ services: [acm.service] });
  for (const account of accounts) {
    if (account.roleName)
      aws.grantRole({ accountId: account.accountId, roleName: account.roleName, externalId: account.externalId });
  }
  const dynamo = await startDynalite();
  const table = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::DynamoDB::Table')!;
  const documents = createDocumentClient({ endpoint: dynamo.endpoint });
  await ensureInventoryTable(documents, String(table.Properties!.TableName));
  const caller = aws.callerCredentials(accounts[0].accountId);
  const run = await StackRun.start({
    template,
    account: accounts[0].accountId,
    region: REGION,
    deploymentFile: synthesized.deploymentFile,
    dynamoEndpoint: dynamo.endpoint,
    environment: {
      AWS_ACCESS_KEY_ID: caller.accessKeyId,
      AWS_SECRET_ACCESS_KEY: caller.secretAccessKey,
      AWS_ENDPOINT_URL_ACM: aws.endpoint,
      AWS_ENDPOINT_URL_STS: aws.endpoint,
    },
  });
  try {
    const initMs = await initDurations(run.shape);
    // Step 0 at ten past the next hour; the day's steps an hour apart, so that one crosses midnight (the daily
    // policy evaluation) and one 06:00 (the daily expiry evaluation).
    const first = Math.ceil(Date.now() / HOUR) * HOUR + 10 * 60_000;
    const origin = new Date(first - HOUR / 2);
    const steps: StepFigures[] = [];
    const pacing: Array<Map<string, number>> = [];
    for (let step = 0; step <= STEPS_PER_DAY; step++) {
      const at = first + step * HOUR;
      const calls = aws.log.length;
      const restore = moveProcessClock(at - Date.now());
      try {
        // ACM renews what is in use when 60 days are left: a change the hourly sync finds, once per lifetime.
        for (const certificate of acm.all()) {
          if (certificate.issued && certificate.issued.notAfter.getTime() - at <= RENEWAL_DAYS * DAY) {
            const elapsedDays = (at - acm.mill.at.getTime()) / DAY;
            acm.renew(certificate.arn, LIFETIME_DAYS + elapsedDays, { daysOld: -elapsedDays, ownKey: true });
          }
        }
        run.beginStep();
        steps.push(await run.runSchedules(new Date(at - HOUR), new Date(at), origin));
      } finally {
        restore();
      }
      pacing.push(pacingOf(aws.log.slice(calls)));
      const figures = steps[step];
      process.stderr.write(
        `  cost: step ${step} (${new Date(at).toISOString().slice(11, 16)} UTC): ` +
          `${figures.invocations.length} invocations, events ${JSON.stringify(figures.detailTypes)}, ` +
          `${figures.errors.length} errors (${seconds(started).toFixed(0)} s)\n`,
      );
    }
    let storageBytes = 0;
    // DynamoDB bills 100 bytes of overhead per item besides its attributes (index entries include theirs).
    for (const stored of run.meter.stored.values()) storageBytes += stored.bytes + 100 + stored.indexBytes;
    return {
      firstSync: steps[0],
      day: steps.slice(1),
      pacing: pacing.slice(1),
      initMs,
      storageBytes,
      seconds: seconds(started),
      count,
    };
  } finally {
    await run.close();
    documents.destroy();
    await dynamo.close();
    await aws.close();
  }
}

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

/** dynalite (in memory) in a process of its own. */
async function startDynalite(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = spawn(process.execPath, [RUN_TS, join(__dirname, 'dynalite-server.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoint = await new Promise<string>((resolve) =>
    createInterface({ input: server.stdout! }).once('line', resolve),
  );
  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      }),
  };
}

/**
 * How long ACM's published rates (the connector's token buckets) make each scope's calls take: per operation, its
 * calls after the first at its rate; the operations' buckets run side by side.
 */
function pacingOf(log: Array<{ operation: string; scope?: string }>): Map<string, number> {
  const calls = new Map<string, Map<string, number>>();
  for (const { operation, scope } of log) {
    if (!scope) continue;
    const ofScope = calls.get(scope) ?? new Map<string, number>();
    ofScope.set(operation, (ofScope.get(operation) ?? 0) + 1);
    calls.set(scope, ofScope);
  }
  const rates: Record<string, number> = PUBLISHED_RATES.acm;
  const pacing = new Map<string, number>();
  for (const [scope, operations] of calls) {
    const ms = [...operations].map(([operation, n]) => (rates[operation] ? ((n - 1) / rates[operation]) * 1000 : 0));
    pacing.set(scope, Math.max(0, ...ms));
  }
  return pacing;
}

/**
 * Each function's init duration, which Lambda bills: the CPU time of a fresh Node.js loading its bundle (esbuild with
 * the construct's options), median of 3. CPU rather than wall time, which a shared machine stretches; Lambda's init
 * is that work, on at least the vCPU share of the function's memory (not scaled here).
 */
async function initDurations(shape: StackShape): Promise<Map<string, number>> {
  const work = mkdtempSync(join(tmpdir(), 'certwarden-cost-'));
  const byBundle = new Map<string, number>();
  const init = new Map<string, number>();
  try {
    for (const fn of shape.functions.values()) {
      const kind = fn.role === 'syncWorker' ? (String(fn.environment.CERTWARDEN_SOURCE_KIND) as 'aws-acm') : undefined;
      const name = `${fn.role}${kind ? `:${kind}` : ''}`;
      if (!byBundle.has(name)) {
        const outfile = join(work, name.replace(':', '-'), 'index.js');
        await build(esbuildOptionsFor(FUNCTION_ENTRIES[fn.role], outfile, kind));
        const load = `require(${JSON.stringify(outfile)}); const u = process.cpuUsage(); console.log((u.user + u.system) / 1000)`;
        const env = { PATH: process.env.PATH ?? '', ...handlerEnvironment({ name, role: fn.role, kind }) };
        const runs = [0, 1, 2].map(() =>
          Number(execFileSync(process.execPath, ['-e', load], { cwd: work, env }).toString()),
        );
        byBundle.set(name, runs.sort((a, b) => a - b)[1]);
      }
      init.set(fn.id, byBundle.get(name)!);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return init;
}

/** What one invocation spends, apart from init: CPU, waits for the provider's rates and for AWS round trips. */
interface Spent {
  cpuMs: number;
  pacingMs: number;
  requestMs: number;
}

/**
 * An invocation's work as Lambda would time it, from what this process measured and counted rather than its wall
 * time (a shared machine stretches that): its share of the process's CPU time (the handler's, and the fakes' and
 * the meter's beside it: an upper bound), the provider's rates over its calls, and a round trip per AWS request.
 */
function spentBy(invocation: InvocationRecord, step: StepFigures, pacing: Map<string, number>): Spent {
  const dynamoRequests = Object.values(step.dynamo.get(invocation.tag)?.requests ?? {}).reduce((sum, n) => sum + n, 0);
  const scope = scopeOf(invocation.event);
  return {
    cpuMs: invocation.cpuMs,
    pacingMs: scope ? (pacing.get(scope) ?? 0) : 0,
    requestMs: dynamoRequests * AWS_REQUEST_MS,
  };
}

/** The scope a sync worker's SQS message names, if the event is one. */
function scopeOf(event: unknown): string | undefined {
  const body = (event as { Records?: Array<{ body?: string }> }).Records?.[0]?.body;
  if (!body) return undefined;
  try {
    return (JSON.parse(body) as { scope?: string }).scope ?? undefined;
  } catch {
    return undefined;
  }
}

/** Billed milliseconds of an invocation at `memoryMb`: its CPU time stretched below one vCPU, its waits, its init. */
const billedMs = (spent: Spent, memoryMb: number, initMs: number) =>
  spent.cpuMs * Math.max(1, ONE_VCPU_MB / memoryMb) + spent.pacingMs + spent.requestMs + initMs;

/** One function's month, from its invocations in the measured day. */
interface FunctionMonth {
  id: string;
  memoryMb: number;
  invocations: number;
  coldStarts: number;
  /** Billed GB-seconds at the deployed memory. */
  gbSeconds: number;
  /** Billed GB-seconds at other memory sizes: what its memory setting costs. */
  gbSecondsAt: Map<number, number>;
  meanBilledMs: number;
  meanCpuMs: number;
  meanWaitMs: number;
  initMs: number;
  logBytes: number;
}

const MEMORY_SIZES = [128, 256, 512, 1024, 1769];

/**
 * Per function: the day's invocations × 730/24, billed duration and logs. At another size than the scenario's, the
 * CPU time and the provider's pacing, which grow with the places a run handles, are scaled by `grow`; requests
 * grow less (a page holds many places) and are not.
 */
function functionsOf(measured: Measured, shape: StackShape, grow: number): FunctionMonth[] {
  const spent = new Map<string, Array<{ spent: Spent; cold: boolean; logBytes: number }>>();
  measured.day.forEach((step, index) => {
    for (const invocation of step.invocations) {
      const of = spentBy(invocation, step, measured.pacing[index]);
      const fn = shape.functions.get(invocation.fn)!;
      const list = spent.get(fn.id) ?? [];
      list.push({
        spent: { ...of, cpuMs: of.cpuMs * grow, pacingMs: of.pacingMs * grow },
        cold: invocation.cold,
        logBytes: invocation.logBytes + platformLogBytes(fn.id, fn.memoryMb, invocation.cold),
      });
      spent.set(fn.id, list);
    }
  });
  return [...spent].map(([id, invocations]) => {
    const fn = shape.functions.get(id)!;
    const initMs = measured.initMs.get(id)!;
    const gbSecondsAt = (memoryMb: number) =>
      sumOf(
        invocations,
        ({ spent: of, cold }) => (memoryMb / 1024) * (billedMs(of, memoryMb, cold ? initMs : 0) / 1000),
      ) * MONTH_PER_DAY;
    return {
      id,
      memoryMb: fn.memoryMb,
      invocations: invocations.length * MONTH_PER_DAY,
      coldStarts: invocations.filter(({ cold }) => cold).length * MONTH_PER_DAY,
      gbSeconds: gbSecondsAt(fn.memoryMb),
      gbSecondsAt: new Map(MEMORY_SIZES.map((memoryMb) => [memoryMb, gbSecondsAt(memoryMb)])),
      meanBilledMs:
        sumOf(invocations, ({ spent: of, cold }) => billedMs(of, fn.memoryMb, cold ? initMs : 0)) / invocations.length,
      meanCpuMs: sumOf(invocations, ({ spent: of }) => of.cpuMs) / invocations.length,
      meanWaitMs: sumOf(invocations, ({ spent: of }) => of.pacingMs + of.requestMs) / invocations.length,
      initMs,
      logBytes: sumOf(invocations, ({ logBytes }) => logBytes) * MONTH_PER_DAY,
    };
  });
}

/**
 * What Lambda itself logs per invocation in the JSON log format (the function's logging config): platform.start
 * and platform.report, and platform.initStart on a cold start, as Lambda's system log schema shapes them.
 */
function platformLogBytes(id: string, memoryMb: number, cold: boolean): number {
  const time = '2026-12-06T12:00:00.000Z';
  const requestId = '2b1f9c8e-3d4a-4e5b-9c6d-7e8f9a0b1c2d';
  const functionName = `Certwarden-${id}-ABCDEFGHIJKL`;
  const lines = [
    { time, type: 'platform.start', record: { requestId, version: '$LATEST' } },
    {
      time,
      type: 'platform.report',
      record: {
        requestId,
        metrics: {
          durationMs: 1234.56,
          billedDurationMs: 1235,
          memorySizeMB: memoryMb,
          maxMemoryUsedMB: 180,
          ...(cold && { initDurationMs: 456.78 }),
        },
        tracing: {
          spanId: '0123456789abcdef',
          type: 'X-Amzn-Trace-Id',
          value: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
        },
        status: 'success',
      },
    },
    ...(cold
      ? [
          {
            time,
            type: 'platform.initStart',
            record: {
              initializationType: 'on-demand',
              phase: 'init',
              runtimeVersion: 'nodejs:24.v20',
              runtimeVersionArn: `arn:aws:lambda:${REGION}::runtime:${'0123456789abcdef'.repeat(4)}`,
              functionName,
              functionVersion: '$LATEST',
            },
          },
        ]
      : []),
  ];
  return lines.reduce((sum, line) => sum + Buffer.byteLength(JSON.stringify(line)), 0);
}

const sumOf = <T>(values: T[], of: (value: T) => number) => values.reduce((sum, value) => sum + of(value), 0);

/** A sync's end: one event per scope run, whatever the scope holds. */
const PER_RUN_EVENTS = new Set(['Sync Completed', 'Sync Failed']);

/** Function names as the table shows them: the construct's id without its scope and hash. */
const shortName = (id: string) => id.replace(/^Inventory|[0-9A-F]{8}$/g, '');

/**
 * What the month's work costs, from the measured day (× 730/24); at another size than the scenario's, what grows
 * with certificates (DynamoDB, the events of places, alerts, the handlers' work) is scaled to it.
 */
function variableItems(measured: Measured, template: TemplateJson, shape: StackShape): LineItem[] {
  const { day } = measured;
  const grow = SCENARIO_CERTIFICATES / measured.count;
  const perMonth = (of: (step: StepFigures) => number) => sumOf(day, of) * MONTH_PER_DAY;
  const functions = functionsOf(measured, shape, grow);
  const dynamoBy = (fn: string | undefined, of: (figures: DynamoFigures) => number) =>
    perMonth((step) =>
      sumOf(
        [...step.dynamo].filter(([tag]) => !fn || tag.startsWith(`${fn}#`)),
        ([, figures]) => of(figures),
      ),
    ) * grow;
  const reads = (figures: DynamoFigures) => figures.readUnits;
  const writes = (figures: DynamoFigures) => figures.tableWriteUnits + figures.indexWriteUnits;
  const storageGb = (measured.storageBytes * grow) / 1024 ** 3;
  const pitr = Object.values(template.Resources).some(
    (resource) =>
      resource.Type === 'AWS::DynamoDB::Table' &&
      (resource.Properties?.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean } | undefined)
        ?.PointInTimeRecoveryEnabled,
  );
  const logBytes = sumOf(functions, (fn) => fn.logBytes);
  const retentionMonths = logRetentionMonths(template);
  const archive = resourcesOf(template, 'AWS::Events::Archive')[0]?.[1].Properties;
  const events = perMonth((step) =>
    sumOf(Object.entries(step.detailTypes), ([type, n]) => (PER_RUN_EVENTS.has(type) ? n : n * grow)),
  );
  const archiveGb =
    (perMonth((step) => step.eventBytes) *
      (events /
        Math.max(
          1,
          perMonth((step) => sumOf(Object.values(step.detailTypes), (n) => n)),
        ))) /
    1024 ** 3;
  const archiveMonths = archive ? Number(archive.RetentionDays ?? 0) / (HOURS_PER_MONTH / 24) : 0;
  const traced = functions.filter((fn) => tracingActive(template, fn.id));
  const sqs = perMonth((step) => sumOf(Object.values(step.sqsRequests), (n) => n));
  const lines: LineItem[] = [
    ...functions.map((fn) =>
      item(
        `Lambda ${shortName(fn.id)} (${fn.memoryMb} MB): ${quantity(fn.invocations)} invocations, ${fn.meanBilledMs.toFixed(0)} ms billed on average (CPU ${fn.meanCpuMs.toFixed(0)} ms, waits ${fn.meanWaitMs.toFixed(0)} ms, init ${fn.initMs.toFixed(0)} ms on each of ${quantity(fn.coldStarts)} cold starts)`,
        fn.gbSeconds,
        'GB-s',
        lambdaGbSecondPrice(shape.functions.get(fn.id)!.architecture),
        'measured',
      ),
    ),
    item(
      'Lambda requests',
      sumOf(functions, (fn) => fn.invocations),
      'request',
      PRICES.lambdaRequest,
      'measured',
    ),
    ...functions
      .filter((fn) => dynamoBy(fn.id, reads) > 0)
      .map((fn) =>
        item(`DynamoDB reads, ${shortName(fn.id)}`, dynamoBy(fn.id, reads), 'RRU', PRICES.dynamoReadUnit, 'measured'),
      ),
    item(
      'DynamoDB writes (index copies included)',
      dynamoBy(undefined, writes),
      'WRU',
      PRICES.dynamoWriteUnit,
      'measured',
    ),
    item('DynamoDB storage (table and indexes)', storageGb, 'GB-month', PRICES.dynamoStorageGbMonth, 'measured'),
    ...(pitr
      ? [item('DynamoDB point-in-time recovery', storageGb, 'GB-month', PRICES.dynamoPitrGbMonth, 'measured')]
      : []),
    item(
      'SQS requests (sends, rule and schedule deliveries, receives, deletes)',
      sqs,
      'request',
      PRICES.sqsRequest,
      'measured',
    ),
    item('EventBridge events', events, 'event', PRICES.eventBridgeEvent, 'measured'),
    ...(archive
      ? [
          item('EventBridge archive, events archived', archiveGb, 'GB', PRICES.eventArchiveGb, 'measured'),
          item(
            `EventBridge archive, storage (${archive.RetentionDays} days kept)`,
            archiveGb * archiveMonths,
            'GB-month',
            PRICES.eventArchiveGbMonth,
            'measured',
          ),
        ]
      : []),
    item(
      'EventBridge Scheduler invocations',
      perMonth((step) => step.schedulerInvocations),
      'invocation',
      PRICES.schedulerInvocation,
      'measured',
    ),
    item('SNS publishes', perMonth((step) => step.snsPublishes) * grow, 'request', PRICES.snsPublish, 'measured'),
    item('SNS email deliveries', perMonth((step) => step.emails) * grow, 'email', PRICES.snsEmail, 'measured'),
    item(
      'Security Hub findings ingested',
      perMonth((step) => step.securityHubFindings) * grow,
      'finding',
      PRICES.securityHubFinding,
      'measured',
    ),
    item(
      'CloudWatch Logs ingested (handlers, EMF, platform lines)',
      logBytes / 1024 ** 3,
      'GB',
      PRICES.logIngestedGb,
      'measured',
    ),
    item(
      `CloudWatch Logs stored (${(retentionMonths * (HOURS_PER_MONTH / 24)).toFixed(0)} days kept, uncompressed)`,
      (logBytes / 1024 ** 3) * retentionMonths,
      'GB-month',
      PRICES.logStoredGbMonth,
      'model',
    ),
    ...customMetricItems(day),
    item(
      'X-Ray traces (every invocation of a traced function)',
      sumOf(traced, (fn) => fn.invocations),
      'trace',
      PRICES.xrayTrace,
      'model',
    ),
    item(
      'KMS requests (a data key per function and log stream an hour)',
      kmsRequests(day),
      'request',
      PRICES.kmsRequest,
      'model',
    ),
  ];
  return lines.filter((line) => line.quantity > 0);
}

/**
 * Custom metrics are billed by the hour they are sent (a series sent every hour is $0.30 a month): each series the
 * day's EMF lines named, for the hours it was sent.
 */
function customMetricItems(day: StepFigures[]): LineItem[] {
  const hours = new Map<string, number>();
  for (const step of day) for (const series of step.series) hours.set(series, (hours.get(series) ?? 0) + 1);
  if (hours.size === 0) return [];
  const metricMonths = sumOf([...hours.values()], (n) => n / STEPS_PER_DAY);
  return [
    item(
      `CloudWatch custom metrics: ${hours.size} series (${[...hours.keys()]
        .map((series) => series.split(' ')[1])
        .filter((name, index, all) => all.indexOf(name) === index)
        .join(', ')})`,
      metricMonths,
      'metric-month',
      PRICES.customMetricMonth,
      'measured',
    ),
  ];
}

/**
 * KMS requests, estimated: DynamoDB and SNS cache a data key for five minutes per caller, CloudWatch Logs per log
 * stream, so an hourly deployment asks about once an hour for each function that reads the table or publishes and
 * once for each new log stream (a cold start).
 */
function kmsRequests(day: StepFigures[]): number {
  let requests = 0;
  for (const step of day) {
    const active = new Set(step.invocations.map((invocation) => invocation.fn));
    requests += active.size + step.invocations.filter((invocation) => invocation.cold).length;
  }
  return requests * MONTH_PER_DAY;
}

function logRetentionMonths(template: TemplateJson): number {
  const days = resourcesOf(template, 'AWS::Logs::LogGroup').map(([, group]) =>
    Number(group.Properties?.RetentionInDays ?? 3653),
  );
  return Math.max(0, ...days) / (HOURS_PER_MONTH / 24);
}

const tracingActive = (template: TemplateJson, id: string) =>
  (template.Resources[id]?.Properties?.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active';

const money = (value: number) => `$${value < 0.01 && value > 0 ? value.toFixed(4) : value.toFixed(2)}`;
const quantity = (value: number) =>
  value >= 100 ? Math.round(value).toLocaleString('en-US') : value >= 1 ? value.toFixed(1) : value.toPrecision(2);
const unitPrice = (price: number) =>
  price >= 0.01 ? `$${price.toFixed(2)}` : `$${(price * 1e6).toFixed(2)} per million`;

/** The line items as a markdown table, fixed costs first, with the totals. */
export function costTable(fixed: LineItem[], variable: LineItem[]): string {
  const total = sumOf([...fixed, ...variable], (line) => line.monthly);
  const row = (line: LineItem) =>
    `| ${line.item} | ${quantity(line.quantity)} ${line.unit} | ${unitPrice(line.price)} | ${money(line.monthly)} | ${line.basis} |`;
  return [
    '| line item | quantity / month | unit price | $/month | from |',
    '| --- | --- | --- | --- | --- |',
    ...fixed.map(row),
    `| **fixed** | | | **${money(sumOf(fixed, (line) => line.monthly))}** | |`,
    ...variable.map(row),
    `| **variable** | | | **${money(sumOf(variable, (line) => line.monthly))}** | |`,
    `| **total** | | | **${money(total)}** | ${total < BUDGET_PER_MONTH ? 'PASS' : 'FAIL'} (< $${BUDGET_PER_MONTH}) |`,
  ].join('\n');
}

/** Peak RSS of the ACM sync worker on a scope of LARGEST_SCOPE certificates (worker-memory.ts, its own process). */
interface WorkerMemory {
  firstSyncMb: number;
  firstSyncCpuSeconds: number;
  resyncMb: number;
  failures: unknown[];
}

async function workerPeakMemory(): Promise<WorkerMemory> {
  const dynamo = await startDynalite();
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [RUN_TS, join(__dirname, 'worker-memory.ts'), dynamo.endpoint, String(LARGEST_SCOPE)],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    return JSON.parse(stdout.trim().split('\n').pop()!) as WorkerMemory;
  } finally {
    await dynamo.close();
  }
}

/**
 * Issue #12's cost: the scenario (one ACM source, hourly sync, SCENARIO_CERTIFICATES certificates, one alert email)
 * at list prices (prices.ts), all-in: the template's fixed resources, and a month of work measured on the ACM wire
 * fake through the deployed handlers, each priced line by line; the total against BUDGET_PER_MONTH. Besides: the
 * first full sync (once), what each function's memory setting costs against other sizes (with the sync worker's
 * peak memory on ACM's largest default scope), and what the test configuration's every option adds to the fixed
 * part.
 */
export async function benchCost(count = SCENARIO_CERTIFICATES): Promise<BenchRow[]> {
  const scenario = synthesize(SCENARIO_CONFIG);
  const shape = shapeOf(scenario.template);
  const measured = await measureMonth(scenario, count);
  const grow = SCENARIO_CERTIFICATES / count;
  const fixed = fixedItems(scenario.template, scenario.config, shape);
  const variable = variableItems(measured, scenario.template, shape);
  const table = costTable(fixed, variable);
  process.stderr.write(`\n${table}\n\n`);
  const total = sumOf([...fixed, ...variable], (line) => line.monthly);
  const keys = fixed.find((line) => line.item.startsWith('KMS keys'))?.quantity ?? 0;
  const firstSync = measured.firstSync;
  const firstSyncWrites =
    sumOf([...firstSync.dynamo.values()], (figures) => figures.tableWriteUnits + figures.indexWriteUnits) * grow;
  const everyOption = synthesize(FIXTURE_CONFIG);
  const everyOptionFixed = fixedItems(everyOption.template, everyOption.config);
  const memory = await workerPeakMemory();
  const scaled =
    count === SCENARIO_CERTIFICATES
      ? ''
      : `, measured at ${count} and scaled ×${grow.toFixed(1)} where work grows with certificates`;
  const errors = [...firstSync.errors, ...measured.day.flatMap((step) => step.errors)];
  const priceOf = (fn: string) => lambdaGbSecondPrice(shape.functions.get(fn)!.architecture);
  const acmWorker = [...shape.functions.values()].find(
    (fn) => fn.role === 'syncWorker' && fn.environment.CERTWARDEN_SOURCE_KIND === 'aws-acm',
  );
  return [
    ...[...fixed, ...variable].map((line) => ({
      figure: line.item,
      value: `${quantity(line.quantity)} ${line.unit} × ${unitPrice(line.price)} = ${money(line.monthly)}/month (${line.basis})`,
    })),
    {
      figure: `total, ${SCENARIO_CERTIFICATES} certificates, one ACM source hourly (prices of ${PRICES_DATE}${scaled})`,
      value: `${money(total)}/month: fixed ${money(sumOf(fixed, (line) => line.monthly))}, variable ${money(sumOf(variable, (line) => line.monthly))}; the month measured in ${measured.seconds.toFixed(0)} s`,
      target: `< $${BUDGET_PER_MONTH}`,
      met: total < BUDGET_PER_MONTH && errors.length === 0,
    },
    {
      figure: 'the same from the third year (each KMS key rotated twice by then: +$2 a key)',
      value: `${money(total + 2 * keys * PRICES.kmsRotationMonth)}/month`,
      target: `< $${BUDGET_PER_MONTH}`,
      met: total + 2 * keys * PRICES.kmsRotationMonth < BUDGET_PER_MONTH,
    },
    ...functionsOf(measured, shape, grow).map((fn) => {
      const cheapest = [...fn.gbSecondsAt].reduce((best, next) => (next[1] < best[1] ? next : best));
      return {
        figure: `memory: ${shortName(fn.id)} at ${fn.memoryMb} MB, $/month at other sizes`,
        value: `${[...fn.gbSecondsAt].map(([mb, gbs]) => `${mb} MB ${money(gbs * priceOf(fn.id))}`).join(', ')}; cheapest ${cheapest[0]} MB`,
      };
    }),
    {
      figure: `memory: ACM sync worker on a scope of ${LARGEST_SCOPE} certificates (ACM's default quota per account × region): peak RSS of the first sync / of an unchanged resync (the fakes in the same process), CPU time of the first sync`,
      value:
        `${memory.firstSyncMb.toFixed(0)} MB / ${memory.resyncMb.toFixed(0)} MB, ${memory.firstSyncCpuSeconds.toFixed(1)} s CPU ` +
        `(at ${acmWorker?.memoryMb ?? '?'} MB, ${(memory.firstSyncCpuSeconds * Math.max(1, ONE_VCPU_MB / (acmWorker?.memoryMb ?? ONE_VCPU_MB))).toFixed(0)} s of its ${acmWorker?.timeoutSeconds ?? '?'} s timeout)` +
        (memory.failures.length > 0 ? ` (${memory.failures.length} FAILED records)` : ''),
      target: `peak below ${acmWorker?.memoryMb ?? '?'} MB`,
      met: memory.failures.length === 0 && memory.firstSyncMb < (acmWorker?.memoryMb ?? 0),
    },
    {
      figure: 'first full sync, once',
      value:
        `${money(firstSyncWrites * PRICES.dynamoWriteUnit)} DynamoDB (${Math.round(firstSyncWrites).toLocaleString('en-US')} WRU), ` +
        `${firstSync.invocations.length} invocations, events ${JSON.stringify(firstSync.detailTypes)}`,
    },
    {
      figure: 'fixed part with every option of the test configuration (5 sources, Slack, digest, SIEM)',
      value: `${money(sumOf(everyOptionFixed, (line) => line.monthly))}/month: ${everyOptionFixed.map((line) => `${line.item} ${money(line.monthly)}`).join('; ')}`,
    },
    ...(errors.length > 0
      ? [{ figure: 'errors in the measured month', value: errors.slice(0, 5).join('; '), target: 'none', met: false }]
      : []),
  ];
}

// Run alone: `node lib/cli/bin/run-ts.js test/bench/cost.ts` (BENCH_COST_CERTIFICATES for another size). Only
// when run-ts.js loaded it: Jest makes a test file `require.main`, and test/unit/bench/cost.test.ts imports this.
const runAlone =
  require.main === module || (module.parent === require.main && /run-ts\.js$/.test(require.main?.filename ?? ''));
if (runAlone) {
  void benchCost(Number(process.env.BENCH_COST_CERTIFICATES ?? SCENARIO_CERTIFICATES)).then((rows) => {
    for (const row of rows) {
      process.stdout.write(
        `${row.figure}: ${row.value}${row.target ? ` (target ${row.target}: ${row.met ? 'met' : 'MISSED'})` : ''}\n`,
      );
    }
    process.exit(0);
  });
}
