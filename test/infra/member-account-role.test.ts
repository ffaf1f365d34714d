import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MEMBER_ACCOUNT_ACTIONS, MemberAccountRole } from '../../infra';

/** The operations a connector calls through an SDK package: its `…Command` and `paginate…` imports. */
function operationsCalled(file: string, sdkPackage: string): string[] {
  const source = readFileSync(join(__dirname, '../../lib/connectors', file), 'utf8');
  const imports = new RegExp(`import\\s*{([^}]*)}\\s*from\\s*'${sdkPackage}'`).exec(source)?.[1] ?? '';
  return imports
    .split(',')
    .map((name) => name.trim())
    .filter((name) => !name.startsWith('type '))
    .flatMap((name) => /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1] ?? [])
    .sort();
}

const app = new App();
const stack = new MemberAccountRole(app, 'Member');
const template = Template.fromStack(stack);
const json = template.toJSON();

describe('the member-account role stack', () => {
  it('allows exactly the ACM, ACM Private CA, IAM and IoT calls the connectors make, and never an export', () => {
    const acm = operationsCalled('aws-acm.ts', '@aws-sdk/client-acm').map((op) => `acm:${op}`);
    const pca = operationsCalled('aws-pca.ts', '@aws-sdk/client-acm-pca').map((op) => `acm-pca:${op}`);
    const iam = operationsCalled('aws-iam.ts', '@aws-sdk/client-iam').map((op) => `iam:${op}`);
    const iot = operationsCalled('aws-iot.ts', '@aws-sdk/client-iot').map((op) => `iot:${op}`);
    expect([...MEMBER_ACCOUNT_ACTIONS.acm]).toEqual(acm);
    expect([...MEMBER_ACCOUNT_ACTIONS.pca]).toEqual(pca);
    expect([...MEMBER_ACCOUNT_ACTIONS.iam]).toEqual(iam);
    expect([...MEMBER_ACCOUNT_ACTIONS.iot]).toEqual(iot);
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy'));
    const actions = policy.Properties.PolicyDocument.Statement.flatMap((s: { Action: string[] }) => s.Action).sort();
    expect(actions).toEqual([...acm, ...pca, ...iam, ...iot].sort());
    expect(JSON.stringify(json)).not.toContain('ExportCertificate');
  });

  it('trusts only the sync role given as a parameter, with the external id', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'certwarden-reader',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: { Ref: 'TrustedRoleArn' } },
            Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } } },
          },
        ],
      },
    });
    expect(json.Parameters.ExternalId).toMatchObject({ Type: 'String', NoEcho: true });
  });

  it('deploys by StackSets: no assets, no bootstrap parameter or rule', () => {
    expect(Object.keys(json.Parameters).sort()).toEqual(['ExternalId', 'TrustedRoleArn']);
    expect(json.Rules).toBeUndefined();
    const assembly = app.synth();
    expect(assembly.getStackByName('Member').assets).toEqual([]);
  });

  it('passes cdk-nag AwsSolutions', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});
