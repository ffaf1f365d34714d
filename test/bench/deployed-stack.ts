import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import AwsCronParser from 'aws-cron-parser';
import pLimit from 'p-limit';
import { FUNCTION_ENTRIES, REPO_ROOT, type FunctionRole } from '../../infra/function-bundling';
import { DynamoWireMeter, tagOutgoingRequests, workTag, type DynamoFigures } from './dynamodb-wire-meter';
import {
  chunksOf,
  lambdaContext,
  startFakeEventBridge,
  startFakeSns,
  startFakeSqs,
  type FakeEventBridge,
  type FakeSns,
  type FakeSqs,
  type PutEntry,
} from './local-aws';
import { startFakeSecurityHub, type FakeSecurityHub } from '../support/fakes/security-hub-server';
import { deliveredBySubscription, type FilterPolicy } from '../support/sns-filter-policy';

/**
 * A synthesized certwarden template run in this process the way AWS runs it: its schedules fire, Scheduler invokes
 * their functions or sends to their queues, each queue's event source mapping invokes its function with batches of
 * the mapping's size, what the functions put on the bus reaches the queues of the rules it matches, and what they
 * publish to a topic reaches the subscriptions whose filter policy accepts it. The handlers are the real ones
 * (functions/), each loaded with the environment the template gives it, once per execution environment (a module
 * instance of its own, as in Lambda), talking through the real SDK clients to the DynamoDB meter and to local fakes
 * of SQS, EventBridge, SNS and Security Hub; the provider's fake is the caller's.
 *
 * Everything AWS bills is counted per function and per step: invocations and cold starts, wall and CPU time, bytes
 * logged, the custom metric series of the EMF lines, DynamoDB units (index copies included), events, SQS requests,
 * SNS publishes and email deliveries, Security Hub findings, Scheduler invocations.
 */

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties?: Json;
}
export interface TemplateJson {
  Resources: Record<string, Resource>;
}

export interface DeployedFunction {
  id: string;
  role: FunctionRole;
  memoryMb: number;
  architecture: string;
  timeoutSeconds: number;
  environment: Record<string, unknown>;
}

export interface EventSourceMapping {
  queue: string;
  fn: string;
  batchSize: number;
  /** Set: Lambda keeps five pollers on the queue, unset two (Lambda's SQS scaling documentation). */
  maxConcurrency?: number;
}

export interface DeployedSchedule {
  id: string;
  expression: string;
  target: string;
  input: string;
}

interface DeployedRule {
  id: string;
  pattern: Json;
  queues: string[];
}

interface DeployedSubscription {
  topic: string;
  protocol: string;
  FilterPolicy?: FilterPolicy;
  FilterPolicyScope?: string;
}

/** What the run reads of a template: functions, their triggers and where their output goes. */
export interface StackShape {
  functions: Map<string, DeployedFunction>;
  mappings: EventSourceMapping[];
  schedules: DeployedSchedule[];
  rules: DeployedRule[];
  subscriptions: DeployedSubscription[];
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const ROLES = new Map(
  (Object.keys(FUNCTION_ENTRIES) as FunctionRole[]).map((role) => [`certwarden-${kebab(role)}`, role]),
);

/** The logical id an intrinsic names (`Ref` or `Fn::GetAtt`), for wiring. */
function idOf(value: unknown): string {
  const json = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const id = json.Ref ?? json['Fn::GetAtt']?.[0];
  if (!id) throw new Error(`not a reference to a resource: ${JSON.stringify(value)}`);
  return id;
}

export function shapeOf(template: TemplateJson): StackShape {
  const shape: StackShape = { functions: new Map(), mappings: [], schedules: [], rules: [], subscriptions: [] };
  for (const [id, { Type, Properties: p = {} }] of Object.entries(template.Resources)) {
    switch (Type) {
      case 'AWS::Lambda::Function': {
        const environment = (p.Environment as { Variables?: Json } | undefined)?.Variables ?? {};
        const role = ROLES.get(String(environment.POWERTOOLS_SERVICE_NAME));
        if (!role) throw new Error(`function ${id}: no certwarden role in POWERTOOLS_SERVICE_NAME`);
        shape.functions.set(id, {
          id,
          role,
          memoryMb: Number(p.MemorySize ?? 128),
          architecture: String((p.Architectures as string[] | undefined)?.[0] ?? 'x86_64'),
          timeoutSeconds: Number(p.Timeout ?? 3),
          environment,
        });
        break;
      }
      case 'AWS::Lambda::EventSourceMapping':
        shape.mappings.push({
          queue: idOf(p.EventSourceArn),
          fn: idOf(p.FunctionName),
          batchSize: Number(p.BatchSize ?? 10),
          maxConcurrency: (p.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency,
        });
        break;
      case 'AWS::Scheduler::Schedule': {
        const target = p.Target as { Arn: unknown; Input?: string };
        shape.schedules.push({
          id,
          expression: String(p.ScheduleExpression),
          target: idOf(target.Arn),
          input: target.Input ?? '{}',
        });
        break;
      }
      case 'AWS::Events::Rule':
        shape.rules.push({
          id,
          pattern: p.EventPattern as Json,
          queues: (p.Targets as Array<{ Arn: unknown }>).map((target) => idOf(target.Arn)),
        });
        break;
      case 'AWS::SNS::Subscription':
        shape.subscriptions.push({
          topic: idOf(p.TopicArn),
          protocol: String(p.Protocol),
          FilterPolicy: p.FilterPolicy as FilterPolicy | undefined,
          FilterPolicyScope: p.FilterPolicyScope as string | undefined,
        });
        break;
    }
  }
  return shape;
}

/**
 * Whether an EventBridge event pattern matches an event: each field's array lists the values it takes, objects
 * nest. Content filters (prefix, numeric, anything-but) are refused rather than guessed at.
 */
export function matchesPattern(pattern: Json, event: Json): boolean {
  return Object.entries(pattern).every(([field, wanted]) => {
    const value = event[field];
    if (Array.isArray(wanted)) {
      if (wanted.some((entry) => typeof entry === 'object' && entry !== null)) {
        throw new Error(`event pattern field ${field}: content filters are not modelled (${JSON.stringify(wanted)})`);
      }
      return [value].flat().some((entry) => wanted.includes(entry));
    }
    return typeof value === 'object' && value !== null && matchesPattern(wanted as Json, value as Json);
  });
}

/**
 * How many times an EventBridge Scheduler expression fires in (from, to]: `rate(n unit)` counted from `origin`, a
 * `cron(…)` by its runs (UTC, as the construct's schedules run).
 */
export function firings(expression: string, from: Date, to: Date, origin: Date): number {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (rate) {
    const every = Number(rate[1]) * { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[rate[2]]!;
    const count = (at: Date) => Math.floor((at.getTime() - origin.getTime()) / every);
    return count(to) - count(from);
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) throw new Error(`schedule expression ${expression}: not a rate() or cron() expression`);
  const parsed = AwsCronParser.parse(cron[1]);
  let count = 0;
  for (let run = AwsCronParser.next(parsed, new Date(from.getTime() + 1)); run && run <= to; count++) {
    run = AwsCronParser.next(parsed, new Date(run.getTime() + 1000));
  }
  return count;
}

/** One invocation as Lambda would bill and log it. */
export interface InvocationRecord {
  fn: string;
  tag: string;
  /** What it was invoked with: a schedule's input, or an SQS event. */
  event: unknown;
  /** The first invocation of its execution environment in this step: a cold start (hourly steps: every one). */
  cold: boolean;
  wallMs: number;
  /** The process's CPU time over the invocation's round, shared by wall time among the round's invocations. */
  cpuMs: number;
  /** What the handler wrote to stdout and stderr: each line a log event. */
  logBytes: number;
  logEvents: number;
  failed: number;
}

/** What a step (an hour) cost, by function where AWS bills by function. */
export interface StepFigures {
  invocations: InvocationRecord[];
  dynamo: Map<string, DynamoFigures>;
  /** Events put on the bus, by function, and their bytes. */
  events: Map<string, number>;
  /** Events put on the bus, by detail type. */
  detailTypes: Record<string, number>;
  eventBytes: number;
  /** SQS requests by kind: the functions' own sends, rule and schedule deliveries, the mappings' receives and deletes. */
  sqsRequests: Record<string, number>;
  snsPublishes: number;
  emails: number;
  securityHubFindings: number;
  schedulerInvocations: number;
  /** Custom metric series the EMF lines of the step named: namespace, metric, dimensions and their values. */
  series: Set<string>;
  /** The functions' failures: records in batch responses, invocations that threw. */
  errors: string[];
}

const emptyStep = (): StepFigures => ({
  invocations: [],
  dynamo: new Map(),
  events: new Map(),
  detailTypes: {},
  eventBytes: 0,
  sqsRequests: {},
  snsPublishes: 0,
  emails: 0,
  securityHubFindings: 0,
  schedulerInvocations: 0,
  series: new Set(),
  errors: [],
});

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

interface Environment {
  handler: Handler;
  /** The step it last served: a step later, Lambda would have reclaimed it. */
  step: number;
  busy: boolean;
}

export interface StackRunOptions {
  template: TemplateJson;
  account: string;
  region: string;
  /** The sources and policy the template's functions read (functions/shared/deployment.ts), as a file. */
  deploymentFile: string;
  /** The DynamoDB the functions use, behind the meter. */
  dynamoEndpoint: string;
  /** The provider's endpoints and the credentials the functions call them with (AWS_* variables). */
  environment: Record<string, string>;
  /** Invocations of one function running at once in this process. @default 16 */
  concurrency?: number;
}

/** Lambda scans queues with ReceiveMessage of at most 10 messages and deletes them in batches of 10. */
const SQS_MESSAGES_PER_CALL = 10;

/** Files of this repository whose module instances belong to one execution environment. */
const FUNCTION_CODE = [join(REPO_ROOT, 'lib'), join(REPO_ROOT, 'functions')];

export class StackRun {
  readonly shape: StackShape;
  readonly meter: DynamoWireMeter;
  private step = 0;
  private figures = emptyStep();
  private readonly environments = new Map<string, Environment[]>();
  private readonly pendingInvokes: Array<{ fn: string; event: unknown }> = [];
  private readonly logs = new Map<string, { bytes: number; events: number; problem?: string }>();
  private eventsRouted = 0;
  private snsSeen = 0;
  private findingsSeen = 0;
  private restoreOutput?: () => void;
  private savedEnvironment?: NodeJS.ProcessEnv;

  private constructor(
    private readonly options: StackRunOptions,
    private readonly sqs: FakeSqs,
    private readonly eventBridge: FakeEventBridge,
    private readonly sns: FakeSns,
    private readonly hub: FakeSecurityHub,
    meter: DynamoWireMeter,
  ) {
    this.shape = shapeOf(options.template);
    this.meter = meter;
  }

  static async start(options: StackRunOptions): Promise<StackRun> {
    tagOutgoingRequests();
    const [sqs, eventBridge, sns, hub, meter] = await Promise.all([
      startFakeSqs(),
      startFakeEventBridge(),
      startFakeSns(),
      startFakeSecurityHub({ accountId: options.account, region: options.region }),
      new DynamoWireMeter(options.dynamoEndpoint).start(),
    ]);
    const run = new StackRun(options, sqs, eventBridge, sns, hub, meter);
    run.savedEnvironment = { ...process.env };
    Object.assign(process.env, {
      ...options.environment,
      AWS_REGION: options.region,
      AWS_DEFAULT_REGION: options.region,
      AWS_ENDPOINT_URL_DYNAMODB: meter.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      AWS_ENDPOINT_URL_SECURITYHUB: hub.endpoint,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      // The EMF lines are what is measured: on, whatever the caller's environment says; no X-Ray daemon here.
      POWERTOOLS_METRICS_DISABLED: 'false',
      POWERTOOLS_TRACE_ENABLED: 'false',
    });
    for (const name of ['POWERTOOLS_DEV', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_NAMESPACE'])
      delete process.env[name];
    run.captureOutput();
    return run;
  }

  async close(): Promise<void> {
    this.restoreOutput?.();
    for (const name of Object.keys(process.env)) if (!(name in this.savedEnvironment!)) delete process.env[name];
    Object.assign(process.env, this.savedEnvironment);
    await Promise.all([
      this.sqs.close(),
      this.eventBridge.close(),
      this.sns.close(),
      this.hub.close(),
      this.meter.close(),
    ]);
  }

  /** Starts a new step (an hour): its figures from zero, and every execution environment cold. */
  beginStep(): void {
    this.step++;
    this.figures = emptyStep();
    this.meter.reset();
  }

  /** Fires the schedules due in (from, to], counting Scheduler's invocations, then runs what follows to the end. */
  async runSchedules(from: Date, to: Date, origin: Date): Promise<StepFigures> {
    for (const schedule of this.shape.schedules) {
      const times = firings(schedule.expression, from, to, origin);
      for (let n = 0; n < times; n++) {
        this.figures.schedulerInvocations++;
        if (this.shape.functions.has(schedule.target)) {
          this.pendingInvokes.push({ fn: schedule.target, event: JSON.parse(schedule.input) });
        } else {
          this.count('SendMessage (Scheduler)', chunksOf(Buffer.byteLength(schedule.input)));
          this.enqueue(schedule.target, schedule.input);
        }
      }
    }
    await this.drain();
    return this.collect();
  }

  /** The step's figures so far, DynamoDB's by function. */
  private collect(): StepFigures {
    const dynamo = new Map<string, DynamoFigures>();
    for (const invocation of this.figures.invocations) dynamo.set(invocation.tag, this.meter.of(invocation.tag));
    return { ...this.figures, dynamo };
  }

  /** Runs what is pending (asynchronous invocations, messages in mapped queues) until nothing is. */
  private async drain(): Promise<void> {
    for (;;) {
      if (this.pendingInvokes.length > 0) {
        const byFunction = new Map<string, unknown[]>();
        for (const { fn, event } of this.pendingInvokes.splice(0))
          byFunction.set(fn, [...(byFunction.get(fn) ?? []), event]);
        for (const [fn, events] of byFunction) await this.round(fn, events, Infinity);
        continue;
      }
      const mapping = this.shape.mappings.find((candidate) => this.sqs.queues.has(this.queueUrl(candidate.queue)));
      if (!mapping) return;
      const bodies = this.sqs.take(this.queueUrl(mapping.queue));
      const batches: SQSEvent[] = [];
      for (let start = 0; start < bodies.length; start += mapping.batchSize) {
        const records = bodies.slice(start, start + mapping.batchSize).map((body) => this.record(mapping.queue, body));
        batches.push({ Records: records });
        const calls = Math.ceil(records.length / SQS_MESSAGES_PER_CALL);
        this.count('ReceiveMessage (event source mapping)', calls);
        this.count('DeleteMessageBatch (event source mapping)', calls);
      }
      await this.round(mapping.fn, batches, mapping.maxConcurrency ?? Infinity);
    }
  }

  /** One function's invocations, `concurrency` at a time; the process's CPU time over them is theirs. */
  private async round(fnId: string, events: unknown[], concurrency: number): Promise<void> {
    const fn = this.shape.functions.get(fnId)!;
    const limit = pLimit(Math.min(concurrency, this.options.concurrency ?? 16));
    // Security Hub's fake takes its own key: the SDK reads the environment's credentials at a client's first call.
    const credentials =
      fn.role === 'securityHubNotifier'
        ? {
            AWS_ACCESS_KEY_ID: this.hub.credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: this.hub.credentials.secretAccessKey,
          }
        : {};
    const saved = {
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY,
    };
    Object.assign(process.env, credentials);
    const cpu = process.cpuUsage();
    const records = await Promise.all(events.map((event) => limit(() => this.invoke(fn, event)))).finally(() =>
      Object.assign(process.env, saved),
    );
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    const wall = records.reduce((sum, record) => sum + record.wallMs, 0);
    for (const record of records) record.cpuMs = wall > 0 ? (cpuMs * record.wallMs) / wall : 0;
    this.figures.invocations.push(...records);
    this.routeOutput();
  }

  private async invoke(fn: DeployedFunction, event: unknown): Promise<InvocationRecord> {
    const environment = this.environmentFor(fn);
    const cold = environment.step !== this.step;
    environment.step = this.step;
    const tag = `${fn.id}#${randomUUID()}`;
    this.logs.set(tag, { bytes: 0, events: 0 });
    const context = lambdaContext(this.arnOf(fn.id), tag.split('#')[1], {
      memoryMb: fn.memoryMb,
      timeoutMs: fn.timeoutSeconds * 1000,
    });
    let failed: number;
    const started = performance.now();
    try {
      const response = (await workTag.run(tag, () => environment.handler(event, context))) as
        { batchItemFailures?: unknown[] } | undefined;
      failed = response?.batchItemFailures?.length ?? 0;
      if (failed > 0) {
        this.figures.errors.push(
          `${fn.id}: ${failed} records failed (${this.logs.get(tag)?.problem ?? 'nothing logged'})`,
        );
      }
    } catch (error) {
      failed = 1;
      // Powertools' batch processor names the records' own errors when it fails the whole batch.
      const records = (error as { recordErrors?: Error[] }).recordErrors ?? [];
      const causes = [...records.map((record) => record.message), this.logs.get(tag)?.problem].filter(Boolean);
      this.figures.errors.push(`${fn.id}: ${(error as Error).message} (${causes.join('; ') || 'nothing logged'})`);
    } finally {
      environment.busy = false;
    }
    const wallMs = performance.now() - started;
    const logged = this.logs.get(tag)!;
    return { fn: fn.id, tag, event, cold, wallMs, cpuMs: 0, logBytes: logged.bytes, logEvents: logged.events, failed };
  }

  /** An idle execution environment of the function, or a new one: its own instance of the handler's modules. */
  private environmentFor(fn: DeployedFunction): Environment {
    const pool = this.environments.get(fn.id) ?? [];
    this.environments.set(fn.id, pool);
    let environment = pool.find((candidate) => !candidate.busy);
    if (!environment) {
      const variables = this.variablesOf(fn);
      const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
      Object.assign(process.env, variables);
      try {
        for (const path of Object.keys(require.cache)) {
          if (FUNCTION_CODE.some((root) => path.startsWith(root))) delete require.cache[path];
        }
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { handler } = require(FUNCTION_ENTRIES[fn.role]) as { handler: Handler };
        environment = { handler, step: -1, busy: false };
      } finally {
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      }
      pool.push(environment);
    }
    environment.busy = true;
    return environment;
  }

  /** The function's environment variables as Lambda would set them, references resolved to the fakes. */
  private variablesOf(fn: DeployedFunction): Record<string, string> {
    const variables: Record<string, string> = {
      AWS_LAMBDA_FUNCTION_NAME: fn.id,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.id}`,
    };
    for (const [name, value] of Object.entries(fn.environment)) variables[name] = this.resolve(value);
    if (variables.CERTWARDEN_DEPLOYMENT !== undefined) variables.CERTWARDEN_DEPLOYMENT = this.options.deploymentFile;
    return variables;
  }

  /** A template value with its references resolved: queue URLs, topic and function ARNs, the table and bus names. */
  private resolve(value: unknown): string {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    const json = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string; 'Fn::GetAtt'?: [string, string] };
    if (json['Fn::Join']) return json['Fn::Join'][1].map((part) => this.resolve(part)).join(json['Fn::Join'][0]);
    const pseudo: Record<string, string> = {
      'AWS::Region': this.options.region,
      'AWS::AccountId': this.options.account,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (json.Ref && pseudo[json.Ref]) return pseudo[json.Ref];
    const id = idOf(value);
    const resource = this.options.template.Resources[id];
    const attribute = json['Fn::GetAtt']?.[1];
    switch (resource?.Type) {
      case 'AWS::SQS::Queue':
        return attribute === 'Arn' ? this.arn('sqs', id) : this.queueUrl(id);
      case 'AWS::SNS::Topic':
        return this.arn('sns', id);
      case 'AWS::DynamoDB::Table':
        return String(resource.Properties?.TableName ?? id);
      case 'AWS::Events::EventBus':
        return String(resource.Properties?.Name ?? id);
      case 'AWS::Lambda::Function':
        return attribute === 'Arn' ? this.arnOf(id) : id;
      default:
        throw new Error(`cannot resolve ${JSON.stringify(value)} (${resource?.Type ?? 'no such resource'})`);
    }
  }

  private arn(service: string, id: string): string {
    return `arn:aws:${service}:${this.options.region}:${this.options.account}:${id}`;
  }

  private arnOf(fnId: string): string {
    return `arn:aws:lambda:${this.options.region}:${this.options.account}:function:${fnId}`;
  }

  private queueUrl(id: string): string {
    return `${this.sqs.endpoint}/${this.options.account}/${id}`;
  }

  private record(queue: string, body: string): SQSEvent['Records'][number] {
    const messageId = randomUUID();
    return {
      messageId,
      receiptHandle: `rh-${messageId}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: this.options.account,
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn('sqs', queue),
      awsRegion: this.options.region,
    };
  }

  private enqueue(queue: string, body: string): void {
    const url = this.queueUrl(queue);
    this.sqs.queues.set(url, [...(this.sqs.queues.get(url) ?? []), body]);
  }

  private count(kind: string, requests: number): void {
    this.figures.sqsRequests[kind] = (this.figures.sqsRequests[kind] ?? 0) + requests;
  }

  /**
   * What the last round's functions sent on: events to the queues of the rules they match (a SendMessage each),
   * SNS messages to the subscriptions that accept them, Security Hub findings; the functions' own SQS sends.
   */
  private routeOutput(): void {
    for (const { tag, entry, bytes } of this.eventBridge.entries.slice(this.eventsRouted)) {
      const fn = tag.split('#')[0];
      this.figures.events.set(fn, (this.figures.events.get(fn) ?? 0) + chunksOf(bytes));
      this.figures.detailTypes[entry.DetailType] = (this.figures.detailTypes[entry.DetailType] ?? 0) + 1;
      this.figures.eventBytes += bytes;
      const body = envelope(entry, this.options);
      for (const rule of this.shape.rules) {
        if (!matchesPattern(rule.pattern, JSON.parse(body) as Json)) continue;
        for (const queue of rule.queues) {
          this.count('SendMessage (rule)', chunksOf(Buffer.byteLength(body)));
          this.enqueue(queue, body);
        }
      }
    }
    this.eventsRouted = this.eventBridge.entries.length;
    for (const { topicArn, attributes, requests } of this.sns.published.slice(this.snsSeen)) {
      this.figures.snsPublishes += requests;
      const topic = topicArn.split(':').pop();
      this.figures.emails += this.shape.subscriptions.filter(
        (subscription) =>
          subscription.topic === topic &&
          subscription.protocol === 'email' &&
          deliveredBySubscription(subscription, attributes),
      ).length;
    }
    this.snsSeen = this.sns.published.length;
    for (const { operation, findings } of this.hub.log.slice(this.findingsSeen)) {
      if (operation === 'BatchImportFindings') this.figures.securityHubFindings += findings;
    }
    this.findingsSeen = this.hub.log.length;
    for (const [operation, requests] of Object.entries(this.sqs.requests)) this.count(operation, requests);
    for (const operation of Object.keys(this.sqs.requests)) delete this.sqs.requests[operation];
  }

  /** Output of an invocation is its log (Lambda's JSON log format: each line an event); EMF lines name series. */
  private captureOutput(): void {
    const streams = [process.stdout, process.stderr];
    const writes = streams.map((stream) => stream.write.bind(stream));
    streams.forEach((stream, index) => {
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        const tag = workTag.getStore();
        const logged = tag ? this.logs.get(tag) : undefined;
        if (!logged) return (writes[index] as (...args: unknown[]) => boolean)(chunk, ...rest);
        const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        for (const line of text.split('\n')) {
          if (line.length === 0) continue;
          logged.bytes += Buffer.byteLength(line);
          logged.events++;
          logged.problem ??= problemOf(line);
          for (const series of seriesOf(line)) this.figures.series.add(series);
        }
        return true;
      }) as typeof stream.write;
    });
    this.restoreOutput = () =>
      streams.forEach((stream, index) => (stream.write = writes[index] as typeof stream.write));
  }
}

/** A warning or error a log line reports, with its reason: what a failed invocation says of itself. */
function problemOf(line: string): string | undefined {
  try {
    const json = JSON.parse(line) as {
      level?: string;
      message?: string;
      reason?: string;
      error?: { message?: string };
    };
    if (json.level !== 'WARN' && json.level !== 'ERROR') return undefined;
    return [json.message, json.reason ?? json.error?.message].filter(Boolean).join(': ');
  } catch {
    return undefined;
  }
}

/** An event as an EventBridge rule delivers it to an SQS queue. */
function envelope(entry: PutEntry, options: StackRunOptions): string {
  return JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: options.account,
    time: new Date().toISOString(),
    region: options.region,
    resources: [],
    detail: JSON.parse(entry.Detail) as Json,
  });
}

/**
 * The custom metric series an EMF line defines, each as `namespace metric {dimension=value,…}`: every metric of
 * every directive, under each of its dimension sets, with the values the line's root gives those dimensions.
 */
export function seriesOf(line: string): string[] {
  if (!line.includes('"_aws"')) return [];
  let json: {
    _aws?: {
      CloudWatchMetrics?: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }>;
    };
  } & Json;
  try {
    json = JSON.parse(line) as typeof json;
  } catch {
    return [];
  }
  const series: string[] = [];
  for (const directive of json._aws?.CloudWatchMetrics ?? []) {
    for (const metric of directive.Metrics) {
      for (const dimensions of directive.Dimensions.length > 0 ? directive.Dimensions : [[]]) {
        const values = [...dimensions].sort().map((name) => `${name}=${String(json[name])}`);
        series.push(`${directive.Namespace} ${metric.Name} {${values.join(',')}}`);
      }
    }
  }
  return series;
}
