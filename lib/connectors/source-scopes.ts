import type { SourceConfig } from '../domain/config';
import { TLS_ENDPOINTS_GROUP, TLS_INVENTORY_NAMES_GROUP, tlsEndpointScopesOf } from '../domain/tls-endpoints';
import { ConfigError } from '../domain/errors';
import { keyVaultScopeOf } from '../domain/key-vault-scope';
import { PUBLISHED_RATES } from './rate-limiter';

/**
 * The scopes a configured source lists, as its places name them, when they are known without calling the
 * provider: the units a deployed sync fans out over. Null when they are not (the caller's own account, a
 * directory tree), and the source is then synced whole.
 */
export function scopesOf(config: SourceConfig): string[] | null {
  switch (config.kind) {
    case 'aws-acm':
    case 'aws-pca':
    case 'aws-iot':
      return config.accounts
        ? config.accounts.flatMap((account) => config.regions.map((region) => `${account.accountId}/${region}`))
        : null;
    case 'aws-iam':
      return config.accounts ? config.accounts.map((account) => account.accountId) : null;
    case 'azure-key-vault':
      return config.vaults.map((vault) => keyVaultScopeOf(vault.url));
    case 'google-certificate-manager':
      return config.projects.flatMap((project) => config.locations.map((location) => `${project}/${location}`));
    case 'local-files':
      return null;
    case 'tls-endpoint':
      return tlsEndpointScopesOf(config);
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
    case 'aws-iot':
      return { ...config, accounts: config.accounts!.filter((a) => a.accountId === first), regions: [second] };
    case 'aws-iam':
      return { ...config, accounts: config.accounts!.filter((a) => a.accountId === first) };
    case 'azure-key-vault':
      return { ...config, vaults: config.vaults.filter((vault) => keyVaultScopeOf(vault.url) === scope) };
    case 'google-certificate-manager': {
      // A project's quota covers all its locations, and each location may be synced at once in a worker of its
      // own, whose bucket no other process sees: each gets its share.
      const projectRate = config.requestsPerSecond ?? PUBLISHED_RATES['google-certificate-manager'].project;
      return {
        ...config,
        projects: [first],
        locations: [second],
        requestsPerSecond: projectRate / new Set(config.locations).size,
      };
    }
    case 'local-files':
      throw unknown();
    case 'tls-endpoint':
      return {
        ...config,
        endpoints: scope === TLS_ENDPOINTS_GROUP ? config.endpoints : undefined,
        groups: config.groups?.filter((group) => group.name === scope),
        namesFromInventory: scope === TLS_INVENTORY_NAMES_GROUP ? config.namesFromInventory : undefined,
      };
  }
}
