import { Template } from 'aws-cdk-lib/assertions';
import { join } from 'node:path';
import { buildApp } from '../../infra/app';

/**
 * AWS Control Tower's proactive controls: CloudFormation Guard rules that a hook runs on every resource before it
 * is made, and that refuse the stack when one fails. Each control is encoded here from its rule specification
 * (the Control Tower control reference: PASS, FAIL and SKIP scenarios, Guard rule), checked against the
 * reference's own PASS and FAIL examples, and run over every resource of the synthesized stacks (the main stack
 * from test/infra/fixtures/certwarden.config.json, and the member-account role).
 *
 * Every control on the services in these templates passes except CT.LAMBDA.PR.3 (lambda_inside_vpc_check,
 * functions in a VPC): docs/architecture.md, "AWS Control Tower proactive controls", says why. The reference
 * has no proactive control on SNS topics, EventBridge (buses, rules, archives, connections, API destinations,
 * schema registries), EventBridge Scheduler or Pipes.
 */

// A synthesized template is untyped JSON; the rules read it as such.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Resources = Record<string, { Type: string; Properties?: Json }>;
/** Why a resource fails the control, or undefined when it passes (or the control skips it). */
type Check = (properties: Json, resources: Resources) => string | undefined;

interface Control {
  id: string;
  rule: string;
  types: string[];
  check: Check;
  /** The reference's PASS and FAIL example properties. */
  pass: Json[];
  fail: Json[];
  /** Resources the examples refer to. */
  exampleResources?: Resources;
}

const isStruct = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmptyString = (value: unknown): boolean => typeof value === 'string' && !/^\s*$/.test(value);
/** A `Ref` or `Fn::GetAtt` to a resource of the template, of one of `types` when given. */
const localReference = (value: Json, resources: Resources, types?: string[]): boolean => {
  const id = isStruct(value) ? (value['Fn::GetAtt']?.[0] ?? value.Ref) : undefined;
  return typeof id === 'string' && id in resources && (!types || types.includes(resources[id].Type));
};
/** The statements of a policy's document, or of a role's inline `Policies`. */
const statementsOf = (properties: Json): Json[] =>
  [properties.PolicyDocument ?? (properties.Policies ?? []).map((policy: Json) => policy.PolicyDocument)]
    .flat()
    .flatMap((document: Json) => [document?.Statement ?? []].flat());

/** An example policy: `action` on `*`. */
const allowingOnAny = (action: string | string[]) => ({
  PolicyDocument: { Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] },
});

/**
 * A control on IAM policies: the managed ones (`iam_managed_…`) or the inline ones, in a policy or a role
 * (`iam_inline_…`); its FAIL example allows `failing` on `*`, its PASS example one action.
 */
const iamControl = (id: string, rule: string, check: Check, failing: string | string[]): Control => ({
  id,
  rule,
  types: rule.startsWith('iam_managed_') ? ['AWS::IAM::ManagedPolicy'] : ['AWS::IAM::Policy', 'AWS::IAM::Role'],
  check,
  pass: [allowingOnAny('sqs:SendMessage')],
  fail: [allowingOnAny(failing)],
});

/** CT.IAM.PR.1 and .2: no Allow statement with Action `*` and Resource `*`. */
const noFullAccess = (properties: Json): string | undefined =>
  statementsOf(properties).some(
    (s) => s.Effect === 'Allow' && [s.Action].flat().includes('*') && [s.Resource].flat().includes('*'),
  )
    ? 'an Allow statement has Action "*" and Resource "*"'
    : undefined;
/** CT.IAM.PR.3 and .5: no Allow statement with a whole service (`service:*`, the rule's /^[\w]*[:]*\*$/) or NotAction. */
const noServiceWildcard = (properties: Json): string | undefined =>
  statementsOf(properties).find(
    (s) => s.Effect === 'Allow' && (s.NotAction || [s.Action].flat().some((a: string) => /^[\w]*[:]*\*$/.test(a))),
  )
    ? 'an Allow statement grants a whole service ("service:*") or uses NotAction'
    : undefined;

const CONTROLS: Control[] = [
  {
    id: 'CT.KMS.PR.1',
    rule: 'kms_key_rotation_enabled_check',
    types: ['AWS::KMS::Key'],
    check: (p) =>
      (p.KeySpec === undefined || p.KeySpec === 'SYMMETRIC_DEFAULT') && p.EnableKeyRotation !== true
        ? 'EnableKeyRotation is not true on a symmetric key'
        : undefined,
    pass: [{ EnableKeyRotation: true }],
    fail: [{ EnableKeyRotation: false }],
  },
  {
    id: 'CT.KMS.PR.2',
    rule: 'kms_asymmetric_rsa_keyspec_check',
    types: ['AWS::KMS::Key'],
    check: (p) =>
      (p.KeyUsage === undefined || p.KeyUsage === 'ENCRYPT_DECRYPT') &&
      /^RSA_/.test(p.KeySpec ?? '') &&
      p.KeySpec === 'RSA_2048'
        ? 'an RSA encryption key of 2048 bits'
        : undefined,
    pass: [{ KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'RSA_4096' }],
    fail: [{ KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'RSA_2048' }],
  },
  {
    id: 'CT.KMS.PR.3',
    rule: 'kms_create_grant_aws_service_check',
    types: ['AWS::KMS::Key'],
    check: (p) => {
      const statements = p.KeyPolicy?.Statement;
      if (!Array.isArray(statements) || statements.length === 0) return 'KeyPolicy has no Statement';
      const conditionKeys = [/^kms:GrantIsForAWSResource$/i, /^aws:PrincipalIsAWSService$/i];
      const limitsGrants = (s: Json) => {
        const bool = s.Condition?.BoolIfExists;
        return (
          ['Effect', 'Action', 'Principal', 'Condition', 'Resource'].every((key) => s[key] !== undefined) &&
          s.Effect === 'Deny' &&
          [s.Action].flat().every((action: string) => action === 'kms:CreateGrant') &&
          (s.Principal === '*' || s.Principal?.AWS === '*') &&
          [s.Resource].flat().every((resource: unknown) => resource === '*') &&
          isStruct(s.Condition) &&
          Object.keys(s.Condition).every((key) => key === 'BoolIfExists') &&
          isStruct(bool) &&
          Object.keys(bool).every((key) => conditionKeys.some((pattern) => pattern.test(key))) &&
          conditionKeys.every((pattern) =>
            Object.entries(bool).some(([key, value]) => pattern.test(key) && value === 'false'),
          )
        );
      };
      return statements.some(limitsGrants)
        ? undefined
        : 'no statement denies kms:CreateGrant to all principals unless kms:GrantIsForAWSResource or aws:PrincipalIsAWSService';
    },
    pass: [
      {
        KeyPolicy: {
          Statement: [
            { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'kms:*', Resource: '*' },
            {
              Effect: 'Deny',
              Action: 'kms:CreateGrant',
              Resource: '*',
              Principal: '*',
              Condition: {
                BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
              },
            },
          ],
        },
      },
    ],
    fail: [
      {
        KeyPolicy: {
          Statement: [
            { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'kms:*', Resource: '*' },
          ],
        },
      },
    ],
  },
  {
    id: 'CT.SQS.PR.1',
    rule: 'sqs_dlq_check',
    types: ['AWS::SQS::Queue'],
    check: (p, resources) => {
      const allow = p.RedriveAllowPolicy;
      const checked =
        allow === undefined ||
        (isStruct(allow) &&
          allow.redrivePermission !== undefined &&
          !['allowAll', 'byQueue'].includes(allow.redrivePermission));
      if (!checked) return undefined;
      const target = p.RedrivePolicy?.deadLetterTargetArn;
      return isStruct(p.RedrivePolicy) &&
        target !== undefined &&
        (nonEmptyString(target) || localReference(target, resources, ['AWS::SQS::Queue']))
        ? undefined
        : 'neither a dead-letter queue (RedrivePolicy) nor one itself (RedriveAllowPolicy allowAll or byQueue)';
    },
    pass: [
      { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['DLQQueue', 'Arn'] }, maxReceiveCount: 3 } },
      { RedriveAllowPolicy: { redrivePermission: 'allowAll' } },
    ],
    fail: [{}, { RedriveAllowPolicy: { redrivePermission: 'denyAll' } }],
    exampleResources: { DLQQueue: { Type: 'AWS::SQS::Queue' } },
  },
  {
    id: 'CT.SQS.PR.2',
    rule: 'sqs_queue_encrypted_check',
    types: ['AWS::SQS::Queue'],
    check: (p, resources) => {
      if (p.KmsMasterKeyId !== undefined)
        return nonEmptyString(p.KmsMasterKeyId) ||
          localReference(p.KmsMasterKeyId, resources, ['AWS::KMS::Key', 'AWS::KMS::Alias'])
          ? undefined
          : 'KmsMasterKeyId is empty or no key of the template';
      return p.SqsManagedSseEnabled === true ? undefined : 'neither KmsMasterKeyId nor SqsManagedSseEnabled';
    },
    pass: [{ SqsManagedSseEnabled: true }, { KmsMasterKeyId: { Ref: 'KMSKey' } }],
    fail: [{}, { SqsManagedSseEnabled: false }],
    exampleResources: { KMSKey: { Type: 'AWS::KMS::Key' } },
  },
  {
    id: 'CT.DYNAMODB.PR.1',
    rule: 'dynamodb_table_pitr_enabled_check',
    types: ['AWS::DynamoDB::Table'],
    check: (p) =>
      isStruct(p.PointInTimeRecoverySpecification) &&
      p.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled === true
        ? undefined
        : 'point-in-time recovery is not enabled',
    pass: [{ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }],
    fail: [{ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } }],
  },
  {
    id: 'CT.DYNAMODB.PR.2',
    rule: 'dynamodb_table_encrypted_kms_check',
    types: ['AWS::DynamoDB::Table'],
    check: (p) =>
      isStruct(p.SSESpecification) && p.SSESpecification.SSEEnabled === true ? undefined : 'SSEEnabled is not true',
    pass: [{ SSESpecification: { SSEEnabled: true } }],
    fail: [{ SSESpecification: { SSEEnabled: false } }],
  },
  {
    id: 'CT.LAMBDA.PR.2',
    rule: 'lambda_function_public_access_prohibited_check',
    types: ['AWS::Lambda::Permission'],
    check: (p, resources) => {
      if (p.FunctionUrlAuthType === 'NONE') return 'FunctionUrlAuthType NONE';
      const sourceArn = nonEmptyString(p.SourceArn) || localReference(p.SourceArn, resources);
      if (p.Principal === '*')
        return nonEmptyString(p.SourceAccount) || sourceArn || nonEmptyString(p.PrincipalOrgID)
          ? undefined
          : 'Principal "*" without SourceAccount, SourceArn or PrincipalOrgID';
      const accountOrIam =
        typeof p.Principal === 'string' &&
        (/\d{12}/.test(p.Principal) || /^arn:aws[a-z0-9-]*:iam::\d{12}:.+/.test(p.Principal));
      return accountOrIam || nonEmptyString(p.SourceAccount) || sourceArn
        ? undefined
        : 'a service principal without SourceAccount or SourceArn';
    },
    pass: [{ Action: 'lambda:InvokeFunction', Principal: '*', SourceAccount: '111111111111' }],
    fail: [{ Action: 'lambda:InvokeFunction', Principal: '*' }],
  },
  {
    id: 'CT.LAMBDA.PR.4',
    rule: 'lambda_layer_public_access_prohibited_check',
    types: ['AWS::Lambda::LayerVersionPermission'],
    check: (p) =>
      p.OrganizationId !== undefined
        ? nonEmptyString(p.OrganizationId)
          ? undefined
          : 'empty OrganizationId'
        : nonEmptyString(p.Principal) && p.Principal !== '*'
          ? undefined
          : 'the layer is granted to every account',
    pass: [{ OrganizationId: 'o-abc123defg', Principal: '*' }],
    fail: [{ Principal: '*' }],
  },
  {
    id: 'CT.LAMBDA.PR.5',
    rule: 'lambda_function_url_auth_check',
    types: ['AWS::Lambda::Url'],
    check: (p) => (p.AuthType === 'AWS_IAM' ? undefined : 'AuthType is not AWS_IAM'),
    pass: [{ AuthType: 'AWS_IAM' }],
    fail: [{ AuthType: 'NONE' }],
  },
  {
    id: 'CT.CLOUDWATCH.PR.1',
    rule: 'cloudwatch_alarm_action_check',
    types: ['AWS::CloudWatch::Alarm'],
    check: (p) =>
      Array.isArray(p.AlarmActions) && p.AlarmActions.length > 0 ? undefined : 'no action for the alarm state',
    pass: [{ ActionsEnabled: true, AlarmActions: [{ Ref: 'Topic' }] }],
    fail: [{ ActionsEnabled: true }],
  },
  {
    id: 'CT.CLOUDWATCH.PR.2',
    rule: 'cloudwatch_log_group_retention_period_check',
    types: ['AWS::Logs::LogGroup'],
    check: (p) =>
      p.RetentionInDays === undefined || (Number.isInteger(p.RetentionInDays) && p.RetentionInDays >= 365)
        ? undefined
        : `RetentionInDays ${p.RetentionInDays} is under a year`,
    pass: [{ RetentionInDays: 365 }],
    fail: [{ RetentionInDays: 1 }],
  },
  {
    id: 'CT.CLOUDWATCH.PR.3',
    rule: 'cloudwatch_log_group_encrypted_check',
    types: ['AWS::Logs::LogGroup'],
    check: (p, resources) =>
      nonEmptyString(p.KmsKeyId) || localReference(p.KmsKeyId, resources, ['AWS::KMS::Key'])
        ? undefined
        : 'no KmsKeyId',
    pass: [{ KmsKeyId: { 'Fn::GetAtt': ['KMSKey', 'Arn'] } }],
    fail: [{ RetentionInDays: 365 }],
    exampleResources: { KMSKey: { Type: 'AWS::KMS::Key' } },
  },
  iamControl('CT.IAM.PR.1', 'iam_inline_policy_no_statements_with_admin_access_check', noFullAccess, '*'),
  iamControl('CT.IAM.PR.2', 'iam_managed_policy_no_statements_with_admin_access_check', noFullAccess, '*'),
  iamControl('CT.IAM.PR.3', 'iam_managed_policy_no_statements_with_full_access_check', noServiceWildcard, 'sqs:*'),
  iamControl('CT.IAM.PR.5', 'iam_inline_policy_no_statements_with_full_access_check', noServiceWildcard, ['sqs:*']),
];

const FIXTURE = join(__dirname, 'fixtures/certwarden.config.json');
const built = buildApp({ configPath: FIXTURE, appProps: { context: { 'aws:cdk:bundling-stacks': [] } } });
const templates = {
  main: Template.fromStack(built.main).toJSON().Resources as Resources,
  member: Template.fromStack(built.member).toJSON().Resources as Resources,
};

describe('AWS Control Tower proactive controls', () => {
  describe.each(CONTROLS)('$id, $rule', (control) => {
    it('passes the reference PASS examples and fails its FAIL examples', () => {
      const resources = control.exampleResources ?? {};
      for (const properties of control.pass) expect(control.check(properties, resources)).toBeUndefined();
      for (const properties of control.fail) expect(control.check(properties, resources)).toEqual(expect.any(String));
    });

    it.each(Object.keys(templates) as (keyof typeof templates)[])(
      `holds for every ${control.types.join(' and ')} of %s`,
      (name) => {
        const resources = templates[name];
        const failures = Object.entries(resources)
          .filter(([, resource]) => control.types.includes(resource.Type))
          .flatMap(([id, resource]) => {
            const why = control.check(resource.Properties ?? {}, resources);
            return why ? [`${id}: ${why}`] : [];
          });
        expect(failures).toEqual([]);
      },
    );
  });

  it('checks the resources the dead-letter and grant controls failed on: every queue and the key', () => {
    const ofType = (type: string) => Object.values(templates.main).filter((resource) => resource.Type === type);
    // 7 sync, evaluation and its shards, 3 notifiers and the SIEM's queues; the two dead-letter queues.
    expect(ofType('AWS::SQS::Queue')).toHaveLength(7 + 2 + 3 + 1 + 2);
    expect(ofType('AWS::KMS::Key')).toHaveLength(1);
    expect(ofType('AWS::Logs::LogGroup').length).toBeGreaterThan(10);
  });

  it('fails only CT.LAMBDA.PR.3 (lambda_inside_vpc_check): no function is in a VPC but the tls-endpoint worker given one', () => {
    const functions = Object.values(templates.main).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    // The fixture's tls-endpoint source names a VPC for private endpoints (README, "TLS endpoints").
    expect(
      functions
        .filter((fn) => fn.Properties.VpcConfig)
        .map((fn) => fn.Properties.Environment.Variables.CERTWARDEN_SOURCE_KIND),
    ).toEqual(['tls-endpoint']);
  });
});
