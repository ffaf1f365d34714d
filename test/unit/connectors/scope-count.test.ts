import { scopesOf } from '../../../lib/connectors/source-scopes';
import { scopeCountOf, SourceConfig } from '../../../lib/domain/config';

const secretArn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certwarden/x-AbCdEf';

describe("scopeCountOf: the construct's count of a source's fan-out, without the connectors", () => {
  it.each([
    { kind: 'aws-acm', name: 'a', regions: ['eu-west-1', 'us-east-1'], accounts: [{ accountId: '111111111111' }] },
    { kind: 'aws-acm', name: 'a', regions: ['eu-west-1', 'us-east-1'] },
    {
      kind: 'aws-pca',
      name: 'p',
      regions: ['eu-west-1'],
      accounts: [{ accountId: '111111111111' }, { accountId: '222222222222' }, { accountId: '333333333333' }],
    },
    {
      kind: 'azure-key-vault',
      name: 'kv',
      vaults: [{ url: 'https://a.vault.azure.net' }, { url: 'https://b.vault.azure.net/' }],
      credentials: { type: 'default' },
    },
    {
      kind: 'google-certificate-manager',
      name: 'g',
      projects: ['shop-prod', 'shop-test'],
      locations: ['global', 'europe-west1', 'us-east1'],
      credentials: { type: 'service-account', secretArn },
    },
    { kind: 'aws-iam', name: 'i', accounts: [{ accountId: '111111111111' }, { accountId: '222222222222' }] },
    { kind: 'aws-iam', name: 'i', region: 'us-gov-west-1' },
    {
      kind: 'aws-iot',
      name: 'iot',
      regions: ['eu-west-1', 'us-east-1', 'ap-southeast-2'],
      accounts: [{ accountId: '111111111111' }],
    },
    { kind: 'local-files', name: 'files', root: '/etc/ssl' },
  ])('counts as many messages as the planner sends for $kind $name', (input) => {
    const source = SourceConfig.parse(input);

    expect(scopeCountOf(source)).toBe((scopesOf(source) ?? [null]).length);
  });
});
