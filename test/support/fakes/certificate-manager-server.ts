import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { holdResponse } from '../virtual-time';
import { seededRandom } from './seeded-random';

/**
 * A local Certificate Manager speaking the REST (HTTP/1.1 + JSON) transport that
 * `new CertificateManagerClient({ fallback: true })` uses: the paths of the service's `google.api.http` rules
 * (`GET /v1/{parent=projects/*\/locations/*}/certificates`, …), proto3 JSON in lowerCamelCase, `pageSize` /
 * `pageToken` query parameters, integer enums when the client asks for `$alt=json;enum-encoding=int` (it always
 * does), and errors as `{"error":{"code","status","message","details"}}`. Every request needs
 * `Authorization: Bearer …`: a fixed access token, or a self-signed service-account JWT whose signature is checked.
 */

export type ManagedState = 'PROVISIONING' | 'FAILED' | 'ACTIVE';

/** A certificate as the API returns it (string enums here; integers on the wire when asked). */
export interface CertificateResource {
  name: string;
  description?: string;
  createTime?: string;
  updateTime?: string;
  labels?: Record<string, string>;
  /** Present (empty: its fields are input only) for self-managed certificates. */
  selfManaged?: Record<string, never>;
  managed?: {
    domains?: string[];
    dnsAuthorizations?: string[];
    state?: ManagedState;
    provisioningIssue?: { reason: 'AUTHORIZATION_ISSUE' | 'RATE_LIMITED'; details?: string };
    authorizationAttemptInfo?: Array<{
      domain: string;
      state: 'AUTHORIZING' | 'AUTHORIZED' | 'FAILED';
      failureReason?: 'CONFIG' | 'CAA' | 'RATE_LIMITED';
      details?: string;
    }>;
  };
  sanDnsnames?: string[];
  pemCertificate?: string;
  expireTime?: string;
  scope?: 'DEFAULT' | 'EDGE_CACHE' | 'ALL_REGIONS';
}

export interface CertificateMapResource {
  name: string;
  gclbTargets?: Array<{ targetHttpsProxy?: string; targetSslProxy?: string }>;
}

export interface CertificateMapEntryResource {
  name: string;
  hostname?: string;
  certificates: string[];
}

export type Operation =
  'ListCertificates' | 'GetCertificate' | 'ListCertificateMaps' | 'ListCertificateMapEntries' | 'Other';

export type Outcome = 'ok' | 'throttled' | 'unavailable' | 'failed' | 'unauthenticated' | 'stalled';

export interface RecordedCall {
  operation: Operation;
  outcome: Outcome;
  /** The collection listed (`projects/p/locations/l`, or a certificate map). */
  parent: string;
  pageToken: string;
  at: number;
}

export interface FaultPlan {
  /** Share of calls answered 429 RESOURCE_EXHAUSTED. @default 0 */
  throttleRate?: number;
  /** Retry-After (and google.rpc.RetryInfo) sent with each 429. @default 0 */
  retryAfterSeconds?: number;
  /** Share of calls answered 503 UNAVAILABLE. @default 0 */
  unavailableRate?: number;
  /**
   * Random faults in a row for one request (same collection and page) before it is let through, so that a
   * client with enough retries always gets there and a test never flakes on a long unlucky streak. @default 3
   */
  maxConsecutiveFaults?: number;
  /** @default 1 */
  seed?: number;
  /** Only calls on these collections get random faults. @default every collection */
  faultParents?: string[];
  /** Delay before every successful response (faults answer at once). @default 0 */
  latencyMs?: number;
}

export type BearerCheck =
  | { accessToken: string }
  /** A service account's self-signed JWT (what google-auth-library's JWT client sends with `useJWTAccessWithScope`). */
  | { serviceAccountEmail: string; publicKeyPem: string; scope: string };

const ENUMS: Record<string, Record<string, number>> = {
  state: { STATE_UNSPECIFIED: 0, PROVISIONING: 1, FAILED: 2, ACTIVE: 3 },
  reason: { REASON_UNSPECIFIED: 0, AUTHORIZATION_ISSUE: 1, RATE_LIMITED: 2 },
  attemptState: { STATE_UNSPECIFIED: 0, AUTHORIZING: 1, AUTHORIZED: 6, FAILED: 7 },
  failureReason: { FAILURE_REASON_UNSPECIFIED: 0, CONFIG: 1, CAA: 2, RATE_LIMITED: 3 },
  scope: { DEFAULT: 0, EDGE_CACHE: 1, ALL_REGIONS: 2 },
};

const GRPC_STATUS_OF_HTTP: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** Sorted by name, so pages are stable while the collection changes between calls. */
class Collection<T extends { name: string }> {
  private readonly items = new Map<string, T>();
  private sorted: T[] | null = null;

  put(item: T): void {
    this.items.set(item.name, item);
    this.sorted = null;
  }

  delete(name: string): boolean {
    this.sorted = null;
    return this.items.delete(name);
  }

  get(name: string): T | undefined {
    return this.items.get(name);
  }

  get size(): number {
    return this.items.size;
  }

  all(): T[] {
    this.sorted ??= [...this.items.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    return this.sorted;
  }

  /** Keyset pagination: the page after `afterName`. */
  page(afterName: string, size: number): { items: T[]; last: string | null } {
    const all = this.all();
    let start = 0;
    if (afterName) {
      let low = 0;
      let high = all.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (all[middle].name <= afterName) low = middle + 1;
        else high = middle;
      }
      start = low;
    }
    const items = all.slice(start, start + size);
    const more = start + size < all.length;
    return { items, last: more ? items[items.length - 1].name : null };
  }
}

const base64url = (text: string) => Buffer.from(text).toString('base64url');

export class FakeCertificateManager {
  /** Every request, in arrival order. */
  readonly calls: RecordedCall[] = [];
  /** Page size used when the client sends none. @default 50 */
  defaultPageSize = 50;
  /** The server's own ceiling, whatever the client asks. @default 500 */
  maxPageSize = 500;

  private readonly certificates = new Map<string, Collection<CertificateResource>>();
  private readonly maps = new Map<string, Collection<CertificateMapResource>>();
  private readonly mapEntries = new Map<string, Collection<CertificateMapEntryResource>>();
  private readonly failing = new Map<string, number>();
  private readonly stalling = new Set<string>();
  private readonly streaks = new Map<string, number>();
  private faults: Required<Omit<FaultPlan, 'faultParents'>> & Pick<FaultPlan, 'faultParents'> = {
    throttleRate: 0,
    retryAfterSeconds: 0,
    unavailableRate: 0,
    maxConsecutiveFaults: 3,
    seed: 1,
    latencyMs: 0,
  };
  private random = seededRandom(1);
  private publicKey: KeyObject | null = null;

  private constructor(
    private readonly server: Server,
    private readonly bearer: BearerCheck,
  ) {
    if ('publicKeyPem' in bearer) this.publicKey = createPublicKey(bearer.publicKeyPem);
  }

  static async start(bearer: BearerCheck = { accessToken: 'fake-access-token' }): Promise<FakeCertificateManager> {
    const server = createServer();
    const fake = new FakeCertificateManager(server, bearer);
    server.on('request', (request, response) => fake.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** What to give `new CertificateManagerClient({ fallback: true, ...endpoint })`. */
  get endpoint(): { apiEndpoint: string; port: number; protocol: 'http' } {
    return { apiEndpoint: '127.0.0.1', port: (this.server.address() as AddressInfo).port, protocol: 'http' };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // --- state -------------------------------------------------------------------------------------------------

  /** Creates or replaces a certificate (a renewal keeps the name and changes `pemCertificate`). */
  putCertificate(certificate: CertificateResource): void {
    const parent = certificate.name.split('/certificates/')[0];
    if (!this.certificates.has(parent)) this.certificates.set(parent, new Collection());
    this.certificates.get(parent)!.put(structuredClone(certificate));
  }

  deleteCertificate(name: string): void {
    const parent = name.split('/certificates/')[0];
    if (!this.certificates.get(parent)?.delete(name)) throw new Error(`no certificate ${name}`);
  }

  getCertificate(name: string): CertificateResource | undefined {
    return this.certificates.get(name.split('/certificates/')[0])?.get(name);
  }

  putCertificateMap(map: CertificateMapResource, entries: CertificateMapEntryResource[]): void {
    const parent = map.name.split('/certificateMaps/')[0];
    if (!this.maps.has(parent)) this.maps.set(parent, new Collection());
    this.maps.get(parent)!.put(structuredClone(map));
    const collection = new Collection<CertificateMapEntryResource>();
    for (const entry of entries) collection.put(structuredClone(entry));
    this.mapEntries.set(map.name, collection);
  }

  /** Every certificate held, by collection (`projects/p/locations/l`). */
  parents(): string[] {
    return [...this.certificates.keys()];
  }

  certificatesIn(parent: string): CertificateResource[] {
    return this.certificates.get(parent)?.all() ?? [];
  }

  /**
   * (name, SHA-256 of the first certificate's DER) for every certificate held, computed here from the PEM
   * without certwarden's parser, so that the comparison with the inventory is independent of it.
   */
  expectedInventory(parents = this.parents()): string[] {
    return parents
      .flatMap((parent) => this.certificatesIn(parent))
      .map((certificate) => `${certificate.name} ${pemFingerprint(certificate.pemCertificate) ?? 'none'}`)
      .sort();
  }

  // --- faults and counting -----------------------------------------------------------------------------------

  setFaults(plan: FaultPlan): void {
    this.faults = { ...this.faults, ...plan };
    this.random = seededRandom(this.faults.seed);
    this.streaks.clear();
  }

  /**
   * Every call on this collection fails with `httpStatus` until `restore`; given an operation, only its calls
   * (ListCertificateMaps and ListCertificates share the location as their collection).
   */
  failParent(parent: string, httpStatus = 503, operation?: Operation): void {
    this.failing.set(operation ? `${operation} ${parent}` : parent, httpStatus);
  }

  restoreParent(parent: string): void {
    for (const key of [...this.failing.keys()])
      if (key === parent || key.endsWith(` ${parent}`)) this.failing.delete(key);
    this.stalling.delete(parent);
  }

  /** Calls on this collection are accepted and never answered (a stalled connection), until `restore`. */
  stallParent(parent: string): void {
    this.stalling.add(parent);
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  /** Calls by operation (and outcome, with `outcome`). */
  count(operation?: Operation, outcome?: Outcome): number {
    return this.calls.filter(
      (call) => (!operation || call.operation === operation) && (!outcome || call.outcome === outcome),
    ).length;
  }

  countsByOperation(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const call of this.calls) counts[call.operation] = (counts[call.operation] ?? 0) + 1;
    return counts;
  }

  // --- the wire ----------------------------------------------------------------------------------------------

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://fake');
    const route = this.route(request.method ?? 'GET', url.pathname);
    const pageToken = url.searchParams.get('pageToken') ?? '';
    const call: RecordedCall = { operation: route.operation, outcome: 'ok', parent: route.parent, pageToken, at: 0 };
    call.at = Date.now();
    this.calls.push(call);
    const integerEnums = (url.searchParams.get('$alt') ?? '').includes('enum-encoding=int');

    if (!this.authorized(request.headers.authorization)) {
      call.outcome = 'unauthenticated';
      return this.error(response, 401, 'Request had invalid authentication credentials.');
    }
    if (route.operation === 'Other') {
      call.outcome = 'failed';
      return this.error(response, 404, `${request.method} ${url.pathname} is not served by this fake`);
    }
    if (this.stalling.has(route.parent)) {
      call.outcome = 'stalled';
      holdResponse(request.socket);
      return;
    }
    const persistent =
      this.failing.get(`${route.operation} ${route.parent}`) ??
      this.failing.get(route.parent) ??
      this.failing.get(route.parent.split('/certificateMaps/')[0]);
    if (persistent !== undefined) {
      call.outcome = persistent === 503 ? 'unavailable' : 'failed';
      return this.error(response, persistent, `${route.parent} cannot be read right now`);
    }
    const faultable = !this.faults.faultParents || this.faults.faultParents.includes(route.parent);
    const fault = faultable ? this.randomFault(`${route.operation} ${route.parent} ${pageToken}`) : null;
    if (fault === 'throttled') {
      call.outcome = 'throttled';
      const seconds = this.faults.retryAfterSeconds;
      return this.error(response, 429, 'Quota exceeded for quota metric Read requests per minute.', {
        'retry-after': String(seconds),
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${seconds}s` }],
      });
    }
    if (fault === 'unavailable') {
      call.outcome = 'unavailable';
      return this.error(response, 503, 'The service is currently unavailable.');
    }

    const pageSize = Math.min(Number(url.searchParams.get('pageSize')) || this.defaultPageSize, this.maxPageSize);
    let after = '';
    if (pageToken) {
      try {
        const token = JSON.parse(Buffer.from(pageToken, 'base64url').toString()) as { p: string; a: string };
        if (token.p !== route.parent) throw new Error('token of another collection');
        after = token.a;
      } catch {
        call.outcome = 'failed';
        return this.error(response, 400, 'Invalid page token.');
      }
    }
    const nextToken = (last: string | null) => (last ? base64url(JSON.stringify({ p: route.parent, a: last })) : '');

    switch (route.operation) {
      case 'ListCertificates': {
        const page = (this.certificates.get(route.parent) ?? new Collection<CertificateResource>()).page(
          after,
          pageSize,
        );
        return this.json(response, 200, {
          certificates: page.items.map((item) => (integerEnums ? withIntegerEnums(item) : item)),
          nextPageToken: nextToken(page.last),
        });
      }
      case 'GetCertificate': {
        const certificate = this.getCertificate(route.parent);
        if (!certificate) return this.error(response, 404, `Resource '${route.parent}' was not found`);
        return this.json(response, 200, integerEnums ? withIntegerEnums(certificate) : certificate);
      }
      case 'ListCertificateMaps': {
        const page = (this.maps.get(route.parent) ?? new Collection<CertificateMapResource>()).page(after, pageSize);
        return this.json(response, 200, { certificateMaps: page.items, nextPageToken: nextToken(page.last) });
      }
      case 'ListCertificateMapEntries': {
        const entries = this.mapEntries.get(route.parent);
        if (!entries) return this.error(response, 404, `Resource '${route.parent}' was not found`);
        const page = entries.page(after, pageSize);
        return this.json(response, 200, { certificateMapEntries: page.items, nextPageToken: nextToken(page.last) });
      }
    }
  }

  private route(method: string, path: string): { operation: Operation; parent: string } {
    const segments = decodeURIComponent(path).split('/').filter(Boolean);
    if (method !== 'GET' || segments[0] !== 'v1') return { operation: 'Other', parent: path };
    const [, projects, , locations, , collection, id, sub] = segments;
    if (projects !== 'projects' || locations !== 'locations') return { operation: 'Other', parent: path };
    const parent = segments.slice(1, 5).join('/');
    if (collection === 'certificates' && segments.length === 6) return { operation: 'ListCertificates', parent };
    if (collection === 'certificates' && segments.length === 7)
      return { operation: 'GetCertificate', parent: `${parent}/certificates/${id}` };
    if (collection === 'certificateMaps' && segments.length === 6) return { operation: 'ListCertificateMaps', parent };
    if (collection === 'certificateMaps' && sub === 'certificateMapEntries' && segments.length === 8)
      return { operation: 'ListCertificateMapEntries', parent: `${parent}/certificateMaps/${id}` };
    return { operation: 'Other', parent: path };
  }

  private randomFault(requestKey: string): 'throttled' | 'unavailable' | null {
    const { throttleRate, unavailableRate, maxConsecutiveFaults } = this.faults;
    if (throttleRate + unavailableRate === 0) return null;
    const streak = this.streaks.get(requestKey) ?? 0;
    const draw = this.random();
    const fault =
      streak >= maxConsecutiveFaults
        ? null
        : draw < throttleRate
          ? 'throttled'
          : draw < throttleRate + unavailableRate
            ? 'unavailable'
            : null;
    if (fault) this.streaks.set(requestKey, streak + 1);
    else this.streaks.delete(requestKey);
    return fault;
  }

  private authorized(header: string | undefined): boolean {
    const match = /^Bearer (\S+)$/.exec(header ?? '');
    if (!match) return false;
    if ('accessToken' in this.bearer) return match[1] === this.bearer.accessToken;
    const [head, payload, signature] = match[1].split('.');
    if (!head || !payload || !signature) return false;
    const valid = verify(
      'RSA-SHA256',
      Buffer.from(`${head}.${payload}`),
      this.publicKey!,
      Buffer.from(signature, 'base64url'),
    );
    if (!valid) return false;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    return (
      claims.iss === this.bearer.serviceAccountEmail &&
      claims.sub === this.bearer.serviceAccountEmail &&
      String(claims.scope ?? '')
        .split(' ')
        .includes(this.bearer.scope) &&
      typeof claims.exp === 'number' &&
      claims.exp * 1000 > Date.now()
    );
  }

  private json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (status === 200 && this.faults.latencyMs > 0) {
      const release = holdResponse(response.socket!);
      setTimeout(() => {
        this.send(response, status, body, headers);
        release();
      }, this.faults.latencyMs);
      return;
    }
    this.send(response, status, body, headers);
  }

  private send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
    response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    response.end(JSON.stringify(body));
  }

  private error(
    response: ServerResponse,
    status: number,
    message: string,
    extra: { 'retry-after'?: string; details?: unknown[] } = {},
  ): void {
    const headers: Record<string, string> = extra['retry-after'] ? { 'retry-after': extra['retry-after'] } : {};
    const body = {
      error: { code: status, message, status: GRPC_STATUS_OF_HTTP[status] ?? 'UNKNOWN', details: extra.details },
    };
    this.json(response, status, body, headers);
  }
}

function withIntegerEnums(certificate: CertificateResource): unknown {
  const { managed, scope, ...rest } = certificate;
  return {
    ...rest,
    ...(scope ? { scope: ENUMS.scope[scope] } : {}),
    ...(managed
      ? {
          managed: {
            ...managed,
            state: managed.state ? ENUMS.state[managed.state] : undefined,
            provisioningIssue: managed.provisioningIssue
              ? { ...managed.provisioningIssue, reason: ENUMS.reason[managed.provisioningIssue.reason] }
              : undefined,
            authorizationAttemptInfo: managed.authorizationAttemptInfo?.map((attempt) => ({
              ...attempt,
              state: ENUMS.attemptState[attempt.state],
              failureReason: attempt.failureReason ? ENUMS.failureReason[attempt.failureReason] : undefined,
            })),
          },
        }
      : {}),
  };
}

/** SHA-256 (hex) of the DER of the first PEM certificate, or null when there is none. */
export function pemFingerprint(pem: string | undefined): string | null {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem ?? '');
  if (!match) return null;
  return createHash('sha256')
    .update(Buffer.from(match[1].replace(/\s+/g, ''), 'base64'))
    .digest('hex');
}
