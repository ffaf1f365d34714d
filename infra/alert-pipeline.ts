import { Aws, Duration, SecretValue } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { AlertsConfig, ExpiryConfig } from '../lib/domain/config';
import type { RevocationConfig } from '../lib/domain/revocation-config';
import type { DetailType } from '../lib/domain/events';
import { alertsUndelivered, type NotifierRole } from '../lib/domain/metric-names';
import {
  SDK_CALL_WORST_CASE_MS,
  SECURITY_HUB_RECORD_BUDGET_MS,
  SLACK_RECORD_BUDGET_MS,
  SNS_RECORD_BUDGET_MS,
} from '../lib/adapters/notifier-budgets';
import type { InventoryIndexName } from '../lib/adapters/dynamodb-table';
import { ALERT_SHARDS } from '../lib/ports/inventory-store';
import type { CertificateInventory } from './certificate-inventory';
import { certwardenMetric } from './operations-alarms';

export interface AlertPipelineProps {
  /** The config's `alerts`, parsed (defaults filled in). */
  readonly alerts: AlertsConfig;
  /** The config's `expiry`, parsed. */
  readonly expiry: ExpiryConfig;
  /** The config's `revocation`, parsed: the evaluation's checks. */
  readonly revocation: RevocationConfig;
}

/** Events that are expiry alerts: emails and Slack messages. */
const EXPIRY_ALERTS: DetailType[] = ['Certificate Expiring', 'Certificate Expired'];
/** What a Slack channel hears besides expiry: things a person should act on. */
const SLACK_EVENTS: DetailType[] = [
  ...EXPIRY_ALERTS,
  'Policy Violation',
  'Revocation Detected',
  'Renewal Failed',
  'Certificate Provisioning Failed',
  'Unknown Certificate Issued',
  // A sensitive certificate's renewal waits for someone to answer, or waited in vain.
  'Approval Required',
  'Approval Escalated',
  // Every channel's dead letters, Slack's own too (a short message it may take where it refused the alert); one
  // it refuses in turn is not announced again (functions/shared/eventbridge-record.ts).
  'Alert Undelivered',
  'Certificate Revoked',
  'Deployment Drift',
  'Unknown Certificate Served',
];
/** What opens, climbs or closes a Security Hub finding (the publisher ignores the rest: info/warning expiry). */
const SECURITY_HUB_EVENTS: DetailType[] = [
  'Policy Violation',
  'Violation Resolved',
  ...EXPIRY_ALERTS,
  'Certificate Changed',
  'Certificate Removed',
  'Unknown Certificate Issued',
  'Deployment Drift',
  'Unknown Certificate Served',
  'Served Certificate Resolved',
];
/** Records per notifier invocation. */
const NOTIFIER_BATCH = 10;
/**
 * The email notifier's records may each take two publishes (alerts and escalation topics): half the batch keeps
 * its timeout, and with it the queue's visibility timeout (the delay before a failed record is retried), as it was
 * with one publish per record.
 */
const EMAIL_NOTIFIER_BATCH = NOTIFIER_BATCH / 2;
/**
 * A notifier stops taking records of its batch once less than one record's worst case is left
 * (functions/shared/eventbridge-record.ts), so a slow channel fails the rest of a batch instead of timing out
 * after delivering some of it (a timeout would redeliver the delivered ones too). Its timeout lets a whole
 * batch run at its worst case, so no record is failed untried while a channel is slow.
 */
const notifierTimeout = (recordBudgetMs: number, setupMs = 0, batchSize = NOTIFIER_BATCH): Duration =>
  Duration.seconds(Math.ceil((batchSize * recordBudgetMs + setupMs) / 1000) + 30);
/**
 * One evaluation reads the places of one shard of the alert schedule that are due, not the inventory. A first
 * run makes every place due at once (the bench: 100,000 places, ~116,000 alerts, ~460 s over 8 shards on a local
 * DynamoDB), so it gets room; the handler stops a minute before the timeout and the places it did not reach stay
 * due for the next run (sent alerts are in the ledger).
 */
const EVALUATE_TIMEOUT = Duration.minutes(10);
/** A sync ended, cleanly or not: the expiry evaluation runs after each. */
const SYNC_ENDED: DetailType[] = ['Sync Completed', 'Sync Failed'];

/**
 * The alert half of certwarden: expiry evaluation (after each sync and on a schedule), the email (with escalation),
 * Slack and Security Hub notifiers, the daily digest and SIEM forwarding. Every event reaches a notifier through its
 * own SQS queue (retries, partial batch responses, the queue dead letters with their alarm), so a slow or failing
 * channel never holds up another and nothing is dropped silently.
 */
export class AlertPipeline {
  readonly evaluate: NodejsFunction;
  readonly escalationTopic: sns.Topic;
  readonly emailNotifier: NodejsFunction;
  readonly slackNotifier?: NodejsFunction;
  readonly securityHubNotifier?: NodejsFunction;
  readonly digest?: NodejsFunction;
  readonly siemFormat?: NodejsFunction;
  readonly siemDestination?: events.ApiDestination;

  /** The notifier roles whose AlertsUndelivered series has its alarm (the email notifier's two topics share one). */
  private readonly undeliveredAlarms = new Set<NotifierRole>();
  private readonly alerts: AlertsConfig;

  constructor(
    private readonly inventory: CertificateInventory,
    props: AlertPipelineProps,
  ) {
    const { alerts } = props;
    this.alerts = alerts;
    const expiryJson = JSON.stringify(props.expiry);
    const digestMode = alerts.digest !== undefined;

    this.escalationTopic = new sns.Topic(inventory, 'EscalationTopic', {
      displayName: 'certwarden escalations (critical and high)',
      masterKey: inventory.alertsKey,
      enforceSSL: true,
    });
    this.subscribe(alerts);

    // Expiry evaluation: one queue collects sync endings and the schedule; a batch is one evaluation.
    const evaluateQueue = this.queue('Evaluate', EVALUATE_TIMEOUT);
    inventory.addEventRule('EvaluateAfterSync', { detailType: SYNC_ENDED }, this.queueTarget(evaluateQueue));
    new scheduler.Schedule(inventory, 'EvaluateSchedule', {
      description: `certwarden: evaluate expiry ${alerts.evaluateSchedule}`,
      schedule: scheduler.ScheduleExpression.expression(alerts.evaluateSchedule),
      target: new schedulerTargets.SqsSendMessage(evaluateQueue, {
        input: scheduler.ScheduleTargetInput.fromObject({ trigger: 'schedule' }),
        deadLetterQueue: inventory.invocationDeadLetters,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
        role: inventory.schedulerRole,
      }),
    });
    // A trigger fans out into one message per shard of the alert schedule, each evaluated by an invocation of its
    // own: no invocation reads more than one shard's due places.
    const shardQueue = this.queue('EvaluateShard', EVALUATE_TIMEOUT);
    this.evaluate = inventory.addFunction('Evaluate', 'evaluate', {
      description: 'certwarden: sends each expiry alert due, exactly once, and checks the revocation status due',
      timeout: EVALUATE_TIMEOUT,
      memorySize: 512,
      environment: {
        CERTWARDEN_TABLE: inventory.table.tableName,
        CERTWARDEN_EVENT_BUS: inventory.eventBus.eventBusName,
        CERTWARDEN_EXPIRY: expiryJson,
        CERTWARDEN_REVOCATION: JSON.stringify(props.revocation),
        CERTWARDEN_EVALUATE_SHARD_QUEUE: shardQueue.queueUrl,
      },
    });
    this.allowTable(
      this.evaluate,
      [
        // The schedule's index names places by key: they are read in batches.
        'dynamodb:BatchGetItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ],
      // byRevocationCheck: the places whose OCSP/CRL check is due (responders are reached over the internet).
      ['byNextAlert', 'byRevocationCheck'],
    );
    this.evaluate.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [inventory.eventBus.eventBusArn] }),
    );
    this.evaluate.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [shardQueue.queueArn] }),
    );
    this.evaluate.addEventSource(
      new SqsEventSource(shardQueue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency: ALERT_SHARDS }),
    );
    this.evaluate.addEventSource(
      new SqsEventSource(evaluateQueue, {
        // A sync fanned out into many scopes ends many times within minutes: one evaluation serves them all.
        batchSize: 1000,
        maxBatchingWindow: Duration.minutes(1),
        reportBatchItemFailures: true,
        maxConcurrency: 2,
      }),
    );

    // Email: every expiry alert to the alerts topic, critical and high ones to the escalation topic too. The two
    // topics are two targets in the delivery ledger, so one queue serves both: a failure on one topic is retried
    // for that topic alone and never re-sends to the other (docs/architecture.md, "One queue per channel").
    this.emailNotifier = this.notifier(
      'EmailNotifier',
      'emailNotifier',
      { detailType: EXPIRY_ALERTS },
      {
        description: 'certwarden: expiry alerts as emails (SNS alerts topic; high and critical to escalation too)',
        timeout: notifierTimeout(SNS_RECORD_BUDGET_MS, 0, EMAIL_NOTIFIER_BATCH),
        batchSize: EMAIL_NOTIFIER_BATCH,
        environment: {
          CERTWARDEN_ALERTS_TOPIC: inventory.alertsTopic.topicArn,
          CERTWARDEN_ESCALATION_TOPIC: this.escalationTopic.topicArn,
          CERTWARDEN_DIGEST: String(digestMode),
        },
      },
    );
    this.inventory.allowPublish(this.emailNotifier, [inventory.alertsTopic, this.escalationTopic]);

    if (alerts.slack) {
      this.slackNotifier = this.notifier(
        'SlackNotifier',
        'slackNotifier',
        { detailType: SLACK_EVENTS },
        {
          description: 'certwarden: alerts to Slack (webhook URL from Secrets Manager)',
          // The webhook URL is read once per execution environment, before the first record.
          timeout: notifierTimeout(SLACK_RECORD_BUDGET_MS, SDK_CALL_WORST_CASE_MS),
          environment: {
            CERTWARDEN_SLACK_SECRET_ARN: alerts.slack.webhookSecretArn,
            CERTWARDEN_DIGEST: String(digestMode),
          },
        },
      );
      this.allowSecret(this.slackNotifier, alerts.slack.webhookSecretArn);
    }

    if (alerts.securityHub) {
      this.securityHubNotifier = this.notifier(
        'SecurityHubNotifier',
        'securityHubNotifier',
        { detailType: SECURITY_HUB_EVENTS },
        {
          description: 'certwarden: policy violations and high/critical expiry as Security Hub findings',
          timeout: notifierTimeout(SECURITY_HUB_RECORD_BUDGET_MS),
          // Finding Ids start with it: a second stage's findings are its own.
          environment: { CERTWARDEN_FINDING_PREFIX: inventory.namePrefix },
        },
      );
      this.securityHubNotifier.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['securityhub:BatchImportFindings'],
          resources: [
            `arn:${Aws.PARTITION}:securityhub:${Aws.REGION}:${Aws.ACCOUNT_ID}:product/${Aws.ACCOUNT_ID}/default`,
          ],
        }),
      );
      this.securityHubNotifier.addToRolePolicy(
        new iam.PolicyStatement({
          // A finding provider cannot set the workflow of an existing finding: a fixed one is marked RESOLVED here.
          actions: ['securityhub:BatchUpdateFindings'],
          resources: [`arn:${Aws.PARTITION}:securityhub:${Aws.REGION}:${Aws.ACCOUNT_ID}:hub/default`],
        }),
      );
    }

    if (alerts.digest) {
      this.digest = inventory.addFunction('Digest', 'digest', {
        description: 'certwarden: one daily message listing the info and warning expiries',
        timeout: Duration.minutes(5),
        memorySize: 512,
        environment: {
          CERTWARDEN_TABLE: inventory.table.tableName,
          CERTWARDEN_ALERTS_TOPIC: inventory.alertsTopic.topicArn,
          CERTWARDEN_EXPIRY: expiryJson,
          ...(alerts.slack && { CERTWARDEN_SLACK_SECRET_ARN: alerts.slack.webhookSecretArn }),
        },
        parkFailedInvocations: true,
      });
      this.allowTable(
        this.digest,
        ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        ['byExpiry'],
      );
      this.inventory.allowPublish(this.digest, [inventory.alertsTopic]);
      if (alerts.slack) this.allowSecret(this.digest, alerts.slack.webhookSecretArn);
      inventory.addSchedule('DigestSchedule', this.digest, {
        description: `certwarden: daily digest ${alerts.digest.schedule}`,
        expression: alerts.digest.schedule,
      });
    }

    if (alerts.siem) {
      const { siemFormat, siemDestination } = this.forwardToSiem(alerts.siem);
      this.siemFormat = siemFormat;
      this.siemDestination = siemDestination;
    }
  }

  /**
   * Email subscriptions, by SNS filter policies on the message attributes the notifier sets: `alerts.emails`
   * get what is meant for everyone (`audience: all`: every alert and the full digest), an owner's addresses
   * what is that owner's (their alerts and their own digest, `owner`), escalation addresses the escalation topic.
   */
  private subscribe(alerts: AlertsConfig): void {
    const { alertsTopic } = this.inventory;
    for (const email of alerts.emails)
      alertsTopic.addSubscription(
        new subscriptions.EmailSubscription(email, {
          filterPolicy: { audience: sns.SubscriptionFilter.stringFilter({ allowlist: ['all'] }) },
        }),
      );
    for (const email of alerts.escalationEmails)
      this.escalationTopic.addSubscription(new subscriptions.EmailSubscription(email));
    const ownersOf = new Map<string, string[]>();
    for (const [owner, emails] of Object.entries(alerts.owners))
      for (const email of emails) ownersOf.set(email, [...(ownersOf.get(email) ?? []), owner]);
    for (const [email, owners] of [...ownersOf].sort(([a], [b]) => a.localeCompare(b))) {
      alertsTopic.addSubscription(
        new subscriptions.EmailSubscription(email, {
          filterPolicy: { owner: sns.SubscriptionFilter.stringFilter({ allowlist: owners.sort() }) },
        }),
      );
    }
  }

  /**
   * A queue fed by a rule on the bus, and the function that drains it: one record per event, a record whose
   * delivery failed fails alone (partial batch response); the delivery ledger dead-letters it with its reason
   * when the target refuses it for good or after `alerts.deliveryAttempts` receives, and an alarm per notifier
   * role watches what it dead-letters.
   */
  private notifier(
    id: string,
    role: NotifierRole,
    pattern: events.EventPattern,
    options: { description: string; environment: Record<string, string>; timeout: Duration; batchSize?: number },
  ): NodejsFunction {
    const { description, environment, timeout, batchSize = NOTIFIER_BATCH } = options;
    const { deliveryAttempts } = this.alerts;
    // The delivery ledger dead-letters a record at its last allowed attempt, with the target's reason; the queue's
    // redrive to the queue dead letters, one receive later, is left for records never attempted (out of time).
    const queue = this.queue(id, timeout, deliveryAttempts + 1);
    this.inventory.addEventRule(`${id}Rule`, pattern, this.queueTarget(queue));
    const fn = this.inventory.addFunction(id, role, {
      description,
      timeout,
      memorySize: 256,
      environment: {
        ...environment,
        CERTWARDEN_TABLE: this.inventory.table.tableName,
        CERTWARDEN_DELIVERY_ATTEMPTS: String(deliveryAttempts),
        CERTWARDEN_EVENT_BUS: this.inventory.eventBus.eventBusName,
      },
    });
    // A dead letter is announced as Alert Undelivered, for the other channels (functions/shared/delivery.ts).
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.inventory.eventBus.eventBusArn] }),
    );
    // The delivery ledger (lib/adapters/dynamodb-delivery-ledger.ts): a read before each delivery, a write after.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [this.inventory.table.tableArn],
      }),
    );
    fn.addToRolePolicy(
      this.inventory.tableKeyStatement(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
    );
    fn.addEventSource(new SqsEventSource(queue, { batchSize, reportBatchItemFailures: true, maxConcurrency: 2 }));
    if (!this.undeliveredAlarms.has(role)) {
      this.undeliveredAlarms.add(role);
      this.inventory.addAlarm(`AlertsUndelivered${role.charAt(0).toUpperCase()}${role.slice(1)}`, {
        metric: certwardenMetric(this.inventory, alertsUndelivered(role), {}, 'Sum', Duration.hours(1)),
        threshold: 1,
        alarmDescription:
          `certwarden: ${role} dead-lettered events its target refused for good or kept failing ` +
          '(certwarden list --undelivered names them and why)',
      });
    }
    return fn;
  }

  /**
   * Every certwarden event to the SIEM collector: a rule fills a queue, an EventBridge pipe drains it through
   * the formatting function (OCSF or the plain JSON shape) into an API destination, whose connection holds the
   * collector's credentials (resolved from Secrets Manager by CloudFormation, never written in the template).
   * The archive on the bus keeps every event besides, for replay.
   */
  private forwardToSiem(siem: NonNullable<AlertsConfig['siem']>) {
    const { inventory } = this;
    const queue = this.queue('Siem', Duration.minutes(1), 10);
    inventory.addEventRule('SiemRule', {}, this.queueTarget(queue));
    const siemFormat = inventory.addFunction('SiemFormat', 'siemFormat', {
      description: `certwarden: shapes events for the SIEM (${siem.format})`,
      timeout: Duration.seconds(30),
      memorySize: 256,
      environment: { CERTWARDEN_SIEM_FORMAT: siem.format },
    });
    const authorization =
      siem.auth.type === 'api-key'
        ? events.Authorization.apiKey(
            siem.auth.header,
            SecretValue.secretsManager(siem.auth.secretArn, { jsonField: siem.auth.jsonField }),
          )
        : events.Authorization.basic(
            SecretValue.secretsManager(siem.auth.secretArn, { jsonField: 'username' }).unsafeUnwrap(),
            SecretValue.secretsManager(siem.auth.secretArn, { jsonField: 'password' }),
          );
    const connection = new events.Connection(inventory, 'SiemConnection', {
      description: 'certwarden: the SIEM collector',
      authorization,
    });
    const siemDestination = new events.ApiDestination(inventory, 'SiemDestination', {
      description: 'certwarden: the SIEM collector',
      connection,
      endpoint: siem.endpoint,
      httpMethod: events.HttpMethod.POST,
      rateLimitPerSecond: siem.rateLimitPerSecond,
    });
    const pipeRole = new iam.Role(inventory, 'SiemPipeRole', {
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      }),
      description: 'certwarden: the pipe that forwards events to the SIEM',
    });
    pipeRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
        resources: [queue.queueArn],
      }),
    );
    pipeRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [siemFormat.functionArn] }),
    );
    pipeRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['events:InvokeApiDestination'],
        resources: [siemDestination.apiDestinationArn],
      }),
    );
    new pipes.CfnPipe(inventory, 'SiemPipe', {
      description: 'certwarden: every event to the SIEM collector',
      roleArn: pipeRole.roleArn,
      source: queue.queueArn,
      // One event per request: an API destination takes no batches, and a pipe to a target without a batch API
      // cannot batch at its source (EventBridge Pipes batching docs).
      sourceParameters: { sqsQueueParameters: { batchSize: 1 } },
      enrichment: siemFormat.functionArn,
      target: siemDestination.apiDestinationArn,
      targetParameters: { httpParameters: { headerParameters: { 'Content-Type': 'application/json' } } },
    });
    return { siemFormat, siemDestination };
  }

  /** An encrypted queue, dead-lettering to the inventory's queue dead letters, visible long enough for one `timeout`. */
  private queue(id: string, timeout: Duration, maxReceiveCount = 5): sqs.Queue {
    return new sqs.Queue(this.inventory, `${id}Queue`, {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.inventory.queueDeadLetters, maxReceiveCount },
    });
  }

  /** The rule's target: the queue; what EventBridge cannot put there goes to the invocation dead letters. */
  private queueTarget(queue: sqs.Queue): events.IRuleTarget {
    return new eventsTargets.SqsQueue(queue, {
      deadLetterQueue: this.inventory.invocationDeadLetters,
      retryAttempts: 10,
      maxEventAge: Duration.hours(24),
    });
  }

  private allowTable(fn: NodejsFunction, actions: string[], indexes: InventoryIndexName[]): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [this.inventory.table.tableArn] }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: indexes.map((index) => this.inventory.indexArn(index)),
      }),
    );
    fn.addToRolePolicy(
      this.inventory.tableKeyStatement(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
    );
  }

  private allowSecret(fn: NodejsFunction, secretArn: string): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secretArn] }));
  }
}
