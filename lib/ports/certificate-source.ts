import type { ParsedCertificate } from '../domain/certificate';

export const SOURCE_KINDS = [
  'local-files',
  'aws-acm',
  'aws-pca',
  'aws-iam',
  'aws-iot',
  'azure-key-vault',
  'google-certificate-manager',
  'tls-endpoint',
] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/**
 * The SDKs certwarden's package leaves to the user (optional peer dependencies), by the source kind that needs
 * them: they are most of an install's size (Private CA's SDK alone brings 72 MB of an older AWS SDK line), and a
 * user installs the ones of the providers they sync. IAM's (5.2 MB) and IoT's (7.4 MB) share the required AWS
 * SDKs' core, yet each is three to four times @aws-sdk/client-acm, for holders few estates use. The CLI names them when one is missing; the construct
 * refuses at synth a source whose worker could not bundle them.
 */
export const OPTIONAL_PROVIDER_PACKAGES: Partial<Record<SourceKind, readonly string[]>> = {
  'aws-pca': ['@aws-sdk/client-acm-pca'],
  'aws-iam': ['@aws-sdk/client-iam'],
  'aws-iot': ['@aws-sdk/client-iot'],
  'azure-key-vault': ['@azure/identity', '@azure/keyvault-certificates'],
  'google-certificate-manager': ['@google-cloud/certificate-manager', 'google-auth-library'],
};

/** What a source knows about a place where a certificate lives, beyond the certificate itself. */
export interface LocationMetadata {
  /** Resolved owner: from the configured tag keys, else the source's default owner, else `unowned`. */
  owner: string;
  tags: Record<string, string>;
  /** Account, subscription or project. */
  account?: string;
  /** The provider's region, vault or location; none for a place in no cloud (a local file). */
  region?: string;
  /** The provider's own status word (ISSUED, PENDING_VALIDATION, ACTIVE, …). */
  providerStatus?: string;
  /**
   * What the provider reports as failed at this place, for a person to fix: an issuance that failed, a domain a
   * managed certificate cannot be authorized for. A fact about the place (announced when it appears or changes),
   * not an error of the sync.
   */
  problem?: string;
  /** Renewed by the provider without anyone acting. */
  managed?: boolean;
  /**
   * What uses it: load balancer ARNs, target proxies, endpoints; `[]` for nothing. Absent: not known this time (the
   * provider's usage could not be read): the place keeps what it recorded.
   */
  inUseBy?: string[];
  /** How it is renewed: `acm-managed`, `manual`, `key-vault-auto`, … */
  renewal?: string;
  /** What only this provider knows (ACM's type and renewal status, a CA's revocation settings), kept as is. */
  details?: Record<string, unknown>;
}

/** Where a place is: the same for every entry, whether its content is known at listing time or loaded. */
interface Place {
  /** The provider's own id of the place: an ARN, a Key Vault id, a file path, `host:port`. */
  nativeId: string;
  /**
   * The part of the source this place was listed from: an account and region, a vault, a project and
   * location, a directory. When a scope cannot be read, its places are kept (marked stale), never removed.
   * Scopes nest with `/`: a failure of `111111111111` covers `111111111111/eu-west-1`.
   */
  scope: string;
  /** `leaf` for the certificate the place serves, `chain` for the CA certificates bundled with it. */
  role: 'leaf' | 'chain';
}

/**
 * A place whose content the listing already holds (files, full list responses). A place whose certificate
 * cannot be read (yet) is still an entry, with `certificate: null` and `error` saying why, so that it is
 * inventoried and never silently skipped.
 */
export interface EagerEntry extends Place, LoadedEntry {
  summaryHash?: string;
  load?: undefined;
}

/** A place listed cheaply whose content takes the provider's detail calls. */
export interface LazyEntry extends Place {
  /**
   * A hash of what the provider's cheap listing says about the place (status, expiry, renewal…). When the
   * stored place has the same one, the sync counts it unchanged and never calls `load`.
   */
  summaryHash: string;
  /**
   * Reload at least this often even when the summary is unchanged, since the listing does not show everything
   * that can change (tags, usage). @default never: only when the summary changes
   */
  refreshHours?: number;
  /**
   * Completes the entry with the provider's detail calls (certificate body, tags, usage): only called for
   * places that are new or whose summary changed, so an unchanged resync costs only the list pages.
   * A rejection leaves the stored place as it was and is reported as an error of the sync.
   */
  load(): Promise<LoadedEntry>;
}

export type SourceEntry = EagerEntry | LazyEntry;

/** What a place holds: known at listing time for cheap sources, after `load` for the others. */
export interface LoadedEntry {
  certificate: ParsedCertificate | null;
  error?: string;
  /**
   * The certificate could not be read this time (a connection refused or timed out, a file unreadable): not the
   * source's answer that the place holds none. A place that held one keeps it, marked stale with `error`, and so do
   * the places listed under it (`<nativeId>#…`, its chain); a new one is stored with the error.
   */
  readFailed?: true;
  /** Things worth telling a person that are not errors, e.g. a private key found and dropped. Never stored. */
  warnings?: string[];
  metadata: LocationMetadata;
  /**
   * Set when the provider will not hand the certificate over now (Key Vault answers 403 for a disabled one) but
   * its listing names it: the stored place keeps its certificate when an earlier load recorded the same value
   * under `metadata.details[detail]`. Without a match the place holds no certificate.
   */
  sameCertificateAs?: { detail: string; value: string };
}

/** A scope the source could not list, after its own retries: its places must not become tombstones. */
export interface ScopeFailure {
  failedScope: string;
  message: string;
}

export type SourceItem = SourceEntry | ScopeFailure;

export const isScopeFailure = (item: SourceItem): item is ScopeFailure => 'failedScope' in item;

/** The native id of a chain certificate's place: under the entry that bundles or serves it. */
export const chainPlaceId = (nativeId: string, fingerprint: string): string => `${nativeId}#${fingerprint}`;

/** The native id of the entry a chain place was listed under (see chainPlaceId), or the id itself. */
export const listedUnder = (nativeId: string): string => {
  const hash = nativeId.lastIndexOf('#');
  return hash < 0 ? nativeId : nativeId.slice(0, hash);
};

export interface CertificateSource {
  readonly kind: SourceKind;
  /** The configured name: the scope of one sync, so only this source's places can become tombstones. */
  readonly name: string;
  /**
   * Streams entries; never loads the whole source in memory. A scope that cannot be read is reported as a
   * ScopeFailure item and the listing goes on; throwing means the whole listing broke.
   */
  list(signal?: AbortSignal): AsyncIterable<SourceItem>;
}

/** Locations are unique across sources of one kind by the provider's id. */
export const locationIdOf = (kind: SourceKind, nativeId: string): string => `${kind}:${nativeId}`;
