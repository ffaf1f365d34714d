import { isIP } from 'node:net';
import type { SourceConfig } from './config';

/**
 * The scope of a tls-endpoint source's `endpoints`. Here rather than beside the config's schemas, which functions
 * that only plan or sync scopes must not load (zod and the policy catalog: ~110 KB and a tenth of a cold start).
 */
export const TLS_ENDPOINTS_GROUP = 'endpoints';
/** The scope of the names a tls-endpoint source takes from the inventory. */
export const TLS_INVENTORY_NAMES_GROUP = 'inventory-names';

/** The groups of a tls-endpoint source, as its places name their scopes. */
export function tlsEndpointScopesOf(source: Extract<SourceConfig, { kind: 'tls-endpoint' }>): string[] {
  return [
    ...(source.endpoints ? [TLS_ENDPOINTS_GROUP] : []),
    ...(source.groups ?? []).map((group) => group.name),
    ...(source.namesFromInventory ? [TLS_INVENTORY_NAMES_GROUP] : []),
  ];
}

/** The port a TLS endpoint written without one is scanned on. */
export const DEFAULT_TLS_PORT = 443;

/**
 * Ports one endpoint line may expand to: a range is for a handful of services on one host, and a typo such as
 * `1-65535` would otherwise open tens of thousands of connections to one machine.
 */
export const MAX_PORTS_PER_ENDPOINT = 1024;

/**
 * The plaintext protocols whose servers switch to TLS on the client's request (STARTTLS and its kin): mail,
 * directory and database servers that do not speak TLS from the first byte.
 */
export const STARTTLS_PROTOCOLS = ['smtp', 'imap', 'pop3', 'ftp', 'ldap', 'postgres'] as const;
export type StarttlsProtocol = (typeof STARTTLS_PROTOCOLS)[number];

/** The port an endpoint written with a STARTTLS protocol and no port is scanned on: the protocol's own. */
export const STARTTLS_DEFAULT_PORTS: Readonly<Record<StarttlsProtocol, number>> = {
  smtp: 25,
  imap: 143,
  pop3: 110,
  ftp: 21,
  ldap: 389,
  postgres: 5432,
};

export const isStarttlsProtocol = (value: string): value is StarttlsProtocol =>
  (STARTTLS_PROTOCOLS as readonly string[]).includes(value);

/** How an endpoint is written, for error messages. */
export const ENDPOINT_SYNTAX =
  `expected [protocol://]host[:port], host:from-to or [ipv6]:port ` +
  `(protocol, for STARTTLS: ${STARTTLS_PROTOCOLS.join(', ')})`;

/** One endpoint to connect to, with the name sent as SNI and checked against the certificate. */
export interface TlsTarget {
  host: string;
  port: number;
  /** The SNI name; null for a host given as an IP address without a name (no SNI is sent then). */
  serverName: string | null;
  /** The plaintext protocol spoken before TLS is asked for. @default TLS from the first byte */
  starttls?: StarttlsProtocol;
}

/** How an endpoint is written in a configuration, a file or on the command line. */
export interface EndpointSpec {
  /** A DNS name or an IP address (IPv6 without brackets). */
  host: string;
  /** Single ports or `from-to` ranges. @default [443], or the STARTTLS protocol's own port */
  ports?: ReadonlyArray<number | string>;
  /** Names sent as SNI, one connection each: for an IP address, or a host serving several names. @default the host's own name */
  serverNames?: readonly string[];
  /** The plaintext protocol spoken before TLS is asked for. @default TLS from the first byte */
  starttls?: StarttlsProtocol;
}

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/i;

export const isDnsName = (value: string): boolean => DNS_NAME.test(value) && !/^[\d.]+$/.test(value);

/**
 * `host`, `host:443`, `host:8000-8010`, `[2001:db8::1]:443` or a bare IPv6 address, as an endpoint spec; with a
 * STARTTLS protocol in front (`smtp://mail.example.com:587`), TLS is asked for after that protocol's prelude, on
 * its own port (STARTTLS_DEFAULT_PORTS) unless one is given. The protocol is always written: a port never implies it.
 * @throws Error one line saying what is wrong with `text`.
 */
export function parseEndpoint(text: string): EndpointSpec {
  const scheme = /^\s*([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
  const starttls = scheme?.[1].toLowerCase();
  if (starttls !== undefined && !isStarttlsProtocol(starttls))
    throw new Error(`${text}: ${scheme![1]} is not a STARTTLS protocol (${STARTTLS_PROTOCOLS.join(', ')})`);
  const trimmed = (scheme ? scheme[2] : text).trim();
  const bracketed = /^\[([^\]]+)\](?::(.+))?$/.exec(trimmed);
  let host: string;
  let port: string | undefined;
  if (bracketed) [, host, port] = bracketed;
  else if (isIP(trimmed) === 6) host = trimmed;
  else {
    const colon = trimmed.lastIndexOf(':');
    [host, port] = colon < 0 ? [trimmed, undefined] : [trimmed.slice(0, colon), trimmed.slice(colon + 1)];
  }
  if (!isIP(host) && !isDnsName(host)) throw new Error(`${text}: ${ENDPOINT_SYNTAX}`);
  const ports = port === undefined ? undefined : [port];
  if (ports) portsOf(ports, text);
  return { host: host.toLowerCase(), ...(ports && { ports }), ...(starttls && { starttls }) };
}

/**
 * The ports of a spec, in order, without repeats.
 * @throws Error naming `label` for a port out of 1–65535, a reversed range or more than MAX_PORTS_PER_ENDPOINT.
 */
export function portsOf(ports: ReadonlyArray<number | string> | undefined, label: string): number[] {
  const found = new Set<number>();
  for (const item of ports ?? [DEFAULT_TLS_PORT]) {
    const range = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(String(item).trim());
    const from = range ? Number(range[1]) : NaN;
    const to = range?.[2] === undefined ? from : Number(range[2]);
    if (!(from >= 1 && to <= 65_535 && from <= to)) throw new Error(`${label}: ${item} is not a port or a port range`);
    for (let port = from; port <= to; port++) found.add(port);
    if (found.size > MAX_PORTS_PER_ENDPOINT) {
      throw new Error(`${label}: more than ${MAX_PORTS_PER_ENDPOINT} ports; split it into several endpoints`);
    }
  }
  return [...found];
}

/** Every connection a spec stands for: each port × each SNI name. */
export function targetsOf(spec: EndpointSpec, label = spec.host): TlsTarget[] {
  const names = spec.serverNames?.length ? spec.serverNames : [isIP(spec.host) ? null : spec.host];
  const { starttls } = spec;
  const ports = spec.ports ?? (starttls ? [STARTTLS_DEFAULT_PORTS[starttls]] : undefined);
  return portsOf(ports, label).flatMap((port) =>
    names.map((serverName) => ({
      host: spec.host,
      port,
      serverName: serverName?.toLowerCase() ?? null,
      ...(starttls && { starttls }),
    })),
  );
}

/**
 * The place of a target: `host:port`, `[v6]:port`, and `name@host:port` when the SNI name is not the host
 * itself (an IP address, a shared front end), so that each name a host serves is a place of its own; with the
 * STARTTLS protocol in front (`smtp://host:port`), so that TLS after a prelude and TLS from the first byte on one
 * port are two places.
 */
export function endpointIdOf({ host, port, serverName, starttls }: TlsTarget): string {
  const address = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const id = serverName === null || serverName === host ? address : `${serverName}@${address}`;
  return starttls ? `${starttls}://${id}` : id;
}

/** The address an endpoint id connects to, without the SNI name: `[protocol://]host:port`. */
export const addressOfEndpointId = (id: string): string => id.replace(/^([a-z0-9]+:\/\/)?[^@/]*@/, '$1');
