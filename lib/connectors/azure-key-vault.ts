import {
  CertificateClient,
  type CertificateClientOptions,
  type CertificatePolicy,
  type CertificateProperties,
} from '@azure/keyvault-certificates';
import type { TokenCredential } from '@azure/identity';
import pLimit from 'p-limit';
import { contentHash } from '../domain/content-hash';
import { CertificateParseError, SourceReadError } from '../domain/errors';
import { resolveOwner, type OwnerSettings } from '../domain/owner';
import type {
  CertificateSource,
  LoadedEntry,
  LocationMetadata,
  SourceEntry,
  SourceItem,
} from '../ports/certificate-source';
import { parseCertificates } from '../x509/parse';

/** One vault to inventory. */
export interface KeyVaultLocation {
  /** The vault's URL, `https://<name>.vault.azure.net`. It is the scope of the vault's places. */
  url: string;
  /** The vault's subscription id, recorded as each place's account. @default undefined (no account recorded) */
  subscriptionId?: string;
}

/** What the connector calls on a vault; the SDK's `CertificateClient` is one. Secrets are never asked for. */
export type KeyVaultCertificateReader = Pick<CertificateClient, 'listPropertiesOfCertificates' | 'getCertificate'>;

export interface AzureKeyVaultSourceOptions extends OwnerSettings {
  /** The configured source name. */
  name: string;
  vaults: KeyVaultLocation[];
  /**
   * The client for a vault, called once per vault for the life of the source (so the bearer challenge is
   * met once): usually `(vault) => createKeyVaultClient(vault.url, credential)`.
   */
  clientFor(vault: KeyVaultLocation): KeyVaultCertificateReader;
  /**
   * `getCertificate` calls in flight at once, across vaults. Key Vault throttles per vault (a few thousand
   * GETs per 10 s); eight keeps a sync well under that while other applications share the vault.
   * @default 8
   */
  concurrency?: number;
  /** Vaults listed at once: listing is page after page within a vault, so vaults are what runs in parallel. @default 4 */
  vaultConcurrency?: number;
}

/**
 * Retry settings for the Key Vault client.
 *
 * What `@azure/core-rest-pipeline` 1.24 retries by default (its `defaultRetryPolicy` delegates to
 * `@typespec/ts-http-runtime/dist/commonjs/policies/defaultRetryPolicy.js`): a throttling strategy
 * (`retryStrategies/throttlingRetryStrategy.js`) that retries 429 and 503 only when they carry `Retry-After`,
 * `retry-after-ms` or `x-ms-retry-after-ms`, waiting exactly that long; then an exponential strategy
 * (`retryStrategies/exponentialRetryStrategy.js`) for 408 and 5xx except 501/505 and for ECONNRESET-like
 * errors, waiting `retryDelayInMs · 2^n` (capped at `maxRetryDelayInMs`, half of it jittered). A 429 without
 * Retry-After is not retried at all. Both strategies share one budget, `maxRetries`, 3 by default
 * (`constants.js` DEFAULT_RETRY_POLICY_COUNT): with 30 % of calls throttled, 0.3⁴ ≈ 1 % of calls would
 * fail, a hundred in a sync of 10,000 certificates. Eight retries make that 0.3⁹ ≈ 2·10⁻⁵ and let a
 * throttled vault slow the sync down rather than fail it; the delay cap bounds how long a vault that is
 * really down (5xx) holds a sync, two minutes at most, before it becomes a ScopeFailure.
 */
export const KEY_VAULT_RETRY_OPTIONS = { maxRetries: 8, retryDelayInMs: 1_000, maxRetryDelayInMs: 30_000 };

type PipelinePolicy = NonNullable<CertificateClientOptions['additionalPolicies']>[number]['policy'];

/**
 * Makes every request of one client wait while the vault has asked, through `Retry-After`, for a pause.
 * The SDK's throttling strategy only delays the request that was throttled; its siblings in flight would
 * keep hitting the vault and be throttled in turn. Runs per retry, so each attempt waits for the gate.
 */
export function throttleGatePolicy(): PipelinePolicy {
  let openAt = 0;
  return {
    name: 'certwardenThrottleGate',
    async sendRequest(request, next) {
      const wait = openAt - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const response = await next(request);
      if (response.status === 429 || response.status === 503) {
        const seconds = Number(response.headers.get('retry-after'));
        if (Number.isFinite(seconds) && seconds > 0) openAt = Math.max(openAt, Date.now() + seconds * 1000);
      }
      return response;
    },
  };
}

/**
 * A `CertificateClient` with certwarden's retry settings and throttle gate. `options` may add `tlsOptions`
 * (the tests trust their own CA that way) or `disableChallengeResourceVerification` (for a vault not under
 * `vault.azure.net`); its `retryOptions` override the defaults field by field.
 */
export function createKeyVaultClient(
  vaultUrl: string,
  credential: TokenCredential,
  options: CertificateClientOptions = {},
): CertificateClient {
  return new CertificateClient(vaultUrl, credential, {
    ...options,
    retryOptions: { ...KEY_VAULT_RETRY_OPTIONS, ...options.retryOptions },
    additionalPolicies: [...(options.additionalPolicies ?? []), { policy: throttleGatePolicy(), position: 'perRetry' }],
  });
}

/** How a certificate is renewed, from its policy's lifetime actions and issuer. */
export function renewalOf(policy: CertificatePolicy | undefined): Pick<LocationMetadata, 'renewal' | 'managed'> {
  const actions = policy?.lifetimeActions ?? [];
  const autoRenew = actions.some((lifetimeAction) => lifetimeAction.action === 'AutoRenew');
  const emails = actions.some((lifetimeAction) => lifetimeAction.action === 'EmailContacts');
  const issuer = policy?.issuerName?.toLowerCase();
  // Key Vault renews by itself only through an issuer it has an account with; `Self` renews a self-signed
  // certificate nobody trusts, and `Unknown` means someone must bring the new certificate and merge it.
  const managed = autoRenew && issuer !== undefined && issuer !== 'self' && issuer !== 'unknown';
  return { renewal: autoRenew ? 'key-vault-auto' : emails ? 'email-only' : 'manual', managed };
}

/**
 * Certificates in Azure Key Vaults. Each certificate (all its versions) is one place, named by its id
 * without version, so a new version is a renewal of the same place. The listing (25 a page) gives the current
 * version's thumbprint, attributes and tags, enough for the summary; `getCertificate` is called only for
 * places new or changed since the last sync, for the certificate body and the policy. Secrets, where private
 * keys live, are never read.
 *
 * The listing does not show the policy: a policy edited without a new version or a change of attributes or
 * tags is seen at the certificate's next change (at the latest its renewal), not at the next sync.
 */
export class AzureKeyVaultSource implements CertificateSource {
  readonly kind = 'azure-key-vault' as const;
  readonly name: string;
  private readonly clients = new Map<string, KeyVaultCertificateReader>();
  private readonly limit: pLimit.Limit;

  constructor(private readonly options: AzureKeyVaultSourceOptions) {
    this.name = options.name;
    this.limit = pLimit(options.concurrency ?? 8);
  }

  list(signal?: AbortSignal): AsyncIterable<SourceItem> {
    return interleave(
      this.options.vaults.map((vault) => () => this.listVault(vault, signal)),
      this.options.vaultConcurrency ?? 4,
    );
  }

  private client(vault: KeyVaultLocation): KeyVaultCertificateReader {
    const key = scopeOf(vault);
    let client = this.clients.get(key);
    if (!client) {
      client = this.options.clientFor(vault);
      this.clients.set(key, client);
    }
    return client;
  }

  private async *listVault(vault: KeyVaultLocation, signal?: AbortSignal): AsyncIterable<SourceItem> {
    const scope = scopeOf(vault);
    try {
      const client = this.client(vault);
      const pages = client.listPropertiesOfCertificates({ includePending: true, abortSignal: signal }).byPage();
      for await (const page of pages) {
        for (const properties of page) yield this.entryOf(vault, scope, client, properties, signal);
      }
    } catch (error) {
      if (signal?.aborted) throw error;
      yield { failedScope: scope, message: `cannot list certificates: ${describeAzureError(error)}` };
    }
  }

  private entryOf(
    vault: KeyVaultLocation,
    scope: string,
    client: KeyVaultCertificateReader,
    properties: CertificateProperties,
    signal?: AbortSignal,
  ): SourceEntry {
    const name = properties.name!;
    const nativeId = `${properties.vaultUrl ?? scope}/certificates/${name}`;
    return {
      nativeId,
      scope,
      role: 'leaf',
      summaryHash: contentHash({
        thumbprint: properties.x509ThumbprintString ?? null,
        version: properties.version,
        enabled: properties.enabled,
        expiresOn: properties.expiresOn?.toISOString(),
        updatedOn: properties.updatedOn?.toISOString(),
        tags: properties.tags ?? {},
        // Configuration that shapes the metadata: changing it must reload the places it concerns.
        owner: resolveOwner({ ...properties.tags }, this.options),
        account: vault.subscriptionId,
      }),
      load: () => this.limit(() => this.load(vault, scope, client, name, nativeId, signal)),
    };
  }

  private async load(
    vault: KeyVaultLocation,
    scope: string,
    client: KeyVaultCertificateReader,
    name: string,
    nativeId: string,
    signal?: AbortSignal,
  ): Promise<LoadedEntry> {
    let bundle;
    try {
      bundle = await client.getCertificate(name, { abortSignal: signal });
    } catch (error) {
      throw new SourceReadError(`cannot read the certificate: ${describeAzureError(error)}`, { cause: error });
    }
    const metadata = { ...this.metadataOf(vault, scope, bundle.properties), ...renewalOf(bundle.policy) };
    if (!bundle.cer || bundle.cer.length === 0) {
      // Issuance pending (or failed): inventoried all the same, so that it is seen before anything expires.
      return { certificate: null, metadata: { ...metadata, providerStatus: 'pending' } };
    }
    try {
      const parsed = parseCertificates(bundle.cer, nativeId);
      return { certificate: parsed.certificates[0], metadata };
    } catch (error) {
      if (!(error instanceof CertificateParseError)) throw error;
      return { certificate: null, error: error.message, metadata };
    }
  }

  private metadataOf(vault: KeyVaultLocation, scope: string, properties: CertificateProperties): LocationMetadata {
    const tags = { ...properties.tags };
    return {
      owner: resolveOwner(tags, this.options),
      tags,
      account: vault.subscriptionId,
      region: scope,
      providerStatus: properties.enabled === false ? 'disabled' : 'enabled',
    };
  }
}

/** The vault URL as a scope: lowercase, without trailing slash, so that one vault is always one scope. */
const scopeOf = (vault: KeyVaultLocation): string => vault.url.replace(/\/+$/, '').toLowerCase();

/** Status, Key Vault's error code and message: enough for a person to tell throttling from a denied access. */
function describeAzureError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { statusCode, code } = error as { statusCode?: number; code?: string };
  const prefix = [statusCode !== undefined ? `HTTP ${statusCode}` : undefined, code].filter(Boolean).join(' ');
  return prefix ? `${prefix}: ${error.message}` : error.message;
}

/**
 * Items of several async iterables, at most `concurrency` of them read at once, each at most one item ahead
 * of the consumer (so memory stays bounded whatever the vault sizes). A producer that throws ends the whole.
 */
async function* interleave<T>(producers: Array<() => AsyncIterable<T>>, concurrency: number): AsyncIterable<T> {
  const running = new Map<number, { iterator: AsyncIterator<T>; next: Promise<[number, IteratorResult<T>]> }>();
  let started = 0;
  const advance = (index: number, iterator: AsyncIterator<T>) => {
    const next = iterator.next().then((result): [number, IteratorResult<T>] => [index, result]);
    // Handled now, raced later: a rejection while the consumer is busy must not count as unhandled.
    next.catch(() => undefined);
    running.set(index, { iterator, next });
  };
  const startMore = () => {
    while (running.size < concurrency && started < producers.length) {
      const index = started++;
      advance(index, producers[index]()[Symbol.asyncIterator]());
    }
  };
  try {
    startMore();
    while (running.size > 0) {
      const [index, result] = await Promise.race([...running.values()].map((producer) => producer.next));
      const { iterator } = running.get(index)!;
      if (result.done) {
        running.delete(index);
        startMore();
        continue;
      }
      advance(index, iterator);
      yield result.value;
    }
  } finally {
    for (const { iterator, next } of running.values()) {
      // Let the read in flight settle, then close the producer; its own errors no longer matter.
      void next.then(
        () => iterator.return?.(),
        () => undefined,
      );
    }
  }
}
