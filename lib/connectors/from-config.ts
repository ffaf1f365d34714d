import type { SourceConfig } from '../domain/config';
import type { CertificateSource } from '../ports/certificate-source';
import type { SecretFetcher } from '../ports/secrets';

/** What a source needs from where it runs. */
export interface SourceWiring {
  /** Secrets by ARN (Azure and Google credentials): Secrets Manager, never the environment. */
  fetchSecret: SecretFetcher;
  /**
   * The AWS credentials of the caller: the Lambda's role, or the person running the CLI.
   * @default the SDK's default chain
   */
  awsCredentials?: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
}

/* eslint-disable @typescript-eslint/no-require-imports -- require() on first use rather than import(): as lazy,
   and it works the same under tsx's CommonJS loader, Jest and esbuild. */
const providers = {
  localFiles: () => require('./local-files') as typeof import('./local-files'),
  awsClients: () => require('./aws-clients') as typeof import('./aws-clients'),
  awsAcm: () => require('./aws-acm') as typeof import('./aws-acm'),
  awsPca: () => require('./aws-pca') as typeof import('./aws-pca'),
  azureKeyVault: () => require('./azure-key-vault') as typeof import('./azure-key-vault'),
  azureCredentials: () => require('./azure-credentials') as typeof import('./azure-credentials'),
  googleCertificateManager: () =>
    require('./google-certificate-manager') as typeof import('./google-certificate-manager'),
  googleCredentials: () => require('./google-credentials') as typeof import('./google-credentials'),
  sts: () => require('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Builds a configured source with its SDK clients: the one place where configuration meets the providers,
 * shared by the CLI (the person's own credentials) and the Lambdas (their roles and secrets). Each provider's
 * modules are loaded only for its own kind, so a function bundles and loads only the SDK it calls.
 */
export async function createSource(config: SourceConfig, wiring: SourceWiring): Promise<CertificateSource> {
  switch (config.kind) {
    case 'local-files': {
      const { LocalFilesSource } = providers.localFiles();
      return new LocalFilesSource({
        name: config.name,
        root: config.root,
        defaultOwner: config.defaultOwner,
        ownerFromTopDirectory: config.ownerFromTopDirectory,
        extensions: config.extensions,
      });
    }
    case 'aws-acm':
    case 'aws-pca': {
      const { AwsClientFactory } = providers.awsClients();
      const clients = new AwsClientFactory({ credentials: wiring.awsCredentials });
      const accounts = config.accounts ?? [{ accountId: await callerAccount(wiring) }];
      const options = {
        name: config.name,
        clients,
        accounts,
        regions: config.regions,
        ownerTagKeys: config.ownerTagKeys,
        defaultOwner: config.defaultOwner,
        concurrency: config.concurrency,
      };
      if (config.kind === 'aws-pca') {
        const { AwsPcaSource } = providers.awsPca();
        return new AwsPcaSource(options);
      }
      const { AwsAcmSource } = providers.awsAcm();
      return new AwsAcmSource({ ...options, fullRefreshHours: config.fullRefreshHours });
    }
    case 'azure-key-vault': {
      const { AzureKeyVaultSource, createKeyVaultClient } = providers.azureKeyVault();
      const { createAzureCredential } = providers.azureCredentials();
      const credential = await createAzureCredential(config.credentials, { fetchSecret: wiring.fetchSecret });
      return new AzureKeyVaultSource({
        name: config.name,
        vaults: config.vaults,
        clientFor: (vault) => createKeyVaultClient(vault.url, credential),
        ownerTagKeys: config.ownerTagKeys,
        defaultOwner: config.defaultOwner,
        concurrency: config.concurrency,
      });
    }
    case 'google-certificate-manager': {
      const { GoogleCertificateManagerSource, createCertificateManagerClient } = providers.googleCertificateManager();
      const { createGoogleAuthClient } = providers.googleCredentials();
      const authClient = await createGoogleAuthClient(config.credentials, { fetchSecret: wiring.fetchSecret });
      return new GoogleCertificateManagerSource({
        name: config.name,
        client: createCertificateManagerClient({ authClient }),
        projects: config.projects,
        locations: config.locations,
        ownerTagKeys: config.ownerTagKeys,
        defaultOwner: config.defaultOwner,
        concurrency: config.concurrency,
      });
    }
  }
}

/** The account of the caller's own credentials, for a source that names no accounts. */
async function callerAccount(wiring: SourceWiring): Promise<string> {
  const { STSClient, GetCallerIdentityCommand } = providers.sts();
  const sts = new STSClient({ credentials: wiring.awsCredentials });
  try {
    const { Account } = await sts.send(new GetCallerIdentityCommand({}));
    if (!Account) throw new Error('STS returned no account');
    return Account;
  } finally {
    sts.destroy();
  }
}
