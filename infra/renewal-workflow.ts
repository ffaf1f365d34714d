import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { RENEW_STEP } from '../lib/domain/renewal-workflow';
import { APPROVAL_DENIED_ERROR, type ApprovalConfig } from '../lib/domain/approval';
import type { SourceConfig } from '../lib/domain/config';
import type { CertificateInventory } from './certificate-inventory';
import { leftOutOfRenew } from './function-bundling';
import { renewalStatements, RENEWING_KINDS } from './source-permissions';
import { acknowledgeScopedWildcards, allowOnAnyResource } from './wildcard-permissions';

export interface RenewalWorkflowProps {
  /** The configured sources: the workflow renews the places of those certwarden has a renewer for. */
  readonly sources: SourceConfig[];
  /** The config's `renewal.approval`, parsed: the task's timeout is its `timeoutMinutes`. */
  readonly approval: ApprovalConfig;
  /** How long a renewal the provider is still at is watched before it fails (the config's `renewal.watchHours`). */
  readonly watchHours: number;
  /** The deployment file bundled beside the renew function (its sources and approval scope). */
  readonly deploymentFile: string;
  /** The renew function's role name: a member account's MemberAccountRole trusts it by name. */
  readonly roleName: string;
  /** The inventory's: what happens to the workflow's log group when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  /** The inventory's log retention. */
  readonly logRetention: logs.RetentionDays;
}

/** What Step Functions needs to deliver an execution log to CloudWatch Logs (Step Functions developer guide). */
export const STATE_MACHINE_LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
];
/** What an execution's X-Ray tracing calls. */
export const STATE_MACHINE_TRACING_ACTIONS = [
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];

/**
 * The deployed renewal (docs/architecture.md, "Renewal workflow and approval"): a Step Functions state machine,
 * started by a rule on Certificate Expiring events of the places certwarden can renew, whose every task calls the
 * renew function (functions/renew/handler.ts) with one step of lib/use-cases/renew.ts:
 *
 * Start → (Approval Required: WaitForApproval, a task token, until an answer or `timeoutMinutes`) → renew →
 * (pending: Wait, a minute at first and longer as it lasts → Check, again, for `watchHours`) → Renewed | RenewalFailed; Denied ends without renewing, a timeout escalates and
 * fails closed. The waits are states, not a sleeping Lambda.
 */
export class RenewalWorkflow {
  readonly function: NodejsFunction;
  readonly stateMachine: sfn.StateMachine;
  /** Fires when an execution fails (a renewal failed, or an approval timed out). */
  readonly failedExecutionsAlarm: cloudwatch.Alarm;

  constructor(inventory: CertificateInventory, props: RenewalWorkflowProps) {
    this.function = inventory.addFunction('Renew', 'renew', {
      description: 'certwarden: one step of the renewal workflow (start, approval, renew, check)',
      // A Private CA re-issue waits for the issue within one invocation (the key never leaves it).
      timeout: Duration.minutes(5),
      memorySize: 512,
      deploymentFile: props.deploymentFile,
      roleName: props.roleName,
      leftOutOfBundle: leftOutOfRenew(props.sources),
      environment: {
        CERTWARDEN_TABLE: inventory.table.tableName,
        CERTWARDEN_EVENT_BUS: inventory.eventBus.eventBusName,
        CERTWARDEN_RENEWAL_WATCH_HOURS: String(props.watchHours),
      },
    });
    this.grant(inventory, props.sources);
    this.stateMachine = this.createStateMachine(inventory, props);

    const renewedKinds = [...new Set(props.sources.map((source) => source.kind))]
      .filter((kind) => RENEWING_KINDS.includes(kind))
      .sort();
    // The rule narrows to the kinds a renewer exists for; the Start step decides the rest with lib/domain/renewal.ts
    // (method, due), so that the decision is made in one place.
    inventory.addEventRule(
      'RenewOnExpiring',
      { detailType: ['Certificate Expiring'], detail: { sourceKind: renewedKinds } },
      new eventsTargets.SfnStateMachine(this.stateMachine, {
        deadLetterQueue: inventory.invocationDeadLetters,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      }),
    );
    this.failedExecutionsAlarm = inventory.addAlarm('RenewalExecutionsFailed', {
      // ExecutionsFailed is emitted by Step Functions itself (AWS/States), per state machine.
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      alarmDescription:
        'certwarden: a renewal workflow execution failed (the renewal failed, or its approval timed out); see Renewal Failed',
    });
  }

  /** Operators answer approval requests: SendTaskSuccess and SendTaskFailure on this state machine only. */
  grantApprovalAnswers(policy: iam.ManagedPolicy): void {
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'AnswerRenewalApprovals',
        actions: ['states:SendTaskFailure', 'states:SendTaskSuccess'],
        resources: [this.stateMachine.stateMachineArn],
      }),
    );
  }

  /** The table (its ledger items and the idempotency records), the bus, and what the renewers call. */
  private grant(inventory: CertificateInventory, sources: SourceConfig[]): void {
    const role = this.function.role as iam.Role;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          // DeleteItem: Powertools idempotency drops its record when a start fails, so a retry may run.
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
        ],
        resources: [inventory.table.tableArn],
      }),
    );
    role.addToPolicy(
      inventory.tableKeyStatement(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [inventory.eventBus.eventBusArn] }),
    );
    const statements = renewalStatements(sources);
    for (const statement of statements) role.addToPolicy(statement);
    acknowledgeScopedWildcards(
      role,
      statements,
      'Any certificate of a configured account and region may come up for renewal; their ARNs are not known at deploy time, so the statement is scoped to the account and region.',
    );
  }

  private createStateMachine(inventory: CertificateInventory, props: RenewalWorkflowProps): sfn.StateMachine {
    const scope = inventory;
    const { approval } = props;
    const step = (id: string, payload: Record<string, unknown>, options: Partial<tasks.LambdaInvokeProps> = {}) =>
      new tasks.LambdaInvoke(scope, id, {
        lambdaFunction: this.function,
        payload: sfn.TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        resultPath: '$.result',
        ...options,
      });
    const fromResult = {
      locationId: sfn.JsonPath.stringAt('$.result.locationId'),
      fingerprint: sfn.JsonPath.stringAt('$.result.fingerprint'),
      renewalId: sfn.JsonPath.stringAt('$.result.renewalId'),
    };
    const requestId = sfn.JsonPath.stringAt('$.result.requestId');

    const start = step('RenewStart', { step: RENEW_STEP.start, event: sfn.JsonPath.entirePayload });
    // A start interrupted mid-way is retried: Powertools answers IdempotencyAlreadyInProgressError until the first
    // invocation's record expires, then the retry runs (the ledger's claim keeps a renewal from running twice).
    start.addRetry({
      errors: ['IdempotencyAlreadyInProgressError'],
      interval: Duration.minutes(1),
      backoffRate: 2,
      maxAttempts: 4,
    });
    const waitForApproval = step(
      'WaitForApproval',
      { step: RENEW_STEP.awaitApproval, requestId, taskToken: sfn.JsonPath.taskToken },
      {
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        taskTimeout: sfn.Timeout.duration(Duration.minutes(approval.timeoutMinutes)),
        resultPath: '$.answer',
        payloadResponseOnly: false,
      },
    );
    const approved = step('Approved', {
      step: RENEW_STEP.approved,
      requestId,
      answer: sfn.JsonPath.objectAt('$.answer'),
    });
    const denied = step('Denied', {
      step: RENEW_STEP.denied,
      requestId,
      error: sfn.JsonPath.objectAt('$.denial'),
    });
    const expired = step('ApprovalExpired', { step: RENEW_STEP.expired, requestId });
    const check = step('CheckRenewal', { step: RENEW_STEP.check, ...fromResult });
    // A look never renews (the renewer's check), so one that failed or outlasted the function (a provider slow
    // through all its retries) is tried again rather than failing the execution with no Renewal Failed.
    check.addRetry({
      errors: [sfn.Errors.TASKS_FAILED, sfn.Errors.TIMEOUT],
      interval: Duration.minutes(1),
      backoffRate: 2,
      maxAttempts: 2,
    });
    // The function says how long to wait before its next look (lib/domain/renewal-workflow.ts watchIntervalSeconds).
    const wait = new sfn.Wait(scope, 'WaitForProvider', { time: sfn.WaitTime.secondsPath('$.result.waitSeconds') });

    const renewed = new sfn.Succeed(scope, 'Renewed');
    const nothingToDo = new sfn.Succeed(scope, 'NothingToDo', {
      comment: "not due, not certwarden's, or already handled",
    });
    const failed = new sfn.Fail(scope, 'RenewalFailed', { error: 'RenewalFailed', causePath: '$.result.message' });
    const timedOut = new sfn.Fail(scope, 'ApprovalTimedOut', {
      error: 'ApprovalTimedOut',
      cause: 'nobody approved or denied the renewal in time: it failed closed (Approval Escalated, Renewal Failed)',
    });
    const deniedEnd = new sfn.Succeed(scope, 'NotRenewed', { comment: 'a person denied the renewal' });

    const outcome = new sfn.Choice(scope, 'Outcome')
      .when(sfn.Condition.booleanEquals('$.result.replayed', true), nothingToDo)
      .when(sfn.Condition.stringEquals('$.result.outcome', 'awaiting-approval'), waitForApproval)
      .when(sfn.Condition.stringEquals('$.result.outcome', 'pending'), wait)
      .when(sfn.Condition.stringEquals('$.result.outcome', 'succeeded'), renewed)
      .when(sfn.Condition.stringEquals('$.result.outcome', 'failed'), failed)
      .otherwise(nothingToDo);
    waitForApproval.addCatch(expired, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timeout' });
    waitForApproval.addCatch(denied, { errors: [APPROVAL_DENIED_ERROR], resultPath: '$.denial' });
    waitForApproval.next(approved);
    approved.next(outcome);
    denied.next(deniedEnd);
    expired.next(timedOut);
    wait.next(check);
    check.next(outcome);

    const logGroup = new logs.LogGroup(scope, 'RenewalWorkflowLogs', {
      retention: props.logRetention,
      encryptionKey: inventory.dataKey,
      removalPolicy: props.removalPolicy,
    });
    // The machine's role holds what is granted here and nothing CDK would add: CDK puts its log-delivery and X-Ray
    // grants on `*` in the role's default policy, where acknowledging that `*` would hide any other `*` added later.
    const role = new iam.Role(scope, 'RenewalWorkflowRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: 'certwarden: the renewal workflow invokes the renew function, logs and traces',
    });
    const invoke = new iam.Policy(scope, 'RenewalWorkflowInvoke', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
      ],
    });
    const unscopable = allowOnAnyResource(
      scope,
      'RenewalWorkflowLogsAndTracing',
      role,
      [...STATE_MACHINE_LOG_DELIVERY_ACTIONS, ...STATE_MACHINE_TRACING_ACTIONS],
      'CloudWatch Logs vended log delivery (the execution log) and X-Ray (tracing) support no resource-level permissions.',
    );
    const machine = new sfn.StateMachine(scope, 'RenewalWorkflow', {
      comment: 'certwarden: renews a certificate on its Certificate Expiring event, with approval for sensitive ones',
      definitionBody: sfn.DefinitionBody.fromChainable(start.next(outcome)),
      role: role.withoutPolicyUpdates(),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    machine.node.addDependency(invoke, unscopable);
    return machine;
  }
}
