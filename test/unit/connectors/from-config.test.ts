import { generateKeyPairSync } from 'node:crypto';
import * as keyVault from '../../../lib/connectors/azure-key-vault';
import { createSource } from '../../../lib/connectors/from-config';
import { processRateLimiters } from '../../../lib/connectors/rate-limiter';
import { CertwardenConfig, type SourceConfig } from '../../../lib/domain/config';

const source = (raw: object): SourceConfig => CertwardenConfig.parse({ sources: [raw] }).sources[0];
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certwarden/creds-AbCdEf';

describe('createSource', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const secrets: Record<string, string> = {};
  const wiring = {
    fetchSecret: async (arn: string) => {
      if (!(arn in secrets)) throw new Error(`unexpected secret ${arn}`);
      return secrets[arn];
    },
  };

  it.each([
    [{ kind: 'local-files', name: 'files', root: '/etc/ssl' }, 'LocalFilesSource'],
    [
      { kind: 'aws-acm', name: 'acm', regions: ['eu-west-1'], accounts: [{ accountId: '111111111111' }] },
      'AwsAcmSource',
    ],
    [
      { kind: 'aws-pca', name: 'pca', regions: ['eu-west-1'], accounts: [{ accountId: '111111111111' }] },
      'AwsPcaSource',
    ],
    [{ kind: 'aws-iam', name: 'iam', accounts: [{ accountId: '111111111111' }] }, 'AwsIamSource'],
    [
      { kind: 'aws-iot', name: 'iot', regions: ['eu-west-1'], accounts: [{ accountId: '111111111111' }] },
      'AwsIotSource',
    ],
  ])('builds %j as a %s of that name and kind', async (raw, className) => {
    const built = await createSource(source(raw), wiring);
    expect(built.constructor.name).toBe(className);
    expect({ name: built.name, kind: built.kind }).toEqual({
      name: (raw as { name: string }).name,
      kind: (raw as { kind: string }).kind,
    });
  });

  it('signs an Azure source in with the client secret read from Secrets Manager', async () => {
    secrets[SECRET] = JSON.stringify({ clientSecret: 's3cret' });
    const built = await createSource(
      source({
        kind: 'azure-key-vault',
        name: 'kv',
        vaults: [{ url: 'https://kv.vault.azure.net' }],
        credentials: { type: 'client-secret', tenantId: 'tenant', clientId: 'client', secretArn: SECRET },
      }),
      wiring,
    );
    expect(built).toMatchObject({ kind: 'azure-key-vault', name: 'kv' });
  });

  it('signs a Google source in with the service account key read from Secrets Manager', async () => {
    secrets[SECRET] = JSON.stringify({
      type: 'service_account',
      client_email: 'certwarden@proj-one.iam.gserviceaccount.com',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      project_id: 'proj-one',
    });
    const built = await createSource(
      source({
        kind: 'google-certificate-manager',
        name: 'gcm',
        projects: ['proj-one'],
        credentials: { type: 'service-account', secretArn: SECRET },
      }),
      wiring,
    );
    expect(built).toMatchObject({ kind: 'google-certificate-manager', name: 'gcm' });
  });

  it('paces each vault of a Key Vault source at its configured requestsPerSecond', async () => {
    secrets[SECRET] = JSON.stringify({ clientSecret: 's3cret' });
    const emptyVault = {
      listPropertiesOfCertificates: () => ({ byPage: async function* () {} }),
    } as unknown as ReturnType<typeof keyVault.createKeyVaultClient>;
    const created = jest.spyOn(keyVault, 'createKeyVaultClient').mockReturnValue(emptyVault);
    try {
      const built = await createSource(
        source({
          kind: 'azure-key-vault',
          name: 'kv',
          vaults: [{ url: 'https://kv.vault.azure.net' }],
          credentials: { type: 'client-secret', tenantId: 'tenant', clientId: 'client', secretArn: SECRET },
          requestsPerSecond: 50,
        }),
        wiring,
      );
      for await (const _item of built.list()) break;

      expect(created).toHaveBeenCalledWith(
        'https://kv.vault.azure.net',
        expect.anything(),
        expect.objectContaining({ requestsPerSecond: 50 }),
      );
    } finally {
      created.mockRestore();
    }
  });

  it('paces each project of a Google source at its configured requestsPerSecond', async () => {
    secrets[SECRET] = JSON.stringify({
      type: 'service_account',
      client_email: 'certwarden@rate-configured.iam.gserviceaccount.com',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    });
    await createSource(
      source({
        kind: 'google-certificate-manager',
        name: 'gcm',
        projects: ['rate-configured'],
        credentials: { type: 'service-account', secretArn: SECRET },
        requestsPerSecond: 2,
      }),
      wiring,
    );

    // Asked at an unbounded rate, the bucket answers with the one it was made at.
    expect(processRateLimiters.bucket('google-certificate-manager/rate-configured', Infinity).rate).toBe(2);
  });
});
