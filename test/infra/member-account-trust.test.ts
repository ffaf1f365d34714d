import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CertificateInventory } from '../../infra';
import { buildApp } from '../../infra/app';

const FIXTURE = join(__dirname, 'fixtures/certwarden.config.json');
const unbundledApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const acm = (...accounts: { accountId: string; roleName?: string; externalId?: string }[]) => ({
  kind: 'aws-acm' as const,
  name: 'acm',
  regions: ['eu-west-1'],
  accounts,
});
/** An inventory of `sources` in a stack deployed to `account` (a token when undefined). */
const inventoryIn = (account: string | undefined, sources: ReturnType<typeof acm>[]) => {
  const stack = new Stack(unbundledApp(), 'Central', account ? { env: { account, region: 'eu-west-1' } } : {});
  new CertificateInventory(stack, 'Inventory', { sources, alerts: { securityHub: false }, renewalWorkflow: true });
  return Template.fromStack(stack).toJSON();
};

describe('the trust between the central account and member accounts', () => {
  const { main, member } = buildApp({
    configPath: FIXTURE,
    appProps: { context: { 'aws:cdk:bundling-stacks': [] } },
  });
  const template = Template.fromStack(main).toJSON();

  it("outputs what a StackSet of MemberAccountRole takes: the account and the AWS sync roles' ARNs", () => {
    const roleNamed = (name: string) =>
      Object.entries(template.Resources as Record<string, { Type: string; Properties: { RoleName?: string } }>).find(
        ([, resource]) => resource.Type === 'AWS::IAM::Role' && resource.Properties.RoleName === name,
      )![0];

    expect(template.Outputs.TrustedAccountId.Value).toEqual({ Ref: 'AWS::AccountId' });
    expect(template.Outputs.TrustedRoleArns.Value).toEqual({
      'Fn::Join': [
        ',',
        [
          { 'Fn::GetAtt': [roleNamed('certwarden-sync-aws-acm'), 'Arn'] },
          { 'Fn::GetAtt': [roleNamed('certwarden-sync-aws-pca'), 'Arn'] },
          { 'Fn::GetAtt': [roleNamed('certwarden-sync-aws-iam'), 'Arn'] },
          { 'Fn::GetAtt': [roleNamed('certwarden-sync-aws-iot'), 'Arn'] },
          // The renew function, which renews in member accounts whose role allows it (renewals: true).
          { 'Fn::GetAtt': [roleNamed('certwarden-renew'), 'Arn'] },
        ],
      ],
    });
    const parameters = Object.keys(Template.fromStack(member).toJSON().Parameters);
    expect(parameters.filter((name) => name !== 'ExternalId').sort()).toEqual(
      Object.keys(template.Outputs)
        .filter((name) => name.startsWith('Trusted'))
        .sort(),
    );
    expect(template.Outputs.TableName.Value).toEqual({ Ref: expect.stringMatching(/^InventoryTable/) });
  });

  it('refuses an account without roleName that is not the deploying account, naming both', () => {
    expect(() => inventoryIn('999999999999', [acm({ accountId: '111111111111' })])).toThrow(
      /source acm: account 111111111111 has no roleName and is not the deploying account 999999999999/,
    );
  });

  it('reads the deploying account, and any other through its role, without a check left for the deployment', () => {
    const template = inventoryIn('111111111111', [
      acm(
        { accountId: '111111111111' },
        { accountId: '222222222222', roleName: 'certwarden-reader', externalId: 'x1' },
      ),
    ]);
    expect(Object.keys(template.Rules ?? {}).filter((id) => id.includes('DirectAccount'))).toEqual([]);
  });

  it('leaves the check to the deployment when the deploying account is not known at synth', () => {
    const rules = Object.entries(inventoryIn(undefined, [acm({ accountId: '111111111111' })]).Rules ?? {});
    const [[, rule]] = rules.filter(([id]) => id.includes('DirectAccount')) as [string, { Assertions: unknown[] }][];

    expect(rule.Assertions).toEqual([
      {
        Assert: { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, '111111111111'] },
        AssertDescription: expect.stringContaining('account 111111111111 without a role'),
      },
    ]);
  });

  it('refuses two accounts without roleName even when the deploying account is not known: it cannot be both', () => {
    expect(() => inventoryIn(undefined, [acm({ accountId: '111111111111' }, { accountId: '333333333333' })])).toThrow(
      /accounts 111111111111, 333333333333 have no roleName/,
    );
  });
});
