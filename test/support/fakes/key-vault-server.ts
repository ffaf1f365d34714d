import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { issueCertificate, privateKeyPem, type IssuedCertificate } from '../../../lib/x509/factory';
import { seededRandom } from './seeded-random';

/**
 * Azure Key Vault's data plane as `@azure/keyvault-certificates` 4.10 speaks it (api-version 2025-07-01,
 * paths from its `api/operations.js`, JSON from its `models/models.js`), over real TLS on 127.0.0.1:
 *
 * - `GET /certificates?api-version&maxresults&includePending` → `{ value: CertificateItem[], nextLink }`, at
 *   most 25 items a page (the service's own cap; fewer with the `pageSize` option), `nextLink` an absolute URL
 *   with an opaque `$skiptoken`;
 * - `GET /certificates/{name}/` (latest) and `/certificates/{name}/{version}` → CertificateBundle with `cer`
 *   (base64 DER), `x5t` (base64url SHA-1), `policy`, `attributes` (Unix seconds), `tags`;
 * - `GET /certificates/{name}/policy` → CertificatePolicy;
 * - `POST /certificates/{name}/create`, `GET` and `DELETE /certificates/{name}/pending` → CertificateOperation (an
 *   order, planned with `issuances`);
 * - the bearer challenge: a request without `Authorization: Bearer <token>` gets 401 with
 *   `WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>", resource="https://vault.azure.net"`;
 * - `/secrets/...` (where private keys live) answers 403 and is counted, so a test can prove it never came.
 *
 * Faults on demand: 429 with Retry-After on a share of calls, 500/503 on another share (never more than a few in
 * a row for one request), one vault failing every call, a certificate dropped or given a new version between
 * syncs, and a vault that goes away mid-sync (`goAway`: its port closed, or every connection reset) and comes
 * back. Every request is counted by operation, and every response by operation and status.
 */

export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';
const MAX_PAGE_SIZE = 25;

export type KeyVaultOperation =
  | 'listCertificates'
  | 'getCertificate'
  | 'getCertificateVersion'
  | 'getCertificatePolicy'
  | 'createCertificate'
  | 'getCertificateOperation'
  | 'deleteCertificateOperation'
  | 'secrets'
  | 'other';

/**
 * How the vault's next certificate order (create certificate) goes: `polls` reads of the pending operation answered
 * inProgress, then a new version with `der`, or the issuer's `error` (status failed), or `cancelled` (someone
 * cancelled the order at the vault: status cancelled, no error).
 */
export interface FakeIssuance {
  polls: number;
  der?: Uint8Array;
  error?: { code: string; message: string };
  cancelled?: boolean;
}

export type LifetimeActionType = 'AutoRenew' | 'EmailContacts';

export interface FakePolicy {
  /** `Self`, `Unknown`, or an issuer configured in the vault (`DigiCert`, `GlobalSign`). */
  issuerName: string;
  lifetimeActions: Array<{ action: LifetimeActionType; daysBeforeExpiry?: number; lifetimePercentage?: number }>;
}

export interface FakeVersion {
  version: string;
  /** Null while issuance is pending: the bundle then has no `cer` and no `x5t`. */
  der: Uint8Array | null;
  enabled: boolean;
  created: number;
  updated: number;
  notBefore?: number;
  expires?: number;
}

export interface FakeCertificate {
  name: string;
  tags?: Record<string, string>;
  policy: FakePolicy;
  /** Oldest first; the last one is the current version. */
  versions: FakeVersion[];
}

export interface NewCertificate {
  der: Uint8Array | null;
  tags?: Record<string, string>;
  policy?: Partial<FakePolicy>;
  enabled?: boolean;
}

export interface KeyVaultFaults {
  /** Share of authenticated calls answered 429 with Retry-After. @default 0 */
  throttleRate: number;
  /** Retry-After on 429s, in seconds. @default 0 */
  retryAfterSeconds: number;
  /** Share of authenticated calls answered 500 or 503 without Retry-After. @default 0 */
  serverErrorRate: number;
  /** Every authenticated call answered with this status (503: retried by the SDK; 403: not). @default null */
  failEveryCallWith: number | null;
  /**
   * Random faults in a row for one request (same operation and URL) before it is let through, so that a client
   * with enough retries always gets there and a test never flakes on a long unlucky streak. @default 3
   */
  maxConsecutiveFaults?: number;
}

export const NO_FAULTS: KeyVaultFaults = {
  throttleRate: 0,
  retryAfterSeconds: 0,
  serverErrorRate: 0,
  failEveryCallWith: null,
};

/**
 * How a vault is gone: `refuse` closes its port, so connecting fails with ECONNREFUSED (the host is up, the
 * service is not); `reset` still accepts connections and drops each at once, so the client sees ECONNRESET (a
 * firewall or a load balancer without a backend).
 */
export type Outage = 'refuse' | 'reset';

export interface FakeTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A test CA and a server certificate for 127.0.0.1 and localhost, made now and never written to disk. */
export async function makeFakeTls(): Promise<FakeTls> {
  const now = Date.now();
  const validity = { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 2 * 86_400_000) };
  const ca = await issueCertificate({ subject: 'CN=certwarden Key Vault fake CA', ca: true, ...validity });
  const server = await issueCertificate({
    subject: 'CN=localhost',
    dns: ['localhost'],
    ip: ['127.0.0.1'],
    issuer: ca,
    ...validity,
  });
  return { caPem: ca.pem, certPem: server.pem, keyPem: await privateKeyPem(server.keys) };
}

/**
 * Makes leaf certificates quickly: one CA and one key pair for all of them (a fresh key per certificate
 * would make thousands of certificates too slow to generate).
 */
export class LeafFactory {
  private constructor(
    private readonly ca: IssuedCertificate,
    private readonly keys: CryptoKeyPair,
  ) {}

  static async create(): Promise<LeafFactory> {
    const ca = await issueCertificate({
      subject: 'CN=certwarden Key Vault leaves CA',
      ca: true,
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2035-01-01T00:00:00Z'),
    });
    const leaf = await issueCertificate({
      subject: 'CN=key',
      issuer: ca,
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2026-01-01T00:00:00Z'),
    });
    return new LeafFactory(ca, leaf.keys);
  }

  async issue(host: string, notAfter = new Date('2027-01-01T00:00:00Z')): Promise<Uint8Array> {
    const issued = await issueCertificate({
      subject: `CN=${host}`,
      dns: [host],
      issuer: this.ca,
      keys: this.keys,
      notBefore: new Date('2025-06-01T00:00:00Z'),
      notAfter,
    });
    return issued.der;
  }
}

/** The credential is what is stubbed, never the client: hands out a fixed token and records what was asked. */
export class StubTokenCredential implements TokenCredential {
  readonly requests: Array<{ scopes: string[]; tenantId?: string }> = [];

  constructor(readonly token = 'certwarden-test-token') {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    this.requests.push({ scopes: [scopes].flat(), tenantId: options?.tenantId });
    return { token: this.token, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}

/** The SHA-1 thumbprint as Key Vault writes it in `x5t`: base64url. */
export const x5tOf = (der: Uint8Array): string => createHash('sha1').update(der).digest('base64url');

export interface FakeKeyVaultOptions {
  tls: FakeTls;
  /** The token the vault accepts. @default StubTokenCredential's default */
  token?: string;
  /** @default 'certwarden-test-tenant' */
  tenantId?: string;
  /** @default 1 */
  seed?: number;
  /**
   * Most certificates a listing page holds: Key Vault's own cap is 25; a test makes it small to walk several
   * pages without making many certificates. @default 25
   */
  pageSize?: number;
}

/** One vault on its own port (Key Vault names the vault by host, so two vaults cannot share one origin). */
export class FakeKeyVault {
  readonly certificates = new Map<string, FakeCertificate>();
  faults: KeyVaultFaults = { ...NO_FAULTS };
  /** Every request, by operation, whatever its answer. */
  readonly requests = new Map<KeyVaultOperation | 'challenge', number>();
  /** Every response, keyed `operation status`, e.g. `getCertificate 200`, `listCertificates 429`. */
  readonly responses = new Map<string, number>();
  /** Every request the vault answered (the bearer challenges included), with when it arrived (`Date.now()`). */
  readonly log: Array<{ operation: KeyVaultOperation | 'challenge'; at: number }> = [];
  private sortedNames: string[] | null = null;
  private clock = Math.floor(Date.parse('2026-01-01T00:00:00Z') / 1000);
  private throttleNextCalls = 0;
  private throttleNextSeconds = 0;
  /** The outage to come (`goAway`) and how many authenticated requests are still answered before it. */
  private pendingOutage: { mode: Outage; answeredBefore: number } | null = null;
  private outage: Outage | null = null;
  /** How the next create certificate orders go, by certificate name; an order without one is refused. */
  readonly issuances = new Map<string, FakeIssuance>();
  /** The orders under way, by certificate name. */
  private readonly pending = new Map<string, FakeIssuance & { requestId: string; ended?: boolean }>();
  /** Connections and requests dropped while the vault was gone (refused ones never reach it). */
  droppedConnections = 0;
  /** When the last outage began, on `performance.now()`'s clock: what a bench times a failure from. */
  wentAwayAt: number | null = null;
  /** Random faults in a row so far, by `operation path?query`. */
  private readonly streaks = new Map<string, number>();
  private readonly random: () => number;
  private readonly token: string;
  private readonly tenantId: string;
  private readonly pageSize: number;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    options: FakeKeyVaultOptions,
  ) {
    this.random = seededRandom(options.seed ?? 1);
    this.token = options.token ?? new StubTokenCredential().token;
    this.tenantId = options.tenantId ?? 'certwarden-test-tenant';
    this.pageSize = options.pageSize ?? MAX_PAGE_SIZE;
  }

  static async start(options: FakeKeyVaultOptions): Promise<FakeKeyVault> {
    // The handler is attached once the vault knows its own URL (the port is only known after listen).
    const server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const vault = new FakeKeyVault(server, `https://127.0.0.1:${port}`, options);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => vault.handle(request, response));
    // Before the TLS handshake, so that a reset vault never gets as far as a request.
    server.on('connection', (socket: Socket) => {
      if (vault.outage !== 'reset') return;
      vault.droppedConnections++;
      socket.destroy();
    });
    return vault;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    // A vault gone with `refuse` is no longer listening: close then only reports that.
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * The vault goes away once it has answered `answeredBefore` more authenticated requests (0: now): the request
   * after them and every connection open are dropped, and new connections are refused or reset (see Outage).
   */
  goAway(mode: Outage, { answeredBefore = 0 } = {}): void {
    this.pendingOutage = { mode, answeredBefore };
    if (answeredBefore === 0) this.beginOutage();
  }

  /** Back on the same URL (the same port), as it was before the outage. */
  async comeBack(): Promise<void> {
    const mode = this.outage;
    this.outage = null;
    this.pendingOutage = null;
    if (mode !== 'refuse') return;
    const port = Number(new URL(this.url).port);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Whether the vault is gone now. */
  get isGone(): boolean {
    return this.outage !== null;
  }

  /** Adds a certificate (its first version), as an import or a completed issuance would. */
  add(name: string, certificate: NewCertificate): FakeCertificate {
    const stored: FakeCertificate = {
      name,
      tags: certificate.tags,
      policy: {
        issuerName: certificate.policy?.issuerName ?? 'Self',
        lifetimeActions: certificate.policy?.lifetimeActions ?? [{ action: 'AutoRenew', lifetimePercentage: 80 }],
      },
      versions: [],
    };
    this.certificates.set(name, stored);
    this.sortedNames = null;
    this.addVersion(stored, certificate.der, certificate.enabled ?? true);
    return stored;
  }

  /** A new version of an existing certificate: what Key Vault's auto-renewal or a re-import leaves behind. */
  renew(name: string, der: Uint8Array, enabled = true): void {
    this.addVersion(this.existing(name), der, enabled);
  }

  /** Deletes a certificate (all its versions), as `beginDeleteCertificate` would. */
  remove(name: string): void {
    this.existing(name);
    this.certificates.delete(name);
    this.sortedNames = null;
  }

  setEnabled(name: string, enabled: boolean): void {
    const current = this.current(this.existing(name));
    current.enabled = enabled;
    current.updated = this.tick();
  }

  setTags(name: string, tags: Record<string, string>): void {
    const certificate = this.existing(name);
    certificate.tags = tags;
    this.current(certificate).updated = this.tick();
  }

  /** The next `count` authenticated calls get 429 with this Retry-After. */
  throttleNext(count: number, retryAfterSeconds: number): void {
    this.throttleNextCalls = count;
    this.throttleNextSeconds = retryAfterSeconds;
  }

  /** Listing pages one full listing takes. */
  pagesPerListing(): number {
    return Math.max(1, Math.ceil(this.certificates.size / this.pageSize));
  }

  /** The place id a connector should report for a certificate: its id without version. */
  placeId(name: string): string {
    return `${this.url}/certificates/${name}`;
  }

  /**
   * What the vault holds now, as `placeId sha256-of-current-version-or-none`, or `placeId disabled` for a disabled
   * current version: Key Vault refuses its body, so what an inventory holds for it depends on what it read before.
   */
  state(): string[] {
    return [...this.certificates.values()].map((certificate) => {
      const { der, enabled } = this.current(certificate);
      const body = der ? createHash('sha256').update(der).digest('hex') : 'none';
      return `${this.placeId(certificate.name)} ${enabled ? body : 'disabled'}`;
    });
  }

  requestCount(operation: KeyVaultOperation | 'challenge'): number {
    return this.requests.get(operation) ?? 0;
  }

  responseCount(operation: KeyVaultOperation, status: number): number {
    return this.responses.get(`${operation} ${status}`) ?? 0;
  }

  /** Responses with this status across operations. */
  statusCount(status: number): number {
    let total = 0;
    for (const [key, count] of this.responses) if (key.endsWith(` ${status}`)) total += count;
    return total;
  }

  resetCounts(): void {
    this.requests.clear();
    this.responses.clear();
    this.log.length = 0;
  }

  private existing(name: string): FakeCertificate {
    const certificate = this.certificates.get(name);
    if (!certificate) throw new Error(`fake vault has no certificate ${name}`);
    return certificate;
  }

  private current(certificate: FakeCertificate): FakeVersion {
    return certificate.versions[certificate.versions.length - 1];
  }

  private tick(): number {
    return ++this.clock;
  }

  private addVersion(certificate: FakeCertificate, der: Uint8Array | null, enabled: boolean): void {
    const at = this.tick();
    const validity = der ? validityOf(der) : {};
    certificate.versions.push({
      version: randomBytes(16).toString('hex'),
      der,
      enabled,
      created: at,
      updated: at,
      ...validity,
    });
  }

  private beginOutage(): void {
    const { mode } = this.pendingOutage!;
    this.pendingOutage = null;
    this.outage = mode;
    this.wentAwayAt = performance.now();
    if (mode === 'refuse') this.server.close();
    this.server.closeAllConnections();
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    if (this.pendingOutage !== null && request.headers.authorization === `Bearer ${this.token}`) {
      if (this.pendingOutage.answeredBefore === 0) this.beginOutage();
      else this.pendingOutage.answeredBefore--;
    }
    if (this.outage !== null) {
      // A keep-alive connection opened before the outage: dropped like the new ones.
      this.droppedConnections++;
      request.socket.destroy();
      return;
    }
    const url = new URL(request.url ?? '/', this.url);
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const operation = operationOf(request.method ?? 'GET', segments);
    const authenticated = request.headers.authorization === `Bearer ${this.token}`;
    this.log.push({ operation: authenticated ? operation : 'challenge', at: Date.now() });
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const key = `${operation} ${status}`;
      this.responses.set(key, (this.responses.get(key) ?? 0) + 1);
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(JSON.stringify(body));
    };
    const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
      reply(status, { error: { code, message } }, headers);

    const notFound = () =>
      fail(404, 'CertificateNotFound', `A certificate with (name/id) ${segments[1]} was not found in this key vault.`);

    if (!authenticated) {
      this.count('challenge');
      return fail(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', {
        'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${this.tenantId}", resource="${KEY_VAULT_RESOURCE}"`,
      });
    }
    this.count(operation);
    if (this.faults.failEveryCallWith !== null) {
      const status = this.faults.failEveryCallWith;
      return fail(status, status === 403 ? 'Forbidden' : 'ServiceUnavailable', 'vault unavailable (injected)');
    }
    if (this.throttleNextCalls > 0) {
      this.throttleNextCalls--;
      return fail(429, 'Throttled', 'Request was not processed because too many requests were received.', {
        'retry-after': String(this.throttleNextSeconds),
      });
    }
    const fault = this.randomFault(`${operation} ${url.pathname}${url.search}`);
    if (fault === 429) {
      return fail(429, 'Throttled', 'Request was not processed because too many requests were received.', {
        'retry-after': String(this.faults.retryAfterSeconds),
      });
    }
    if (fault !== null) {
      return fail(fault, fault === 500 ? 'InternalServerError' : 'ServiceUnavailable', 'injected server error');
    }

    switch (operation) {
      case 'secrets':
        return fail(403, 'Forbidden', 'certwarden must never read secrets');
      case 'listCertificates':
        return reply(200, this.listPage(url));
      case 'getCertificate':
      case 'getCertificateVersion':
      case 'getCertificatePolicy': {
        const certificate = this.certificates.get(segments[1]);
        if (!certificate) return notFound();
        if (operation === 'getCertificatePolicy') return reply(200, this.policyJson(certificate));
        const version =
          operation === 'getCertificate'
            ? this.current(certificate)
            : certificate.versions.find((candidate) => candidate.version === segments[2]);
        if (!version)
          return fail(404, 'CertificateNotFound', `Version ${segments[2]} of ${segments[1]} was not found.`);
        if (!version.enabled) return fail(403, 'Forbidden', 'Operation get is not allowed on a disabled certificate.');
        return reply(200, this.bundleJson(certificate, version, operation === 'getCertificate'));
      }
      case 'createCertificate':
      case 'getCertificateOperation':
      case 'deleteCertificateOperation': {
        const certificate = this.certificates.get(segments[1]);
        if (!certificate) return notFound();
        if (operation === 'createCertificate') {
          const issuance = this.issuances.get(certificate.name);
          if (!issuance) return fail(400, 'BadParameter', `the fake has no issuance planned for ${certificate.name}`);
          this.pending.set(certificate.name, { ...issuance, requestId: randomBytes(8).toString('hex') });
          return reply(202, this.operationJson(certificate));
        }
        if (!this.pending.has(certificate.name))
          return fail(404, 'PendingCertificateNotFound', `Pending certificate not found: ${certificate.name}`);
        if (operation === 'getCertificateOperation') return reply(200, this.operationJson(certificate, true));
        const deleted = this.operationJson(certificate);
        this.pending.delete(certificate.name);
        return reply(200, deleted);
      }
      default:
        return fail(400, 'BadParameter', `the fake does not serve ${request.method} ${url.pathname}`);
    }
  }

  /** A certificate order as Key Vault shows it; a read (`advance`) moves it on by one poll, then ends it. */
  private operationJson(certificate: FakeCertificate, advance = false) {
    const order = this.pending.get(certificate.name)!;
    if (advance && order.polls > 0) order.polls--;
    else if (advance && !order.ended) {
      order.ended = true;
      if (!order.error && !order.cancelled && order.der) this.addVersion(certificate, order.der, true);
    }
    const failed = order.ended && order.error !== undefined;
    const cancelled = order.ended && !failed && order.cancelled === true;
    const done = order.ended && !failed && !cancelled;
    return {
      id: `${this.placeId(certificate.name)}/pending`,
      issuer: { name: certificate.policy.issuerName },
      csr: 'MIIB',
      cancellation_requested: order.cancelled === true,
      status: failed ? 'failed' : cancelled ? 'cancelled' : done ? 'completed' : 'inProgress',
      status_details: failed
        ? order.error!.message
        : cancelled
          ? 'Certificate operation cancelled.'
          : done
            ? ''
            : 'Pending issuance.',
      ...(failed ? { error: order.error } : {}),
      ...(done ? { target: this.placeId(certificate.name) } : {}),
      request_id: order.requestId,
    };
  }

  /** 429, 500 or 503 by the fault rates, or null: the request goes through. */
  private randomFault(request: string): 429 | 500 | 503 | null {
    const streak = this.streaks.get(request) ?? 0;
    let fault: 429 | 500 | 503 | null = null;
    if (this.random() < this.faults.throttleRate) fault = 429;
    else if (this.random() < this.faults.serverErrorRate) fault = this.random() < 0.5 ? 500 : 503;
    if (fault === null || streak >= (this.faults.maxConsecutiveFaults ?? 3)) {
      this.streaks.delete(request);
      return null;
    }
    this.streaks.set(request, streak + 1);
    return fault;
  }

  private count(operation: KeyVaultOperation | 'challenge'): void {
    this.requests.set(operation, (this.requests.get(operation) ?? 0) + 1);
  }

  private listPage(url: URL) {
    const apiVersion = url.searchParams.get('api-version') ?? '';
    const pageSize = Math.min(
      Number(url.searchParams.get('maxresults') ?? this.pageSize) || this.pageSize,
      this.pageSize,
    );
    const includePending = url.searchParams.get('includePending') === 'true';
    // The cursor is the last name served, not an offset: certificates added or removed while a listing runs
    // shift offsets, never names.
    const token = url.searchParams.get('$skiptoken');
    const after = token
      ? (JSON.parse(Buffer.from(token, 'base64url').toString()) as { NextMarker: string }).NextMarker
      : null;
    this.sortedNames ??= [...this.certificates.keys()].sort();
    const names = this.sortedNames;
    let start = 0;
    if (after !== null) {
      while (start < names.length && names[start] <= after) start++;
    }
    const value = [];
    let index = start;
    for (; index < names.length && value.length < pageSize; index++) {
      const certificate = this.certificates.get(names[index])!;
      const current = this.current(certificate);
      if (!current.der && !includePending) continue;
      value.push({
        id: this.placeId(certificate.name),
        ...(current.der ? { x5t: x5tOf(current.der) } : {}),
        attributes: this.attributesJson(current),
        ...(certificate.tags ? { tags: certificate.tags } : {}),
      });
    }
    const more = index < names.length;
    const skiptoken = Buffer.from(JSON.stringify({ NextMarker: names[index - 1] })).toString('base64url');
    const nextLink = more
      ? `${this.url}/certificates?api-version=${apiVersion}&$skiptoken=${skiptoken}&maxresults=${pageSize}` +
        (includePending ? '&includePending=true' : '')
      : null;
    return { value, nextLink };
  }

  private attributesJson(version: FakeVersion) {
    return {
      enabled: version.enabled,
      ...(version.notBefore !== undefined ? { nbf: version.notBefore } : {}),
      ...(version.expires !== undefined ? { exp: version.expires } : {}),
      created: version.created,
      updated: version.updated,
      recoveryLevel: 'Recoverable+Purgeable',
      recoverableDays: 90,
    };
  }

  private policyJson(certificate: FakeCertificate) {
    return {
      id: `${this.placeId(certificate.name)}/policy`,
      key_props: { exportable: true, kty: 'EC', key_size: 256, crv: 'P-256', reuse_key: false },
      secret_props: { contentType: 'application/x-pkcs12' },
      x509_props: {
        subject: `CN=${certificate.name}`,
        sans: { dns_names: [certificate.name] },
        ekus: ['1.3.6.1.5.5.7.3.1'],
        key_usage: ['digitalSignature', 'keyEncipherment'],
        validity_months: 12,
      },
      lifetime_actions: certificate.policy.lifetimeActions.map(({ action, daysBeforeExpiry, lifetimePercentage }) => ({
        trigger:
          daysBeforeExpiry !== undefined
            ? { days_before_expiry: daysBeforeExpiry }
            : { lifetime_percentage: lifetimePercentage ?? 80 },
        action: { action_type: action },
      })),
      issuer: { name: certificate.policy.issuerName },
      attributes: { enabled: true, created: certificate.versions[0].created, updated: certificate.versions[0].created },
    };
  }

  private bundleJson(certificate: FakeCertificate, version: FakeVersion, withPolicy: boolean) {
    const id = `${this.placeId(certificate.name)}/${version.version}`;
    return {
      id,
      kid: `${this.url}/keys/${certificate.name}/${version.version}`,
      sid: `${this.url}/secrets/${certificate.name}/${version.version}`,
      ...(version.der ? { x5t: x5tOf(version.der), cer: Buffer.from(version.der).toString('base64') } : {}),
      attributes: this.attributesJson(version),
      ...(certificate.tags ? { tags: certificate.tags } : {}),
      ...(withPolicy ? { policy: this.policyJson(certificate) } : {}),
      contentType: 'application/x-pkcs12',
    };
  }
}

function operationOf(method: string, segments: string[]): KeyVaultOperation {
  const [collection, name, third, ...rest] = segments;
  if (collection === 'secrets' || collection === 'deletedsecrets') return 'secrets';
  if (method === 'POST' && collection === 'certificates' && third === 'create' && rest.length === 0)
    return 'createCertificate';
  if (method === 'DELETE' && collection === 'certificates' && third === 'pending' && rest.length === 0)
    return 'deleteCertificateOperation';
  if (method !== 'GET' || collection !== 'certificates' || rest.length > 0) return 'other';
  if (name === undefined) return 'listCertificates';
  if (third === undefined || third === '') return 'getCertificate';
  if (third === 'policy') return 'getCertificatePolicy';
  if (third === 'pending') return 'getCertificateOperation';
  if (third === 'versions') return 'other';
  return 'getCertificateVersion';
}

function validityOf(der: Uint8Array): { notBefore: number; expires: number } {
  const certificate = new X509Certificate(der);
  return {
    notBefore: Math.floor(Date.parse(certificate.validFrom) / 1000),
    expires: Math.floor(Date.parse(certificate.validTo) / 1000),
  };
}

/** Several vaults sharing one TLS identity and one token. */
export async function startFakeVaults(count: number, options: FakeKeyVaultOptions): Promise<FakeKeyVault[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) => FakeKeyVault.start({ ...options, seed: (options.seed ?? 1) + index })),
  );
}
