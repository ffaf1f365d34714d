import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { App, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { INVENTORY_INDEXES, INVENTORY_KEYS, TTL_ATTRIBUTE } from '../../lib/adapters/dynamodb-table';
import { loadConfig } from '../../lib/adapters/config-file';
import { ApprovalConfig } from '../../lib/domain/approval';
import { CertwardenConfig } from '../../lib/domain/config';
import { inventoryChangeEvent, type SyncFailedDetail } from '../../lib/domain/events';
import { buildApp } from '../../infra/app';
import { CertificateInventory } from '../../infra';
import {
  SECURITY_HUB_RECORD_BUDGET_MS,
  SLACK_RECORD_BUDGET_MS,
  SNS_RECORD_BUDGET_MS,
} from '../../functions/shared/eventbridge-record';
import { METRIC } from '../../functions/shared/metric-names';
import { loadEventSchemas, schemaNameOf } from '../../infra/event-schemas';
import { bundlingFor, DEPLOYMENT_FILE } from '../../infra/function-bundling';
import { scopesOf } from '../../lib/connectors/source-scopes';
import type { SourceKind } from '../../lib/ports/certificate-source';
import { ALERT_SHARDS } from '../../lib/ports/inventory-store';

/**
 * The synthesized main stack, built once from test/infra/fixtures/certwarden.config.json (every deployable
 * source kind) and shared by every test. Bundling is skipped here: test/infra/handlers-bundle.test.ts bundles
 * every handler with the construct's own esbuild options.
 */
const FIXTURE = join(__dirname, 'fixtures/certwarden.config.json');
const { config } = loadConfig(FIXTURE);
const built = buildApp({
  configPath: FIXTURE,
  appProps: {
    context: { 'aws:cdk:bundling-stacks': [] },
  },
});
const template = Template.fromStack(built.main);
/** An app for a stack of its own that skips bundling too: handlers-bundle.test.ts is the suite's one bundling. */
const unbundledApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
// A synthesized template is untyped JSON; the tests read it as such.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Json; DeletionPolicy?: string }
>;
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const ref = (logicalId: string) => ({ Ref: logicalId });

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown; Sid?: string };
/** Every action the role of a function may take, from all policies attached to it, sorted and deduplicated. */
function actionsOfFunction(functionId: string): string[] {
  const roleRef = resources[functionId].Properties.Role['Fn::GetAtt'][0];
  const statements = ofType('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleRef))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
  expect(
    ofType('AWS::IAM::ManagedPolicy').filter(([, p]) => JSON.stringify(p.Properties.Roles ?? []).includes(roleRef)),
  ).toEqual([]);
  expect(resources[roleRef].Properties.ManagedPolicyArns).toBeUndefined();
  expect(statements.every((statement) => statement.Effect === 'Allow')).toBe(true);
  return [...new Set(statements.flatMap((statement) => [statement.Action].flat()))].sort();
}
/** The inventory indexes a function's role may query, by name. */
function indexesQueriedBy(functionId: string): string[] {
  const roleRef = resources[functionId].Properties.Role['Fn::GetAtt'][0];
  const statements = ofType('AWS::IAM::Policy')
    .filter(([, policy]) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleRef))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[])
    .filter((statement) => [statement.Action].flat().includes('dynamodb:Query'));
  return [...JSON.stringify(statements.map((statement) => statement.Resource)).matchAll(/\/index\/(\w+)/g)]
    .map(([, index]) => index)
    .sort();
}
const functionId = (prefix: string) => {
  const ids = ofType('AWS::Lambda::Function')
    .map(([id]) => id)
    .filter(
      (id) => id.startsWith(`Inventory${prefix}`) && /^[A-Za-z]+[0-9A-F]{8}$/.test(id) && id.slice(9, -8) === prefix,
    );
  expect(ids).toHaveLength(1);
  return ids[0];
};

const LOGS_XRAY = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
const SYNC_COMMON = [
  ...LOGS_XRAY,
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'events:PutEvents',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
];

const SQS_CONSUME = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
];
/** Reads the inventory by expiry, and claims, completes and releases alerts in the ledger. */
const LEDGER = [
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
];

/** A notifier's delivery ledger: a read before each delivery, a write after (no query, no delete); its dead letters' event. */
const DELIVERY = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  // A dead letter is announced on the bus as Alert Undelivered.
  'events:PutEvents',
];

describe('the certwarden stack', () => {
  describe('IAM: each function may do exactly what it calls', () => {
    it.each([
      [
        'SyncAwsAcm',
        [
          ...SYNC_COMMON,
          'acm:DescribeCertificate',
          'acm:GetCertificate',
          'acm:ListCertificates',
          'acm:ListTagsForCertificate',
          'sts:AssumeRole',
        ],
      ],
      ['SyncAwsPca', [...SYNC_COMMON, 'sts:AssumeRole']],
      ['SyncAwsIam', [...SYNC_COMMON, 'iam:GetServerCertificate', 'iam:ListServerCertificates', 'sts:AssumeRole']],
      [
        'SyncAwsIot',
        [
          ...SYNC_COMMON,
          'iot:DescribeCACertificate',
          'iot:DescribeCertificate',
          'iot:ListCACertificates',
          'iot:ListCertificates',
        ],
      ],
      ['SyncAzureKeyVault', [...SYNC_COMMON, 'secretsmanager:GetSecretValue']],
      ['SyncGoogleCertificateManager', [...SYNC_COMMON, 'secretsmanager:GetSecretValue']],
      [
        'SyncTlsEndpoint',
        [
          ...SYNC_COMMON,
          'dynamodb:DeleteItem',
          'dynamodb:UpdateItem',
          'ec2:AssignPrivateIpAddresses',
          'ec2:CreateNetworkInterface',
          'ec2:DeleteNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:UnassignPrivateIpAddresses',
        ],
      ],
      ['SyncPlanner', [...LOGS_XRAY, 'sqs:SendMessage']],
      ['InventoryMetrics', [...LOGS_XRAY, 'dynamodb:Query', 'kms:Decrypt', 'kms:DescribeKey', 'sqs:SendMessage']],
      [
        'Evaluate',
        [...LOGS_XRAY, ...SQS_CONSUME, ...LEDGER, 'dynamodb:BatchGetItem', 'events:PutEvents', 'sqs:SendMessage'],
      ],
      [
        'EmailNotifier',
        [...LOGS_XRAY, ...SQS_CONSUME, ...DELIVERY, 'sns:Publish', 'kms:Decrypt', 'kms:GenerateDataKey'],
      ],
      ['SlackNotifier', [...LOGS_XRAY, ...SQS_CONSUME, ...DELIVERY, 'secretsmanager:GetSecretValue']],
      [
        'SecurityHubNotifier',
        [
          ...LOGS_XRAY,
          ...SQS_CONSUME,
          ...DELIVERY,
          'securityhub:BatchImportFindings',
          'securityhub:BatchUpdateFindings',
        ],
      ],
      [
        'Digest',
        [
          ...LOGS_XRAY,
          ...LEDGER,
          'sns:Publish',
          'kms:GenerateDataKey',
          'secretsmanager:GetSecretValue',
          'sqs:SendMessage',
        ],
      ],
      ['SiemFormat', LOGS_XRAY],
      // Its positions and findings (the ledger's actions), places and certificates by key, its DLQ, the bus.
      ['CtMonitor', [...LOGS_XRAY, ...LEDGER, 'dynamodb:BatchGetItem', 'events:PutEvents', 'sqs:SendMessage']],
      // The inventory as `certwarden report` reads it, its objects under packs/ (and the key through S3), the
      // alerts topic, its DLQ.
      [
        'ReportPack',
        [
          ...LOGS_XRAY,
          'dynamodb:BatchGetItem',
          'dynamodb:GetItem',
          'dynamodb:Query',
          'kms:Decrypt',
          'kms:GenerateDataKey',
          's3:AbortMultipartUpload',
          's3:PutObject',
          'sns:Publish',
          'sqs:SendMessage',
        ],
      ],
    ])('%s', (name, expected) => {
      expect(actionsOfFunction(functionId(name))).toEqual([...new Set(expected)].sort());
    });

    it('scopes the sources to the configured accounts, regions, roles and secrets', () => {
      const acm = JSON.stringify(template.toJSON());
      const statementsOf = (name: string) =>
        ofType('AWS::IAM::Policy')
          .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`Inventory${name}Role`))
          .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
      const resourcesOf = (name: string, action: string) =>
        statementsOf(name)
          .filter((s) => [s.Action].flat().includes(action))
          .flatMap((s) => [s.Resource].flat());
      expect(resourcesOf('SyncAwsAcm', 'sts:AssumeRole')).toEqual([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:role/certwarden-reader']] },
      ]);
      expect(resourcesOf('SyncAwsAcm', 'acm:DescribeCertificate')).toHaveLength(3);
      expect(JSON.stringify(resourcesOf('SyncAwsAcm', 'acm:DescribeCertificate'))).toContain(
        ':acm:eu-west-1:111111111111:certificate/*',
      );
      expect(JSON.stringify(resourcesOf('SyncAwsAcm', 'acm:DescribeCertificate'))).not.toContain('222222222222');
      expect(resourcesOf('SyncAwsAcm', 'acm:ListCertificates')).toEqual(['*']);
      expect(resourcesOf('SyncAzureKeyVault', 'secretsmanager:GetSecretValue')).toEqual([
        'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certwarden/azure-AbCdEf',
      ]);
      expect(resourcesOf('SyncGoogleCertificateManager', 'secretsmanager:GetSecretValue')).toEqual([
        'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certwarden/gcp-GhIjKl',
      ]);
      // IAM is global: its reads are scoped to the account alone; IoT's to the account and each region.
      expect(resourcesOf('SyncAwsIam', 'sts:AssumeRole')).toEqual([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::444444444444:role/certwarden-reader']] },
      ]);
      expect(resourcesOf('SyncAwsIam', 'iam:GetServerCertificate')).toEqual([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:server-certificate/*']] },
      ]);
      expect(resourcesOf('SyncAwsIam', 'iam:ListServerCertificates')).toEqual(['*']);
      expect(JSON.stringify(resourcesOf('SyncAwsIot', 'iot:DescribeCertificate'))).toBe(
        JSON.stringify(resourcesOf('SyncAwsIot', 'iot:DescribeCACertificate')),
      );
      expect(
        JSON.stringify(resourcesOf('SyncAwsIot', 'iot:DescribeCertificate'))
          .match(/:iot:[a-z0-9-]+:111111111111:c[a-z]*\/\*/g)
          ?.sort(),
      ).toEqual([
        ':iot:eu-west-1:111111111111:cacert/*',
        ':iot:eu-west-1:111111111111:cert/*',
        ':iot:us-east-1:111111111111:cacert/*',
        ':iot:us-east-1:111111111111:cert/*',
      ]);
      expect(resourcesOf('SyncAwsIot', 'iot:ListCertificates')).toEqual(['*']);
      expect(resourcesOf('SyncPlanner', 'sqs:SendMessage')).toHaveLength(8);
      expect(acm).not.toContain('acm:ExportCertificate');
      const iamActions = [...ofType('AWS::IAM::Policy'), ...ofType('AWS::IAM::ManagedPolicy')].flatMap(([, p]) =>
        (p.Properties.PolicyDocument.Statement as Statement[]).flatMap((s) => [s.Action].flat()),
      );
      expect(iamActions.filter((action) => action.includes('*'))).toEqual([]);
    });

    it('lets the CT monitor write only its own items (positions, findings), and read places and certificates by key', () => {
      const statements = ofType('AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes('InventoryCtMonitorRole'))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
      const dynamo = statements
        .filter((s) => [s.Action].flat().some((action) => action.startsWith('dynamodb:')))
        .map((s) => ({
          actions: [s.Action].flat().sort(),
          condition: s.Condition,
          resource: JSON.stringify(s.Resource),
        }));
      expect(dynamo).toEqual([
        {
          actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CTLOG#*', 'ALERT#ct:*'] } },
          resource: expect.not.stringContaining('/index/'),
        },
        {
          actions: ['dynamodb:BatchGetItem'],
          condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LOC#*', 'CERT#*'] } },
          resource: expect.not.stringContaining('/index/'),
        },
        {
          actions: ['dynamodb:Query'],
          condition: undefined,
          resource: expect.stringMatching(/\/index\/byFingerprint.*\/index\/byExpiry/),
        },
      ]);
      const [ctFunction] = ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('InventoryCtMonitor'));
      expect(JSON.parse(ctFunction[1].Properties.Environment.Variables.CERTWARDEN_CT)).toEqual(
        CertwardenConfig.parse(config).ct,
      );
      const [[, schedule]] = ofType('AWS::Scheduler::Schedule').filter(([id]) =>
        id.startsWith('InventoryCtMonitorSchedule'),
      );
      expect(schedule.Properties.ScheduleExpression).toBe('rate(15 minutes)');
    });

    it('keeps the report packs in a versioned, encrypted, private bucket that only the pack function writes and readers read', () => {
      const [[bucketId, bucket]] = ofType('AWS::S3::Bucket');
      expect(bucket.Properties).toMatchObject({
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } },
          ],
        },
        LifecycleConfiguration: {
          Rules: [
            expect.objectContaining({ ExpirationInDays: 400, NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
          ],
        },
      });
      const writers = ofType('AWS::IAM::Policy').filter(([, p]) =>
        (p.Properties.PolicyDocument.Statement as Statement[]).some((st) =>
          [st.Action].flat().includes('s3:PutObject'),
        ),
      );
      expect(writers.map(([, p]) => JSON.stringify(p.Properties.Roles))).toEqual([
        expect.stringContaining('InventoryReportPackRole'),
      ]);
      const put = (writers[0][1].Properties.PolicyDocument.Statement as Statement[]).find((st) =>
        [st.Action].flat().includes('s3:PutObject'),
      )!;
      expect(JSON.stringify(put.Resource)).toContain(`"${bucketId}","Arn"]},"/packs/*"`);
      const reader = ofType('AWS::IAM::ManagedPolicy').find(([id]) => id.startsWith('InventoryReaderPolicy'))!;
      const readsPacks = (reader[1].Properties.PolicyDocument.Statement as Statement[]).find(
        (st) => st.Sid === 'ReadReportPacks',
      )!;
      expect([readsPacks.Action].flat()).toEqual([
        's3:GetObject',
        's3:GetObjectVersion',
        's3:ListBucket',
        's3:ListBucketVersions',
      ]);
      const [[, schedule]] = ofType('AWS::Scheduler::Schedule').filter(([id]) =>
        id.startsWith('InventoryReportPackSchedule'),
      );
      expect(schedule.Properties.ScheduleExpression).toBe('cron(0 6 1 * ? *)');
      const [[, subscription]] = ofType('AWS::SNS::Subscription').filter(
        ([, sub]) => sub.Properties.Endpoint === 'compliance@example.com',
      );
      expect(subscription.Properties.FilterPolicy).toEqual({ audience: ['reports'] });
    });

    it('uses the key only through DynamoDB (the table), SNS (the topics, for those who publish) or S3 (the report packs)', () => {
      const [[keyId]] = ofType('AWS::KMS::Key');
      const through = (service: string) => ({
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.amazonaws.com']] },
        },
      });
      for (const [, policy] of ofType('AWS::IAM::Policy')) {
        const statements = policy.Properties.PolicyDocument.Statement as Statement[];
        const publishes = statements.some((s) => [s.Action].flat().includes('sns:Publish'));
        const writesPacks = statements.some((s) => [s.Action].flat().includes('s3:PutObject'));
        const kmsStatements = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('kms:')));
        for (const statement of kmsStatements) {
          expect(statement.Resource).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
          expect([
            through('dynamodb'),
            ...(publishes ? [through('sns')] : []),
            ...(writesPacks ? [through('s3')] : []),
          ]).toContainEqual(statement.Condition);
        }
      }
    });

    it('gives people a reader and an operator managed policy, nothing broader', () => {
      const policies = Object.fromEntries(
        ofType('AWS::IAM::ManagedPolicy').map(([, p]) => [
          p.Properties.ManagedPolicyName,
          (p.Properties.PolicyDocument.Statement as Statement[]).flatMap((s) => [s.Action].flat()).sort(),
        ]),
      );
      // The inventory, and the report packs' bucket (its key through S3).
      const read = [
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'kms:Decrypt',
        'kms:Decrypt',
        's3:GetObject',
        's3:GetObjectVersion',
        's3:ListBucket',
        's3:ListBucketVersions',
      ];
      expect(policies).toEqual({
        'certwarden-reader': read,
        'certwarden-operator': [
          ...read,
          'acm:RenewCertificate',
          'events:PutEvents',
          'states:SendTaskFailure',
          'states:SendTaskSuccess',
        ].sort(),
      });
      const reader = ofType('AWS::IAM::ManagedPolicy').find(
        ([, p]) => p.Properties.ManagedPolicyName === 'certwarden-reader',
      )!;
      const readResources = JSON.stringify(reader[1].Properties.PolicyDocument.Statement[0].Resource);
      for (const index of Object.keys(INVENTORY_INDEXES)) expect(readResources).toContain(`/index/${index}`);
    });

    it('lets the operator alone revoke certificates, at the configured Private CAs only (certwarden revoke)', () => {
      const ca = (id: string) => `arn:aws:acm-pca:eu-west-1:111111111111:certificate-authority/${id}`;
      const stack = new Stack(unbundledApp(), 'Revoking', { env: { account: '111111111111', region: 'eu-west-1' } });
      new CertificateInventory(stack, 'Inventory', {
        alerts: { securityHub: false },
        sources: [
          {
            kind: 'aws-acm',
            name: 'acm',
            regions: ['eu-west-1'],
            issuingCertificateAuthorities: [ca('issuing-2'), ca('issuing-1')],
          },
          { kind: 'aws-pca', name: 'pca', regions: ['eu-west-1'] },
        ],
      });
      const revoking = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
      const grants = Object.values(revoking)
        .filter((resource) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role'].includes(resource.Type))
        .flatMap((resource) => {
          const documents = [
            resource.Properties.PolicyDocument,
            ...(resource.Properties.Policies ?? []).map((policy: Json) => policy.PolicyDocument),
          ].filter(Boolean);
          return documents.flatMap((document: Json) =>
            (document.Statement as Statement[])
              .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('acm-pca:Revoke')))
              .map((statement) => ({ policy: resource.Properties.ManagedPolicyName, statement })),
          );
        });

      expect(grants).toEqual([
        {
          policy: 'certwarden-operator',
          statement: expect.objectContaining({
            Action: 'acm-pca:RevokeCertificate',
            Effect: 'Allow',
            Resource: [ca('issuing-1'), ca('issuing-2')],
          }),
        },
      ]);
      const reader = Object.values(revoking).find(
        (resource) => resource.Properties?.ManagedPolicyName === 'certwarden-reader',
      );
      expect(JSON.stringify(reader)).not.toContain('acm-pca');
    });
  });

  it('keeps the inventory in one on-demand table with PITR, its own key, deletion protection, TTL and the GSIs of lib/adapters/dynamodb-table.ts', () => {
    const [[, table]] = ofType('AWS::DynamoDB::Table');
    expect(table.DeletionPolicy).toBe('Retain');
    const [[keyId]] = ofType('AWS::KMS::Key').filter(([, key]) => key.Properties.Description.includes('table'));
    expect(table.Properties).toMatchObject({
      TableName: 'certwarden-inventory',
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      DeletionProtectionEnabled: true,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      KeySchema: [
        { AttributeName: INVENTORY_KEYS.partition, KeyType: 'HASH' },
        { AttributeName: INVENTORY_KEYS.sort, KeyType: 'RANGE' },
      ],
    });
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(
      Object.entries(INVENTORY_INDEXES).map(([IndexName, keys]) => ({
        IndexName,
        KeySchema: [
          { AttributeName: keys.partition, KeyType: 'HASH' },
          { AttributeName: keys.sort, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: keys.projection },
      })),
    );
  });

  it('warms the table and every index to the configured write rate, so a first full sync skips the on-demand ramp', () => {
    expect(resources[ofType('AWS::DynamoDB::Table')[0][0]].Properties.WarmThroughput).toBeUndefined();
    const stack = new Stack(unbundledApp(), 'Warm');
    new CertificateInventory(stack, 'Inventory', { alerts: { securityHub: false }, warmWriteUnitsPerSecond: 40_000 });
    const [table] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table')) as Json[];

    expect(table.Properties.WarmThroughput).toEqual({ WriteUnitsPerSecond: 40_000 });
    expect(table.Properties.GlobalSecondaryIndexes).toHaveLength(Object.keys(INVENTORY_INDEXES).length);
    for (const index of table.Properties.GlobalSecondaryIndexes) {
      expect(index.WarmThroughput).toEqual({ WriteUnitsPerSecond: 40_000 });
    }
  });

  describe('encryption', () => {
    it('rotates its one customer-managed key and retains it', () => {
      const keys = ofType('AWS::KMS::Key');
      expect(keys).toHaveLength(1);
      for (const [, key] of keys) {
        expect(key.Properties.EnableKeyRotation).toBe(true);
        expect(key.DeletionPolicy).toBe('Retain');
      }
    });

    it('encrypts the alerts, escalation and operations topics with the key and refuses plain HTTP', () => {
      const topics = ofType('AWS::SNS::Topic');
      expect(topics).toHaveLength(3);
      for (const [, topic] of topics)
        expect(topic.Properties.KmsMasterKeyId).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/DataKey/), 'Arn'],
        });
      template.resourceCountIs('AWS::SNS::TopicPolicy', 3);
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('encrypts every queue and refuses plain HTTP on each', () => {
      const queues = ofType('AWS::SQS::Queue');
      for (const [, queue] of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      const guarded = ofType('AWS::SQS::QueuePolicy').flatMap(([, p]) =>
        p.Properties.Queues.map((q: { Ref: string }) => q.Ref),
      );
      expect(guarded.sort()).toEqual(queues.map(([id]) => id).sort());
    });

    it('gives every function its own encrypted log group with a retention', () => {
      const logGroups = ofType('AWS::Logs::LogGroup');
      for (const [, group] of logGroups) {
        expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/DataKey/), 'Arn'] });
        expect(group.Properties.RetentionInDays).toBe(365);
      }
      for (const [, fn] of ofType('AWS::Lambda::Function')) {
        expect(logGroups.map(([id]) => ref(id))).toContainEqual(fn.Properties.LoggingConfig.LogGroup);
      }
    });
  });

  it('runs every function on arm64 and the newest Node.js runtime, traced, with Powertools configured', () => {
    const functions = ofType('AWS::Lambda::Function');
    // 7 sync workers, the planner, metrics, evaluation, 3 notifiers (email with escalation, Slack, Security Hub), the
    // digest, the SIEM formatter, the CT monitor, the report pack and renewal.
    expect(functions).toHaveLength(18);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        Environment: {
          Variables: {
            POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^certwarden-/),
            POWERTOOLS_METRICS_NAMESPACE: 'Certwarden',
          },
        },
      });
    }
  });

  it.each([
    [
      'SyncAwsAcm',
      [
        'CERTWARDEN_DASHBOARD_METRICS',
        'CERTWARDEN_DEPLOYMENT',
        'CERTWARDEN_EVENT_BUS',
        'CERTWARDEN_SOURCE_KIND',
        'CERTWARDEN_TABLE',
      ],
    ],
    ['SyncPlanner', ['CERTWARDEN_DEPLOYMENT', 'CERTWARDEN_SYNC_QUEUES']],
    // The fixture deploys the dashboard: the two functions that write its series are told so.
    ['InventoryMetrics', ['CERTWARDEN_DASHBOARD_METRICS', 'CERTWARDEN_TABLE']],
  ])('gives %s the variables its handler reads at load (as handlers-bundle.test.ts loads it)', (name, expected) => {
    const variables = Object.keys(resources[functionId(name)].Properties.Environment.Variables).filter(
      (variable) => !variable.startsWith('POWERTOOLS_'),
    );
    expect(variables.sort()).toEqual(expected);
  });

  describe('asynchronous targets', () => {
    it.each([
      'SyncAwsAcm',
      'SyncAwsPca',
      'SyncAwsIam',
      'SyncAwsIot',
      'SyncAzureKeyVault',
      'SyncGoogleCertificateManager',
    ])('lets %s query the indexes a sync reads and no other', (worker) => {
      expect(indexesQueriedBy(functionId(worker))).toEqual(['byFingerprint', 'bySource']);
    });

    it('feeds each sync worker from its queue with partial batch responses, a worker per scope up to 100', () => {
      const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(([id]) => id.startsWith('InventorySync'));
      expect(mappings).toHaveLength(7);
      const scopesOfKind = (kind: SourceKind) =>
        config.sources
          .filter((source) => source.kind === kind)
          .reduce((sum, source) => sum + (scopesOf(source)?.length ?? 1), 0);
      for (const [, mapping] of mappings) {
        const kind = resources[mapping.Properties.FunctionName.Ref].Properties.Environment.Variables
          .CERTWARDEN_SOURCE_KIND as SourceKind;
        expect(mapping.Properties).toMatchObject({
          BatchSize: 1,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: { MaximumConcurrency: Math.min(100, Math.max(2, scopesOfKind(kind))) },
        });
      }
    });

    it('sizes the ACM and Private CA workers at 512 MB (they wait on provider rates) and the others at 1,024 MB', () => {
      const memory = Object.fromEntries(
        ofType('AWS::Lambda::Function')
          .filter(([, f]) => f.Properties.Environment?.Variables?.CERTWARDEN_SOURCE_KIND)
          .map(([, f]) => [f.Properties.Environment.Variables.CERTWARDEN_SOURCE_KIND, f.Properties.MemorySize]),
      );
      expect(memory).toEqual({
        'aws-acm': 512,
        'aws-pca': 512,
        // Their peak memory is not measured yet (the cost bench runs the ACM worker): the safe default.
        'aws-iam': 1024,
        'aws-iot': 1024,
        'azure-key-vault': 1024,
        'google-certificate-manager': 1024,
        'tls-endpoint': 1024,
      });
    });

    const queueDlq = () => ofType('AWS::SQS::Queue').find(([id]) => id.startsWith('InventoryQueueDlq'))![0];
    const invocationDlq = () => ofType('AWS::SQS::Queue').find(([id]) => id.startsWith('InventoryInvocationDlq'))![0];

    it('redrives every work queue to the one queue DLQ, and alarms on each of the two DLQs to the operations topic', () => {
      const queues = ofType('AWS::SQS::Queue');
      const dlqs = [queueDlq(), invocationDlq()];
      // 7 sync workers; evaluation and its shards, 3 notifiers, SIEM.
      expect(queues.filter(([id]) => !dlqs.includes(id))).toHaveLength(7 + 2 + 3 + 1);
      for (const [id, queue] of queues.filter(([id]) => !dlqs.includes(id))) {
        expect(queue.Properties.RedrivePolicy).toEqual({
          deadLetterTargetArn: { 'Fn::GetAtt': [queueDlq(), 'Arn'] },
          // A sync scope is retried 3 times (its next schedule comes soon); an evaluation 5, the SIEM's pipe 10; a
          // notifier's record one receive more than alerts.deliveryAttempts (the ledger dead-letters it first).
          maxReceiveCount: id.startsWith('InventorySync')
            ? 3
            : id.startsWith('InventorySiem')
              ? 10
              : /Notifier/.test(id)
                ? config.alerts.deliveryAttempts + 1
                : 5,
        });
        expect(id).toMatch(/Queue/);
      }
      // A redrive returns a dead letter to its source only if the dead-letter queue still holds it.
      for (const dlq of dlqs) {
        expect(resources[dlq].Properties.MessageRetentionPeriod).toBeGreaterThan(
          Math.max(...queues.filter(([id]) => !dlqs.includes(id)).map(([, q]) => q.Properties.MessageRetentionPeriod)),
        );
      }
      const operationsTopic = ofType('AWS::SNS::Topic').find(([id]) => id.startsWith('InventoryOperationsTopic'))![0];
      const dlqAlarms = ofType('AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.Namespace === 'AWS/SQS');
      const depthAlarms = dlqAlarms.filter(([, a]) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
      expect(depthAlarms.map(([, a]) => a.Properties.Dimensions[0].Value['Fn::GetAtt'][0]).sort()).toEqual(
        [...dlqs].sort(),
      );
      for (const [, alarm] of depthAlarms) {
        expect(alarm.Properties).toMatchObject({
          Threshold: 1,
          AlarmActions: [{ Ref: operationsTopic }],
          OKActions: [{ Ref: operationsTopic }],
        });
      }
    });

    it('parks the failed asynchronous invocations of every scheduled function in the invocation DLQ, naming the function', () => {
      const scheduledFunctions = new Set(
        ofType('AWS::Scheduler::Schedule')
          .map(([, s]) => s.Properties.Target.Arn['Fn::GetAtt']?.[0])
          .filter((id): id is string => id !== undefined && resources[id].Type === 'AWS::Lambda::Function'),
      );
      expect([...scheduledFunctions].map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(
        ['CtMonitor', 'Digest', 'InventoryMetrics', 'ReportPack', 'SyncPlanner'].map((n) => `Inventory${n}`),
      );
      const invokeConfigs = ofType('AWS::Lambda::EventInvokeConfig');
      for (const fn of scheduledFunctions) {
        const config = invokeConfigs.find(([, c]) => c.Properties.FunctionName.Ref === fn);
        // An on-failure destination's record carries the function's ARN; a function DLQ's message does not.
        expect(config?.[1].Properties).toMatchObject({
          MaximumRetryAttempts: 2,
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [invocationDlq(), 'Arn'] } } },
        });
      }
      expect(invokeConfigs).toHaveLength(scheduledFunctions.size);
      expect(ofType('AWS::Lambda::Function').filter(([, f]) => f.Properties.DeadLetterConfig)).toEqual([]);
    });

    it('gives every schedule and every rule target the invocation DLQ, and retries', () => {
      for (const [, schedule] of ofType('AWS::Scheduler::Schedule')) {
        expect(schedule.Properties.Target).toMatchObject({
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [invocationDlq(), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        });
      }
      const targets = ofType('AWS::Events::Rule').flatMap(([, r]) => r.Properties.Targets as Json[]);
      expect(targets.length).toBeGreaterThan(5);
      for (const target of targets) {
        expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [invocationDlq(), 'Arn'] } });
      }
    });
  });

  it("schedules each configured source at its own rate, the planner receiving the source's name", () => {
    const schedules = ofType('AWS::Scheduler::Schedule').filter(([id]) => id.startsWith('InventorySync'));
    const planner = functionId('SyncPlanner');
    const scheduled = schedules.map(([, schedule]) => {
      expect(schedule.Properties.Target.Arn).toEqual({ 'Fn::GetAtt': [planner, 'Arn'] });
      expect(JSON.parse(schedule.Properties.Target.Input)).toEqual({ source: expect.any(String) });
      return [JSON.parse(schedule.Properties.Target.Input).source, schedule.Properties.ScheduleExpression];
    });
    const deployed = config.sources.filter((source) => source.kind !== 'local-files');
    expect(scheduled.sort()).toEqual(deployed.map((source) => [source.name, source.schedule]).sort());
    // The sources themselves are in the deployment file bundled beside the planner.
    expect(JSON.parse(readFileSync(built.main.inventory.deploymentFile, 'utf8')).sources).toEqual(config.sources);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: { Arn: { 'Fn::GetAtt': [functionId('InventoryMetrics'), 'Arn'] } },
    });
  });

  it('alarms on sync errors per source and on any expired certificate, to the operations topic, firing and clearing', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const topic = ref(ofType('AWS::SNS::Topic').find(([id]) => id.startsWith('InventoryOperationsTopic'))![0]);
    for (const alarm of alarms) expect([alarm.AlarmActions, alarm.OKActions]).toEqual([[topic], [topic]]);
    const syncErrors = alarms.filter((a) => a.MetricName === METRIC.syncErrors.name);
    expect(syncErrors.map((a) => a.Dimensions.find((d: Json) => d.Name === 'source').Value).sort()).toEqual(
      config.sources.map((s) => s.name).sort(),
    );
    expect(alarms.filter((a) => a.MetricName === METRIC.expiredCertificates.name)).toEqual([
      expect.objectContaining({
        Namespace: 'Certwarden',
        Dimensions: [{ Name: 'service', Value: 'certwarden-inventory-metrics' }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    ]);
    const operations = ofType('AWS::SNS::Subscription').filter(
      ([, s]) => JSON.stringify(s.Properties.TopicArn) === JSON.stringify(topic),
    );
    expect(operations.map(([, s]) => s.Properties.FilterPolicy)).toEqual(config.alerts.emails.map(() => undefined));
    expect(operations.map(([, s]) => s.Properties.Endpoint).sort()).toEqual([...config.alerts.emails].sort());
  });

  it('shows certificates by status, soonest expiry and syncs per source, durations and DLQ depth on a dashboard', () => {
    const [[, dashboard]] = ofType('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of [
      'Certificates by status',
      'Minimum days to expiry per source',
      'Scopes synced',
      'Sync worker duration',
      'Dead-letter queue depth',
    ]) {
      expect(body).toContain(title);
    }
    for (const metric of [
      METRIC.certificatesByExpiry.name,
      METRIC.minDaysToExpiry.name,
      METRIC.scopesSynced.name,
      'Duration',
      'ApproximateNumberOfMessagesVisible',
    ]) {
      expect(body).toContain(metric);
    }
  });

  it('deploys no dashboard unless the config asks for one', () => {
    const bare = Template.fromStack(
      new CertificateInventory(new Stack(unbundledApp(), 'NoDashboard'), 'Inventory', {}).node.scope as Stack,
    );
    bare.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(JSON.stringify(bare.toJSON())).not.toContain('CERTWARDEN_DASHBOARD_METRICS');
  });

  describe('events', () => {
    it('has a custom bus whose certwarden events are archived for replay', () => {
      template.resourceCountIs('AWS::Events::EventBus', 1);
      template.hasResourceProperties('AWS::Events::Archive', {
        EventPattern: { source: ['certwarden'] },
        RetentionDays: 365,
      });
    });

    it('hands the configured policy to every sync worker in its deployment file, not its environment', () => {
      const workers = ofType('AWS::Lambda::Function').filter(
        ([, f]) => f.Properties.Environment?.Variables?.CERTWARDEN_SOURCE_KIND,
      );
      expect(workers.length).toBeGreaterThan(0);
      for (const [, worker] of workers) {
        expect(worker.Properties.Environment.Variables.CERTWARDEN_DEPLOYMENT).toBe(DEPLOYMENT_FILE);
      }
      expect(JSON.parse(readFileSync(built.main.inventory.deploymentFile, 'utf8')).policy).toEqual(config.policy);
    });

    it('registers a schema for every event the domain publishes', () => {
      const schemas = ofType('AWS::EventSchemas::Schema').map(([, s]) => s.Properties);
      const names = schemas.map((s) => s.SchemaName).sort();
      expect(names).toEqual(
        loadEventSchemas()
          .flatMap((definition) => definition.detailTypes)
          .map(schemaNameOf)
          .sort(),
      );
      // At least every event the sync and the policy enforcement emit today.
      expect(names).toEqual(
        expect.arrayContaining(
          [
            'Certificate Discovered',
            'Certificate Changed',
            'Certificate Removed',
            'Sync Failed',
            'Policy Violation',
            'Violation Resolved',
          ].map(schemaNameOf),
        ),
      );
      // The schemas' fields are those the domain really puts in a detail.
      const change = inventoryChangeEvent({
        schemaVersion: 1,
        locationId: 'aws-acm:arn',
        source: 's',
        sourceKind: 'aws-acm',
        nativeId: 'arn',
        change: 'discovered',
        fingerprint: null,
        previousFingerprint: null,
        subjectCommonName: null,
        notAfter: null,
        owner: 'o',
        at: '2025-01-01T00:00:00.000Z',
      });
      const failed: SyncFailedDetail = {
        schemaVersion: 1,
        source: 's',
        sourceKind: 'k',
        complete: true,
        errors: [],
        at: 'now',
      };
      const detailOf = (name: string) =>
        JSON.parse(schemas.find((s) => s.SchemaName === name)!.Content).properties.detail;
      expect(detailOf('certwarden@CertificateDiscovered').required.sort()).toEqual(Object.keys(change.detail).sort());
      expect(detailOf('certwarden@SyncFailed').required.sort()).toEqual(Object.keys(failed).sort());
      for (const schema of schemas) {
        expect(schema.Type).toBe('JSONSchemaDraft4');
        expect(schema.RegistryName).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/SchemaRegistry/), 'RegistryName'],
        });
      }
    });
  });

  describe('alerts', () => {
    const functionOf = (name: string) => resources[functionId(name)].Properties;
    const rules = () => ofType('AWS::Events::Rule').map(([id, rule]) => ({ id, ...rule.Properties }));
    // A queue's ARN is a GetAtt; the renewal rule's target, a state machine, is a Ref.
    const queueArnOf = (target: Json) => target.Arn['Fn::GetAtt']?.[0];
    /** The event source of a function (of its several, the one with `property` equal to `value`). */
    const sourceQueueOf = (name: string, property?: string, value?: unknown) => {
      const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(
        ([, m]) =>
          m.Properties.FunctionName.Ref === functionId(name) &&
          (property === undefined || m.Properties[property] === value),
      );
      expect(mappings).toHaveLength(1);
      return mappings[0][1].Properties;
    };
    const ruleFeeding = (queueId: string) => {
      const found = rules().filter((rule) => rule.Targets.some((t: Json) => queueArnOf(t) === queueId));
      expect(found).toHaveLength(1);
      return found[0];
    };

    it('fans a trigger out into one evaluation per shard of the alert schedule, each reading only that shard of the alert and revocation schedules', () => {
      const mapping = sourceQueueOf('Evaluate', 'BatchSize', 1);
      expect(mapping).toMatchObject({
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: ALERT_SHARDS },
      });
      const shardQueue = mapping.EventSourceArn['Fn::GetAtt'][0];
      expect(functionOf('Evaluate').Environment.Variables.CERTWARDEN_EVALUATE_SHARD_QUEUE).toEqual({ Ref: shardQueue });
      expect(resources[shardQueue].Properties.RedrivePolicy).toBeDefined();
      expect(indexesQueriedBy(functionId('Evaluate'))).toEqual(['byNextAlert', 'byRevocationCheck']);
    });

    it('evaluates expiry after every sync and on the configured schedule, once per batch of triggers', () => {
      const mapping = sourceQueueOf('Evaluate', 'BatchSize', 1000);
      const queueId = mapping.EventSourceArn['Fn::GetAtt'][0];
      expect(mapping).toMatchObject({
        BatchSize: 1000,
        MaximumBatchingWindowInSeconds: 60,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      });
      expect(ruleFeeding(queueId).EventPattern).toEqual({
        source: ['certwarden'],
        'detail-type': ['Sync Completed', 'Sync Failed'],
      });
      const schedule = ofType('AWS::Scheduler::Schedule').find(
        ([, s]) => s.Properties.Target.Arn['Fn::GetAtt']?.[0] === queueId,
      );
      expect(schedule![1].Properties).toMatchObject({
        ScheduleExpression: config.alerts.evaluateSchedule,
        Target: { Input: JSON.stringify({ trigger: 'schedule' }), DeadLetterConfig: expect.anything() },
      });
      expect(JSON.parse(functionOf('Evaluate').Environment.Variables.CERTWARDEN_EXPIRY)).toEqual(config.expiry);
      expect(config.expiry.severity.warningDays).toBe(21);
      expect(JSON.parse(functionOf('Evaluate').Environment.Variables.CERTWARDEN_REVOCATION)).toEqual({
        enabled: true,
        timeoutMs: 3000,
        perHostConcurrency: 2,
      });
    });

    const EXPIRY = { 'detail-type': ['Certificate Expiring', 'Certificate Expired'] };
    const RECORD_BUDGETS: Record<string, number> = {
      EmailNotifier: SNS_RECORD_BUDGET_MS,
      SlackNotifier: SLACK_RECORD_BUDGET_MS,
      SecurityHubNotifier: SECURITY_HUB_RECORD_BUDGET_MS,
    };
    it.each([
      ['EmailNotifier', EXPIRY],
      [
        'SlackNotifier',
        {
          'detail-type': [
            'Certificate Expiring',
            'Certificate Expired',
            'Policy Violation',
            'Revocation Detected',
            'Renewal Failed',
            'Certificate Provisioning Failed',
            'Unknown Certificate Issued',
            'Approval Required',
            'Approval Escalated',
            'Alert Undelivered',
            'Certificate Revoked',
            'Deployment Drift',
            'Unknown Certificate Served',
          ],
        },
      ],
      [
        'SecurityHubNotifier',
        {
          'detail-type': [
            'Policy Violation',
            'Violation Resolved',
            'Certificate Expiring',
            'Certificate Expired',
            'Certificate Changed',
            'Certificate Removed',
            'Unknown Certificate Issued',
            'Deployment Drift',
            'Unknown Certificate Served',
            'Served Certificate Resolved',
          ],
        },
      ],
    ])('feeds %s from its own queue, with partial batch responses and a dead-letter queue', (name, pattern) => {
      const mapping = sourceQueueOf(name);
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      const queueId = mapping.EventSourceArn['Fn::GetAtt'][0];
      const rule = ruleFeeding(queueId);
      expect(rule.EventPattern).toEqual({ source: ['certwarden'], ...pattern });
      // A whole batch fits in the timeout at each record's worst case (the handler stops before it anyway),
      // within Lambda's 15 minutes; the queue's visibility outlasts six of them.
      const timeout = functionOf(name).Timeout as number;
      expect(timeout * 1000).toBeGreaterThanOrEqual(mapping.BatchSize * RECORD_BUDGETS[name]);
      expect(timeout).toBeLessThanOrEqual(900);
      expect(resources[queueId].Properties.VisibilityTimeout).toBe(6 * timeout);
      expect(rule.Targets[0].DeadLetterConfig).toBeDefined();
      const redrive = resources[queueId].Properties.RedrivePolicy;
      expect(redrive.maxReceiveCount).toBe(config.alerts.deliveryAttempts + 1);
      const dlq = redrive.deadLetterTargetArn['Fn::GetAtt'][0];
      expect(dlq).toMatch(/^InventoryQueueDlq/);
      const alarmed = ofType('AWS::CloudWatch::Alarm').filter(([, a]) =>
        JSON.stringify(a.Properties.Dimensions ?? []).includes(dlq),
      );
      expect(alarmed).toHaveLength(1);
    });

    it('tells the email notifier its two topics and the digest mode; the Slack notifier only its secret ARN', () => {
      const topicId = (pattern: RegExp) =>
        ofType('AWS::SNS::Topic').find(([, t]) => pattern.test(t.Properties.DisplayName))![0];
      expect(functionOf('EmailNotifier').Environment.Variables).toEqual(
        expect.objectContaining({
          CERTWARDEN_ALERTS_TOPIC: ref(topicId(/alerts/)),
          CERTWARDEN_ESCALATION_TOPIC: ref(topicId(/escalation/)),
          CERTWARDEN_DIGEST: 'true',
        }),
      );
      for (const name of ['EmailNotifier', 'SlackNotifier', 'SecurityHubNotifier'])
        expect(functionOf(name).Environment.Variables).toMatchObject({
          CERTWARDEN_TABLE: { Ref: expect.stringMatching(/^InventoryTable/) },
          CERTWARDEN_DELIVERY_ATTEMPTS: String(config.alerts.deliveryAttempts),
          CERTWARDEN_EVENT_BUS: { Ref: expect.stringMatching(/^InventoryEventBus/) },
        });
      expect(
        Object.keys(functionOf('EmailNotifier').Environment.Variables).filter((v) => v.startsWith('CERTWARDEN')),
      ).toHaveLength(6);
      expect(functionOf('SlackNotifier').Environment.Variables).toMatchObject({
        CERTWARDEN_SLACK_SECRET_ARN: config.alerts.slack!.webhookSecretArn,
        CERTWARDEN_DIGEST: 'true',
      });
    });

    it('routes email: what is for everyone, escalations, and each owner only theirs', () => {
      // The operations topic's subscriptions (alarms) are test/infra/operations-alarms.test.ts's.
      const subscriptions = ofType('AWS::SNS::Subscription')
        .map(([, s]) => s.Properties)
        .filter((s) => !s.TopicArn.Ref.startsWith('InventoryOperationsTopic'));
      const escalation = ofType('AWS::SNS::Topic').find(([, t]) => /escalation/.test(t.Properties.DisplayName))![0];
      const byEndpoint = Object.fromEntries(subscriptions.map((s) => [s.Endpoint, s]));
      expect(byEndpoint['security@example.com'].FilterPolicy).toEqual({ audience: ['all'] });
      expect(byEndpoint['ops@example.com'].FilterPolicy).toEqual({ audience: ['all'] });
      expect(byEndpoint['oncall@example.com']).toMatchObject({ TopicArn: ref(escalation) });
      expect(byEndpoint['oncall@example.com'].FilterPolicy).toBeUndefined();
      expect(byEndpoint['web@example.com'].FilterPolicy).toEqual({ owner: ['team-web'] });
      expect(byEndpoint['payments@example.com'].FilterPolicy).toEqual({ owner: ['team-payments', 'team-web'] });
      expect(byEndpoint['compliance@example.com'].FilterPolicy).toEqual({ audience: ['reports'] });
      expect(subscriptions).toHaveLength(6);
    });

    it('writes Security Hub findings of this account only', () => {
      const statements = ofType('AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes('InventorySecurityHubNotifierRole'))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
        .filter((s) => String(s.Action).startsWith('securityhub:'));
      expect(JSON.stringify(statements.map((s) => s.Resource))).toMatch(
        /product\/.*AccountId.*\/default.*hub\/default/,
      );
    });

    it('sends the daily digest on its schedule, parking failed runs in the invocation DLQ', () => {
      const [[, failures]] = ofType('AWS::Lambda::EventInvokeConfig').filter(
        ([, c]) => c.Properties.FunctionName.Ref === functionId('Digest'),
      );
      expect(failures.Properties.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0]).toMatch(
        /^InventoryInvocationDlq/,
      );
      const schedule = ofType('AWS::Scheduler::Schedule').find(
        ([, s]) => s.Properties.Target.Arn['Fn::GetAtt']?.[0] === functionId('Digest'),
      );
      expect(schedule![1].Properties.ScheduleExpression).toBe(config.alerts.digest!.schedule);
    });

    it('forwards every event to the SIEM through a pipe: queue → formatting function → API destination', () => {
      const [[, pipe]] = ofType('AWS::Pipes::Pipe');
      const queueId = pipe.Properties.Source['Fn::GetAtt'][0];
      expect(ruleFeeding(queueId).EventPattern).toEqual({ source: ['certwarden'] });
      expect(pipe.Properties.Enrichment['Fn::GetAtt'][0]).toBe(functionId('SiemFormat'));
      // An API destination takes one event per request: the pipe cannot batch at its source.
      expect(pipe.Properties.SourceParameters).toEqual({ SqsQueueParameters: { BatchSize: 1 } });
      const [[destinationId, destination]] = ofType('AWS::Events::ApiDestination');
      expect(pipe.Properties.Target['Fn::GetAtt'][0]).toBe(destinationId);
      expect(destination.Properties).toMatchObject({
        InvocationEndpoint: config.alerts.siem!.endpoint,
        HttpMethod: 'POST',
        InvocationRateLimitPerSecond: 10,
      });
      expect(functionOf('SiemFormat').Environment.Variables.CERTWARDEN_SIEM_FORMAT).toBe('ocsf');
      const [[, connection]] = ofType('AWS::Events::Connection');
      expect(connection.Properties.AuthorizationType).toBe('API_KEY');
      // The key is a dynamic reference CloudFormation resolves at deploy time, not a value in the template.
      expect(JSON.stringify(connection.Properties.AuthParameters)).toMatch(
        /\{\{resolve:secretsmanager:arn:aws:secretsmanager:eu-west-1:111111111111:secret:certwarden\/hec-AbCdEf:SecretString:authorization::\}\}/,
      );
      const pipeRole = resources[pipe.Properties.RoleArn['Fn::GetAtt'][0]];
      expect(pipeRole.Properties.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({
        Service: 'pipes.amazonaws.com',
      });
    });

    it('deploys only the channels configured', () => {
      const stack = new Stack(unbundledApp(), 'Minimal');
      new CertificateInventory(stack, 'Inventory', { alerts: { securityHub: false } });
      const minimal = Template.fromStack(stack);
      const names = Object.keys(minimal.findResources('AWS::Lambda::Function'));
      expect(names.some((id) => id.startsWith('InventoryEvaluate'))).toBe(true);
      expect(names.some((id) => id.startsWith('InventoryEmailNotifier'))).toBe(true);
      expect(names.some((id) => /Slack|SecurityHub|Digest|Siem/.test(id))).toBe(false);
      minimal.resourceCountIs('AWS::Pipes::Pipe', 0);
    });

    it('refuses alert settings its schema refuses, naming the field', () => {
      const stack = new Stack(unbundledApp(), 'Bad');
      expect(
        () =>
          new CertificateInventory(stack, 'Inventory', {
            alerts: {
              emails: ['not-an-address'],
              siem: { endpoint: 'http://x', auth: { type: 'basic', secretArn: 'x' } },
            },
            expiry: { severity: { highDays: 40 } },
          }),
      ).toThrow(/alerts\.emails\[0\].*alerts\.siem\.endpoint.*expiry\.severity/);
    });

    it('refuses a Slack secret IAM could not match, and a digest that would hide certificates turning high', () => {
      const stack = new Stack(unbundledApp(), 'Gaps');
      expect(
        () =>
          new CertificateInventory(stack, 'Inventory', {
            alerts: {
              slack: { webhookSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certwarden/slack' },
              digest: {},
            },
            expiry: { days: [30, 14, 1], severity: { highDays: 7 } },
          }),
      ).toThrow(
        /expiry\.severity\.highDays: 7 must be one of expiry\.days \(30, 14, 1\).*alerts\.slack\.webhookSecretArn: .* must be a complete secret ARN/,
      );
    });
  });

  it('holds no secret: environment variables carry names, URLs and ARNs only', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    for (const [, fn] of ofType('AWS::Lambda::Function')) {
      for (const [name, value] of Object.entries(fn.Properties.Environment.Variables as Record<string, unknown>)) {
        if (name.endsWith('_SECRET_ARN')) expect(value).toMatch(/^arn:aws:secretsmanager:[a-z0-9-]+:\d{12}:secret:/);
        else expect(name).not.toMatch(/SECRET|PASSWORD|TOKEN|KEY$/);
        expect(JSON.stringify(value)).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY|clientSecret|private_key/);
      }
    }
    expect(JSON.stringify(template.toJSON())).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY|"clientSecret"|"private_key"/);
  });

  it('runs the tls-endpoint worker in the configured VPC, its deletes and updates limited to its ALERT# and SERVED# items', () => {
    const [, worker] = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('InventorySyncTlsEndpoint'))!;
    expect(worker.Properties.VpcConfig).toEqual({ SubnetIds: ['subnet-0abc1234'], SecurityGroupIds: ['sg-0abc1234'] });
    const statements = [...ofType('AWS::IAM::Policy')]
      .filter(([id]) => id.startsWith('InventorySyncTlsEndpoint'))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
    expect(statements.find((statement) => [statement.Action].flat().includes('dynamodb:UpdateItem'))).toMatchObject({
      Action: ['dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ALERT#*', 'SERVED#*'] } },
    });
    const others = ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('InventorySyncAws'));
    for (const [, fn] of others) expect(fn.Properties.VpcConfig).toBeUndefined();
  });

  it('passes cdk-nag AwsSolutions with no unacknowledged finding, and synthesizes with the checks on', () => {
    expect(new AwsSolutionsChecks().validateScope(built.app).violations).toEqual([]);
    expect(() => built.app.synth()).not.toThrow();
  });

  it('matches the snapshot (asset hashes normalized)', () => {
    const text = JSON.stringify(template.toJSON(), null, 1).replace(/[0-9a-f]{64}(\.zip|\.json)?/g, '<asset-hash>$1');
    expect(JSON.parse(text)).toMatchSnapshot();
  });
});

describe('a clean clone without a configuration', () => {
  it('synthesizes the inventory, bus, alarms and metrics with no source function', () => {
    const empty = mkdtempSync(join(tmpdir(), 'certwarden-noconfig-'));
    try {
      const { main, config: none } = buildApp({ cwd: empty, appProps: { context: { 'aws:cdk:bundling-stacks': [] } } });
      expect(none.sources).toEqual([]);
      const bare = Template.fromStack(main);
      bare.resourceCountIs('AWS::DynamoDB::Table', 1);
      // The planner, metrics, expiry evaluation, the email (with escalation) and Security Hub notifiers.
      bare.resourceCountIs('AWS::Lambda::Function', 5);
      // Evaluation's triggers and shards, the two notifiers.
      bare.resourceCountIs('AWS::Lambda::EventSourceMapping', 4);
      bare.resourceCountIs('AWS::Scheduler::Schedule', 2);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('an estate past the old ceilings: 600 accounts and a 20 KB policy', () => {
  const accounts = Array.from({ length: 600 }, (_, index) => ({
    accountId: String(100_000_000_000 + index),
    roleName: 'certwarden-reader',
    externalId: 'certwarden-7f3a',
  }));
  const { sources, policy } = CertwardenConfig.parse({
    sources: [{ kind: 'aws-acm', name: 'org', regions: ['eu-west-1', 'us-east-1'], accounts }],
    policy: {
      rules: { 'max-validity': { params: { privateMaxDays: 825 } } },
      exemptions: Array.from({ length: 120 }, (_, index) => ({
        id: `CHG-${1000 + index}`,
        rules: ['no-wildcards'],
        locations: [`aws-acm:arn:aws:acm:eu-west-1:${accounts[index].accountId}:certificate/wildcard-${index}`],
        reason: `the wildcard of team ${index} is served by its own load balancer only, reviewed quarterly`,
        expires: '2027-01-01',
      })),
    },
  });

  it('synthesizes: the schedule names the source, the file beside the functions holds it and the policy', () => {
    expect(JSON.stringify(policy).length).toBeGreaterThan(20_000);
    expect(JSON.stringify(sources[0]).length).toBeGreaterThan(8_192 * 4);
    const stack = new Stack(unbundledApp(), 'Big');

    const inventory = new CertificateInventory(stack, 'Inventory', { sources, policy });

    const big = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
    const schedule = Object.values(big).find(
      (resource) => resource.Type === 'AWS::Scheduler::Schedule' && resource.Properties.Description.includes('org'),
    );
    expect(JSON.parse(schedule!.Properties.Target.Input)).toEqual({ source: 'org' });
    for (const resource of Object.values(big).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      expect(JSON.stringify(resource.Properties.Environment.Variables).length).toBeLessThan(4_096);
    }
    expect(JSON.parse(readFileSync(inventory.deploymentFile, 'utf8'))).toEqual({
      sources,
      policy,
      approval: ApprovalConfig.parse({}),
    });
    // 1,200 scopes: the default concurrency is capped.
    expect(
      Object.values(big).find(
        (r) =>
          r.Type === 'AWS::Lambda::EventSourceMapping' &&
          r.Properties.FunctionName.Ref.startsWith('InventorySyncAwsAcm'),
      )!.Properties.ScalingConfig,
    ).toEqual({ MaximumConcurrency: 100 });
  });

  it("copies the file into the bundle's directory when bundling", () => {
    const stack = new Stack(unbundledApp(), 'Copy');
    const inventory = new CertificateInventory(stack, 'Inventory', { sources, policy });
    const output = mkdtempSync(join(tmpdir(), 'certwarden-bundle-out-'));
    try {
      const [command] = bundlingFor('aws-acm', inventory.deploymentFile).commandHooks!.afterBundling('.', output);
      execFileSync('bash', ['-c', command]);
      expect(existsSync(join(output, DEPLOYMENT_FILE))).toBe(true);
      expect(readFileSync(join(output, DEPLOYMENT_FILE), 'utf8')).toBe(readFileSync(inventory.deploymentFile, 'utf8'));
    } finally {
      rmSync(output, { recursive: true, force: true });
    }
  });
});

describe('the construct validates its props at synth time', () => {
  it('reports every problem at once, each naming what is wrong', () => {
    const sources = CertwardenConfig.parse({
      sources: [
        { kind: 'local-files', name: 'disk', root: '/etc/ssl' },
        {
          kind: 'azure-key-vault',
          name: 'kv',
          vaults: [{ url: 'https://kv.vault.azure.net' }],
          credentials: {
            type: 'client-secret',
            tenantId: 't',
            clientId: 'c',
            secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:azure',
          },
        },
      ],
    }).sources;
    const stack = new Stack(unbundledApp(), 'Bad');
    expect(
      () => new CertificateInventory(stack, 'Inventory', { sources, syncMaxConcurrency: 1, syncBatchSize: 11 }),
    ).toThrow(
      /local-files sources are synced by the CLI.*must be a complete secret ARN.*syncMaxConcurrency: 1.*syncBatchSize: 11/,
    );
  });
});
