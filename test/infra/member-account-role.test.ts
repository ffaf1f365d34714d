import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MEMBER_ACCOUNT_ACTIONS, MemberAccountRole } from '../../infra';
import { RENEWAL_ACTIONS } from '../../infra/source-permissions';

/** The operations a connector calls through an SDK package: its `…Command` and `paginate…` imports. */
function operationsCalled(file: string, sdkPackage: string): string[] {
  const source = readFileSync(join(__dirname, '../../lib/connectors', file), 'utf8');
  const imports = new RegExp(`import\\s*{([^}]*)}\\s*from\\s*'${sdkPackage}'`).exec(source)?.[1] ?? '';
  const imported = imports
    .split(',')
    .map((name) => name.trim())
    .filter((name) => !name.startsWith('type '))
    .flatMap((name) => /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1] ?? []);
  // An optional SDK required on first use: its commands taken from the required module (`sdk().XCommand`,
  // `const { XCommand } = require(…)`).
  const required = source.includes(`require('${sdkPackage}')`)
    ? [...source.matchAll(/(?:\(\)\.|\{\s*)(\w+)Command\b/g)].map((match) => match[1])
    : [];
  return [...new Set([...imported, ...required])].sort();
}

const app = new App();
const stack = new MemberAccountRole(app, 'Member');
const template = Template.fromStack(stack);
const json = template.toJSON();
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
const statements = (): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
const ownArns = (service: string, type: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:*:`, { Ref: 'AWS::AccountId' }, `:${type}/*`]],
});

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
    const actions = statements()
      .flatMap((s) => [s.Action].flat())
      .sort();
    expect(actions).toEqual([...acm, ...pca, ...iam, ...iot].sort());
    expect(statements().every((s) => s.Effect === 'Allow')).toBe(true);
    expect(JSON.stringify(json)).not.toContain('ExportCertificate');
  });

  it("reads only this account's certificates and CAs; `*` only for the listings, in a policy of their own", () => {
    const byResource = new Map<string, string[]>();
    for (const statement of statements())
      for (const resource of [statement.Resource].flat())
        byResource.set(JSON.stringify(resource), [
          ...(byResource.get(JSON.stringify(resource)) ?? []),
          ...[statement.Action].flat(),
        ]);

    expect(Object.fromEntries(byResource)).toEqual({
      [JSON.stringify(ownArns('acm', 'certificate'))]: [
        'acm:DescribeCertificate',
        'acm:GetCertificate',
        'acm:ListTagsForCertificate',
      ],
      [JSON.stringify(ownArns('acm-pca', 'certificate-authority'))]: [
        'acm-pca:GetCertificateAuthorityCertificate',
        'acm-pca:ListTags',
      ],
      [JSON.stringify({
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':server-certificate/*'],
        ],
      })]: ['iam:GetServerCertificate'],
      [JSON.stringify(ownArns('iot', 'cert'))]: ['iot:DescribeCACertificate', 'iot:DescribeCertificate'],
      [JSON.stringify(ownArns('iot', 'cacert'))]: ['iot:DescribeCACertificate', 'iot:DescribeCertificate'],
      '"*"': [
        'acm-pca:ListCertificateAuthorities',
        'acm:ListCertificates',
        'iam:ListServerCertificates',
        'iot:ListCACertificates',
        'iot:ListCertificates',
      ],
    });
    const listing = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('"Resource":"*"'),
    );
    expect(listing).toHaveLength(1);
    expect(listing[0].Properties.PolicyDocument.Statement).toHaveLength(1);
  });

  it("trusts the central account's sync roles by aws:PrincipalArn (a replaced role keeps the trust), with the external id", () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'certwarden-reader',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: {
              AWS: {
                'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'TrustedAccountId' }, ':root']],
              },
            },
            Condition: {
              StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } },
              ArnEquals: { 'aws:PrincipalArn': { Ref: 'TrustedRoleArns' } },
            },
          },
        ],
      },
    });
    expect(json.Parameters.ExternalId).toMatchObject({ Type: 'String', NoEcho: true });
    expect(json.Parameters.TrustedAccountId).toMatchObject({ Type: 'String', AllowedPattern: '^\\d{12}$' });
    expect(json.Parameters.TrustedRoleArns).toMatchObject({ Type: 'CommaDelimitedList' });
  });

  it("deploys by StackSets: no assets, no bootstrap parameter or rule; outputs the role's name", () => {
    expect(Object.keys(json.Parameters).sort()).toEqual(['ExternalId', 'TrustedAccountId', 'TrustedRoleArns']);
    expect(json.Rules).toBeUndefined();
    expect(json.Outputs.RoleName.Value).toEqual({ Ref: expect.stringMatching(/^Role/) });
    const assembly = app.synth();
    expect(assembly.getStackByName('Member').assets).toEqual([]);
  });

  it("names the role after a stage's prefix", () => {
    const staged = Template.fromStack(new MemberAccountRole(new App(), 'Staged', { stage: 'staging' }));
    staged.hasResourceProperties('AWS::IAM::Role', { RoleName: 'certwarden-staging-reader' });
  });

  it('passes cdk-nag AwsSolutions', () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});

describe('the member-account role with renewals', () => {
  const renewing = Template.fromStack(new MemberAccountRole(new App(), 'MemberRenewing', { renewals: true }));
  const granted = Object.values(renewing.findResources('AWS::IAM::Policy'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
    .flatMap((statement) => [statement.Action].flat());
  const acm = operationsCalled('aws-acm-renewer.ts', '@aws-sdk/client-acm').map((op) => `acm:${op}`);
  // The renewer reads the CAs' certificates through aws-pca-authorities.ts.
  const pca = [
    ...operationsCalled('aws-acm-renewer.ts', '@aws-sdk/client-acm-pca'),
    ...operationsCalled('aws-pca-authorities.ts', '@aws-sdk/client-acm-pca'),
  ].map((op) => `acm-pca:${op}`);

  it('allows every call the ACM renewer makes, and the renew function is granted exactly those', () => {
    expect(granted).toEqual(expect.arrayContaining([...acm, ...pca]));
    expect([...RENEWAL_ACTIONS.acm, ...RENEWAL_ACTIONS.acmReimport].sort()).toEqual(acm);
    expect([...RENEWAL_ACTIONS.pca]).toEqual([...new Set(pca)].sort());
  });

  it('never exports, deletes or revokes, and is read-only unless asked', () => {
    for (const forbidden of ['acm:ExportCertificate', 'acm:DeleteCertificate', 'acm-pca:RevokeCertificate'])
      expect(granted).not.toContain(forbidden);
    expect(statements().flatMap((statement) => [statement.Action].flat())).not.toContain('acm:RenewCertificate');
  });

  it('passes cdk-nag AwsSolutions', () => {
    const app = new App();
    const stack = new MemberAccountRole(app, 'MemberRenewingNag', { renewals: true });
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});
