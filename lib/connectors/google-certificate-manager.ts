import { CertificateManagerClient, type protos } from '@google-cloud/certificate-manager';
import type { AuthClient } from 'google-auth-library';
import pLimit from 'p-limit';
import { CertificateParseError, ConfigError, SourceReadError } from '../domain/errors';
import { resolveOwner, type OwnerSettings } from '../domain/owner';
import type { CertificateSource, EagerEntry, LocationMetadata, SourceItem } from '../ports/certificate-source';
import { parseCertificates } from '../x509/parse';
import { CircuitBreaker } from './circuit-breaker';
import { PUBLISHED_RATES, processRateLimiters, type RateLimiters, type TokenBucket } from './rate-limiter';

type Certificate = protos.google.cloud.certificatemanager.v1.ICertificate;
type ManagedCertificate = protos.google.cloud.certificatemanager.v1.Certificate.IManagedCertificate;
/** gax decodes enums to their names, but the protos' types also allow numbers: these name a number if one comes. */
const ENUM_NAMES = {
  State: { 0: 'STATE_UNSPECIFIED', 1: 'PROVISIONING', 2: 'FAILED', 3: 'ACTIVE' },
  Reason: { 0: 'REASON_UNSPECIFIED', 1: 'AUTHORIZATION_ISSUE', 2: 'RATE_LIMITED' },
  AttemptState: { 0: 'STATE_UNSPECIFIED', 1: 'AUTHORIZING', 6: 'AUTHORIZED', 7: 'FAILED' },
  FailureReason: { 0: 'FAILURE_REASON_UNSPECIFIED', 1: 'CONFIG', 2: 'CAA', 3: 'RATE_LIMITED' },
} as const;

/** The calls the connector makes: list calls only (the listing returns whole resources, PEM included). */
export type CertificateManagerApi = Pick<
  CertificateManagerClient,
  'listCertificates' | 'listCertificateMaps' | 'listCertificateMapEntries'
>;

/** A project and the locations to read in it. */
export interface ProjectLocations {
  project: string;
  locations: string[];
}

export interface RetryPolicy {
  /** Tries per call, the first included, before its project/location is reported as failed. @default 8 */
  maxAttempts?: number;
  /** First back-off when the server names no delay; doubles per attempt, with full jitter. @default 1000 */
  baseDelayMs?: number;
  /** Longest single wait, a server's Retry-After included. @default 60000 */
  maxDelayMs?: number;
  /**
   * Time one call may take before it is cancelled and tried again: on the REST transport gax does not
   * enforce its own timeout, so a stalled connection would otherwise hang the sync. @default 60000
   */
  callTimeoutMs?: number;
  /**
   * Connection failures in a row (refused, reset, DNS, socket timeout) after which a project/location is a
   * failed scope, however many attempts `maxAttempts` has left: an endpoint gone does not come back within a
   * back-off. `Infinity` turns this off. @default 3
   */
  connectionFailuresToFailScope?: number;
}

export interface GoogleCertificateManagerSourceOptions extends OwnerSettings {
  /** The configured source name. */
  name: string;
  /**
   * The client, or a client per project when projects need different credentials. Build one with
   * `createCertificateManagerClient` (REST transport) and `createGoogleAuthClient`.
   */
  client: CertificateManagerApi | ((project: string) => CertificateManagerApi);
  /** Projects to read: an id reads `locations`; an object names its own locations. */
  projects: Array<string | ProjectLocations>;
  /** Locations read in projects given by id. @default ['global'] */
  locations?: string[];
  /** Project/location pairs listed at the same time. @default 4 */
  concurrency?: number;
  /**
   * Requests per second sent to one project, all its locations and every attempt together: a source's configured
   * `requestsPerSecond`, for a quota raised in the console (or shared with other applications).
   * @default PUBLISHED_RATES['google-certificate-manager'].project (5, Google's 300 a minute)
   */
  requestsPerSecond?: number;
  /** Where the projects' buckets live. @default processRateLimiters, shared by every source of the process */
  rateLimiters?: RateLimiters;
  /** Certificates asked for per list call (the server may return fewer). @default 200 */
  pageSize?: number;
  /**
   * Fill `inUseBy` from the certificate maps of each project's `global` location (map entries and the target
   * proxies of their map): the Certificate resource's own `usedBy` is not in the protos of
   * @google-cloud/certificate-manager 2.x, so the REST transport drops it. Costs a list call per map per sync.
   * @default true
   */
  usageFromCertificateMaps?: boolean;
  /**
   * @default { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 60000, callTimeoutMs: 60000,
   * connectionFailuresToFailScope: 3 }
   */
  retry?: RetryPolicy;
}

export interface CertificateManagerClientOptions {
  authClient: AuthClient;
  /** A host other than certificatemanager.googleapis.com (a fake, a private endpoint). */
  apiEndpoint?: string;
  /** @default 443 */
  port?: number;
  /** @default 'https' */
  protocol?: 'http' | 'https';
}

/**
 * A CertificateManagerClient on the REST transport (`fallback: true`): what the tests prove against a wire-level
 * fake is what runs in production, and it needs no gRPC channel in a Lambda.
 */
export function createCertificateManagerClient(options: CertificateManagerClientOptions): CertificateManagerClient {
  const { authClient, apiEndpoint, port, protocol } = options;
  return new CertificateManagerClient({
    fallback: true,
    // google-gax carries its own copy of google-auth-library; gax only calls the client's public methods
    // (getRequestHeaders, fetch), but TypeScript cannot equate two copies of a class with protected members.
    authClient: authClient as unknown as GaxAuthClient,
    ...(apiEndpoint ? { apiEndpoint } : {}),
    ...(port ? { port } : {}),
    ...(protocol ? { protocol } : {}),
  });
}

type GaxAuthClient = NonNullable<ConstructorParameters<typeof CertificateManagerClient>[0]>['authClient'];

const DEFAULT_RETRY: Required<RetryPolicy> = {
  maxAttempts: 8,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  callTimeoutMs: 60_000,
  connectionFailuresToFailScope: 3,
};

/**
 * Certificates in Google Certificate Manager, across projects and locations. A place is a Certificate resource
 * (nativeId = its name, scope = `project/location`); ListCertificates returns every field, PEM included, so the
 * list pages are all the calls a sync makes. A managed certificate still provisioning has no PEM yet and is
 * inventoried from its metadata. A project/location that still fails after retries is reported as a
 * ScopeFailure and the others are read on.
 *
 * Retries are the connector's own. On the REST transport the SDK's errors carry the HTTP status (or a socket
 * error name) in `code`, while gax retries only gRPC codes (UNAVAILABLE for ListCertificates): so gax retries
 * nothing, and it would never honour Retry-After anyway. Each call is retried here on 408/429/5xx, gRPC
 * DEADLINE_EXCEEDED/RESOURCE_EXHAUSTED/ABORTED/UNAVAILABLE and socket errors, waiting what the server asks
 * (Retry-After or google.rpc.RetryInfo) or else an exponential back-off; a throttled call also holds back every
 * other call to the same project, whose quota it shares. Before that, every attempt takes a token of the
 * project's bucket (`google-certificate-manager/<project>`, at `requestsPerSecond`), so a sync stays within the
 * project's quota rather than learning it from throttles.
 */
export class GoogleCertificateManagerSource implements CertificateSource {
  readonly kind = 'google-certificate-manager' as const;
  readonly name: string;
  private readonly clientFor: (project: string) => CertificateManagerApi;
  private readonly scopes: Array<{ project: string; location: string }>;
  private readonly concurrency: number;
  private readonly pageSize: number;
  private readonly usageFromMaps: boolean;
  private readonly retry: Required<RetryPolicy>;
  private readonly owners: OwnerSettings;
  /** Each project's request rate, shared by its locations. */
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(options: GoogleCertificateManagerSourceOptions) {
    this.name = options.name;
    const { client } = options;
    this.clientFor = typeof client === 'function' ? client : () => client;
    const defaultLocations = options.locations ?? ['global'];
    const problems: string[] = [];
    this.scopes = [];
    const seen = new Set<string>();
    for (const entry of options.projects) {
      const { project, locations } =
        typeof entry === 'string' ? { project: entry, locations: defaultLocations } : entry;
      if (!/^[a-z0-9][a-z0-9.:-]*$/.test(project)) problems.push(`project "${project}" is not a project id`);
      if (locations.length === 0) problems.push(`project "${project}" has no locations`);
      for (const location of locations) {
        if (!/^[a-z0-9-]+$/.test(location))
          problems.push(`location "${location}" of project "${project}" is not a location id`);
        const key = `${project}/${location}`;
        if (!seen.has(key)) this.scopes.push({ project, location });
        seen.add(key);
      }
    }
    if (options.projects.length === 0) problems.push('projects is empty');
    this.concurrency = options.concurrency ?? 4;
    this.pageSize = options.pageSize ?? 200;
    if (!(this.concurrency >= 1)) problems.push('concurrency must be at least 1');
    if (!(this.pageSize >= 1)) problems.push('pageSize must be at least 1');
    const requestsPerSecond = options.requestsPerSecond ?? PUBLISHED_RATES['google-certificate-manager'].project;
    if (!(requestsPerSecond > 0)) problems.push('requestsPerSecond must be positive');
    if (problems.length > 0)
      throw new ConfigError(`google-certificate-manager source "${this.name}": ${problems.join('; ')}`);
    this.usageFromMaps = options.usageFromCertificateMaps ?? true;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.owners = { ownerTagKeys: options.ownerTagKeys, defaultOwner: options.defaultOwner };
    const limiters = options.rateLimiters ?? processRateLimiters;
    for (const { project } of this.scopes) {
      this.buckets.set(project, limiters.bucket(`google-certificate-manager/${project}`, requestsPerSecond));
    }
  }

  async *list(signal?: AbortSignal): AsyncIterable<SourceItem> {
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const channel = new PageChannel<SourceItem[]>(this.concurrency * 2);
    const pacers = new Map<string, Pacer>();
    const limit = pLimit(this.concurrency);
    const pacerOf = (project: string) => {
      if (!pacers.has(project)) pacers.set(project, new Pacer());
      return pacers.get(project)!;
    };
    // A reader that breaks (not a scope that fails: that is an item) ends the whole listing at once.
    const read = (scope: { project: string; location: string }) =>
      this.readScope(scope, pacerOf(scope.project), channel, stop.signal).catch((error: unknown) => {
        channel.fail(error);
        stop.abort(error);
      });
    const readers = Promise.all(this.scopes.map((scope) => limit(() => read(scope)))).then(() => channel.close());
    try {
      for await (const items of channel) yield* items;
    } finally {
      // Also reached when the consumer stops early: the readers must not go on calling the API.
      stop.abort();
      channel.fail(new Error('listing stopped'));
      await readers;
      signal?.removeEventListener('abort', onAbort);
    }
    signal?.throwIfAborted();
  }

  private async readScope(
    { project, location }: { project: string; location: string },
    pacer: Pacer,
    channel: PageChannel<SourceItem[]>,
    signal: AbortSignal,
  ): Promise<void> {
    if (signal.aborted) return;
    const scope = `${project}/${location}`;
    const parent = `projects/${project}/locations/${location}`;
    const client = this.clientFor(project);
    // The scope's calls are made one after another, so the breaker only has attempts to count, none to abort.
    const calls = {
      pacer,
      bucket: this.buckets.get(project)!,
      signal,
      breaker: new CircuitBreaker({ scope, threshold: this.retry.connectionFailuresToFailScope }),
    };
    try {
      const { usage, warning } = await this.usageOf(client, parent, location, calls);
      let pageToken: string | undefined;
      let warned = false;
      do {
        const request = { parent, pageSize: this.pageSize, pageToken };
        const [certificates, next, response] = await this.call('ListCertificates', parent, calls, () =>
          client.listCertificates(request, PAGE_CALL),
        );
        const items: SourceItem[] = certificates.map((certificate) => {
          const entry = this.entryOf(project, location, certificate, usage);
          // Warnings travel on entries: the scope's one goes with its first certificate, once per sync.
          if (warning === undefined || warned) return entry;
          warned = true;
          return { ...entry, warnings: [...(entry.warnings ?? []), warning] };
        });
        // The server said part of the collection could not be read: what it did return is kept, but the
        // scope's unseen places must not become tombstones.
        const unreachable = response?.unreachable ?? [];
        if (unreachable.length > 0)
          items.push({
            failedScope: scope,
            message: `ListCertificates ${parent}: unreachable ${unreachable.join(', ')}`,
          });
        await channel.push(items);
        pageToken = next?.pageToken || undefined;
      } while (pageToken);
    } catch (error) {
      if (signal.aborted) return;
      if (!(error instanceof SourceReadError)) throw error;
      await channel.push([{ failedScope: scope, message: error.message }]);
    }
  }

  /**
   * The scope's usage from its certificate maps, when asked for (`global` only: maps live there), or undefined
   * with a warning when the maps cannot be read: the API not enabled (404), no permission to list them (403),
   * or failing after the retries. Usage is an enrichment; the scope's certificates are synced all the same.
   * A scope whose connection is gone fails at its ListCertificates, which the breaker then refuses.
   */
  private async usageOf(
    client: CertificateManagerApi,
    parent: string,
    location: string,
    calls: ScopeCalls,
  ): Promise<{ usage?: Map<string, Set<string>>; warning?: string }> {
    if (!this.usageFromMaps || location !== 'global') return { usage: new Map() };
    try {
      return { usage: await this.usageInMaps(client, parent, calls) };
    } catch (error) {
      if (!(error instanceof SourceReadError) || calls.signal.aborted) throw error;
      return {
        warning: `${parent}: usage unknown (in-use-by kept as last read), the certificate maps: ${error.message}`,
      };
    }
  }

  /**
   * Certificate (by `locations/…/certificates/…`) → the map entries that serve it and the target proxies of their
   * maps. Keyed without the project, which a name may spell as id or number.
   */
  private async usageInMaps(
    client: CertificateManagerApi,
    parent: string,
    calls: ScopeCalls,
  ): Promise<Map<string, Set<string>>> {
    const usage = new Map<string, Set<string>>();
    let mapsToken: string | undefined;
    do {
      const request = { parent, pageSize: this.pageSize, pageToken: mapsToken };
      const [maps, next] = await this.call('ListCertificateMaps', parent, calls, () =>
        client.listCertificateMaps(request, PAGE_CALL),
      );
      for (const map of maps) {
        if (!map.name) continue;
        const targets = (map.gclbTargets ?? [])
          .map((target) => target.targetHttpsProxy || target.targetSslProxy)
          .filter((target): target is string => Boolean(target));
        let entriesToken: string | undefined;
        do {
          const entriesRequest = { parent: map.name, pageSize: this.pageSize, pageToken: entriesToken };
          const [entries, nextEntries] = await this.call('ListCertificateMapEntries', map.name, calls, () =>
            client.listCertificateMapEntries(entriesRequest, PAGE_CALL),
          );
          for (const entry of entries) {
            for (const certificate of entry.certificates ?? []) {
              const key = withinProject(certificate);
              if (!usage.has(key)) usage.set(key, new Set());
              const users = usage.get(key)!;
              if (entry.name) users.add(entry.name);
              for (const target of targets) users.add(target);
            }
          }
          entriesToken = nextEntries?.pageToken || undefined;
        } while (entriesToken);
      }
      mapsToken = next?.pageToken || undefined;
    } while (mapsToken);
    return usage;
  }

  private entryOf(
    project: string,
    location: string,
    certificate: Certificate,
    usage: Map<string, Set<string>> | undefined,
  ): EagerEntry {
    const name = certificate.name ?? '';
    const labels = { ...(certificate.labels ?? {}) };
    const managed = certificate.managed ?? null;
    // `usedBy` exists in the API but not in the SDK's protos today; read it should a newer SDK decode it.
    const usedBy = (certificate as { usedBy?: Array<{ name?: string | null }> }).usedBy ?? [];
    const users = [...(usage?.get(withinProject(name)) ?? []), ...usedBy.map((user) => user.name ?? '')];
    // Unknown usage (maps unreadable) is left out, not a usage of none: the place keeps what it recorded.
    const inUseBy = usage || users.length > 0 ? [...new Set(users)].filter(Boolean).sort() : undefined;
    const metadata: LocationMetadata = {
      owner: resolveOwner(labels, this.owners),
      tags: labels,
      account: project,
      region: location,
      providerStatus: managed ? enumName(managed.state, ENUM_NAMES.State) : undefined,
      managed: managed !== null,
      inUseBy,
      renewal: managed ? 'google-managed' : 'manual',
      problem: managed ? managedIssues(managed) : undefined,
    };
    const place = { nativeId: name, scope: `${project}/${location}`, role: 'leaf' as const, metadata };
    const pem = certificate.pemCertificate ?? '';
    if (!pem) {
      // A managed certificate has no PEM before it is first issued (its problem, if any, says why).
      const waiting = managed && enumName(managed.state, ENUM_NAMES.State) !== 'ACTIVE';
      const error = waiting ? undefined : 'no certificate returned (pemCertificate is empty)';
      return { ...place, certificate: null, error: error && `${name}: ${error}` };
    }
    try {
      // The chain's CA certificates are not places of this source, so only the leaf (first) is read.
      const parsed = parseCertificates(LEAF_PEM.exec(pem)?.[0] ?? pem, name);
      return {
        ...place,
        certificate: parsed.certificates[0],
        error: parsed.problems.length > 0 ? `${name}: ${parsed.problems.join('; ')}` : undefined,
        warnings:
          parsed.privateKeysDropped > 0
            ? [`${name}: pemCertificate holds ${parsed.privateKeysDropped} private key(s); ignored, never stored`]
            : undefined,
      };
    } catch (error) {
      if (!(error instanceof CertificateParseError)) throw error;
      return { ...place, certificate: null, error: `${name}: ${error.message}` };
    }
  }

  /** One API call with the connector's retries; a SourceReadError once it gives up. */
  private async call<T>(
    operation: string,
    parent: string,
    { pacer, bucket, signal, breaker }: ScopeCalls,
    invoke: () => Promise<T>,
  ): Promise<T> {
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.retry;
    for (let attempt = 1; ; attempt++) {
      // A token awaited while a throttle began a hold is given up: after the hold the waiting calls take new
      // tokens one by one, rather than all going at once with the ones they took before it.
      do {
        await pacer.ready(signal);
        await bucket.take(signal);
      } while (pacer.holding);
      try {
        const result = await withTimeout(invoke, this.retry.callTimeoutMs, signal);
        breaker.recordSuccess();
        return result;
      } catch (error) {
        signal.throwIfAborted();
        if (breaker.recordFailure(error)) {
          throw new SourceReadError(`${operation} ${parent}: unreachable: ${breaker.failure!.message}`, {
            cause: error,
          });
        }
        const facts = googleErrorFacts(error);
        if (!facts.transient || attempt >= maxAttempts) {
          const tries = attempt > 1 ? ` (after ${attempt} attempts)` : '';
          throw new SourceReadError(`${operation} ${parent}: ${facts.description}${tries}`, { cause: error });
        }
        const backoff = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        const wait = Math.min(maxDelayMs, facts.retryAfterMs ?? backoff);
        if (facts.throttled) pacer.holdFor(wait);
        await sleep(wait, signal);
      }
    }
  }
}

/** What every call of one listing of a project/location goes through. */
interface ScopeCalls {
  pacer: Pacer;
  /** The project's request rate, shared by its locations: every attempt takes a token. */
  bucket: TokenBucket;
  signal: AbortSignal;
  breaker: CircuitBreaker;
}

const LEAF_PEM = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/;

/** Our retries replace gax's (see the class comment), so gax makes exactly one HTTP request per call. */
const PAGE_CALL = { autoPaginate: false, retry: null } as const;

const withinProject = (name: string) => name.replace(/^projects\/[^/]+\//, '');

function enumName<T extends Record<number, string>>(value: unknown, names: T): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'number' ? (names[value] ?? String(value)) : String(value);
}

/** What a person must look at: a failed provisioning, a provisioning issue, a domain that cannot be authorized. */
export function managedIssues(managed: ManagedCertificate): string | undefined {
  const state = enumName(managed.state, ENUM_NAMES.State) ?? 'STATE_UNSPECIFIED';
  const problems: string[] = [];
  if (state === 'FAILED') problems.push('provisioning failed');
  const issue = managed.provisioningIssue;
  const reason = enumName(issue?.reason, ENUM_NAMES.Reason);
  if (reason && reason !== 'REASON_UNSPECIFIED') problems.push(issue?.details ? `${reason}: ${issue.details}` : reason);
  for (const attempt of managed.authorizationAttemptInfo ?? []) {
    if (enumName(attempt.state, ENUM_NAMES.AttemptState) !== 'FAILED') continue;
    const why = [enumName(attempt.failureReason, ENUM_NAMES.FailureReason), attempt.details].filter(Boolean).join(': ');
    problems.push(`${attempt.domain}: authorization failed${why ? ` (${why})` : ''}`);
  }
  return problems.length > 0 ? `managed certificate ${state}: ${problems.join('; ')}` : undefined;
}

interface GoogleErrorFacts {
  transient: boolean;
  throttled: boolean;
  retryAfterMs?: number;
  description: string;
}

const TRANSIENT_HTTP = new Set([408, 429, 500, 502, 503, 504]);
/** DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE. */
const TRANSIENT_GRPC = new Set([4, 8, 10, 14]);
const TRANSIENT_SOCKET = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'TimeoutError',
]);
const GRPC_NAMES: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  10: 'ABORTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};

interface ErrorBody {
  code?: number;
  status?: string;
  message?: string;
  details?: Array<{ '@type'?: string; retryDelay?: string | { seconds?: string | number; nanos?: number } }>;
}

/**
 * Reads the two shapes an SDK call can fail with: a GaxiosError on the REST transport (`status` = HTTP status,
 * the JSON error body as `message`, headers on `response`), or a GoogleError with a gRPC `code` (the gRPC
 * transport, and gax's own timeouts).
 */
export function googleErrorFacts(error: unknown): GoogleErrorFacts {
  const fields = (error ?? {}) as {
    code?: unknown;
    status?: unknown;
    message?: unknown;
    details?: unknown;
    statusDetails?: unknown;
    response?: { status?: number; headers?: { get?(name: string): string | null } };
  };
  const message = typeof fields.message === 'string' ? fields.message : String(error);
  let body: ErrorBody | undefined;
  if (message.startsWith('{')) {
    try {
      body = (JSON.parse(message) as { error?: ErrorBody }).error;
    } catch {
      body = undefined;
    }
  }
  const httpStatus =
    typeof fields.status === 'number'
      ? fields.status
      : typeof fields.response?.status === 'number'
        ? fields.response.status
        : undefined;
  const grpcCode = typeof fields.code === 'number' && fields.code < 100 ? fields.code : undefined;
  const socketCode = socketErrorCode(error);

  const retryAfterHeader = fields.response?.headers?.get?.('retry-after') ?? null;
  const delays = [
    retryAfterHeader !== null ? parseRetryAfter(retryAfterHeader) : undefined,
    ...(body?.details ?? []).map(retryInfoDelay),
    ...(Array.isArray(fields.statusDetails) ? fields.statusDetails.map(retryInfoDelay) : []),
  ].filter((delay): delay is number => delay !== undefined);

  const transient =
    (httpStatus !== undefined && TRANSIENT_HTTP.has(httpStatus)) ||
    (grpcCode !== undefined && TRANSIENT_GRPC.has(grpcCode)) ||
    (socketCode !== undefined && TRANSIENT_SOCKET.has(socketCode));
  const throttled = httpStatus === 429 || grpcCode === 8 || body?.status === 'RESOURCE_EXHAUSTED';
  const statusWord = body?.status ?? (grpcCode !== undefined ? GRPC_NAMES[grpcCode] : undefined);
  const code = [httpStatus ?? body?.code, statusWord, socketCode].filter(Boolean).join(' ');
  const text = body?.message ?? message;
  const description = code && !text.includes(code) ? `${code}: ${text}` : text;
  return {
    transient,
    throttled,
    retryAfterMs: delays.length > 0 ? Math.max(...delays) : undefined,
    description,
  };
}

/** node-fetch puts the socket error's code on the error; native fetch buries it in `cause` ("fetch failed"). */
function socketErrorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function parseRetryAfter(value: string): number | undefined {
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function retryInfoDelay(detail: unknown): number | undefined {
  const info = detail as { '@type'?: string; retryDelay?: unknown } | null;
  if (!info || !String(info['@type'] ?? '').endsWith('google.rpc.RetryInfo')) return undefined;
  const delay = info.retryDelay;
  if (typeof delay === 'string' && /^\d+(\.\d+)?s$/.test(delay)) return Math.round(parseFloat(delay) * 1000);
  if (delay && typeof delay === 'object') {
    const { seconds = 0, nanos = 0 } = delay as { seconds?: string | number; nanos?: number };
    return Number(seconds) * 1000 + Math.round(nanos / 1e6);
  }
  return undefined;
}

/** Runs one SDK call, cancelling it (gax's promises have `cancel`) on timeout or abort. */
function withTimeout<T>(invoke: () => Promise<T>, ms: number, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const pending = invoke() as Promise<T> & { cancel?: () => void };
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      pending.cancel?.();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      finish();
      pending.cancel?.();
      reject(Object.assign(new Error(`no response within ${ms} ms`), { code: 'TimeoutError' }));
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (value) => {
        finish();
        resolve(value);
      },
      (error: unknown) => {
        finish();
        reject(error);
      },
    );
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Holds every call to one project back after it was throttled: the quota is the project's, not the call's. */
class Pacer {
  private notBefore = 0;

  holdFor(ms: number): void {
    this.notBefore = Math.max(this.notBefore, Date.now() + ms);
  }

  get holding(): boolean {
    return this.notBefore > Date.now();
  }

  async ready(signal: AbortSignal): Promise<void> {
    for (let wait = this.notBefore - Date.now(); wait > 0; wait = this.notBefore - Date.now()) {
      await sleep(wait, signal);
    }
    signal.throwIfAborted();
  }
}

/**
 * Hands pages from the concurrent scope readers to the one consumer of `list()`, holding at most `capacity`
 * pages: a reader waits while the consumer (the sync writing to the store) is behind, so memory stays bounded.
 */
class PageChannel<T> implements AsyncIterable<T> {
  private readonly queue: T[] = [];
  private readonly blockedWriters: Array<() => void> = [];
  private wakeReader: (() => void) | null = null;
  private done = false;
  private failure: { error: unknown } | null = null;

  constructor(private readonly capacity: number) {}

  async push(item: T): Promise<void> {
    while (this.queue.length >= this.capacity && !this.done) {
      await new Promise<void>((resolve) => this.blockedWriters.push(resolve));
    }
    if (this.done) throw this.failure?.error ?? new Error('channel closed');
    this.queue.push(item);
    this.wake();
  }

  close(): void {
    this.done = true;
    this.wake();
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.failure = { error };
    this.close();
  }

  private wake(): void {
    this.wakeReader?.();
    this.wakeReader = null;
    if (this.done) for (const writer of this.blockedWriters.splice(0)) writer();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.queue.length > 0) {
        yield this.queue.shift()!;
        this.blockedWriters.shift()?.();
        continue;
      }
      if (this.failure) throw this.failure.error;
      if (this.done) return;
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
  }
}
