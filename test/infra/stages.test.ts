import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CertificateInventory } from '../../infra';
import { buildApp } from '../../infra/app';

// A synthesized template is untyped JSON; the tests read it as such.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Resources = Record<string, { Type: string; Properties?: Json }>;

const FIXTURE = join(__dirname, 'fixtures/certwarden.config.json');
/** The certwarden app of one stage (none: the default), from the fixture, without bundling. */
const appOf = (stage?: string) =>
  buildApp({
    configPath: FIXTURE,
    appProps: {
      context: { 'aws:cdk:bundling-stacks': [], ...(stage && { 'certwarden:stage': stage }) },
    },
  });

/**
 * Names CloudFormation gives a resource only inside another of the same stack: a schema's name in its registry, an
 * inline policy's name in its role. Everything else that ends in `Name` and is not a reference to a resource of the
 * stack is a physical name in the account and region, besides two properties that name no resource.
 */
const SCOPED_OR_NOT_A_NAME = new Set([
  'AWS::EventSchemas::Schema SchemaName',
  'AWS::IAM::Policy PolicyName',
  'AWS::SNS::Topic DisplayName',
  'AWS::CloudWatch::Alarm MetricName',
]);

/** Every physical name a stack's resources set: `<type> <property> <value>`. */
function physicalNames(resources: Resources): string[] {
  const refersToTheStack = (value: Json): boolean =>
    JSON.stringify(value).match(/"(Ref|Fn::GetAtt)":\s*(\["|")(?!AWS::)/) !== null;
  return Object.values(resources).flatMap((resource) =>
    Object.entries(resource.Properties ?? {})
      .filter(([property]) => property.endsWith('Name') && !SCOPED_OR_NOT_A_NAME.has(`${resource.Type} ${property}`))
      .filter(([, value]) => !refersToTheStack(value))
      .map(([property, value]) => `${resource.Type} ${property} ${JSON.stringify(value)}`),
  );
}

describe('stages', () => {
  const stages = [undefined, 'staging'].map((stage) => {
    const { main, member } = appOf(stage);
    return {
      stackNames: [main.stackName, member.stackName],
      names: [main, member].flatMap((stack) =>
        physicalNames(Template.fromStack(stack).toJSON().Resources as Resources),
      ),
    };
  });

  it('deploy side by side in one account and region: no stack name and no physical name of any kind in common', () => {
    const [first, second] = stages;
    expect(first.stackNames).toEqual(['Certwarden', 'CertwardenMemberAccountRole']);
    expect(second.stackNames).toEqual(['Certwarden-staging', 'CertwardenMemberAccountRole-staging']);
    // Each stage names the table, bus, registry, managed policies and sync roles (and the member role) itself.
    expect(first.names.length).toBeGreaterThanOrEqual(10);
    expect(second.names.length).toBe(first.names.length);
    expect(first.names.filter((name) => second.names.includes(name))).toEqual([]);
  });

  it("name everything from the stage's prefix", () => {
    const expected = [
      'AWS::DynamoDB::Table TableName "certwarden-staging-inventory"',
      'AWS::Events::EventBus Name "certwarden-staging"',
      'AWS::EventSchemas::Registry RegistryName "certwarden-staging-events"',
      'AWS::IAM::ManagedPolicy ManagedPolicyName "certwarden-staging-reader"',
      'AWS::IAM::ManagedPolicy ManagedPolicyName "certwarden-staging-operator"',
      'AWS::IAM::Role RoleName "certwarden-staging-sync-aws-acm"',
      'AWS::IAM::Role RoleName "certwarden-staging-sync-aws-pca"',
      'AWS::IAM::Role RoleName "certwarden-staging-sync-azure-key-vault"',
      'AWS::IAM::Role RoleName "certwarden-staging-sync-google-certificate-manager"',
      'AWS::IAM::Role RoleName "certwarden-staging-reader"',
      'AWS::IAM::Role RoleName "certwarden-staging-sync-aws-iam"',
      'AWS::IAM::Role RoleName "certwarden-staging-sync-aws-iot"',
      'AWS::IAM::Role RoleName "certwarden-staging-sync-tls-endpoint"',
      'AWS::IAM::Role RoleName "certwarden-staging-renew"',
    ];
    expect([...stages[1].names].sort()).toEqual(expected.sort());
  });

  it("has the stage's Security Hub findings start with its prefix, apart from another stage's", () => {
    const prefixes = [undefined, 'staging'].map((stage) => {
      const resources = Template.fromStack(appOf(stage).main).toJSON().Resources as Resources;
      const notifier = Object.entries(resources).find(
        ([id, resource]) => resource.Type === 'AWS::Lambda::Function' && /SecurityHubNotifier/.test(id),
      )!;
      return notifier[1].Properties.Environment.Variables.CERTWARDEN_FINDING_PREFIX;
    });
    expect(prefixes).toEqual(['certwarden', 'certwarden-staging']);
  });

  it('refuses a stage that cannot begin every name, naming it', () => {
    for (const stage of ['Staging', 'a-very-long-stage-name-x', '-x', 'x_y'])
      expect(() => new CertificateInventory(new Stack(), 'Inventory', { stage })).toThrow(
        new RegExp(`stage: "${stage}" is not 1 to 20 lowercase letters`),
      );
  });
});
