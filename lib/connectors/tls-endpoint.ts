import { X509Certificate } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import {
  connect,
  createSecureContext,
  type DetailedPeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import type { ParsedCertificate } from '../domain/certificate';
import type { SourceConfig } from '../domain/config';
import { ConfigError } from '../domain/errors';
import {
  endpointIdOf,
  parseEndpoint,
  targetsOf,
  TLS_ENDPOINTS_GROUP,
  TLS_INVENTORY_NAMES_GROUP,
  type TlsTarget,
} from '../domain/tls-endpoints';
import {
  chainPlaceId,
  type CertificateSource,
  type EagerEntry,
  type LocationMetadata,
  type SourceItem,
} from '../ports/certificate-source';
import { systemClock, type Clock } from '../ports/clock';
import type { InventoryStore } from '../ports/inventory-store';
import { judgeChain, TrustAnchors, type ChainVerdict } from '../x509/chain';
import { normalize } from '../x509/parse';
import { starttls, STARTTLS_NAMES } from './starttls';
import { servedInOrder } from './tls-served-order';

type TlsEndpointSourceConfig = Extract<SourceConfig, { kind: 'tls-endpoint' }>;

/** A target with the scope (group) it was configured in. */
export interface ScopedTarget extends TlsTarget {
  scope: string;
}

export interface TlsScanOptions {
  anchors: TrustAnchors;
  /** Connect and handshake together are abandoned after this long. @default 5000 */
  timeoutMs?: number;
  /** Connections open at once, never more. @default 16 */
  concurrency?: number;
  /** No connection is started after this long from the start of the scan. @default 600,000 */
  deadlineMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
}

/** What a handshake showed. */
export interface TlsServed {
  /**
   * Leaf first, then what the server sent in its order (read off the wire over TLS 1.2); from a server that speaks
   * TLS 1.3 alone, each certificate followed by its issuer as far as the server sent them.
   */
  chain: ParsedCertificate[];
  /** `TLSv1.3`, `TLSv1.2`, … */
  protocol: string;
  /** The negotiated cipher suite's standard name. */
  cipher: string;
  verdict: ChainVerdict;
}

export type TlsScanResult = { target: ScopedTarget; endpoint: string } & (
  | { served: TlsServed; error?: undefined }
  | { served?: undefined; error: string }
  /** Not tried: the scan's deadline passed (or it was aborted) first. */
  | { served?: undefined; error?: undefined; skipped: true }
);

/**
 * The context every scan connects with: no CA store at all, so that node:tls, which appends the issuers it finds in
 * the context's store to the peer's chain, hands back exactly what the server sent (trust is judged by judgeChain).
 */
let emptyContext: SecureContext | undefined;
const scanContext = () => (emptyContext ??= createSecureContext({ ca: [] }));

/** A connection error in words: `connection refused`, `timed out after 5000 ms`, `TLS handshake failed: …`. */
function reasonOf(error: NodeJS.ErrnoException, handshaking: boolean): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return handshaking ? 'TLS handshake failed: connection reset by the server' : 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `DNS name not found (${error.code})`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable (${error.code})`;
    default:
      return handshaking ? `TLS handshake failed: ${error.message}` : error.message;
  }
}

/** The chain node:tls handed over, leaf first, following each certificate's issuer until it repeats or ends. */
function chainOf(socket: TLSSocket): ParsedCertificate[] {
  const chain: ParsedCertificate[] = [];
  const seen = new Set<string>();
  for (
    let certificate: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
    certificate?.raw && !seen.has(certificate.fingerprint256);
    certificate = certificate.issuerCertificate
  ) {
    seen.add(certificate.fingerprint256);
    chain.push({ record: normalize(certificate.raw), der: new Uint8Array(certificate.raw) });
  }
  return chain;
}

/** The verdict on a served chain, as judgeChain gives it for this target. */
function verdictOf(chain: ParsedCertificate[], target: ScopedTarget, options: TlsScanOptions): ChainVerdict {
  return judgeChain(
    chain.map((certificate) => ({ record: certificate.record, x509: new X509Certificate(certificate.der) })),
    {
      anchors: options.anchors,
      serverName: target.serverName,
      address: target.host,
      now: (options.clock ?? systemClock).now(),
    },
  );
}

/**
 * A target scanned: one TLS handshake (see handshake), and for a chain of more than one certificate the order the
 * server sends them in, read off the wire by a second, TLS 1.2 handshake (servedInOrder), so that a chain sent out
 * of order, or with certificates that link to nothing, is judged as served. A server that will not speak TLS 1.2
 * keeps the chain as node:tls links it. Never rejects: a failure is a result.
 */
export async function scanEndpoint(target: ScopedTarget, options: TlsScanOptions): Promise<TlsScanResult> {
  const result = await handshake(target, options);
  if (!result.served || result.served.chain.length < 2) return result;
  const wire = await servedInOrder(target, options.timeoutMs ?? 5000);
  const leaf = result.served.chain[0].record.fingerprintSha256;
  let chain: ParsedCertificate[];
  try {
    chain = (wire ?? []).map((der) => ({ record: normalize(der), der: new Uint8Array(der) }));
  } catch {
    return result;
  }
  // Another certificate first: the second handshake met another server (a load balancer's other node).
  if (chain.length === 0 || chain[0].record.fingerprintSha256 !== leaf) return result;
  return { ...result, served: { ...result.served, chain, verdict: verdictOf(chain, target, options) } };
}

/**
 * One TLS handshake with a target: connects, speaks a STARTTLS target's plaintext prelude (lib/connectors/starttls.ts),
 * sends SNI, completes the handshake without checking anything (`rejectUnauthorized: false`: what is wrong is judged
 * here, not refused), reads the chain, version and cipher, and closes with a close_notify. No application data is
 * ever sent. The timeout covers connect, prelude and handshake. Never rejects: a failure is a result.
 */
async function handshake(target: ScopedTarget, options: TlsScanOptions): Promise<TlsScanResult> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const endpoint = endpointIdOf(target);
  const { starttls: protocol } = target;
  const tlsOptions = {
    ...(target.serverName !== null && { servername: target.serverName }),
    secureContext: scanContext(),
    rejectUnauthorized: false,
  };
  return new Promise((resolve) => {
    let result: TlsScanResult | undefined;
    let stage: 'connect' | 'prelude' | 'handshake' = 'connect';
    // TLS from the first byte, or a plain TCP connection that TLS takes over after the STARTTLS prelude.
    const direct = protocol ? undefined : connect({ host: target.host, port: target.port, ...tlsOptions });
    const tcp: Socket = direct ?? connectTcp({ host: target.host, port: target.port });
    let socket = direct;
    // Handed on once the socket is closed, so that a caller's concurrency bounds the sockets open. A close before
    // any result: the server hung up during the handshake (it refused the name or the client's offer).
    tcp.once('close', () => {
      clearTimeout(timer);
      resolve(result ?? { target, endpoint, error: 'TLS handshake failed: the server closed the connection' });
    });
    const finish = (outcome: TlsScanResult, graceful: boolean) => {
      if (result) return;
      result = outcome;
      clearTimeout(timer);
      const open = socket ?? tcp;
      if (graceful) {
        open.end();
        // A server that never answers the close_notify: do not wait for it.
        setTimeout(() => open.destroy(), 1000).unref();
      } else open.destroy();
    };
    const within = {
      connect: '',
      prelude: ` in the ${protocol ? STARTTLS_NAMES[protocol] : ''} prelude`,
      handshake: ' in the TLS handshake',
    };
    const timer = setTimeout(
      () => finish({ target, endpoint, error: `timed out after ${timeoutMs} ms${within[stage]}` }, false),
      timeoutMs,
    );
    const failed = (error: NodeJS.ErrnoException) =>
      finish({ target, endpoint, error: reasonOf(error, stage === 'handshake') }, false);
    const secured = (socket: TLSSocket) => {
      socket.once('secureConnect', () => {
        try {
          const chain = chainOf(socket);
          if (chain.length === 0) {
            finish({ target, endpoint, error: 'the server sent no certificate' }, true);
            return;
          }
          const verdict = verdictOf(chain, target, options);
          const cipher = socket.getCipher();
          const protocol = socket.getProtocol() ?? 'unknown';
          finish(
            { target, endpoint, served: { chain, protocol, cipher: cipher.standardName ?? cipher.name, verdict } },
            true,
          );
        } catch (error) {
          finish({ target, endpoint, error: `unreadable certificate: ${(error as Error).message}` }, true);
        }
      });
      socket.on('error', failed);
    };
    if (direct) {
      direct.once('connect', () => (stage = 'handshake'));
      secured(direct);
    } else if (protocol) {
      tcp.once('connect', () => {
        stage = 'prelude';
        starttls(tcp, protocol).then(
          () => {
            if (result) return;
            stage = 'handshake';
            socket = connect({ socket: tcp, ...tlsOptions });
            secured(socket);
          },
          (error: Error) => finish({ target, endpoint, error: error.message }, true),
        );
      });
      tcp.on('error', failed);
    }
  });
}

/**
 * Scans targets with at most `concurrency` connections open at once, handing results on as they complete. Once
 * the deadline passes (or the signal aborts) no connection is started: the targets left are results marked
 * `skipped`, so a caller knows what it did not see.
 */
export async function* scanEndpoints(
  targets: AsyncIterable<ScopedTarget> | Iterable<ScopedTarget>,
  options: TlsScanOptions,
): AsyncGenerator<TlsScanResult> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now().getTime() + (options.deadlineMs ?? 600_000);
  const concurrency = options.concurrency ?? 16;
  const inFlight = new Map<number, Promise<{ id: number; result: TlsScanResult }>>();
  let next = 0;
  const late = () => options.signal?.aborted === true || clock.now().getTime() >= deadline;
  for await (const target of targets) {
    if (inFlight.size >= concurrency) {
      const { id, result } = await Promise.race(inFlight.values());
      inFlight.delete(id);
      yield result;
    }
    if (late()) {
      yield { target, endpoint: endpointIdOf(target), skipped: true };
      continue;
    }
    const id = next++;
    inFlight.set(
      id,
      scanEndpoint(target, options).then((result) => ({ id, result })),
    );
  }
  while (inFlight.size > 0) {
    const { id, result } = await Promise.race(inFlight.values());
    inFlight.delete(id);
    yield result;
  }
}

export interface TlsEndpointSourceOptions extends Omit<TlsScanOptions, 'signal'> {
  name: string;
  /** The targets of every scope, in the order they are scanned. */
  targets: () => AsyncIterable<ScopedTarget> | Iterable<ScopedTarget>;
  /** Owner of every endpoint's places. @default 'unowned' */
  defaultOwner?: string;
}

/**
 * What TLS endpoints actually serve. Each target is a place (`host:port`, `name@host:port` for an SNI name other
 * than the host) holding the served leaf, and its served issuers are chain places: all of them in use by the
 * endpoint. What the handshake showed (version, cipher, the chain's verdict) is in the place's details, and a target
 * that could not be scanned is a place with the reason as its error, so a scan never stops at a bad target.
 */
export class TlsEndpointSource implements CertificateSource {
  readonly kind = 'tls-endpoint' as const;
  readonly name: string;

  constructor(private readonly options: TlsEndpointSourceOptions) {
    this.name = options.name;
  }

  async *list(signal?: AbortSignal): AsyncIterable<SourceItem> {
    const unreached = new Map<string, number>();
    for await (const result of scanEndpoints(this.options.targets(), { ...this.options, signal })) {
      if ('skipped' in result) {
        unreached.set(result.target.scope, (unreached.get(result.target.scope) ?? 0) + 1);
        continue;
      }
      yield* this.entriesOf(result);
    }
    signal?.throwIfAborted();
    for (const [scope, count] of unreached) {
      yield { failedScope: scope, message: `${count} endpoint(s) not scanned: the scan's deadline passed` };
    }
  }

  private entriesOf(result: TlsScanResult): EagerEntry[] {
    const metadata: LocationMetadata = {
      owner: this.options.defaultOwner ?? 'unowned',
      tags: {},
      inUseBy: [result.endpoint],
    };
    const place = { nativeId: result.endpoint, scope: result.target.scope, role: 'leaf' as const };
    if (!result.served)
      return [
        { ...place, certificate: null, readFailed: true, error: `${result.endpoint}: ${result.error}`, metadata },
      ];
    const { chain, protocol, cipher, verdict } = result.served;
    const details = {
      serverName: result.target.serverName,
      ...(result.target.starttls && { starttls: result.target.starttls }),
      protocol,
      cipher,
      trusted: verdict.trusted,
      issues: verdict.issues,
      served: chain.map((certificate) => certificate.record.fingerprintSha256),
    };
    const [leaf, ...issuers] = chain;
    return [
      { ...place, certificate: leaf, metadata: { ...metadata, providerStatus: protocol, details } },
      ...issuers.map((certificate) => ({
        ...place,
        nativeId: chainPlaceId(result.endpoint, certificate.record.fingerprintSha256),
        role: 'chain' as const,
        certificate,
        metadata,
      })),
    ];
  }
}

/** The names of the live certificates of these sources (SANs, wildcards skipped), each once. */
export async function* inventoryNames(
  store: Pick<InventoryStore, 'bySource'>,
  sources: readonly string[],
): AsyncGenerator<string> {
  const seen = new Set<string>();
  for (const source of sources) {
    for await (const place of store.bySource(source, 'live')) {
      if (place.role !== 'leaf') continue;
      for (const name of place.certificate?.dnsNames ?? []) {
        const lower = name.toLowerCase();
        if (lower.startsWith('*.') || seen.has(lower)) continue;
        seen.add(lower);
        yield lower;
      }
    }
  }
}

/**
 * The targets of a configured source, group by group: its `endpoints`, its `groups`, then (opt-in) the names of
 * the inventory's certificates, which need `inventory`.
 */
export async function* configuredTargets(
  config: TlsEndpointSourceConfig,
  inventory: Pick<InventoryStore, 'bySource'> | undefined,
): AsyncGenerator<ScopedTarget> {
  const groups = [
    ...(config.endpoints ? [{ name: TLS_ENDPOINTS_GROUP, endpoints: config.endpoints }] : []),
    ...(config.groups ?? []),
  ];
  for (const group of groups) {
    const starttls = 'starttls' in group ? group.starttls : undefined;
    for (const endpoint of group.endpoints) {
      const spec = typeof endpoint === 'string' ? parseEndpoint(endpoint) : endpoint;
      for (const target of targetsOf({ ...(starttls && { starttls }), ...spec }))
        yield { ...target, scope: group.name };
    }
  }
  const fromInventory = config.namesFromInventory;
  if (!fromInventory) return;
  if (!inventory) throw new ConfigError(`source ${config.name}: namesFromInventory needs the inventory`);
  for await (const name of inventoryNames(inventory, fromInventory.sources)) {
    yield { host: name, port: fromInventory.port, serverName: name, scope: TLS_INVENTORY_NAMES_GROUP };
  }
}

/** A configured tls-endpoint source, trusting the public roots and/or its private CAs. */
export function tlsEndpointSourceOf(
  config: TlsEndpointSourceConfig,
  inventory: Pick<InventoryStore, 'bySource'> | undefined,
): TlsEndpointSource {
  return new TlsEndpointSource({
    name: config.name,
    targets: () => configuredTargets(config, inventory),
    anchors: TrustAnchors.of({ publicRoots: config.publicRoots, pem: config.trustedCertificates }),
    timeoutMs: config.timeoutMs,
    deadlineMs: config.deadlineSeconds * 1000,
    concurrency: config.concurrency,
    defaultOwner: config.defaultOwner,
  });
}
