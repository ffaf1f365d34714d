import type { SourceConfig } from '../domain/config';
import { ConfigError } from '../domain/errors';
import {
  OPTIONAL_PROVIDER_PACKAGES,
  SOURCE_KINDS,
  type CertificateSource,
  type SourceKind,
} from '../ports/certificate-source';
import type { InventoryStore } from '../ports/inventory-store';
import type { SecretFetcher } from '../ports/secrets';
import type { CertificateClient } from '@azure/keyvault-certificates';
import type { CertificateManagerClient } from '@google-cloud/certificate-manager';
import type { AwsClientFactory } from './aws-clients';
import type { CircuitBreaker } from './circuit-breaker';

/** What a source needs from where it runs. */
export interface SourceWiring {
  /** Secrets by ARN (Azure and Google credentials): Secrets Manager, never the environment. */
  fetchSecret: SecretFetcher;
  /**
   * The AWS credentials of the caller: the Lambda's role, or the person running the CLI.
   * @default the SDK's default chain
   */
  awsCredentials?: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
  /** The inventory, for a tls-endpoint source that scans the names of its certificates (`namesFromInventory`). */
  inventory?: Pick<InventoryStore, 'bySource'>;
}

/** The provider modules a source is built with, each required on first use. */
interface Providers {
  localFiles(): typeof import('./local-files');
  awsClients(): typeof import('./aws-clients');
  awsAcm(): typeof import('./aws-acm');
  awsPca(): typeof import('./aws-pca');
  awsIam(): typeof import('./aws-iam');
  awsIot(): typeof import('./aws-iot');
  azureKeyVault(): typeof import('./azure-key-vault');
  azureCredentials(): typeof import('./azure-credentials');
  googleCertificateManager(): typeof import('./google-certificate-manager');
  googleCredentials(): typeof import('./google-credentials');
  tlsEndpoint(): typeof import('./tls-endpoint');
  sts(): typeof import('@aws-sdk/client-sts');
}

/* eslint-disable @typescript-eslint/no-require-imports -- require() on first use rather than import(): as lazy,
   it works the same under tsx's CommonJS loader, Jest and esbuild, and the bundler can drop it. */
/**
 * The providers of one source kind, and the one bundled-kind guard. A sync worker is bundled for one kind: the
 * bundler defines `process.env.CERTWARDEN_BUNDLED_KIND` (infra/function-bundling.ts), so this switch's
 * discriminant is a constant there, esbuild keeps that kind's case alone, and every other provider and its SDK
 * stay out of the bundle. Unbundled (the CLI, tests) it is undefined and the switch is on the kind asked for.
 *
 * The defined value has to appear in the switch itself: esbuild inlines a `const` only when that makes the code
 * no longer (a string of at most three characters), so `const kind = process.env.…` at the top of the module
 * would leave every comparison, and every provider, in the bundle.
 */
function providersOf(kind: SourceKind): Partial<Providers> {
  switch ((process.env.CERTWARDEN_BUNDLED_KIND ?? kind) as SourceKind) {
    case 'local-files':
      return { localFiles: () => require('./local-files') };
    case 'aws-acm':
      return {
        awsClients: () => require('./aws-clients'),
        awsAcm: () => require('./aws-acm'),
        sts: () => require('@aws-sdk/client-sts'),
      };
    case 'aws-pca':
      return {
        awsClients: () => require('./aws-clients'),
        awsPca: () => require('./aws-pca'),
        sts: () => require('@aws-sdk/client-sts'),
      };
    case 'aws-iam':
      return {
        awsClients: () => require('./aws-clients'),
        awsIam: () => require('./aws-iam'),
        sts: () => require('@aws-sdk/client-sts'),
      };
    case 'aws-iot':
      return {
        awsClients: () => require('./aws-clients'),
        awsIot: () => require('./aws-iot'),
        sts: () => require('@aws-sdk/client-sts'),
      };
    case 'azure-key-vault':
      return {
        azureKeyVault: () => require('./azure-key-vault'),
        azureCredentials: () => require('./azure-credentials'),
      };
    case 'google-certificate-manager':
      return {
        googleCertificateManager: () => require('./google-certificate-manager'),
        googleCredentials: () => require('./google-credentials'),
      };
    case 'tls-endpoint':
      return { tlsEndpoint: () => require('./tls-endpoint') };
  }
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Every kind's providers; in a sync worker's bundle, its own kind's alone (createSource refuses the others first,
 * so a provider it calls is always there).
 */
const providers: Providers = Object.assign({}, ...SOURCE_KINDS.map(providersOf));

/** A sync worker's bundle holds one source kind: say so rather than fail on a missing module. */
function assertBundled(kind: SourceKind): void {
  const bundled = process.env.CERTWARDEN_BUNDLED_KIND;
  if (bundled !== undefined && bundled !== kind) {
    throw new Error(`this bundle syncs ${bundled} sources; ${kind} is not in it`);
  }
}

/**
 * Builds a configured source with its SDK clients: the one place where configuration meets the providers,
 * shared by the CLI (the person's own credentials) and the Lambdas (their roles and secrets). Each provider's
 * modules are loaded only for its own kind, so a function bundles and loads only the SDK it calls.
 */
export async function createSource(config: SourceConfig, wiring: SourceWiring): Promise<CertificateSource> {
  try {
    return await buildSource(config, wiring);
  } catch (error) {
    const missing = missingPackages(error, config.kind);
    if (!missing) throw error;
    throw new ConfigError(
      `source ${config.name}: ${config.kind} needs ${missing.join(' and ')}, which certwarden leaves to you: ` +
        `npm install ${missing.join(' ')} (with -g beside a global certwarden)`,
      { cause: error },
    );
  }
}

function missingPackages(error: unknown, kind: SourceKind): readonly string[] | undefined {
  if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') return undefined;
  const packages = OPTIONAL_PROVIDER_PACKAGES[kind] ?? [];
  return packages.some((name) => (error as Error).message.includes(`'${name}'`)) ? packages : undefined;
}

async function buildSource(config: SourceConfig, wiring: SourceWiring): Promise<CertificateSource> {
  assertBundled(config.kind);
  switch (config.kind) {
    case 'local-files': {
      const { LocalFilesSource, readPkcs12PasswordFile } = providers.localFiles();
      const pkcs12Passwords =
        config.pkcs12PasswordFile === undefined ? undefined : [await readPkcs12PasswordFile(config.pkcs12PasswordFile)];
      return new LocalFilesSource({
        name: config.name,
        root: config.root,
        defaultOwner: config.defaultOwner,
        ownerFromTopDirectory: config.ownerFromTopDirectory,
        extensions: config.extensions,
        pkcs12Passwords,
      });
    }
    case 'aws-acm':
    case 'aws-pca':
    case 'aws-iam':
    case 'aws-iot':
      return buildAwsSource(config, wiring);
    case 'azure-key-vault': {
      const { AzureKeyVaultSource } = providers.azureKeyVault();
      const clientFor = await keyVaultClientsOf(config, wiring);
      return new AzureKeyVaultSource({
        name: config.name,
        vaults: config.vaults,
        clientFor: (vault, circuitBreaker) => clientFor(vault.url, circuitBreaker),
        ownerTagKeys: config.ownerTagKeys,
        defaultOwner: config.defaultOwner,
        concurrency: config.concurrency,
      });
    }
    case 'google-certificate-manager': {
      const { GoogleCertificateManagerSource } = providers.googleCertificateManager();
      return new GoogleCertificateManagerSource({
        name: config.name,
        client: await certificateManagerClientOf(config, wiring),
        projects: config.projects,
        locations: config.locations,
        usageFromCertificateMaps: config.usageFromCertificateMaps,
        requestsPerSecond: config.requestsPerSecond,
        ownerTagKeys: config.ownerTagKeys,
        defaultOwner: config.defaultOwner,
        concurrency: config.concurrency,
      });
    }
    case 'tls-endpoint':
      return providers.tlsEndpoint().tlsEndpointSourceOf(config, wiring.inventory);
  }
}

/** The AWS sources share their client factory (credentials, pacing, retries) and account handling. */
async function buildAwsSource(
  config: Extract<SourceConfig, { kind: 'aws-acm' | 'aws-pca' | 'aws-iam' | 'aws-iot' }>,
  wiring: SourceWiring,
): Promise<CertificateSource> {
  const clients = awsClientsOf(config, wiring);
  const accounts = config.accounts ?? [{ accountId: await callerAccount(wiring, clients.endpointOf('sts')) }];
  const options = {
    name: config.name,
    clients,
    accounts,
    ownerTagKeys: config.ownerTagKeys,
    defaultOwner: config.defaultOwner,
    concurrency: config.concurrency,
  };
  switch (config.kind) {
    case 'aws-iam':
      return new (providers.awsIam().AwsIamSource)({
        ...options,
        region: config.region,
        fullRefreshHours: config.fullRefreshHours,
      });
    case 'aws-iot':
      return new (providers.awsIot().AwsIotSource)({ ...options, regions: config.regions });
    case 'aws-pca':
      return new (providers.awsPca().AwsPcaSource)({ ...options, regions: config.regions });
    case 'aws-acm':
      return new (providers.awsAcm().AwsAcmSource)({
        ...options,
        regions: config.regions,
        fullRefreshHours: config.fullRefreshHours,
      });
  }
}

/** The AWS client factory of a configured AWS source: its credentials, quotas and endpoints. */
export function awsClientsOf(
  config: Extract<SourceConfig, { kind: 'aws-acm' | 'aws-pca' | 'aws-iam' | 'aws-iot' }>,
  wiring: SourceWiring,
): AwsClientFactory {
  const { AwsClientFactory } = providers.awsClients();
  return new AwsClientFactory({
    credentials: wiring.awsCredentials,
    requestsPerSecond: config.requestsPerSecond,
    endpoints: config.endpoints,
  });
}

/** The Key Vault clients of a configured source, by vault URL: its credentials (signed in once), pace and options. */
export async function keyVaultClientsOf(
  config: Extract<SourceConfig, { kind: 'azure-key-vault' }>,
  wiring: SourceWiring,
): Promise<(vaultUrl: string, circuitBreaker?: CircuitBreaker) => CertificateClient> {
  const { createKeyVaultClient } = providers.azureKeyVault();
  const credential = await providers.azureCredentials().createAzureCredential(config.credentials, {
    fetchSecret: wiring.fetchSecret,
    authorityHost: config.authorityHost,
    disableInstanceDiscovery: config.disableInstanceDiscovery,
  });
  return (vaultUrl, circuitBreaker) =>
    createKeyVaultClient(vaultUrl, credential, {
      circuitBreaker,
      requestsPerSecond: config.requestsPerSecond,
      disableChallengeResourceVerification: config.disableChallengeResourceVerification,
    });
}

/** The Certificate Manager client of a configured source: its credentials and endpoint. */
export async function certificateManagerClientOf(
  config: Extract<SourceConfig, { kind: 'google-certificate-manager' }>,
  wiring: SourceWiring,
): Promise<CertificateManagerClient> {
  const authClient = await providers
    .googleCredentials()
    .createGoogleAuthClient(config.credentials, { fetchSecret: wiring.fetchSecret });
  return providers
    .googleCertificateManager()
    .createCertificateManagerClient({ authClient, ...apiEndpointOf(config.endpoint) });
}

/** `http://127.0.0.1:8085` as google-gax takes it: host, port and protocol apart. */
function apiEndpointOf(endpoint: string | undefined) {
  if (!endpoint) return {};
  const url = new URL(endpoint);
  const protocol = url.protocol === 'http:' ? ('http' as const) : ('https' as const);
  return { apiEndpoint: url.hostname, port: Number(url.port) || (protocol === 'http' ? 80 : 443), protocol };
}

/**
 * The account of the caller's own credentials, for a source that names no accounts: asked of the configured STS
 * endpoint, else of the SDK's (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the regional endpoint).
 */
async function callerAccount(wiring: SourceWiring, endpoint: string | undefined): Promise<string> {
  const { STSClient, GetCallerIdentityCommand } = providers.sts();
  const sts = new STSClient({ credentials: wiring.awsCredentials, ...(endpoint && { endpoint }) });
  try {
    const { Account } = await sts.send(new GetCallerIdentityCommand({}));
    if (!Account) throw new Error('STS returned no account');
    return Account;
  } finally {
    sts.destroy();
  }
}
