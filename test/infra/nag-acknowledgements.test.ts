import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../infra/app';
import { STATE_MACHINE_LOG_DELIVERY_ACTIONS, STATE_MACHINE_TRACING_ACTIONS } from '../../infra/renewal-workflow';

const FIXTURE = join(__dirname, 'fixtures/certwarden.config.json');
const appOfFixture = () => buildApp({ configPath: FIXTURE, appProps: { context: { 'aws:cdk:bundling-stacks': [] } } });

/** The cdk-nag finding ids acknowledged on a construct itself. */
const acknowledgedOn = (construct: IConstruct): string[] =>
  construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.keys(entry.data as Record<string, string>))
    .map((id) => id.replace(/^annotation::/i, ''));

/** Actions IAM cannot scope to a resource, the only ones granted on `*`. */
const UNSCOPABLE = [
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
  'acm:ListCertificates',
  'acm-pca:ListCertificateAuthorities',
  'iam:ListServerCertificates',
  'iot:ListCACertificates',
  'iot:ListCertificates',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  ...STATE_MACHINE_LOG_DELIVERY_ACTIONS,
  ...STATE_MACHINE_TRACING_ACTIONS,
];

describe('cdk-nag acknowledgements', () => {
  it.each(['SyncPlanner', 'SyncAwsAcm'])(
    'do not hide a wildcard resource added to %s later: the checks report it and synth fails',
    (name) => {
      const { app, main } = appOfFixture();
      const fn = name === 'SyncPlanner' ? main.inventory.syncPlanner : main.inventory.syncWorkers.get('aws-acm')!;

      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));

      const violations = new AwsSolutionsChecks().validateScope(app).violations;
      expect(violations).toEqual([
        expect.objectContaining({
          ruleName: 'AwsSolutions-IAM5[Resource::*]',
          violatingResources: [
            expect.objectContaining({ constructPath: `Certwarden/Inventory/${name}Role/DefaultPolicy/Resource` }),
          ],
        }),
      ]);
      expect(() => app.synth()).toThrow();
    },
  );

  it('do not hide a wildcard action added later, on a resource the function already uses', () => {
    const { app, main } = appOfFixture();
    const fn = main.inventory.syncWorkers.get('aws-acm')!;

    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: [main.inventory.table.tableArn] }),
    );

    const violations = new AwsSolutionsChecks().validateScope(app).violations;
    expect(violations).toEqual([
      expect.objectContaining({
        ruleName: 'AwsSolutions-IAM5[Action::dynamodb:*]',
        violatingResources: [
          expect.objectContaining({ constructPath: 'Certwarden/Inventory/SyncAwsAcmRole/DefaultPolicy/Resource' }),
        ],
      }),
    ]);
    expect(() => app.synth()).toThrow();
  });

  it('acknowledge a `*` resource only on a policy of its own holding only the actions IAM cannot scope', () => {
    const { app } = appOfFixture();
    const acknowledging = app.node
      .findAll()
      .filter((construct) => acknowledgedOn(construct).includes('AwsSolutions-IAM5[Resource::*]'));

    expect(acknowledging.length).toBeGreaterThan(10);
    for (const construct of acknowledging) {
      expect(construct).toBeInstanceOf(iam.Policy);
      const document = Stack.of(construct).resolve((construct as iam.Policy).document.toJSON());
      expect(document.Statement).toEqual([{ Effect: 'Allow', Action: expect.anything(), Resource: '*' }]);
      expect(UNSCOPABLE).toEqual(expect.arrayContaining([document.Statement[0].Action].flat()));
    }
  });
});
