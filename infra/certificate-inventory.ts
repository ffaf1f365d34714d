import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyConfig } from '../lib/domain/policy';
import { Aws, CfnRule, Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { INVENTORY_INDEXES, INVENTORY_KEYS, TTL_ATTRIBUTE } from '../lib/adapters/dynamodb-table';
import {
  AlertsConfig,
  ReportsConfig,
  digestSeverityGaps,
  ExpiryConfig,
  formatPath,
  operationsEmailsOf,
  scopeCountOf,
  SourceConfig,
  type DeployedSourceConfig,
} from '../lib/domain/config';
import { CtConfig } from '../lib/domain/ct-config';
import { RevocationConfig } from '../lib/domain/revocation-config';
import type * as z from 'zod';
import { EVENT_SOURCE } from '../lib/domain/events';
import { renewerPackagesOf } from '../lib/ports/certificate-renewer';
import { OPTIONAL_PROVIDER_PACKAGES, type SourceKind } from '../lib/ports/certificate-source';
import { METRIC, METRICS_NAMESPACE, serviceName } from '../lib/domain/metric-names';
import { AlertPipeline } from './alert-pipeline';
import { RenewalWorkflow } from './renewal-workflow';
import { ApprovalConfig } from '../lib/domain/approval';
import { RENEWAL_WATCH_HOURS } from '../lib/domain/renewal-workflow';
import { pascal } from './construct-ids';
import { envelopeSchema, loadEventSchemas, schemaNameOf, type EventSchemaDefinition } from './event-schemas';
import { bundlingFor, DEPLOYMENT_FILE, FUNCTION_ENTRIES, LAMBDA_RUNTIME, type FunctionRole } from './function-bundling';
import {
  addOperationsAlarms,
  certwardenMetric,
  createDashboard,
  createOperationsTopic,
  longestIntervalSeconds,
  operationsAlarm,
  stalenessWindow,
  type OperationsAlarmProps,
} from './operations-alarms';
import {
  isCompleteSecretArn,
  RENEWING_KINDS,
  secretArnsOf,
  sourceListActions,
  sourceStatements,
} from './source-permissions';
import { MEMBER_ACCOUNT_KINDS, namePrefix, renewRoleName, STAGE_PATTERN, syncRoleName } from './stage-names';
import { acknowledgeScopedWildcards, allowOnAnyResource, nagResource } from './wildcard-permissions';

export interface CertificateInventoryProps {
  /**
   * The configured sources (the certwarden config's `sources`, parsed by lib/domain/config.ts): each gets a
   * schedule that starts its sync, and each kind a sync worker and queue with that kind's permissions only.
   * `local-files` sources cannot be synced by a Lambda and are refused.
   *
   * Validated and completed by its schema (defaults such as `schedule` and `ownerTagKeys` applied) at synth time.
   *
   * @default [] (the inventory, bus, alarms and dashboard, and no sync)
   * @example
   * [{ kind: 'aws-acm', name: 'acm-prod', regions: ['eu-west-1'], schedule: 'rate(6 hours)' }]
   */
  readonly sources?: z.input<typeof SourceConfig>[];
  /**
   * The certificate policy the sync workers enforce (the config's `policy`), in the deployment file bundled
   * beside them with the sources (functions/shared/deployment.ts): any size.
   *
   * @default the recommended policy (lib/domain/policy RECOMMENDED_POLICY)
   * @example
   * PolicyConfig.parse({
   *   rules: { 'rsa-min-key-size': { severity: 'high', params: { minBits: 3072 } }, 'no-wildcards': { enabled: false } },
   * })
   */
  readonly policy?: PolicyConfig;
  /**
   * The stage this deployment is, so that stages share an account and region: every fixed physical name starts
   * with `certwarden-<stage>` instead of `certwarden` (the table `certwarden-<stage>-inventory`, the bus
   * `certwarden-<stage>` and its schema registry `certwarden-<stage>-events`, the managed policies
   * `certwarden-<stage>-reader` and `-operator`, the sync roles `certwarden-<stage>-sync-<kind>`); every other
   * name is CloudFormation's, unique per stack. Lowercase letters, digits and hyphens, at most 20 characters.
   *
   * @default none: names start with `certwarden` (`certwarden-inventory`, `certwarden-sync-aws-acm`, …)
   * @example 'staging'
   */
  readonly stage?: string;
  /**
   * Name of the inventory table; the CLI's `--store aws` (and `--table`) finds it by this name.
   *
   * @default '<prefix>-inventory' (`certwarden-inventory`, or `certwarden-<stage>-inventory`)
   */
  readonly tableName?: string;
  /**
   * What happens to the table, its keys and the functions' log groups when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   * @example RemovalPolicy.DESTROY // a throwaway test stack
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection on the table.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Write units per second the table and each index take at once (DynamoDB warm throughput, the config's
   * `inventory.warmWriteUnitsPerSecond`): a first full sync of a large estate without waiting for the on-demand
   * ramp (a new table takes ~4,000 writes a second and doubles its peak at most every 30 minutes).
   *
   * @default none: DynamoDB's own ramp
   */
  readonly warmWriteUnitsPerSecond?: number;
  /**
   * Name of the certwarden event bus; the schema registry is named after it (`<name>-events`).
   *
   * @default the stage's prefix (`certwarden`, or `certwarden-<stage>`)
   */
  readonly eventBusName?: string;
  /**
   * How long the bus's archive keeps certwarden's events for replay.
   *
   * @default Duration.days(365)
   * @example Duration.days(90)
   */
  readonly eventArchiveRetention?: Duration;
  /**
   * Schemas registered for the bus's events, one per detail type, in the bus's schema registry.
   *
   * @default every `*.schema.json` under lib/domain/event-schemas (loadEventSchemas())
   */
  readonly eventSchemas?: EventSchemaDefinition[];
  /**
   * Where alerts go (the config's `alerts`: email addresses, escalation, owners, Slack, digest, Security Hub,
   * SIEM), validated and completed by its schema (lib/domain/config.ts AlertsConfig) at synth time.
   *
   * @default email topics without subscribers, Security Hub findings, evaluation daily at 06:00 UTC and after each sync
   * @example
   * {
   *   emails: ['pki-team@example.com'],
   *   escalationEmails: ['oncall@example.com'],
   *   slack: { webhookSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certwarden/slack-AbCdEf' },
   *   digest: { schedule: 'cron(0 7 * * ? *)' },
   * }
   */
  readonly alerts?: z.input<typeof AlertsConfig>;
  /**
   * When expiry alerts fire and how severe they are (the config's `expiry`), validated by its schema
   * (lib/domain/config.ts ExpiryConfig) at synth time.
   *
   * @default 60, 30, 14, 7 and 1 days and a third of the lifetime; warning ≤ 30, high ≤ 7, critical ≤ 1 day
   * @example { days: [30, 14, 7, 1], severity: { warningDays: 30, highDays: 7, criticalDays: 1 } }
   */
  readonly expiry?: z.input<typeof ExpiryConfig>;
  /**
   * The OCSP/CRL checks of the evaluation (the config's `revocation`): `enabled: false` turns them off; the
   * exchange timeout and the requests per responder host.
   *
   * @default on, 5 s a request, 4 requests at once per host
   */
  readonly revocation?: z.input<typeof RevocationConfig>;
  /**
   * Retention of every function's log group.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Timeout of a sync worker invocation (one scope), at most 15 minutes. A sync that times out has stored what
   * it read, so its retry goes on from there (unchanged places cost only their list page). The sync queue's
   * visibility timeout is six times this.
   *
   * @default Duration.minutes(10)
   */
  readonly syncTimeout?: Duration;
  /**
   * Memory of a sync worker, in MiB.
   *
   * @default SYNC_MEMORY_MB by kind: 512 for ACM and Private CA, 1024 for the others
   */
  readonly syncMemorySize?: number;
  /**
   * Sync workers of one kind running at once (the SQS event source's maximum concurrency, 2 to 1000; the
   * config's `sync.maxConcurrency`). A worker syncs one scope, paced at that scope's own provider quota (an
   * account × region, a vault: lib/connectors/rate-limiter.ts), so workers on different scopes share no
   * quota: the bound is the account's Lambda concurrency, not the providers'.
   *
   * @default the kind's number of scopes, at least 2 and at most 100 (DEFAULT_SYNC_CONCURRENCY_CAP)
   */
  readonly syncMaxConcurrency?: number;
  /**
   * Scopes (SQS messages) per sync worker invocation, processed one after another (1 to 10).
   *
   * @default 1
   */
  readonly syncBatchSize?: number;
  /**
   * Deliveries of a scope's message before it is parked in its kind's sync dead-letter queue (whose alarm then
   * fires).
   *
   * @default 3
   */
  readonly syncMaxReceiveCount?: number;
  /**
   * How often the inventory-wide metrics (expired, by expiry band, soonest expiry per source) are computed: an
   * EventBridge Scheduler expression.
   *
   * @default 'rate(1 hour)'
   * @example 'cron(0/15 * * * ? *)'
   */
  readonly inventoryMetricsSchedule?: string;
  /**
   * Certificate Transparency monitoring (the config's `ct`): a function on `ct.schedule` that reads the logs and
   * publishes Unknown Certificate Issued for certificates of `ct.domains` the inventory does not hold.
   *
   * @default no CT monitoring
   */
  readonly ct?: z.input<typeof CtConfig>;
  /**
   * The monthly compliance report pack: every `certwarden report` as CSV and HTML in a versioned, KMS-encrypted
   * bucket the reader policy can read, and the object keys by email to `reports.emails`.
   *
   * @default no scheduled reports
   */
  readonly reports?: z.input<typeof ReportsConfig>;
  /**
   * Prefix of the managed policies for people: `<prefix>-reader` (read the inventory) and `<prefix>-operator`
   * (also renew ACM certificates and publish to the bus).
   *
   * @default the stage's prefix (`certwarden`, or `certwarden-<stage>`)
   */
  readonly managedPolicyPrefix?: string;
  /**
   * A CloudWatch dashboard (the config's `monitoring.dashboard`), and the metric series only it shows, which the
   * functions write only then: $3 a month for the dashboard and $0.30 for each series (docs/architecture.md).
   *
   * @default false
   */
  readonly dashboard?: boolean;
  /**
   * Which renewals wait for a person's approval, and how long (the config's `renewal.approval`), validated and
   * completed by its schema (lib/domain/approval.ts ApprovalConfig) at synth time.
   *
   * @default tag `approval=required`, code-signing and CA certificates wait; a request expires after a day
   * @example { tags: { approval: 'required', tier: 'root' }, kinds: ['code-signing', 'ca'], timeoutMinutes: 240 }
   */
  readonly approval?: z.input<typeof ApprovalConfig>;
  /**
   * The renewal workflow (Step Functions on Certificate Expiring) for the configured sources certwarden renews. Its
   * function bundles every renewer: the app needs the optional provider packages installed (README).
   *
   * @default false
   */
  readonly renewalWorkflow?: boolean;
  /**
   * How long the renewal workflow watches a renewal the provider is still at before it fails it (the config's
   * `renewal.watchHours`, 1 to 720).
   *
   * @default 24
   */
  readonly renewalWatchHours?: number;
}

/**
 * A sync worker's memory by source kind, where measured below Lambda's 1,024 MiB (docs/benchmarks.md, cost): an ACM
 * worker spends an hourly resync waiting for ACM's rates, not computing, and it is billed by memory × time; on a
 * scope of ACM's default 2,500 certificates its process peaked near 300 MB with the bench's fakes in it. Private CA's
 * worker runs the same SDK on a scope of a few CAs.
 */
export const SYNC_MEMORY_MB: Partial<Record<SourceKind, number>> = { 'aws-acm': 512, 'aws-pca': 512 };

/**
 * The default ceiling on one kind's concurrent sync workers: a tenth of Lambda's default 1,000 concurrent
 * executions per account and region, so the rest of the account keeps room. At ~10 s a scope (100 ACM
 * certificates at 10 requests/s per operation) that is 10,000 scopes in about 17 minutes.
 */
const DEFAULT_SYNC_CONCURRENCY_CAP = 100;

/** The functions that write metrics (lib/domain/metric-names.ts): told whether to write the dashboard's too. */
const METRIC_EMITTERS: ReadonlySet<string> = new Set(Object.values(METRIC).map((metric) => metric.emitter));

/**
 * The deployed certwarden: the inventory table, the event bus with its archive and schema registry, one sync
 * worker per configured source kind fed by a planner through SQS, the inventory-metrics function, alarms on an
 * encrypted operations topic, an optional dashboard, and managed policies for people. It holds no business logic:
 * the functions run lib/use-cases, and everything here only wires them.
 *
 * Extend it with `addAlarm`, `addEventRule` (its target's dead letters to `invocationDeadLetters`) and queues whose
 * dead letters go to `queueDeadLetters` (a Slack notifier, alert rules).
 */
export class CertificateInventory extends Construct {
  /** The inventory: certificates, places, history, sync runs, alert ledger (docs/architecture.md). */
  readonly table: dynamodb.Table;
  /**
   * certwarden's one customer-managed key: the table, the log groups and the alert topics (which CloudWatch alarms
   * publish to with it). One key, not one per use: docs/architecture.md, "One customer-managed key".
   */
  readonly dataKey: kms.Key;
  /** What every fixed physical name starts with: `certwarden`, or `certwarden-<stage>` (props.stage). */
  readonly namePrefix: string;
  /** The certwarden bus: every event certwarden publishes, archived for replay. */
  readonly eventBus: events.EventBus;
  /** The schemas of the bus's events. */
  readonly schemaRegistry: eventschemas.CfnRegistry;
  /** Expiry alerts and digests by email, each subscription filtered on the message's `audience` or `owner`. */
  readonly alertsTopic: sns.Topic;
  /** Where every alarm goes, OK and ALARM, to unfiltered subscriptions (encrypted with `alertsKey`). */
  readonly operationsTopic: sns.Topic;
  /** Fans a scheduled source out into one SQS message per scope. */
  readonly syncPlanner: NodejsFunction;
  /** Computes the inventory-wide metrics on `inventoryMetricsSchedule`. */
  readonly inventoryMetrics: NodejsFunction;
  /** Polls the CT logs on `ct.schedule` (with the `ct` prop only). */
  readonly ctMonitor?: NodejsFunction;
  /** Where the monthly report packs are kept (with the `reports` prop only). */
  readonly reportBucket?: s3.Bucket;
  /** Writes the monthly report pack (with the `reports` prop only). */
  readonly reportPack?: NodejsFunction;
  /** The sync worker of each configured source kind. */
  readonly syncWorkers: ReadonlyMap<SourceKind, NodejsFunction>;
  /** The queue of each configured source kind, which its sync worker reads. */
  readonly syncQueues: ReadonlyMap<SourceKind, sqs.Queue>;
  /** For people who read the inventory (compliance, audit). */
  readonly readerPolicy: iam.ManagedPolicy;
  /** For people who also renew ACM certificates and publish acknowledgements. */
  readonly operatorPolicy: iam.ManagedPolicy;
  /** With the `dashboard` prop only. */
  readonly dashboard?: cloudwatch.Dashboard;
  /**
   * The dead letters of every certwarden SQS queue (sync scopes, evaluations, alert deliveries, SIEM records), each
   * with its `DeadLetterQueueSourceArn`: a redrive to source returns each message to its own queue. One queue, one
   * alarm, for all of them (docs/architecture.md, "Alarms and metrics").
   */
  readonly queueDeadLetters: sqs.Queue;
  /**
   * What EventBridge Scheduler, the bus's rules and Lambda's asynchronous retries gave up on: each message names
   * its schedule or rule (message attributes) or its function (the failure record's `requestContext`). Not
   * redrivable to a source (SQS redrives only other queues' dead letters); one alarm.
   */
  readonly invocationDeadLetters: sqs.Queue;
  /**
   * The sources and policy the planner and the sync workers read (functions/shared/deployment.ts), written at
   * synth time and bundled beside each of them.
   */
  readonly deploymentFile: string;

  private readonly logRetention: logs.RetentionDays;
  private readonly removalPolicy: RemovalPolicy;
  /** Whether the functions write the series only the dashboard shows. */
  private readonly dashboardMetrics: boolean;
  /** The role EventBridge Scheduler invokes certwarden's functions with. */
  readonly schedulerRole: iam.Role;
  /** Expiry evaluation, notifiers, Security Hub and SIEM forwarding. */
  readonly alertPipeline: AlertPipeline;
  /**
   * Renewal on Certificate Expiring events, with approval for sensitive certificates: when a source of a kind
   * certwarden renews is configured (ACM, Key Vault, Certificate Manager).
   */
  readonly renewalWorkflow?: RenewalWorkflow;

  constructor(scope: Construct, id: string, props: CertificateInventoryProps = {}) {
    super(scope, id);
    const { sources, directAccount } = validate(props, Stack.of(this).account);
    if (directAccount) this.requireDeployingAccount(directAccount);
    this.namePrefix = namePrefix(props.stage);
    const alerts = AlertsConfig.parse(props.alerts ?? {});
    this.dashboardMetrics = props.dashboard ?? false;
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // Table and its key, which the logs and the topics share.
    this.dataKey = this.createDataKey();
    this.table = this.createTable(props);

    // Bus and schemas.
    const busName = props.eventBusName ?? this.namePrefix;
    this.eventBus = this.createEventBus(busName, props);
    this.schemaRegistry = this.registerEventSchemas(busName, props);

    // What every asynchronous target shares: the topics, the two dead-letter queues (each alarmed), the scheduler's
    // role.
    this.alertsTopic = new sns.Topic(this, 'AlertsTopic', {
      displayName: 'certwarden alerts',
      masterKey: this.alertsKey,
      enforceSSL: true,
    });
    this.operationsTopic = createOperationsTopic(this, this.alertsKey, operationsEmailsOf(alerts));
    this.queueDeadLetters = this.createDeadLetterQueue(
      'QueueDlq',
      'work from its queues that failed every retry (sync scopes, evaluations, alert deliveries, SIEM records); ' +
        "each message's DeadLetterQueueSourceArn names its queue, and a redrive to source returns it there",
    );
    this.invocationDeadLetters = this.createDeadLetterQueue(
      'InvocationDlq',
      'invocations that Scheduler, a rule on the bus or Lambda gave up on; each message names its schedule, rule ' +
        'or function',
    );
    this.schedulerRole = this.createSchedulerRole();

    // Sync: Scheduler → planner → one SQS queue per kind → that kind's worker.
    const approval = ApprovalConfig.parse(props.approval ?? {});
    this.deploymentFile = writeDeploymentFile(sources, props.policy, approval);
    const { workers, queues } = this.createSyncWorkers(props, sources, this.deploymentFile);
    this.syncWorkers = workers;
    this.syncQueues = queues;
    this.syncPlanner = this.createSyncPlanner(queues, sources, this.deploymentFile);

    this.inventoryMetrics = this.createInventoryMetrics(props);
    if (props.ct) this.ctMonitor = this.createCtMonitor(CtConfig.parse(props.ct));
    if (props.reports) {
      const reports = ReportsConfig.parse(props.reports);
      this.reportBucket = this.createReportBucket(reports);
      this.reportPack = this.createReportPack(reports, this.reportBucket);
    }
    this.alertPipeline = new AlertPipeline(this, {
      alerts,
      expiry: ExpiryConfig.parse(props.expiry ?? {}),
      revocation: RevocationConfig.parse(props.revocation ?? {}),
    });
    if (props.renewalWorkflow && sources.some((source) => RENEWING_KINDS.includes(source.kind))) {
      this.renewalWorkflow = new RenewalWorkflow(this, {
        sources,
        approval,
        watchHours: props.renewalWatchHours ?? RENEWAL_WATCH_HOURS.default,
        deploymentFile: this.deploymentFile,
        roleName: renewRoleName(props.stage),
        removalPolicy: this.removalPolicy,
        logRetention: this.logRetention,
      });
    }

    const { readerPolicy, operatorPolicy } = this.peoplePolicies(props.managedPolicyPrefix ?? this.namePrefix, sources);
    this.readerPolicy = readerPolicy;
    this.operatorPolicy = operatorPolicy;
    this.renewalWorkflow?.grantApprovalAnswers(operatorPolicy);
    // Alarms, and the dashboard last: it shows every dead-letter queue, the alert pipeline's too.
    addOperationsAlarms(this, sources);
    if (this.dashboardMetrics) this.dashboard = createDashboard(this, sources);
  }

  /**
   * The one customer-managed key: the table (through DynamoDB), the log groups (CloudWatch Logs of this account)
   * and the alert topics (through SNS; CloudWatch alarms of this account publish with it). Grants on it are for
   * AWS services only (AWS Control Tower CT.KMS.PR.3): DynamoDB's are made on a caller's behalf.
   */
  private createDataKey(): kms.Key {
    const key = new kms.Key(this, 'DataKey', {
      description: 'certwarden: inventory table, function logs and alert topics',
      enableKeyRotation: true,
      removalPolicy: this.removalPolicy,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsOfThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'GrantsForAwsServicesOnly',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
    return key;
  }

  /** The key of the alert topics: the same key as `dataKey`. */
  get alertsKey(): kms.Key {
    return this.dataKey;
  }

  /**
   * The roles a member account's MemberAccountRole trusts: the configured AWS sync workers' (ACM, ACM Private CA, IAM,
   * IoT) by their fixed names (`<prefix>-sync-<kind>`), and the renew function's (`<prefix>-renew`) when the
   * renewal workflow renews ACM certificates.
   */
  get memberAccountReaders(): iam.IRole[] {
    return [
      ...MEMBER_ACCOUNT_KINDS.flatMap((kind) => this.syncWorkers.get(kind)?.role ?? []),
      // Renewals in a member account go through the same role (MemberAccountRole `renewals`).
      ...(this.syncWorkers.has('aws-acm') && this.renewalWorkflow ? [this.renewalWorkflow.function.role!] : []),
    ];
  }

  /**
   * Only the deploying account is read without a role; when the stack does not know its account at synth, the
   * deployment checks it: a CloudFormation rule refuses a stack whose account is not `accountId`, before any
   * resource is made.
   */
  private requireDeployingAccount(accountId: string): void {
    new CfnRule(this, 'DirectAccountIsDeployingAccount', {
      assertions: [
        {
          assert: Fn.conditionEquals(Aws.ACCOUNT_ID, accountId),
          assertDescription: `certwarden reads account ${accountId} without a role (no roleName in its sources), which only works from that account: deploy there, or give the account a roleName`,
        },
      ],
    });
  }

  /** The inventory table (lib/adapters/dynamodb-table.ts keys and indexes), on demand, encrypted, with TTL. */
  private createTable(props: CertificateInventoryProps): dynamodb.Table {
    const warmThroughput =
      props.warmWriteUnitsPerSecond === undefined ? undefined : { writeUnitsPerSecond: props.warmWriteUnitsPerSecond };
    const table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName ?? `${this.namePrefix}-inventory`,
      partitionKey: { name: INVENTORY_KEYS.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: INVENTORY_KEYS.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.dataKey,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: this.removalPolicy,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      warmThroughput,
    });
    for (const [indexName, keys] of Object.entries(INVENTORY_INDEXES)) {
      table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: keys.partition, type: dynamodb.AttributeType.STRING },
        sortKey: { name: keys.sort, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType[keys.projection],
        warmThroughput,
      });
    }
    return table;
  }

  /** The certwarden bus, with an archive of its events for replay. */
  private createEventBus(busName: string, props: CertificateInventoryProps): events.EventBus {
    const bus = new events.EventBus(this, 'EventBus', { eventBusName: busName });
    bus.archive('Archive', {
      description: 'certwarden events, for replay',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: props.eventArchiveRetention ?? Duration.days(365),
    });
    return bus;
  }

  /** The bus's schema registry, with a schema for each detail type. */
  private registerEventSchemas(busName: string, props: CertificateInventoryProps): eventschemas.CfnRegistry {
    const registry = new eventschemas.CfnRegistry(this, 'SchemaRegistry', {
      registryName: `${busName}-events`,
      description: `Schemas of the events certwarden publishes on the ${busName} bus`,
    });
    for (const schema of props.eventSchemas ?? loadEventSchemas()) {
      for (const detailType of schema.detailTypes) {
        const name = schemaNameOf(detailType);
        new eventschemas.CfnSchema(this, `Schema${name.split('@')[1]}`, {
          registryName: registry.attrRegistryName,
          schemaName: name,
          type: 'JSONSchemaDraft4',
          description: `${detailType} (${schema.file})`,
          content: JSON.stringify(envelopeSchema(detailType, schema.detail)),
        });
      }
    }
    return registry;
  }

  /** The role EventBridge Scheduler of this account invokes certwarden's functions (and queues) with. */
  private createSchedulerRole(): iam.Role {
    return new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      }),
      description: 'certwarden: EventBridge Scheduler invokes the sync planner and the inventory metrics',
    });
  }

  /** The sync fan-out's second half, per configured source kind: a queue (with its DLQ) and the worker reading it. */
  private createSyncWorkers(
    props: CertificateInventoryProps,
    sources: SourceConfig[],
    deploymentFile: string,
  ): { workers: Map<SourceKind, NodejsFunction>; queues: Map<SourceKind, sqs.Queue> } {
    const kinds = [...new Set(sources.map((source) => source.kind))].sort();
    const workers = new Map<SourceKind, NodejsFunction>();
    const queues = new Map<SourceKind, sqs.Queue>();
    const syncTimeout = props.syncTimeout ?? Duration.minutes(10);
    for (const kind of kinds) {
      const ofKind = sources.filter((source) => source.kind === kind);
      const { worker, queue } = this.createSyncWorker(kind, ofKind, syncTimeout, props, deploymentFile);
      workers.set(kind, worker);
      queues.set(kind, queue);
    }
    return { workers, queues };
  }

  /**
   * One kind's sync worker and its queue: the worker may read and write the inventory, publish on the bus, and
   * call that kind's provider APIs for the configured sources (`ofKind`) only.
   */
  private createSyncWorker(
    kind: SourceKind,
    ofKind: SourceConfig[],
    syncTimeout: Duration,
    props: CertificateInventoryProps,
    deploymentFile: string,
  ): { worker: NodejsFunction; queue: sqs.Queue } {
    const name = pascal(kind);
    const queue = new sqs.Queue(this, `Sync${name}Queue`, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function timeout, as Lambda advises for SQS event sources, so a throttled batch is not
      // redelivered while still in flight.
      visibilityTimeout: Duration.seconds(syncTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.queueDeadLetters, maxReceiveCount: props.syncMaxReceiveCount ?? 3 },
    });
    const worker = this.addFunction(`Sync${name}`, 'syncWorker', {
      description: `certwarden: syncs one scope of a ${kind} source into the inventory`,
      timeout: syncTimeout,
      memorySize: props.syncMemorySize ?? SYNC_MEMORY_MB[kind] ?? 1024,
      sourceKind: kind,
      deploymentFile,
      roleName: syncRoleName(props.stage, kind),
      environment: {
        CERTWARDEN_TABLE: this.table.tableName,
        CERTWARDEN_EVENT_BUS: this.eventBus.eventBusName,
        CERTWARDEN_SOURCE_KIND: kind,
      },
    });
    const role = worker.role as iam.Role;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
        ],
        resources: [this.table.tableArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        // A scope's places (the comparison and the tombstone pass); whether a departed certificate is still live
        // somewhere (the register of public keys forgets it when not).
        resources: [this.indexArn('bySource'), this.indexArn('byFingerprint')],
      }),
    );
    role.addToPolicy(this.tableKeyStatement(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']));
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.eventBus.eventBusArn] }),
    );
    for (const statement of sourceStatements(ofKind)) role.addToPolicy(statement);
    if (kind === 'tls-endpoint') this.scanEndpointsFrom(worker, ofKind);
    const listActions = sourceListActions(ofKind);
    if (listActions.length > 0) {
      allowOnAnyResource(
        this,
        `Sync${name}List`,
        role,
        listActions,
        `${listActions.join(' and ')} supports no resource-level permissions; the listing is what the sync reads first.`,
      );
    }
    worker.addEventSource(
      new SqsEventSource(queue, {
        batchSize: props.syncBatchSize ?? 1,
        reportBatchItemFailures: true,
        maxConcurrency: props.syncMaxConcurrency ?? defaultSyncConcurrency(ofKind),
      }),
    );
    acknowledgeSourceWildcards(role, ofKind);
    return { worker, queue };
  }

  /**
   * What a tls-endpoint worker needs besides a sync's: the alert ledger's claims on the served-certificate alerts it
   * raises and resolves (their update, release and forgetting, on `ALERT#` items), the open ones it closes (`SERVED#`
   * items), and, when its sources name one, the VPC its private endpoints are in.
   */
  private scanEndpointsFrom(worker: NodejsFunction, sources: SourceConfig[]): void {
    const role = worker.role as iam.Role;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ALERT#*', 'SERVED#*'] } },
      }),
    );
    const vpc = endpointVpcOf(sources);
    if (!vpc) return;
    (worker.node.defaultChild as lambda.CfnFunction).vpcConfig = vpc;
    // Lambda's VPC networking (the AWSLambdaVPCAccessExecutionRole actions), scoped to the configured subnets and
    // security groups; the network interfaces have no id before Lambda creates them.
    const ec2Arn = (type: string, id: string) =>
      `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:${type}/${id}`;
    const interfaces = ec2Arn('network-interface', '*');
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:CreateNetworkInterface'],
        resources: [
          ...vpc.subnetIds.map((id) => ec2Arn('subnet', id)),
          ...vpc.securityGroupIds.map((id) => ec2Arn('security-group', id)),
          interfaces,
        ],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:AssignPrivateIpAddresses', 'ec2:DeleteNetworkInterface', 'ec2:UnassignPrivateIpAddresses'],
        resources: [interfaces],
      }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(interfaces)}]`,
      reason:
        'The network interfaces Lambda creates for the VPC have no id before they exist; the account and region are fixed.',
    });
    allowOnAnyResource(
      this,
      'SyncTlsEndpointVpc',
      role,
      ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
      "Lambda's VPC networking describes the interfaces and subnets it uses: the Describe calls support no resource-level permissions.",
    );
  }

  /** The sync fan-out's first half: the planner, which may send to every kind's queue, and a schedule per source. */
  private createSyncPlanner(
    queues: ReadonlyMap<SourceKind, sqs.Queue>,
    sources: DeployedSourceConfig[],
    deploymentFile: string,
  ): NodejsFunction {
    const planner = this.addFunction('SyncPlanner', 'syncPlanner', {
      description: 'certwarden: fans a scheduled source out into one SQS message per scope',
      timeout: Duration.minutes(1),
      memorySize: 256,
      deploymentFile,
      environment: {
        CERTWARDEN_SYNC_QUEUES: Stack.of(this).toJsonString(
          Object.fromEntries([...queues].map(([kind, queue]) => [kind, queue.queueUrl])),
        ),
      },
      parkFailedInvocations: true,
    });
    for (const queue of queues.values()) {
      planner.role!.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
      );
    }
    for (const source of sources) {
      this.addSchedule(`Sync${pascal(source.name)}Schedule`, planner, {
        description: `certwarden: sync ${source.name} (${source.kind}) ${source.schedule}`,
        expression: source.schedule,
        input: { source: source.name },
      });
    }
    return planner;
  }

  /** The inventory-wide metrics function, on its schedule, reading the expiry and status indexes only. */
  private createInventoryMetrics(props: CertificateInventoryProps): NodejsFunction {
    const fn = this.addFunction('InventoryMetrics', 'inventoryMetrics', {
      description: 'certwarden: inventory-wide metrics (expired, by expiry band, soonest expiry per source)',
      timeout: Duration.minutes(5),
      memorySize: 512,
      environment: { CERTWARDEN_TABLE: this.table.tableName },
      parkFailedInvocations: true,
    });
    fn.role!.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [this.indexArn('byExpiry'), this.indexArn('byStatus')],
      }),
    );
    fn.role!.addToPrincipalPolicy(this.tableKeyStatement(['kms:Decrypt', 'kms:DescribeKey']));
    this.addSchedule('InventoryMetricsSchedule', fn, {
      description: 'certwarden: inventory-wide metrics',
      expression: props.inventoryMetricsSchedule ?? 'rate(1 hour)',
    });
    return fn;
  }

  /**
   * The CT monitor on its schedule. It reads and writes only its own items (the logs' positions, `CTLOG#…`, and its
   * findings in the alert ledger, `ALERT#ct:…`), reads places and certificates by key (`LOC#…`, `CERT#…`) through the
   * byFingerprint and byExpiry indexes, and publishes to the bus; the logs are reached over the internet.
   */
  private createCtMonitor(ct: CtConfig): NodejsFunction {
    const fn = this.addFunction('CtMonitor', 'ctMonitor', {
      description: `certwarden: polls ${ct.logs.length} CT log(s) for unknown certificates of ${ct.domains.join(', ')}`,
      timeout: Duration.minutes(5),
      memorySize: 512,
      environment: {
        CERTWARDEN_TABLE: this.table.tableName,
        CERTWARDEN_EVENT_BUS: this.eventBus.eventBusName,
        CERTWARDEN_CT: JSON.stringify(ct),
      },
      parkFailedInvocations: true,
    });
    const leadingKeys = (...prefixes: string[]) => ({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((prefix) => `${prefix}*`) },
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
        conditions: leadingKeys('CTLOG#', 'ALERT#ct:'),
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem'],
        resources: [this.table.tableArn],
        conditions: leadingKeys('LOC#', 'CERT#'),
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [this.indexArn('byFingerprint'), this.indexArn('byExpiry')],
      }),
    );
    fn.addToRolePolicy(
      this.tableKeyStatement(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.eventBus.eventBusArn] }),
    );
    this.addSchedule('CtMonitorSchedule', fn, {
      description: `certwarden: poll CT logs ${ct.schedule}`,
      expression: ct.schedule,
    });
    // A log that stays unreadable is a blind spot nobody would notice: three polls in a row (or the days that
    // cover three, for a rarer schedule) with a log unread. One failed poll is not worth a page: the next resumes.
    const window = stalenessWindow(longestIntervalSeconds(ct.schedule));
    if (window) {
      this.addAlarm('CtLogsUnread', {
        metric: certwardenMetric(this, METRIC.ctLogsUnread, {}, 'Maximum', window.period),
        threshold: 1,
        evaluationPeriods: window.evaluationPeriods,
        alarmDescription: `certwarden: a CT log could not be read in ${window.evaluationPeriods} polls in a row (see the ct-monitor logs)`,
      });
    }
    return fn;
  }

  /** The table and every index: what reading the inventory as `certwarden list` and `report` do needs. */
  private tableReadResources(): string[] {
    return [
      this.table.tableArn,
      ...Object.keys(INVENTORY_INDEXES).map((index) => this.indexArn(index as keyof typeof INVENTORY_INDEXES)),
    ];
  }

  /**
   * The report packs' bucket: versioned (a re-run writes the same keys; the version before stays), encrypted with
   * the data key (S3 Bucket Keys: one KMS call per object, not per part), TLS only, no public access, and each
   * pack deleted `retentionDays` after it is written (its older versions 30 days after they are replaced).
   */
  private createReportBucket(reports: ReportsConfig): s3.Bucket {
    const bucket = new s3.Bucket(this, 'ReportBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.dataKey,
      bucketKeyEnabled: true,
      versioned: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: this.removalPolicy,
      lifecycleRules: [
        {
          id: 'ExpirePacks',
          expiration: Duration.days(reports.retentionDays),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Written once a month by one function and read by the reader policy: CloudTrail records who read or wrote each pack (data events where the account enables them); an access-log bucket would be a second bucket to secure for the same record.',
    });
    return bucket;
  }

  /**
   * The report pack on `reports.schedule`: reads the inventory through its indexes as `certwarden report` does
   * (the reader policy's actions), writes `packs/<date>/` objects to the bucket, and tells the `reports` audience
   * of the alerts topic the object keys.
   */
  private createReportPack(reports: ReportsConfig, bucket: s3.Bucket): NodejsFunction {
    const fn = this.addFunction('ReportPack', 'reportPack', {
      description: 'certwarden: the monthly compliance report pack (CSV and HTML) to the reports bucket',
      timeout: Duration.minutes(15),
      memorySize: 1024,
      environment: {
        CERTWARDEN_TABLE: this.table.tableName,
        CERTWARDEN_REPORT_BUCKET: bucket.bucketName,
        CERTWARDEN_ALERTS_TOPIC: this.alertsTopic.topicArn,
      },
      parkFailedInvocations: true,
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        resources: this.tableReadResources(),
      }),
    );
    fn.addToRolePolicy(this.tableKeyStatement(['kms:Decrypt']));
    // Objects only under packs/: the function can neither read the packs back nor delete them.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [bucket.arnForObjects('packs/*')],
      }),
    );
    Validations.of(fn.role!).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>/packs/*]`,
      reason: 'A pack is a set of objects under packs/<date>/, named when the function runs.',
    });
    // A multipart upload decrypts the data key it generated to add each part.
    fn.addToRolePolicy(this.keyViaServiceStatement('s3', ['kms:Decrypt', 'kms:GenerateDataKey']));
    this.allowPublish(fn, [this.alertsTopic]);
    for (const email of reports.emails)
      this.alertsTopic.addSubscription(
        new subscriptions.EmailSubscription(email, {
          filterPolicy: { audience: sns.SubscriptionFilter.stringFilter({ allowlist: ['reports'] }) },
        }),
      );
    this.addSchedule('ReportPackSchedule', fn, {
      description: `certwarden: the compliance report pack ${reports.schedule}`,
      expression: reports.schedule,
    });
    return fn;
  }

  /**
   * An SQS dead-letter queue (encrypted, TLS only, 14 days: longer than any source queue keeps a message, as a
   * redrive needs) with an alarm on its first message, to the operations topic.
   */
  private createDeadLetterQueue(id: string, holds: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // Marks the queue a dead-letter queue (AWS Control Tower CT.SQS.PR.1 asks one of a queue that has none).
      // Not `byQueue`: naming the source queues' ARNs here while each source names this queue's ARN is a cycle in
      // CloudFormation; not `denyAll`: the control fails it. Only principals who may set a queue's attributes in
      // this account and region can name it, and certwarden's own queues are the only ones that do.
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter queue; its messages are watched by an alarm, not redriven further.',
    });
    this.addAlarm(`${id}Messages`, {
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      alarmDescription: `certwarden: ${holds} (dead-letter queue not empty)`,
    });
    return queue;
  }

  /**
   * Invokes `fn` on an EventBridge Scheduler expression with `input`, through the scheduler role, retrying for
   * an hour and then parking the invocation in the scheduler's dead-letter queue.
   */
  addSchedule(
    id: string,
    fn: NodejsFunction,
    options: { description: string; expression: string; input?: Record<string, unknown> },
  ): scheduler.Schedule {
    const schedule = new scheduler.Schedule(this, id, {
      description: options.description,
      schedule: scheduler.ScheduleExpression.expression(options.expression),
      target: new schedulerTargets.LambdaInvoke(fn, {
        input: scheduler.ScheduleTargetInput.fromObject(options.input ?? {}),
        deadLetterQueue: this.invocationDeadLetters,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
        role: this.schedulerRole,
      }),
    });
    // CDK grants the scheduler role the function's versions and aliases too (`<arn>:*`).
    const logicalId = Stack.of(this).getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
    Validations.of(this.schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
      reason:
        "lambda:InvokeFunction on the function's versions and aliases (CDK's grantInvoke); the function is certwarden's own.",
    });
    return schedule;
  }

  /**
   * `invocationDeadLetters` as a function's on-failure destination with `sqs:SendMessage` only, all Lambda uses
   * (aws-lambda-destinations' SqsDestination also grants GetQueueAttributes and GetQueueUrl).
   */
  private get invocationDeadLettersDestination(): lambda.IDestination {
    const queue = this.invocationDeadLetters;
    return {
      bind: (_scope, fn) => {
        fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
        return { destination: queue.queueArn };
      },
    };
  }

  /**
   * An alarm that tells the operations topic when it fires and when it clears: by default at or above `threshold`
   * in one period, missing data not breaching.
   */
  addAlarm(id: string, props: OperationsAlarmProps): cloudwatch.Alarm {
    return operationsAlarm(this, id, this.operationsTopic, props);
  }

  /**
   * A rule on the certwarden bus (a notifier, alert evaluation): `target` should park what it cannot deliver in
   * `invocationDeadLetters`.
   */
  addEventRule(id: string, eventPattern: events.EventPattern, target: events.IRuleTarget): events.Rule {
    return new events.Rule(this, id, {
      eventBus: this.eventBus,
      eventPattern: { source: [EVENT_SOURCE], ...eventPattern },
      targets: [target],
    });
  }

  /** The ARN of one of the table's indexes, for a Query statement. */
  indexArn(index: keyof typeof INVENTORY_INDEXES): string {
    return `${this.table.tableArn}/index/${index}`;
  }

  /** Use of the table's key, only through DynamoDB. */
  /** The data key, used only by `service` on the caller's behalf (DynamoDB for the table, SNS, S3). */
  private keyViaServiceStatement(service: 'dynamodb' | 'sns' | 's3', actions: string[]): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions,
      resources: [this.dataKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `${service}.${Aws.REGION}.amazonaws.com` } },
    });
  }

  tableKeyStatement(actions: string[]): iam.PolicyStatement {
    return this.keyViaServiceStatement('dynamodb', actions);
  }

  /** Publishing to certwarden's topics: they are encrypted with the data key, so the key through SNS as well. */
  allowPublish(fn: NodejsFunction, topics: sns.Topic[]): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: topics.map((t) => t.topicArn) }));
    fn.addToRolePolicy(this.keyViaServiceStatement('sns', ['kms:Decrypt', 'kms:GenerateDataKey']));
  }

  /**
   * A handler with its own role (only what it calls: logs to its own encrypted log group, X-Ray), Powertools
   * configured, arm64 on the newest Node.js runtime, bundled by the local esbuild. Active tracing records each
   * invocation's segment from Lambda itself; the handlers carry no X-Ray SDK (docs/architecture.md, "Cold start").
   */
  addFunction(
    id: string,
    role: FunctionRole,
    options: {
      description: string;
      timeout: Duration;
      memorySize: number;
      environment: Record<string, string>;
      /**
       * For a function invoked asynchronously (a schedule): after Lambda's two retries, the failure record (the
       * function's ARN, the event, the error) goes to `invocationDeadLetters`.
       */
      parkFailedInvocations?: boolean;
      /** A sync worker's source kind: its bundle holds that provider's SDK only. */
      sourceKind?: SourceKind;
      /** The deployment file (sources, policy), bundled beside the handler and named in its environment. */
      deploymentFile?: string;
      /** A fixed name for the role, for a role another account trusts by name. @default CloudFormation's */
      roleName?: string;
      /** Packages its bundle leaves out (the renew function's: leftOutOfRenew). */
      leftOutOfBundle?: readonly string[];
    },
  ): NodejsFunction {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: this.logRetention,
      encryptionKey: this.dataKey,
      removalPolicy: this.removalPolicy,
    });
    const functionRole = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: options.description,
      roleName: options.roleName,
    });
    functionRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const fn = new NodejsFunction(this, id, {
      entry: FUNCTION_ENTRIES[role],
      handler: 'handler',
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      description: options.description,
      timeout: options.timeout,
      memorySize: options.memorySize,
      role: functionRole,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      bundling: bundlingFor(options.sourceKind, options.deploymentFile, options.leftOutOfBundle),
      // An on-failure destination, not a function dead-letter queue: its record names the function, which a
      // dead-letter queue shared by every function needs (a DLQ message carries only the request id and error).
      onFailure: options.parkFailedInvocations ? this.invocationDeadLettersDestination : undefined,
      retryAttempts: options.parkFailedInvocations ? 2 : undefined,
      environment: {
        POWERTOOLS_SERVICE_NAME: serviceName(role, this.namePrefix),
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...(options.deploymentFile && { CERTWARDEN_DEPLOYMENT: DEPLOYMENT_FILE }),
        ...(this.dashboardMetrics && METRIC_EMITTERS.has(role) && { CERTWARDEN_DASHBOARD_METRICS: 'true' }),
        ...options.environment,
      },
    });
    // Active tracing, set on the function itself: CDK's `tracing` prop would add the two X-Ray actions on `*` to the
    // role's default policy, where acknowledging that `*` would hide any other `*` added to the function later.
    (fn.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    const tracing = allowOnAnyResource(
      this,
      `${id}Tracing`,
      functionRole,
      ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
      'xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) support no resource-level permissions.',
    );
    fn.node.addDependency(tracing);
    return fn;
  }

  private peoplePolicies(prefix: string, sources: SourceConfig[]) {
    const tableRead = this.tableReadResources();
    const readStatements = () => [
      new iam.PolicyStatement({
        sid: 'ReadInventory',
        actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        resources: tableRead,
      }),
      this.tableKeyStatement(['kms:Decrypt']),
      ...(this.reportBucket
        ? [
            new iam.PolicyStatement({
              sid: 'ReadReportPacks',
              actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:ListBucketVersions'],
              resources: [this.reportBucket.bucketArn, this.reportBucket.arnForObjects('*')],
            }),
            this.keyViaServiceStatement('s3', ['kms:Decrypt']),
          ]
        : []),
    ];
    const readerPolicy = new iam.ManagedPolicy(this, 'ReaderPolicy', {
      managedPolicyName: `${prefix}-reader`,
      description: 'certwarden: read the certificate inventory (compliance, audit)',
      statements: readStatements(),
    });
    const renewable = [
      ...new Set(
        sources
          .filter((source) => source.kind === 'aws-acm')
          .flatMap((source) => source.regions)
          .map((region) => `arn:${Aws.PARTITION}:acm:${region}:${Aws.ACCOUNT_ID}:certificate/*`),
      ),
    ].sort();
    // Emergency revocation (`certwarden revoke`) at the Private CAs certwarden may use, named: never `*`.
    const revocable = [
      ...new Set(
        sources.flatMap((source) => (source.kind === 'aws-acm' ? (source.issuingCertificateAuthorities ?? []) : [])),
      ),
    ].sort();
    const operatorPolicy = new iam.ManagedPolicy(this, 'OperatorPolicy', {
      managedPolicyName: `${prefix}-operator`,
      description:
        'certwarden: read the inventory, renew ACM certificates, revoke at the configured Private CAs, publish acknowledgements',
      statements: [
        ...readStatements(),
        new iam.PolicyStatement({
          sid: 'PublishToCertwardenBus',
          actions: ['events:PutEvents'],
          resources: [this.eventBus.eventBusArn],
        }),
        ...(renewable.length > 0
          ? [
              new iam.PolicyStatement({
                sid: 'RenewAcmCertificates',
                actions: ['acm:RenewCertificate'],
                resources: renewable,
              }),
            ]
          : []),
        ...(revocable.length > 0
          ? [
              new iam.PolicyStatement({
                sid: 'RevokeAtConfiguredPrivateCas',
                actions: ['acm-pca:RevokeCertificate'],
                resources: revocable,
              }),
            ]
          : []),
      ],
    });
    for (const arn of renewable) {
      Validations.of(operatorPolicy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResource(arn)}]`,
        reason:
          'An operator renews any ACM certificate of this account in the configured regions; certificate ARNs are not known at deploy time.',
      });
    }
    if (this.reportBucket) {
      const packs = `Resource::<${Stack.of(this).getLogicalId(this.reportBucket.node.defaultChild as s3.CfnBucket)}.Arn>/*`;
      for (const policy of [readerPolicy, operatorPolicy])
        Validations.of(policy).acknowledge({
          id: `AwsSolutions-IAM5[${packs}]`,
          reason: 'A reader reads every report pack in the reports bucket, which holds nothing else.',
        });
    }
    return { readerPolicy, operatorPolicy };
  }
}

/**
 * Writes the sources and policy the sync functions read (functions/shared/deployment.ts) to a file of its own,
 * which their bundling copies beside each handler; returns its path.
 */
function writeDeploymentFile(
  sources: SourceConfig[],
  policy: PolicyConfig | undefined,
  approval: ApprovalConfig,
): string {
  const file = join(mkdtempSync(join(tmpdir(), 'certwarden-deployment-')), DEPLOYMENT_FILE);
  writeFileSync(file, JSON.stringify({ sources, ...(policy && { policy }), approval }));
  return file;
}

/** One worker per scope of the kind (each scope has its own quota), at least 2 (SQS's floor), at most the cap. */
function defaultSyncConcurrency(ofKind: SourceConfig[]): number {
  const scopes = ofKind.reduce((sum, source) => sum + scopeCountOf(source), 0);
  return Math.min(DEFAULT_SYNC_CONCURRENCY_CAP, Math.max(2, scopes));
}

/**
 * Every problem of the props at once, in one error; the sources as their schema completes them, and the account
 * the sources read without a role when the deploying account is not known at synth (`requireDeployingAccount`).
 */
function validate(
  props: CertificateInventoryProps,
  deployingAccount: string,
): { sources: DeployedSourceConfig[]; directAccount?: string } {
  const problems: string[] = [];
  if (props.stage !== undefined && !STAGE_PATTERN.test(props.stage)) {
    problems.push(
      `stage: "${props.stage}" is not 1 to 20 lowercase letters, digits and hyphens starting with a letter (it begins every physical name)`,
    );
  }
  const sources: DeployedSourceConfig[] = [];
  (props.sources ?? []).forEach((source, index) => {
    const parsed = SourceConfig.safeParse(source);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${formatPath(['sources', index, ...issue.path])}: ${issue.message}`);
      return;
    }
    const config = parsed.data;
    if (config.kind === 'local-files')
      problems.push(`source ${config.name}: local-files sources are synced by the CLI, not by a Lambda`);
    else sources.push(config);
  });
  const names = new Set<string>();
  for (const source of sources) {
    if (names.has(source.name)) problems.push(`source ${source.name}: configured twice`);
    names.add(source.name);
    try {
      longestIntervalSeconds(source.schedule);
    } catch (error) {
      problems.push(`source ${source.name}: schedule ${(error as Error).message}`);
    }
    for (const arn of secretArnsOf(source)) {
      if (!isCompleteSecretArn(arn)) {
        problems.push(`source ${source.name}: ${arn} must be a complete secret ARN (with its 6-character suffix)`);
      }
    }
    const workerPackages = OPTIONAL_PROVIDER_PACKAGES[source.kind] ?? [];
    const missing = workerPackages.filter((name) => !resolvable(name));
    if (missing.length > 0) {
      problems.push(`source ${source.name}: its sync worker bundles ${missing.join(' and ')}: add them to this app`);
    }
    // The renew function bundles what the renewers load (function-bundling.ts, leftOutOfRenew). Key Vault's and
    // Certificate Manager's renewers load their worker's packages, named above: only an ACM source's re-issue by
    // its Private CAs needs one of its own.
    const renewerMissing = props.renewalWorkflow
      ? renewerPackagesOf(source).filter((name) => !workerPackages.includes(name) && !resolvable(name))
      : [];
    if (renewerMissing.length > 0) {
      problems.push(
        `source ${source.name}: its renewer bundles ${renewerMissing.join(' and ')} ` +
          `(to re-issue what its issuingCertificateAuthorities issued): ` +
          `add ${renewerMissing.length > 1 ? 'them' : 'it'} to this app`,
      );
    }
  }
  problems.push(...endpointSourceProblems(sources, props.syncTimeout?.toSeconds() ?? 600));
  const concurrency = props.syncMaxConcurrency;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 2 || concurrency > 1000)) {
    problems.push(`syncMaxConcurrency: ${concurrency} is not an integer from 2 to 1000 (SQS event source limits)`);
  }
  const batchSize = props.syncBatchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    problems.push(`syncBatchSize: ${batchSize} is not an integer from 1 to 10`);
  }
  const timeout = props.syncTimeout?.toSeconds() ?? 600;
  if (timeout > 900 || timeout * 6 > 43_200) {
    problems.push(
      `syncTimeout: ${timeout} s is over Lambda's 900 s (or its 6× visibility timeout over SQS's 12 hours)`,
    );
  }
  for (const [name, schema, value] of [
    ['alerts', AlertsConfig, props.alerts ?? {}],
    ['expiry', ExpiryConfig, props.expiry ?? {}],
  ] as const) {
    const parsed = schema.safeParse(value);
    if (!parsed.success)
      for (const issue of parsed.error.issues) problems.push(`${formatPath([name, ...issue.path])}: ${issue.message}`);
  }
  const alerts = AlertsConfig.safeParse(props.alerts ?? {});
  const expiry = ExpiryConfig.safeParse(props.expiry ?? {});
  if (alerts.success && expiry.success) {
    if (alerts.data.digest)
      for (const gap of digestSeverityGaps(expiry.data)) problems.push(`expiry.severity.${gap.field}: ${gap.message}`);
    const slackSecret = alerts.data.slack?.webhookSecretArn;
    if (slackSecret && !isCompleteSecretArn(slackSecret))
      problems.push(
        `alerts.slack.webhookSecretArn: ${slackSecret} must be a complete secret ARN (with its 6-character suffix)`,
      );
  }
  const direct = directAccounts(sources, deployingAccount);
  problems.push(...direct.problems);
  if (problems.length > 0) throw new Error(`CertificateInventory: ${problems.join('; ')}`);
  return { sources, directAccount: direct.unchecked };
}

/**
 * An AWS source's account (ACM, Private CA, IAM, IoT) listed without a `roleName` is read with the function's own credentials, which
 * reach only the deploying account's certificates: ACM and ACM Private CA have no resource policies to open them to
 * another account (and the results would be filed under the listed account). Such an account must be the deploying
 * one. When the deploying account is a token (an environment-agnostic stack), one such account is left to the
 * deployment to check (`unchecked`); two can never both be it.
 */
function directAccounts(sources: SourceConfig[], deployingAccount: string): { problems: string[]; unchecked?: string } {
  const direct = new Map<string, string>();
  for (const source of sources) {
    if (!source.kind.startsWith('aws-')) continue;
    for (const account of (source as { accounts?: Array<{ accountId: string; roleName?: string }> }).accounts ?? []) {
      if (!account.roleName && !direct.has(account.accountId)) direct.set(account.accountId, source.name);
    }
  }
  const reason =
    'ACM, ACM Private CA, IAM server certificates and IoT have no resource policies, so another account is read only through a role';
  if (!Token.isUnresolved(deployingAccount)) {
    return {
      problems: [...direct]
        .filter(([accountId]) => accountId !== deployingAccount)
        .map(
          ([accountId, source]) =>
            `source ${source}: account ${accountId} has no roleName and is not the deploying account ${deployingAccount} (${reason}: set roleName and deploy MemberAccountRole there)`,
        ),
    };
  }
  if (direct.size > 1) {
    return {
      problems: [
        `sources: accounts ${[...direct.keys()].join(', ')} have no roleName, and only the deploying account is read without one (${reason}): set roleName on all but the deploying account`,
      ],
    };
  }
  return { problems: [], unchecked: [...direct.keys()][0] };
}

/** AWS resources of the configured regions and accounts end in `/*`: each finding, with why. */
/** The VPC of the tls-endpoint worker: the one its sources name (one worker scans them all), if any. */
function endpointVpcOf(sources: SourceConfig[]): { subnetIds: string[]; securityGroupIds: string[] } | undefined {
  for (const source of sources) if (source.kind === 'tls-endpoint' && source.vpc) return source.vpc;
  return undefined;
}

/**
 * The tls-endpoint sources share one worker: they must name the same VPC (or none), and each scan's deadline must
 * leave the worker time to write what it found before its timeout.
 */
function endpointSourceProblems(sources: SourceConfig[], syncTimeoutSeconds: number): string[] {
  const problems: string[] = [];
  const endpoints = sources.filter((source) => source.kind === 'tls-endpoint');
  const vpcs = new Set(endpoints.map((source) => JSON.stringify(source.vpc ?? null)));
  if (vpcs.size > 1)
    problems.push(
      `sources ${endpoints.map((source) => source.name).join(', ')}: tls-endpoint sources share one sync worker, so they must name the same vpc (or none)`,
    );
  for (const source of endpoints)
    if (source.deadlineSeconds > syncTimeoutSeconds - 60)
      problems.push(
        `source ${source.name}: deadlineSeconds ${source.deadlineSeconds} leaves under a minute of the sync worker's ${syncTimeoutSeconds} s timeout to write what it found`,
      );
  return problems;
}

function acknowledgeSourceWildcards(role: iam.Role, sources: SourceConfig[]): void {
  acknowledgeScopedWildcards(
    role,
    sourceStatements(sources),
    'Every certificate (or CA) of a configured account and region is inventoried; their ARNs are not known at deploy time, so the statement is scoped to the account and region (to the account for IAM, a global service).',
  );
}

/** Whether the app can bundle a package (esbuild resolves it as require does, from the app's node_modules). */
function resolvable(name: string): boolean {
  try {
    require.resolve(`${name}/package.json`, { paths: [process.cwd(), __dirname] });
    return true;
  } catch {
    return false;
  }
}
