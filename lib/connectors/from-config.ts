import type { SourceConfig } from '../domain/config';
import { ConfigError } from '../domain/errors';
import type { CertificateSource } from '../ports/certificate-source';
import { LocalFilesSource } from './local-files';

/**
 * Builds the configured sources with their SDK clients: the one place where configuration meets the
 * providers, shared by the CLI (the person's own credentials) and the Lambdas (their roles and secrets).
 */
export async function createSource(config: SourceConfig): Promise<CertificateSource> {
  switch (config.kind) {
    case 'local-files':
      return new LocalFilesSource({
        name: config.name,
        root: config.root,
        defaultOwner: config.defaultOwner,
        ownerFromTopDirectory: config.ownerFromTopDirectory,
        extensions: config.extensions,
      });
    default:
      throw new ConfigError(`source ${config.name}: kind ${config.kind} cannot be synced yet`);
  }
}

/**
 * The scopes a configured source lists, as its places name them, when they are known without calling the
 * provider: the units a deployed sync fans out over. Null when they are not (the caller's own account, a
 * directory tree), and the source is then synced whole.
 */
export function scopesOf(config: SourceConfig): string[] | null {
  switch (config.kind) {
    case 'aws-acm':
    case 'aws-pca':
      return config.accounts
        ? config.accounts.flatMap((account) => config.regions.map((region) => `${account.accountId}/${region}`))
        : null;
    case 'azure-key-vault':
      return config.vaults.map((vault) => vault.url.replace(/\/+$/, ''));
    case 'google-certificate-manager':
      return config.projects.flatMap((project) => config.locations.map((location) => `${project}/${location}`));
    case 'local-files':
      return null;
  }
}

/** The same source narrowed to one of its scopes (see scopesOf), for a run that syncs that scope alone. */
export function restrictToScope(config: SourceConfig, scope: string): SourceConfig {
  const unknown = () => new ConfigError(`source ${config.name} has no scope ${scope}`);
  if (!scopesOf(config)?.includes(scope)) throw unknown();
  const [first, second] = scope.split('/');
  switch (config.kind) {
    case 'aws-acm':
    case 'aws-pca':
      return { ...config, accounts: config.accounts!.filter((a) => a.accountId === first), regions: [second] };
    case 'azure-key-vault':
      return { ...config, vaults: config.vaults.filter((vault) => vault.url.replace(/\/+$/, '') === scope) };
    case 'google-certificate-manager':
      return { ...config, projects: [first], locations: [second] };
    case 'local-files':
      throw unknown();
  }
}
