import { CertwardenConfig, type SourceConfig } from '../../../lib/domain/config';
import { restrictToScope, scopesOf } from '../../../lib/connectors/source-scopes';

const source = (raw: object): SourceConfig => CertwardenConfig.parse({ sources: [raw] }).sources[0];

describe('scopes of a configured source', () => {
  const acm = source({
    kind: 'aws-acm',
    name: 'acm',
    regions: ['eu-west-1', 'us-east-1'],
    accounts: [{ accountId: '111111111111', roleName: 'r' }, { accountId: '222222222222' }],
  });

  it('lists account × region for AWS, vaults for Key Vault, project × location for Google', () => {
    expect(scopesOf(acm)).toEqual([
      '111111111111/eu-west-1',
      '111111111111/us-east-1',
      '222222222222/eu-west-1',
      '222222222222/us-east-1',
    ]);
    const vault = source({
      kind: 'azure-key-vault',
      name: 'kv',
      vaults: [{ url: 'https://a.vault.azure.net/' }, { url: 'https://B-Vault.vault.azure.net' }],
      credentials: { type: 'default' },
    });
    // As the connector names its places' scopes: a vault written in capitals is still the one scope its places have.
    expect(scopesOf(vault)).toEqual(['https://a.vault.azure.net', 'https://b-vault.vault.azure.net']);
    expect(restrictToScope(vault, 'https://b-vault.vault.azure.net')).toMatchObject({
      vaults: [{ url: 'https://B-Vault.vault.azure.net' }],
    });
    const google = source({
      kind: 'google-certificate-manager',
      name: 'g',
      projects: ['proj-one', 'proj-two'],
      locations: ['global', 'europe-west1'],
      credentials: { type: 'default' },
    });
    expect(scopesOf(google)).toEqual([
      'proj-one/global',
      'proj-one/europe-west1',
      'proj-two/global',
      'proj-two/europe-west1',
    ]);
  });

  it('lists each account alone for IAM, global, and narrows an IAM source to one account', () => {
    const iam = source({
      kind: 'aws-iam',
      name: 'iam',
      accounts: [{ accountId: '111111111111' }, { accountId: '222222222222', roleName: 'r' }],
    });

    expect(scopesOf(iam)).toEqual(['111111111111', '222222222222']);
    expect(restrictToScope(iam, '222222222222')).toMatchObject({
      accounts: [{ accountId: '222222222222', roleName: 'r' }],
      region: 'us-east-1',
    });
    expect(() => restrictToScope(iam, '222222222222/us-east-1')).toThrow('source iam has no scope');
  });

  it('has no fixed scopes for the caller’s own account or a directory', () => {
    expect(scopesOf(source({ kind: 'aws-pca', name: 'pca', regions: ['eu-west-1'] }))).toBeNull();
    expect(scopesOf(source({ kind: 'local-files', name: 'files', root: '/etc/ssl' }))).toBeNull();
  });

  it('narrows a source to one scope, and refuses a scope it does not have', () => {
    expect(restrictToScope(acm, '222222222222/us-east-1')).toMatchObject({
      accounts: [{ accountId: '222222222222' }],
      regions: ['us-east-1'],
    });
    expect(() => restrictToScope(acm, '333333333333/us-east-1')).toThrow(
      'source acm has no scope 333333333333/us-east-1',
    );
  });

  it.each([
    [undefined, 5 / 3],
    [12, 4],
  ])(
    'gives a Google location synced alone its share of the project’s rate (configured %p): %p a second',
    (requestsPerSecond, share) => {
      const google = source({
        kind: 'google-certificate-manager',
        name: 'g',
        projects: ['proj-one', 'proj-two'],
        locations: ['global', 'europe-west1', 'us-east1'],
        credentials: { type: 'default' },
        requestsPerSecond,
      });

      expect(restrictToScope(google, 'proj-two/europe-west1')).toMatchObject({
        projects: ['proj-two'],
        locations: ['europe-west1'],
        requestsPerSecond: share,
      });
    },
  );
});
