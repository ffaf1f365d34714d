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

/**
 * A sync worker is bundled for one source kind: the bundler defines `process.env.CERTWARDEN_BUNDLED_KIND`
 * (infra/function-bundling.ts), the comparisons below fold to constants, and esbuild leaves every other provider
 * and its SDK out of the bundle. They are spelt out each time because esbuild does not inline a constant of a
 * module that is itself required lazily. Unbundled (the CLI, tests) it is undefined: every kind is available.
 */
function unbundled(kind: string): never {
  throw new Error(`this bundle syncs ${process.env.CERTWARDEN_BUNDLED_KIND} sources; ${kind} is not in it`);
}

/* eslint-disable @typescript-eslint/no-require-imports -- require() on first use rather than import(): as lazy,
   it works the same under tsx's CommonJS loader, Jest and esbuild, and the bundler can drop it. */
const providers = {
  localFiles: () =>
    process.env.CERTWARDEN_BUNDLED_KIND === undefined || process.env.CERTWARDEN_BUNDLED_KIND === 'local-files'
      ? (require('./local-files') as typeof import('./local-files'))
      : unbundled('local-files'),
  awsClients: () =>
    process.env.CERTWARDEN_BUNDLED_KIND === undefined ||
    process.env.CERTWARDEN_BUNDLED_KIND === 'aws-acm' ||
    process.env.CERTWARDEN_BUNDLED_KIND === 'aws-pca'
      ? (require('./aws-clients') as typeof import('./aws-clients'))
      : unbundled('aws-acm'),
  awsAcm: () =>
    process.env.CERTWARDEN_BUNDLED_KIND === undefined || process.env.CERTWARDEN_BUNDLED_KIND === 'aws-acm'
      ? (require('./aws-acm') as typeof import('./aws-acm'))
      : unbundled('aws-acm'),
  awsPca: () =>
    process.env.CERTWARDEN_BUNDLED_KIND === undefined || process.env.CERTWARDEN_BUNDLED_KIND === 'aws-pca'
      ? (require('./aws-pca') as typeof import('./aws-pca'))
      : unbundled('aws-pca'),
  azureKeyVault: () =>
    process.env.CERTWARDEN_BUNDLED_KIND === undefined || process.env.CERTWARDEN_BUNDLED_KIND === 'azure-key-vault'
      ? (require('./azure-key-vault') as typeof import('./azure-key-vault'))
      : unbundled('azure-key-vault'),
  azureCredentials: () =>
    process.env.CERTWARDEN_BUNDLED_KIND === undefined || process.env.CERTWARDEN_BUNDLED_KIND === 'azure-key-vault'
      ? (require('./azure-credentials') as typeof import('./azure-credentials'))
      : unbundled('azure-key-vault'),
  googleCertificateManager: () =>
    process.env.CERTWARDEN_BUNDLED_KIND === undefined ||
    process.env.CERTWARDEN_BUNDLED_KIND === 'google-certificate-manager'
      ? (require('./google-certificate-manager') as typeof import('./google-certificate-manager'))
      : unbundled('google-certificate-manager'),
  googleCredentials: () =>
    process.env.CERTWARDEN_BUNDLED_KIND === undefined ||
    process.env.CERTWARDEN_BUNDLED_KIND === 'google-certificate-manager'
      ? (require('./google-credentials') as typeof import('./google-credentials'))
      : unbundled('google-certificate-manager'),
  sts: () =>
    process.env.CERTWARDEN_BUNDLED_KIND === undefined ||
    process.env.CERTWARDEN_BUNDLED_KIND === 'aws-acm' ||
    process.env.CERTWARDEN_BUNDLED_KIND === 'aws-pca'
      ? (require('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts'))
      : unbundled('aws-acm'),
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
