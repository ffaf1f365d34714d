/**
 * A Key Vault's URL as a scope, as its places name it and a deployed sync fans out over it: lowercase (a vault's
 * host is case-insensitive), without a trailing slash, so that one vault is one scope whatever case the config
 * wrote it in.
 */
export const keyVaultScopeOf = (url: string): string => url.replace(/\/+$/, '').toLowerCase();
