import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeAws, type FakeAwsServer } from './aws-json-server';
import { FakeEntra } from './entra-server';
import { FakeKeyVault, makeFakeTls, type FakeTls } from './key-vault-server';

/**
 * A Key Vault that a separate process (the CLI) reaches as its configuration says: the vault, a Microsoft Entra
 * authority that hands out the vault's token for a client secret kept in Secrets Manager (a fake one), the source's
 * config entry, and the environment that process needs to trust and reach them (NODE_EXTRA_CA_CERTS is read at start).
 */
export interface ConfiguredKeyVault {
  tls: FakeTls;
  vault: FakeKeyVault;
  entra: FakeEntra;
  secrets: FakeAwsServer;
  /** The `azure-key-vault` source of a config file, named `name`. */
  source(name: string): Record<string, unknown>;
  /** The AWS keys and endpoint of the Secrets Manager fake, and the fakes' TLS root. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts the fakes; the test CA is written to `work` for NODE_EXTRA_CA_CERTS. */
export async function startConfiguredKeyVault(work: string, accountId: string): Promise<ConfiguredKeyVault> {
  const tls = await makeFakeTls();
  const caFile = join(work, 'fake-ca.pem');
  await writeFile(caFile, tls.caPem);
  const clientSecret = 'the-client-secret';
  const secretArn = `arn:aws:secretsmanager:eu-west-1:${accountId}:secret:certwarden/azure-AbCdEf`;
  const secrets = await startFakeAws({
    services: [
      {
        targetPrefix: 'secretsmanager',
        operations: {
          GetSecretValue: ({ SecretId }) =>
            SecretId === secretArn ? { ARN: secretArn, SecretString: JSON.stringify({ clientSecret }) } : undefined,
        },
      },
    ],
  });
  const entra = await FakeEntra.start({ tls, clientId: 'certwarden-app', clientSecret, token: 'entra-issued-token' });
  const vault = await FakeKeyVault.start({ tls, token: 'entra-issued-token' });
  const { accessKeyId, secretAccessKey } = secrets.callerCredentials(accountId);
  return {
    tls,
    vault,
    entra,
    secrets,
    source: (name) => ({
      kind: 'azure-key-vault',
      name,
      vaults: [{ url: vault.url }],
      credentials: { type: 'client-secret', tenantId: 'certwarden-test-tenant', clientId: 'certwarden-app', secretArn },
      authorityHost: entra.authorityHost,
      // An authority Entra's public instance discovery does not know (nor can this machine reach it).
      disableInstanceDiscovery: true,
      // The vault answers at 127.0.0.1, not a vault.azure.net name, as a private endpoint might.
      disableChallengeResourceVerification: true,
    }),
    env: {
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      NODE_EXTRA_CA_CERTS: caFile,
    },
    close: async () => {
      await Promise.all([vault.close(), entra.close(), secrets.close()]);
    },
  };
}
