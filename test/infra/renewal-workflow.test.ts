import { AwsSolutionsChecks } from 'cdk-nag';
import { functionOf, inventoryTemplate, payloadOf, renewalDefinition } from '../support/renewal-definition';

/**
 * The deployed renewal workflow as synthesized: its states, the rule that starts it, what its function and the
 * people's policies may do, its alarm. Step Functions cannot run here; what each state sends the renew function
 * is run against that function in test/integration/functions/renew-handler.test.ts, taken from this definition.
 */
const CA = 'arn:aws:acm-pca:eu-west-1:111111111111:certificate-authority/0c1d2e3f-aaaa-bbbb-cccc-111111111111';
const { stack, template } = inventoryTemplate({
  sources: [
    {
      kind: 'aws-acm',
      name: 'acm',
      regions: ['eu-west-1'],
      accounts: [
        { accountId: '111111111111' },
        { accountId: '222222222222', roleName: 'certwarden-reader', externalId: 'ext-2222' },
      ],
      issuingCertificateAuthorities: [CA],
    },
    { kind: 'aws-iam', name: 'iam' },
  ],
  approval: { timeoutMinutes: 90 },
  renewalWatchHours: 72,
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const resources = Object.entries(template.Resources as Record<string, { Type: string; Properties: Json }>);
const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);
const definition = renewalDefinition(template);
const states = definition.States;
const [renewId] = ofType('AWS::Lambda::Function').find(([id]) => /^InventoryRenew[0-9A-F]{8}$/.test(id))!;
const [machineId] = ofType('AWS::StepFunctions::StateMachine')[0];
const policyOf = (roleId: string) =>
  ofType('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((role: Json) => role.Ref === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Json[]);

describe('the renewal workflow', () => {
  it('starts with the Start step, then decides by its outcome', () => {
    expect(definition.StartAt).toBe('RenewStart');
    expect(states.RenewStart).toMatchObject({ Type: 'Task', Next: 'Outcome', ResultPath: '$.result' });
    expect(payloadOf(states.RenewStart, { detail: {} })).toEqual({ step: 'start', event: { detail: {} } });
    expect(states.Outcome.Choices.map((choice: Json) => [choice.Variable, choice.Next])).toEqual([
      ['$.result.replayed', 'NothingToDo'],
      ['$.result.outcome', 'WaitForApproval'],
      ['$.result.outcome', 'WaitForProvider'],
      ['$.result.outcome', 'Renewed'],
      ['$.result.outcome', 'RenewalFailed'],
    ]);
    expect(states.Outcome.Default).toBe('NothingToDo');
  });

  it('calls the renew function in every task, retrying an interrupted start', () => {
    const tasks = Object.entries(states).filter(([, state]) => state.Type === 'Task');
    expect(tasks.map(([name]) => name).sort()).toEqual(
      ['ApprovalExpired', 'Approved', 'CheckRenewal', 'Denied', 'RenewStart', 'WaitForApproval'].sort(),
    );
    for (const [, state] of tasks) expect(functionOf(state)).toBe(`<GetAtt ${renewId}.Arn>`);
    expect(states.RenewStart.Retry).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ErrorEquals: ['IdempotencyAlreadyInProgressError'], MaxAttempts: 4 }),
      ]),
    );
  });

  it('waits for approval with a task token until the configured timeout, then escalates and fails closed', () => {
    const wait = states.WaitForApproval;
    expect(wait.Resource).toBe('arn:<Ref AWS::Partition>:states:::lambda:invoke.waitForTaskToken');
    expect(wait.Parameters.Payload).toEqual({
      step: 'await-approval',
      'requestId.$': '$.result.requestId',
      'taskToken.$': '$$.Task.Token',
    });
    expect(wait.TimeoutSeconds).toBe(90 * 60);
    expect(wait.Next).toBe('Approved');
    expect(wait.Catch).toEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: 'ApprovalExpired' },
      { ErrorEquals: ['ApprovalDenied'], ResultPath: '$.denial', Next: 'Denied' },
    ]);
    expect(states.ApprovalExpired.Next).toBe('ApprovalTimedOut');
    expect(states.ApprovalTimedOut.Type).toBe('Fail');
    expect(states.Denied.Next).toBe('NotRenewed');
    expect(states.NotRenewed.Type).toBe('Succeed');
    expect(states.Approved.Next).toBe('Outcome');
  });

  it('polls a pending renewal with a Wait state as long as the function says, for the configured watch', () => {
    expect(states.WaitForProvider).toEqual({ Type: 'Wait', SecondsPath: '$.result.waitSeconds', Next: 'CheckRenewal' });
    expect(states.CheckRenewal.Next).toBe('Outcome');
    // A look is safe to repeat: one that failed or timed out is tried again before the execution fails.
    expect(states.CheckRenewal.Retry).toContainEqual({
      ErrorEquals: ['States.TaskFailed', 'States.Timeout'],
      IntervalSeconds: 60,
      BackoffRate: 2,
      MaxAttempts: 2,
    });
    const [, renew] = ofType('AWS::Lambda::Function').find(([id]) => id === renewId)!;
    expect(renew.Properties.Environment.Variables.CERTWARDEN_RENEWAL_WATCH_HOURS).toBe('72');
  });

  it('is started by Certificate Expiring events of the kinds certwarden renews, with retries and a DLQ', () => {
    const [[, rule]] = ofType('AWS::Events::Rule').filter(([, r]) =>
      r.Properties.Targets.some((target: Json) => target.Arn.Ref === machineId),
    );
    expect(rule.Properties.EventPattern).toEqual({
      source: ['certwarden'],
      'detail-type': ['Certificate Expiring'],
      detail: { sourceKind: ['aws-acm'] },
    });
    expect(rule.Properties.Targets[0]).toMatchObject({
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      DeadLetterConfig: { Arn: expect.anything() },
    });
  });

  it('alarms on failed executions (AWS/States ExecutionsFailed, emitted by Step Functions) to the operations topic', () => {
    const [[, alarm]] = ofType('AWS::CloudWatch::Alarm').filter(
      ([, a]) => a.Properties.MetricName === 'ExecutionsFailed',
    );
    expect(alarm.Properties).toMatchObject({
      Namespace: 'AWS/States',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId } }],
      Threshold: 1,
    });
    const [operationsTopic] = ofType('AWS::SNS::Topic').find(([id]) => /^InventoryOperationsTopic/.test(id))!;
    expect(alarm.Properties.AlarmActions).toEqual([{ Ref: operationsTopic }]);
  });

  it('logs every execution to an encrypted log group, traced', () => {
    const [, machine] = ofType('AWS::StepFunctions::StateMachine')[0];
    expect(machine.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine.Properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
  });
});

describe('who may do what', () => {
  const renewRole = (template.Resources[renewId].Properties.Role['Fn::GetAtt'] as string[])[0];
  const statements = policyOf(renewRole);
  const actionsOn = (resource: (r: string) => boolean) =>
    statements
      .filter((statement) => [statement.Resource].flat().some((r: Json) => resource(JSON.stringify(r))))
      .flatMap((statement) => [statement.Action].flat())
      .sort();

  it('lets the renew function call the renewal actions on the certificates of its own account only', () => {
    expect(actionsOn((r) => r.includes(':acm:') && r.includes('111111111111:certificate/*'))).toEqual([
      'acm:DescribeCertificate',
      'acm:GetCertificate',
      'acm:ImportCertificate',
      'acm:RenewCertificate',
    ]);
    expect(actionsOn((r) => r.includes('222222222222:certificate'))).toEqual([]);
  });

  it('lets it re-import only where a configured Private CA issues the replacement', () => {
    const { template: withoutCa } = inventoryTemplate({
      sources: [{ kind: 'aws-acm', name: 'acm', regions: ['eu-west-1'], accounts: [{ accountId: '111111111111' }] }],
    });
    const functions = Object.entries(withoutCa.Resources as Record<string, { Type: string; Properties: Json }>);
    const [, renew] = functions.find(([id]) => /^InventoryRenew[0-9A-F]{8}$/.test(id))!;
    const role = (renew.Properties.Role['Fn::GetAtt'] as string[])[0];
    const granted = functions
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((x: Json) => x.Ref === role))
      .flatMap(([, r]) => r.Properties.PolicyDocument.Statement as Json[])
      .flatMap((statement) => [statement.Action].flat());

    expect(granted).toEqual(expect.arrayContaining(['acm:DescribeCertificate', 'acm:RenewCertificate']));
    expect(granted).not.toContain('acm:ImportCertificate');
    expect(granted.filter((action) => action.startsWith('acm-pca:'))).toEqual([]);
  });

  it('lets it issue at the configured Private CA only, and reach a member account through its role', () => {
    expect(actionsOn((r) => r === JSON.stringify(CA))).toEqual([
      'acm-pca:GetCertificate',
      'acm-pca:GetCertificateAuthorityCertificate',
      'acm-pca:IssueCertificate',
    ]);
    expect(actionsOn((r) => r.includes('222222222222:role/certwarden-reader'))).toEqual(['sts:AssumeRole']);
  });

  it('gives it nothing on `*` but tracing, and no revocation, export or deletion of certificates', () => {
    const all = statements.flatMap((statement) => [statement.Action].flat());
    for (const forbidden of ['acm-pca:RevokeCertificate', 'acm:ExportCertificate', 'acm:DeleteCertificate'])
      expect(all).not.toContain(forbidden);
    const onAny = statements.filter((statement) => [statement.Resource].flat().includes('*'));
    expect(onAny.flatMap((statement) => [statement.Action].flat()).sort()).toEqual([
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  it('lets the operator, and not the reader, answer an approval (SendTaskSuccess/Failure on this state machine)', () => {
    const policies = Object.fromEntries(
      ofType('AWS::IAM::ManagedPolicy').map(([, policy]) => [
        policy.Properties.ManagedPolicyName,
        policy.Properties.PolicyDocument.Statement as Json[],
      ]),
    );
    const answering = (name: string) =>
      policies[name].filter((statement: Json) =>
        [statement.Action].flat().some((a: string) => a.startsWith('states:')),
      );
    expect(answering('certwarden-operator')).toEqual([
      {
        Sid: 'AnswerRenewalApprovals',
        Effect: 'Allow',
        Action: ['states:SendTaskFailure', 'states:SendTaskSuccess'],
        Resource: { Ref: machineId },
      },
    ]);
    expect(answering('certwarden-reader')).toEqual([]);
  });

  it('lets the state machine invoke the renew function and nothing else, besides log delivery and tracing on `*`', () => {
    const machineRole = template.Resources[machineId].Properties.RoleArn['Fn::GetAtt'][0];
    const granted = policyOf(machineRole);
    expect(granted.filter((statement) => statement.Resource !== '*')).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [renewId, 'Arn'] } },
    ]);
    const onAny = granted.filter((statement) => statement.Resource === '*').flatMap((s) => [s.Action].flat());
    expect(
      onAny.every((action: string) =>
        /^(logs:\w+Log(Delivery|Deliveries|Groups)|logs:\w+Resourc(e|es)Polic(y|ies)|xray:)/.test(action),
      ),
    ).toBe(true);
  });

  it('passes cdk-nag AwsSolutions with every finding acknowledged', () => {
    expect(new AwsSolutionsChecks().validateScope(stack.node.root).violations).toEqual([]);
  });
});
