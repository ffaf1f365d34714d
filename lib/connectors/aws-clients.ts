import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import pLimit from 'p-limit';
import { contentHash } from '../domain/content-hash';
import { CertificateParseError, ConfigError } from '../domain/errors';
import type { OwnerSettings } from '../domain/owner';
import type { LoadedEntry, LocationMetadata, ScopeFailure, SourceEntry, SourceItem } from '../ports/certificate-source';
import { parseCertificates } from '../x509/parse';
import { PUBLISHED_RATES, processRateLimiters, type RateLimiters, type RequestRates } from './rate-limiter';

/**
 * The AWS plumbing every AWS source shares: SDK clients per account × region (credentials by STS AssumeRole
 * or the caller's own), requests paced at the published quotas with standard retries, and the walk over scopes in which an account whose role cannot be
 * assumed, or a region that cannot be listed, becomes a ScopeFailure while the other scopes go on.
 */

/** One AWS account to inventory. */
export interface AwsAccount {
  /** The 12-digit account id: the first half of each scope, `<accountId>/<region>`. */
  accountId: string;
  /**
   * Role assumed in the account, `arn:<partition>:iam::<accountId>:role/<roleName>` (a path may be part of
   * the name). The caller's own credentials are used when absent: they must belong to that account.
   */
  roleName?: string;
  /** The external id the role's trust policy demands (the confused-deputy guard). @default none */
  externalId?: string;
  /** Regions listed in this account. @default the source's `regions` */
  regions?: string[];
}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

export type AwsService = 'acm' | 'acm-pca' | 'iam' | 'iot' | 'sts';

/** What the factory hands a client's constructor: region, credentials, retries, and any test overrides. */
export type AwsClientConfig = { region: string } & Record<string, unknown>;

/** Any SDK v3 client: the factory caches and closes them, and paces their requests through its middleware. */
export interface SdkClient {
  destroy(): void;
  middlewareStack?: {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each client types its own stack
    addRelativeTo(middleware: any, options: any): void;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each client types its own stack
    add?(middleware: any, options: any): void;
  };
}

export interface AwsClientFactoryOptions {
  /**
   * The caller's own credentials: they act in accounts without a role and sign the AssumeRole calls.
   * @default the SDK's default chain (environment, SSO, web identity, the Lambda's or instance's role)
   */
  credentials?: AwsCredentials | AwsCredentialsProvider;
  /** Partition of the role ARNs (`aws`, `aws-us-gov`, `aws-cn`). @default 'aws' */
  partition?: string;
  /** Region of the STS endpoint that assumes the roles. @default 'us-east-1' */
  stsRegion?: string;
  /** One endpoint for every service (a local fake, a proxy). @default AWS's regional endpoints */
  endpoint?: string;
  /**
   * Endpoints by service, over `endpoint` (VPC endpoints, another partition, an emulator).
   * @default the SDK's resolution, which honours AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL
   */
  endpoints?: Partial<Record<AwsService, string>>;
  /** Attempts per API call, the first included; see AWS_MAX_ATTEMPTS. @default AWS_MAX_ATTEMPTS (10) */
  maxAttempts?: number;
  /**
   * Requests per second per account × region, by operation (`{ DescribeCertificate: 20 }`), over the published
   * quotas: for a quota raised (or lowered) in Service Quotas. @default PUBLISHED_RATES of each service
   */
  requestsPerSecond?: RequestRates;
  /** Where the buckets live. @default processRateLimiters, shared by every client of the process */
  rateLimiters?: RateLimiters;
  /** @default 'certwarden' */
  roleSessionName?: string;
  /** Lifetime of an assumed-role session; it is renewed 5 minutes before it ends. @default 3600 */
  roleSessionSeconds?: number;
  /**
   * Extra SDK client configuration merged over certwarden's, once per client: a test's faster retry
   * strategy, a proxy's request handler. @default none
   */
  clientConfig?: (service: AwsService) => Record<string, unknown>;
}

/** What the AWS sources need: one client per service, account and region. */
export interface AwsClients {
  /**
   * The service's client of an account and region, made once by `make` from certwarden's configuration. Each
   * source passes its own SDK client class, so this module (and a bundle of one source) holds no other's.
   */
  client<T extends SdkClient>(
    service: AwsService,
    account: AwsAccount,
    region: string,
    make: (config: AwsClientConfig) => T,
  ): T;
  /** Gets the account's credentials (assumes its role) now, so that a refusal is told apart from a listing failure. */
  verifyAccess(account: AwsAccount): Promise<void>;
}

/**
 * Attempts per API call in certwarden's AWS clients, which all run in retry mode 'standard' behind a token
 * bucket per operation and account × region at the published quotas (PUBLISHED_RATES, lib/connectors/
 * rate-limiter.ts; a middleware placed inside the SDK's retry loop, so a retry waits for a token too).
 *
 * What the SDK does, read in its source:
 * - @aws-sdk/client-acm 3.1169 and STS (@aws-sdk/nested-clients) retry through @smithy/core 3.41
 *   (`dist-cjs/submodules/retry/index.js`). Mode 'standard' and 3 attempts by default (DEFAULT_RETRY_MODE,
 *   DEFAULT_MAX_ATTEMPTS). Retried: THROTTLING (HTTP 429, ThrottlingException and 13 other codes,
 *   `$retryable.throttling`) and TRANSIENT (500/502/503/504, TimeoutError, ECONNRESET-like errors); other 5xx
 *   (501, 505…) and client errors are not. Delay: random × min(base × 2ⁿ, 20 s) with base 1 s after a
 *   throttle, 50 ms otherwise, stretched to what `Retry-After` (seconds or HTTP date) or `x-amz-retry-after`
 *   asks, up to the backoff + 5 s. A retry quota of 500 per client (a throttled retry costs 5, another 14, a
 *   success gives back the cost of its last retry or 1) stops retries while a service keeps failing.
 * - @aws-sdk/client-acm-pca 3.523 is an older line: @smithy/middleware-retry 2.3.1 and @smithy/util-retry
 *   2.2.0. It retries the same errors (backoff base 100 ms, 500 ms after a throttle), but its
 *   `getRetryAfterHint` reads `Retry-After: 2` as the date 1970-01-01T00:00:02Z, so only an HTTP-date
 *   Retry-After is honoured; the factory rewrites a wait in seconds as a date for it (retryAfterAsDate).
 *
 * Why not 'adaptive': it adds a rate limiter per client (DefaultRateLimiter) that cuts the sending rate to 70 %
 * of what it measured on every throttle (floor 0.5 requests/s) and climbs back along a cubic curve. A
 * throttle that is not about our rate (AWS sheds some load at random) cuts it all the same, so under 30 %
 * random throttling it sat near 1.5 requests/s: 240 certificates of one scope took 447 s against 26 s
 * unthrottled (test/integration/connectors/aws-acm.test.ts, in virtual time). Our buckets already keep us at the quota; with
 * 'standard' a throttle delays only the request it hit: the same sync takes 37–41 s against 24 s.
 *
 * With three attempts, a source throttling 30 % of calls would fail 0.3³ ≈ 3 % of them; ten make that 6·10⁻⁶.
 */
export const AWS_MAX_ATTEMPTS = 10;

/** Credentials are renewed this long before they expire. */
const RENEW_BEFORE_MS = 5 * 60_000;

/**
 * Makes and caches the SDK clients of each account × region. One assumed-role session per account is
 * shared by all its clients, so an account costs one AssumeRole however many regions it has.
 */
export class AwsClientFactory implements AwsClients {
  private readonly clients = new Map<string, SdkClient>();
  private readonly sessions = new Map<string, AwsCredentialsProvider>();
  private readonly caller?: AwsCredentialsProvider;

  constructor(private readonly options: AwsClientFactoryOptions = {}) {
    const { credentials } = options;
    this.caller = typeof credentials === 'function' ? credentials : credentials ? async () => credentials : undefined;
  }

  async verifyAccess(account: AwsAccount): Promise<void> {
    await this.credentialsOf(account)?.();
  }

  /** The ARN of the role assumed in an account. */
  roleArn(account: AwsAccount): string | undefined {
    if (!account.roleName) return undefined;
    return `arn:${this.options.partition ?? 'aws'}:iam::${account.accountId}:role/${account.roleName}`;
  }

  /** Closes every client's sockets. */
  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  client<T extends SdkClient>(
    service: AwsService,
    account: AwsAccount,
    region: string,
    make: (config: AwsClientConfig) => T,
  ): T {
    const key = `${service}/${account.accountId}/${account.roleName ?? ''}/${region}`;
    let client = this.clients.get(key) as T | undefined;
    if (!client) {
      client = make(this.config(service, account, region));
      this.paceRequests(client, service, `${service}/${account.accountId}/${region}`);
      if (service === 'acm-pca') retryAfterAsDate(client);
      this.clients.set(key, client);
    }
    return client;
  }

  /**
   * Each attempt of an operation with a quota first takes a token of its account × region's bucket. Placed
   * after the retry middleware, so it runs once per attempt: a retry is a request the quota counts too.
   */
  private paceRequests(client: SdkClient, service: AwsService, scope: string): void {
    const rates: RequestRates = {
      ...(service === 'sts' ? {} : PUBLISHED_RATES[service]),
      ...this.options.requestsPerSecond,
    };
    const limiters = this.options.rateLimiters ?? processRateLimiters;
    client.middlewareStack?.addRelativeTo(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const operation = context.commandName?.replace(/Command$/, '') ?? '';
        const rate = rates[operation];
        if (rate !== undefined) await limiters.bucket(`${scope}/${operation}`, rate).take();
        return next(args);
      },
      { relation: 'after', toMiddleware: 'retryMiddleware', name: 'certwardenRequestRate', override: true },
    );
  }

  private config(service: AwsService, account: AwsAccount, region: string): AwsClientConfig {
    return {
      region,
      credentials: this.credentialsOf(account),
      endpoint: this.endpointOf(service),
      maxAttempts: this.options.maxAttempts ?? AWS_MAX_ATTEMPTS,
      retryMode: 'standard',
      ...this.options.clientConfig?.(service),
    };
  }

  /** The configured endpoint of a service; undefined leaves it to the SDK (and its AWS_ENDPOINT_URL_* variables). */
  endpointOf(service: AwsService): string | undefined {
    return this.options.endpoints?.[service] ?? this.options.endpoint;
  }

  private credentialsOf(account: AwsAccount): AwsCredentialsProvider | undefined {
    const roleArn = this.roleArn(account);
    if (!roleArn) return this.caller;
    let session = this.sessions.get(roleArn);
    if (!session) {
      const assume = fromTemporaryCredentials({
        params: {
          RoleArn: roleArn,
          ExternalId: account.externalId,
          RoleSessionName: this.options.roleSessionName ?? 'certwarden',
          DurationSeconds: this.options.roleSessionSeconds ?? 3600,
        },
        masterCredentials: this.caller,
        clientConfig: {
          region: this.options.stsRegion ?? 'us-east-1',
          endpoint: this.endpointOf('sts'),
          maxAttempts: this.options.maxAttempts ?? AWS_MAX_ATTEMPTS,
          retryMode: 'standard',
          ...this.options.clientConfig?.('sts'),
        },
      });
      session = renewedBeforeExpiry(() => assume());
      this.sessions.set(roleArn, session);
    }
    return session;
  }
}

/**
 * The workaround for @aws-sdk/client-acm-pca 3.523, the newest the registry serves: its retry
 * (@smithy/util-retry 2.2) reads `Retry-After: 2` as the date 1970-01-01T00:00:02Z and so ignores a wait in
 * seconds, the form AWS sends. Innermost in the stack, before the response is parsed into an error, this
 * rewrites such a header as the HTTP date it means, which that retry honours. A newer client (one SDK core with
 * ACM's) reads both forms, and this changes nothing it reads.
 */
function retryAfterAsDate(client: SdkClient): void {
  client.middlewareStack?.add?.(
    (next: (args: unknown) => Promise<{ response: unknown }>) => async (args: unknown) => {
      const result = await next(args);
      const headers = (result.response as { headers?: Record<string, string> } | undefined)?.headers;
      for (const name of Object.keys(headers ?? {})) {
        if (name.toLowerCase() !== 'retry-after' || !/^\d+$/.test(headers![name].trim())) continue;
        headers![name] = new Date(Date.now() + Number(headers![name]) * 1000).toUTCString();
      }
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'certwardenRetryAfterAsDate', override: true },
  );
}

/** Shares one pending or valid session among all callers; a failure is not kept, so the next call tries again. */
function renewedBeforeExpiry(provider: AwsCredentialsProvider): AwsCredentialsProvider {
  let current: AwsCredentials | undefined;
  let pending: Promise<AwsCredentials> | undefined;
  return async () => {
    if (current && (!current.expiration || current.expiration.getTime() - Date.now() > RENEW_BEFORE_MS)) return current;
    pending ??= provider()
      .then((credentials) => (current = credentials))
      .finally(() => (pending = undefined));
    return pending;
  };
}

/** What every AWS source is configured with, regional or global. */
export interface AwsAccountSourceOptions extends OwnerSettings {
  /** The configured source name. */
  name: string;
  /** Clients per account × region; usually an `AwsClientFactory`. */
  clients: AwsClients;
  accounts: AwsAccount[];
  /** Scopes (account × region, or account for a global service) listed at once. @default 4 */
  scopeConcurrency?: number;
  /** Items per list page (MaxItems / MaxResults). @default 1000, the services' maximum */
  pageSize?: number;
  /**
   * Tags (and ACM's InUseBy) are not in the list summaries, so a tag change alone would never reach the
   * inventory. Each place's details are therefore reloaded at least once every this many hours, spread
   * evenly (lib/domain/refresh.ts); a reload that finds nothing new writes nothing. `Infinity` turns it off.
   * @default 24
   */
  fullRefreshHours?: number;
}

/** What a regional AWS source is configured with. */
export interface AwsSourceOptions extends AwsAccountSourceOptions {
  /** Regions listed in every account that names none of its own. */
  regions: string[];
}

/** One account × region. */
export interface AwsScope {
  account: AwsAccount;
  region: string;
  /** `<accountId>/<region>`: the scope of the places listed there; `<accountId>` for a global service. */
  id: string;
}

/**
 * What the AWS sources share: the walk over accounts × regions (walkScopes, one scope's failure kept apart)
 * and, per scope, a limit on detail calls in flight (the unit of the services' request quotas). A subclass
 * lists one scope and says which operation lists it.
 */
export abstract class AwsScopedSource<
  Options extends AwsAccountSourceOptions & { concurrency?: number; regions?: string[] },
> {
  readonly name: string;
  private readonly limits = new Map<string, pLimit.Limit>();

  constructor(
    protected readonly options: Options,
    private readonly listing: {
      operation: string;
      defaultConcurrency: number;
      /** A global service's region (IAM): one scope per account. @default regional: `options.regions` */
      globalRegion?: string;
    },
  ) {
    this.name = options.name;
    validateRefreshHours(options.fullRefreshHours);
  }

  list(signal?: AbortSignal): AsyncIterable<SourceItem> {
    return walkScopes<SourceEntry>({
      clients: this.options.clients,
      accounts: this.options.accounts,
      regions: this.options.regions ?? [],
      globalRegion: this.listing.globalRegion,
      concurrency: this.options.scopeConcurrency ?? 4,
      operation: this.listing.operation,
      signal,
      list: (scope) => this.listScope(scope, signal),
    });
  }

  protected abstract listScope(scope: AwsScope, signal?: AbortSignal): AsyncGenerator<SourceEntry>;

  /** The detail calls' limit of a scope. */
  protected limitOf(scope: AwsScope): pLimit.Limit {
    let limit = this.limits.get(scope.id);
    if (!limit) {
      limit = pLimit(Math.max(1, this.options.concurrency ?? this.listing.defaultConcurrency));
      this.limits.set(scope.id, limit);
    }
    return limit;
  }
}

export interface WalkScopesOptions<T> {
  clients: AwsClients & { roleArn?(account: AwsAccount): string | undefined };
  accounts: AwsAccount[];
  regions: string[];
  /**
   * The region a global service (IAM) is called in: then each account is one scope, `<accountId>`, and `regions`
   * is not read. @default none: a regional service, one scope per account × region
   */
  globalRegion?: string;
  /** Scopes listed at once. */
  concurrency: number;
  /** Names the listing in failure messages, e.g. `ListCertificates`. */
  operation: string;
  list(scope: AwsScope): AsyncIterable<T>;
  signal?: AbortSignal;
}

/**
 * Lists every account × region (every account of a global service), `concurrency` scopes at a time, interleaving their items. An account whose
 * credentials cannot be had yields a ScopeFailure for each of its regions; a region whose listing fails after
 * the SDK's retries yields one for itself (after whatever it listed before failing). An abort throws.
 */
export async function* walkScopes<T>(options: WalkScopesOptions<T>): AsyncGenerator<T | ScopeFailure> {
  const { clients, signal, globalRegion } = options;
  const scopes: AwsScope[] =
    globalRegion !== undefined
      ? options.accounts.map((account) => ({ account, region: globalRegion, id: account.accountId }))
      : options.accounts.flatMap((account) =>
          (account.regions ?? options.regions).map((region) => ({
            account,
            region,
            id: `${account.accountId}/${region}`,
          })),
        );
  const seen = new Set<string>();
  for (const scope of scopes) {
    if (seen.has(scope.id)) throw new ConfigError(`scope ${scope.id} is configured twice`);
    seen.add(scope.id);
  }

  async function* listOne(scope: AwsScope): AsyncGenerator<T | ScopeFailure> {
    try {
      await clients.verifyAccess(scope.account);
    } catch (error) {
      if (signal?.aborted) throw error;
      const role = clients.roleArn?.(scope.account) ?? 'the caller';
      yield { failedScope: scope.id, message: `cannot get credentials for ${role}: ${describeAwsError(error)}` };
      return;
    }
    try {
      yield* options.list(scope);
    } catch (error) {
      if (signal?.aborted) throw error;
      yield { failedScope: scope.id, message: `${options.operation} failed: ${describeAwsError(error)}` };
    }
  }

  yield* mergeBounded(
    scopes.map((scope) => () => listOne(scope)),
    options.concurrency,
  );
}

/**
 * Runs up to `concurrency` async iterables at once and yields their items as they come, each one holding at
 * most one item ahead, so memory stays bounded by the slowest consumer.
 */
async function* mergeBounded<T>(sources: Array<() => AsyncIterable<T>>, concurrency: number): AsyncGenerator<T> {
  type Step = { index: number; result: IteratorResult<T> };
  const running = new Map<number, { iterator: AsyncIterator<T>; next: Promise<Step> }>();
  let started = 0;
  const advance = (index: number, iterator: AsyncIterator<T>) =>
    running.set(index, { iterator, next: iterator.next().then((result) => ({ index, result })) });
  const startNext = () => {
    const index = started++;
    advance(index, sources[index]()[Symbol.asyncIterator]());
  };
  try {
    while (started < sources.length && running.size < Math.max(1, concurrency)) startNext();
    while (running.size > 0) {
      const { index, result } = await Promise.race([...running.values()].map((entry) => entry.next));
      const { iterator } = running.get(index)!;
      if (result.done) {
        running.delete(index);
        if (started < sources.length) startNext();
        continue;
      }
      advance(index, iterator);
      yield result.value;
    }
  } finally {
    // Stopped early (the consumer broke off, or one source threw): nobody awaits the others any more.
    for (const { iterator, next } of running.values()) {
      next.catch(() => undefined);
      void iterator.return?.()?.catch(() => undefined);
    }
  }
}

/** `ErrorName: message (after N attempts)`: what a person needs to see of an SDK error. */
export function describeAwsError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts;
  const name = error.name && error.name !== 'Error' ? `${error.name}: ` : '';
  return `${name}${error.message}${attempts && attempts > 1 ? ` (after ${attempts} attempts)` : ''}`;
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

/**
 * Whether an error may go away by itself (throttling, 5xx, network): then a detail call's failure must not
 * be stored as the place's state, and the next sync tries again.
 */
export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === undefined) return true;
  return status >= 500 || status === 429 || THROTTLING.has(error.name);
}

/**
 * A detail call's refusal of the place (not found since the listing, access denied to it): the place's error, a
 * read that failed (LoadedEntry.readFailed: a place that held a certificate keeps it, marked stale); throttling and
 * 5xx that outlived the SDK's retries reject, so the next sync tries again.
 */
export function placeFailure(operation: string): (error: unknown) => { error: string } {
  return (error) => {
    if (isTransientAwsError(error)) throw error;
    return { error: `${operation}: ${describeAwsError(error)}` };
  };
}

/** A place's entry from the PEM a detail call returned: its first certificate, or the parse error as the place's. */
export function entryFromPem(pem: string, nativeId: string, metadata: LocationMetadata): LoadedEntry {
  try {
    const [certificate] = parseCertificates(pem, nativeId).certificates;
    return { certificate, metadata };
  } catch (error) {
    if (!(error instanceof CertificateParseError)) throw error;
    return { certificate: null, metadata, error: error.message };
  }
}

/** @throws ConfigError unless `hours` is a positive number (Infinity allowed) or undefined. */
export function validateRefreshHours(hours: number | undefined): void {
  if (hours !== undefined && !(hours > 0)) {
    throw new ConfigError(`fullRefreshHours must be a positive number of hours (Infinity for never), got ${hours}`);
  }
}

/** The summary hash of a listed item: what the listing says about it. */
export function summaryHashOf(summary: object): string {
  return contentHash({ summary: withIsoDates(summary) });
}

/** Dates as ISO strings: the canonical JSON behind contentHash sees a Date as an empty object. */
function withIsoDates(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(withIsoDates);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, withIsoDates(field)]));
  }
  return value;
}

/** AWS's `[{Key, Value}]` tags as a record. */
export function tagsOf(tags: Array<{ Key?: string; Value?: string }> | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const { Key, Value } of tags ?? []) if (Key !== undefined) record[Key] = Value ?? '';
  return record;
}
