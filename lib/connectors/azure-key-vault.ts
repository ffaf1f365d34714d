import {
  CertificateClient,
  type CertificateClientOptions,
  type CertificatePolicy,
  type CertificateProperties,
} from '@azure/keyvault-certificates';
import type { TokenCredential } from '@azure/identity';
import pLimit from 'p-limit';
import { contentHash } from '../domain/content-hash';
import { keyVaultScopeOf } from '../domain/key-vault-scope';
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
import { CircuitBreaker } from './circuit-breaker';
import { PUBLISHED_RATES, processRateLimiters, type RateLimiters, type TokenBucket } from './rate-limiter';

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
   * met once): usually `(vault, circuitBreaker) => createKeyVaultClient(vault.url, credential, { circuitBreaker })`.
   * The vault's circuit breaker must reach the client's pipeline, where it sees every attempt: a client built
   * without it never opens it, and a vault gone then holds the sync while each call spends its retries.
   */
  clientFor(vault: KeyVaultLocation, circuitBreaker: CircuitBreaker): KeyVaultCertificateReader;
  /**
   * `getCertificate` calls in flight at once, across vaults. What a vault is sent per second is the client's
   * to pace (see KeyVaultClientOptions.requestsPerSecond); this bounds the sockets and memory of a sync.
   * @default 8
   */
  concurrency?: number;
  /** Vaults listed at once: listing is page after page within a vault, so vaults are what runs in parallel. @default 4 */
  vaultConcurrency?: number;
  /**
   * Connection failures in a row (refused, reset, DNS, socket timeout; retries included) after which a vault is
   * a failed scope at once, instead of each of its calls spending its retries (see KEY_VAULT_RETRY_OPTIONS).
   * `Infinity` turns the breaker off. @default 3
   */
  connectionFailuresToFailVault?: number;
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
 * really down (5xx) holds a sync, two minutes at most, before it becomes a ScopeFailure. A vault that does not
 * answer at all (refused, reset, DNS) would hold it as long per call, eight calls at a time: its circuit breaker
 * (circuitBreakerPolicy) fails it after a few connection failures instead.
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
 * Makes every attempt, retries and a listing's next pages included, first take a token of the vault's bucket:
 * Key Vault's quota counts every request a vault receives. Its wait ends with the request's abort signal (the
 * circuit breaker's, which carries the sync's).
 */
export function requestRatePolicy(bucket: TokenBucket): PipelinePolicy {
  return {
    name: 'certwardenRequestRate',
    async sendRequest(request, next) {
      await bucket.take(request.abortSignal);
      return next(request);
    },
  };
}

/**
 * Tells a vault's circuit breaker of every attempt, retries included, and refuses attempts once it is open. It
 * throws the breaker's error, not a RestError, so that the SDK's retry policy gives up at once rather than
 * retrying it; attempts in flight or waiting to retry stop through the breaker's signal.
 */
export function circuitBreakerPolicy(breaker: CircuitBreaker): PipelinePolicy {
  return {
    name: 'certwardenCircuitBreaker',
    async sendRequest(request, next) {
      breaker.throwIfOpen();
      // The SDK fetches a listing's next pages without the caller's abortSignal (keyvault-certificates 4.10,
      // `pagingHelpers.js`: `client.pathUnchecked(pageLink).get()`); the retry policy reads the request's signal
      // for its back-off, so given here it stops those pages too.
      request.abortSignal ??= breaker.signal;
      try {
        const response = await next(request);
        breaker.recordSuccess();
        return response;
      } catch (error) {
        throw breaker.recordFailure(error) ? breaker.failure : error;
      }
    },
  };
}

export interface KeyVaultClientOptions extends CertificateClientOptions {
  /** The vault's circuit breaker, as the source hands it to `clientFor`. @default none */
  circuitBreaker?: CircuitBreaker;
  /**
   * Requests per second sent to the vault, every operation and attempt together: a source's configured
   * `requestsPerSecond`, for a vault other applications also call. @default PUBLISHED_RATES['azure-key-vault'].vault (400)
   */
  requestsPerSecond?: number;
  /** Where the vault's bucket lives. @default processRateLimiters, shared by every client of the vault in the process */
  rateLimiters?: RateLimiters;
}

/**
 * A `CertificateClient` with certwarden's retry settings, throttle gate, the vault's request rate (a bucket per
 * vault, `azure-key-vault/<vault url>`, shared by every client of that vault in the process) and, given one, the
 * vault's circuit breaker. `options` may add `tlsOptions` (the tests trust their own CA that way) or
 * `disableChallengeResourceVerification` (for a vault not under `vault.azure.net`); its `retryOptions` override
 * the defaults field by field.
 */
export function createKeyVaultClient(
  vaultUrl: string,
  credential: TokenCredential,
  { circuitBreaker, requestsPerSecond, rateLimiters, ...options }: KeyVaultClientOptions = {},
): CertificateClient {
  const bucket = (rateLimiters ?? processRateLimiters).bucket(
    `azure-key-vault/${scopeOf({ url: vaultUrl })}`,
    requestsPerSecond ?? PUBLISHED_RATES['azure-key-vault'].vault,
  );
  // In this order: a refused attempt takes no token, and one held back by the gate takes its token when it may go.
  const perRetry = [
    ...(circuitBreaker ? [circuitBreakerPolicy(circuitBreaker)] : []),
    throttleGatePolicy(),
    requestRatePolicy(bucket),
  ];
  return new CertificateClient(vaultUrl, credential, {
    ...options,
    retryOptions: { ...KEY_VAULT_RETRY_OPTIONS, ...options.retryOptions },
    additionalPolicies: [
      ...(options.additionalPolicies ?? []),
      ...perRetry.map((policy) => ({ policy, position: 'perRetry' as const })),
    ],
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
  private readonly clients = new Map<string, { client: KeyVaultCertificateReader; breaker: CircuitBreaker }>();
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

  /** A vault's client and circuit breaker, made together once: the client's pipeline reports to the breaker. */
  private clientOf(vault: KeyVaultLocation): { client: KeyVaultCertificateReader; breaker: CircuitBreaker } {
    const scope = scopeOf(vault);
    let vaultClient = this.clients.get(scope);
    if (!vaultClient) {
      const breaker = new CircuitBreaker({ scope, threshold: this.options.connectionFailuresToFailVault });
      vaultClient = { client: this.options.clientFor(vault, breaker), breaker };
      this.clients.set(scope, vaultClient);
    }
    return vaultClient;
  }

  private async *listVault(vault: KeyVaultLocation, signal?: AbortSignal): AsyncIterable<SourceItem> {
    const scope = scopeOf(vault);
    let breaker: CircuitBreaker | undefined;
    try {
      const vaultClient = this.clientOf(vault);
      const { client } = vaultClient;
      breaker = vaultClient.breaker;
      // The breaker's signal goes to every call of this listing, the loads included: aborted by the sync, or
      // when the breaker opens.
      breaker.reset(signal);
      const pages = client.listPropertiesOfCertificates({ includePending: true, abortSignal: breaker.signal }).byPage();
      for await (const page of pages) {
        for (const properties of page) {
          // Places listed but not yet handed on stay unseen, so a failed vault keeps them as stale places.
          breaker.throwIfOpen();
          yield this.entryOf(vault, scope, client, properties, breaker);
        }
      }
      // Opened by loads while the last page was handed on: the vault failed all the same.
      breaker.throwIfOpen();
    } catch (error) {
      if (signal?.aborted) throw error;
      const failure = breaker?.failure;
      yield {
        failedScope: scope,
        message: failure
          ? `vault unreachable: ${failure.message}`
          : `cannot list certificates: ${describeAzureError(error)}`,
      };
    }
  }

  private entryOf(
    vault: KeyVaultLocation,
    scope: string,
    client: KeyVaultCertificateReader,
    properties: CertificateProperties,
    breaker: CircuitBreaker,
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
      load:
        properties.enabled === false
          ? async () => this.disabledEntry(vault, scope, properties)
          : () => this.limit(() => this.load(vault, scope, client, name, nativeId, breaker)),
    };
  }

  /**
   * A disabled current version, from the listing alone: Key Vault answers a GET on it with 403, which is no
   * error of the sync, and the listing already has its thumbprint, dates and tags. The place keeps the
   * certificate an earlier load read when the thumbprint is the same (disabled in place), and holds none when a
   * new version was made disabled.
   */
  private disabledEntry(vault: KeyVaultLocation, scope: string, properties: CertificateProperties): LoadedEntry {
    const thumbprint = properties.x509ThumbprintString;
    const metadata = this.metadataOf(vault, scope, properties);
    return {
      certificate: null,
      metadata: {
        ...metadata,
        details: {
          ...metadata.details,
          version: properties.version,
          notBefore: properties.notBefore?.toISOString(),
          expiresOn: properties.expiresOn?.toISOString(),
        },
      },
      ...(thumbprint && { sameCertificateAs: { detail: THUMBPRINT_DETAIL, value: thumbprint } }),
    };
  }

  private async load(
    vault: KeyVaultLocation,
    scope: string,
    client: KeyVaultCertificateReader,
    name: string,
    nativeId: string,
    breaker: CircuitBreaker,
  ): Promise<LoadedEntry> {
    let bundle;
    try {
      bundle = await breaker.run(() => client.getCertificate(name, { abortSignal: breaker.signal }));
    } catch (error) {
      const cause = breaker.failure ? `vault unreachable: ${breaker.failure.message}` : describeAzureError(error);
      throw new SourceReadError(`cannot read the certificate: ${cause}`, { cause: error });
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
      ...(properties.x509ThumbprintString && { details: { [THUMBPRINT_DETAIL]: properties.x509ThumbprintString } }),
    };
  }
}

/** Where a place records its version's SHA-1 thumbprint (hex), which is all a listing names a certificate by. */
const THUMBPRINT_DETAIL = 'x509ThumbprintSha1';

const scopeOf = (vault: KeyVaultLocation): string => keyVaultScopeOf(vault.url);

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
