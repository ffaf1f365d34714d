import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { configuredTargets, TlsEndpointSource, type ScopedTarget } from '../../../lib/connectors/tls-endpoint';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { fixedClock } from '../../../lib/ports/clock';
import type { StoredLocation } from '../../../lib/ports/inventory-store';
import { syncSource } from '../../../lib/use-cases/sync';
import { CertwardenConfig } from '../../../lib/domain/config';
import { isScopeFailure, type EagerEntry, type SourceItem } from '../../../lib/ports/certificate-source';
import { TrustAnchors } from '../../../lib/x509/chain';
import { issueCertificate, type IssuedCertificate } from '../../../lib/x509/factory';
import { collect, placeAt, placeState, useEmbeddedDynamoDb } from '../../support/inventory';
import {
  ConnectionCounter,
  refusedPort,
  silentServer,
  testPki,
  tlsServer,
  type LocalServer,
  type TestPki,
} from '../../support/tls-servers';

const dynamo = useEmbeddedDynamoDb();
const now = new Date();
const days = (n: number) => new Date(now.getTime() + n * 86_400_000);

let pki: TestPki;
const servers: LocalServer[] = [];
const targets: ScopedTarget[] = [];

/** A server on 127.0.0.1 serving `chain`, scanned with `serverName` as SNI. */
async function serve(serverName: string, chain: IssuedCertificate[]): Promise<void> {
  const server = await tlsServer(chain);
  servers.push(server);
  targets.push({ host: '127.0.0.1', port: server.port, serverName, scope: 'web' });
}

let refused: number;
let hanging: LocalServer;

beforeAll(async () => {
  pki = await testPki(now);
  const { intermediate } = pki;
  await serve('healthy.example.test', [await pki.leaf(['healthy.example.test']), intermediate]);
  await serve('expired.example.test', [
    await pki.leaf(['expired.example.test'], { notBefore: days(-100), notAfter: days(-1) }),
    intermediate,
  ]);
  await serve('self.example.test', [
    await issueCertificate({
      subject: 'CN=self.example.test',
      dns: ['self.example.test'],
      notBefore: days(-1),
      notAfter: days(90),
    }),
  ]);
  await serve('lonely.example.test', [await pki.leaf(['lonely.example.test'])]);
  await serve('wrong.example.test', [await pki.leaf(['other.example.test']), intermediate]);
  // The root sent before the intermediate: node:tls would hand the chain back relinked, in order.
  await serve('order.example.test', [await pki.leaf(['order.example.test']), pki.root, intermediate]);
  refused = await refusedPort();
  targets.push({ host: '127.0.0.1', port: refused, serverName: 'refused.example.test', scope: 'web' });
  hanging = await silentServer();
  servers.push(hanging);
  targets.push({ host: '127.0.0.1', port: hanging.port, serverName: 'hangs.example.test', scope: 'web' });
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

const source = (options: { deadlineMs?: number } = {}) =>
  new TlsEndpointSource({
    name: 'web',
    targets: () => targets,
    anchors: TrustAnchors.of({ publicRoots: false, pem: pki.root.pem }),
    // Long enough for a handshake on a loaded machine (a timeout would turn a finding into an error), short
    // enough for the hanging server's.
    timeoutMs: 3000,
    concurrency: 3,
    ...options,
  });

const leaves = (items: SourceItem[]) =>
  new Map(
    items
      .filter((item): item is EagerEntry => !isScopeFailure(item) && item.role === 'leaf')
      .map((entry) => [entry.nativeId.split('@')[0], entry]),
  );

/** What a target's leaf place says: its error, or whether its chain is trusted and the issues' codes. */
function findingsOf(entry: EagerEntry | undefined) {
  if (!entry) return undefined;
  if (entry.error) return { error: entry.error.replace(/^\S+: /, '') };
  const details = entry.metadata.details as { trusted: boolean; issues: Array<{ code: string }> };
  return { trusted: details.trusted, issues: details.issues.map((issue) => issue.code) };
}

describe('TlsEndpointSource against real TLS servers on 127.0.0.1', () => {
  let items: SourceItem[];
  beforeAll(async () => {
    items = await collect(source().list());
  });

  it.each([
    ['healthy.example.test', { trusted: true, issues: [] }],
    ['expired.example.test', { trusted: true, issues: ['expired'] }],
    ['self.example.test', { trusted: false, issues: ['self-signed'] }],
    ['lonely.example.test', { trusted: false, issues: ['missing-intermediate'] }],
    ['wrong.example.test', { trusted: true, issues: ['hostname-mismatch'] }],
    ['order.example.test', { trusted: true, issues: ['wrong-order'] }],
    ['refused.example.test', { error: 'connection refused' }],
    ['hangs.example.test', { error: 'timed out after 3000 ms in the TLS handshake' }],
  ])('%s: %j', (name, expected) => {
    expect(findingsOf(leaves(items).get(name))).toEqual(expected);
  });

  it('keeps each place at its endpoint, SNI name first, with the served issuers as chain places in use by it', () => {
    const healthy = targets[0];
    const id = `healthy.example.test@127.0.0.1:${healthy.port}`;
    const places = items.filter((item) => !isScopeFailure(item) && item.nativeId.startsWith(id)) as EagerEntry[];
    expect(places.map((place) => [place.role, place.certificate?.record.subjectCommonName])).toEqual([
      ['leaf', 'healthy.example.test'],
      ['chain', 'Test Intermediate'],
    ]);
    expect(places.map((place) => place.metadata.inUseBy)).toEqual([[id], [id]]);
    expect(places[0].metadata.details).toMatchObject({ protocol: 'TLSv1.3', serverName: 'healthy.example.test' });
    expect(String(places[0].metadata.details?.cipher)).toMatch(/^TLS_/);
  });

  it('scans every target whatever fails among them, with a scope failure for none', () => {
    expect(leaves(items).size).toBe(targets.length);
    expect(items.filter(isScopeFailure)).toEqual([]);
  });

  it('judges trust against the public roots alone as untrusted: the private root is not one of them', async () => {
    const publicOnly = new TlsEndpointSource({
      name: 'web',
      targets: () => targets.slice(0, 1),
      anchors: TrustAnchors.of({ publicRoots: true }),
      timeoutMs: 3000,
    });
    const [leaf] = leaves(await collect(publicOnly.list())).values();
    expect(findingsOf(leaf)).toEqual({ trusted: false, issues: ['missing-intermediate'] });
  });
});

describe('scan limits', () => {
  it('starts no connection after the deadline: the targets left are a failed scope, kept as last seen', async () => {
    const items = await collect(source({ deadlineMs: 0 }).list());
    expect(items).toEqual([
      { failedScope: 'web', message: `${targets.length} endpoint(s) not scanned: the scan's deadline passed` },
    ]);
  });

  it('holds no more connections open than its concurrency, counted by the servers', async () => {
    // Servers of their own, one count: a socket the scanner drops is still open at its server for a moment, and a
    // server of its own accepts the next connection in that moment (one server would see the close first).
    const counter = new ConnectionCounter();
    const many = await Promise.all(
      Array.from({ length: 30 }, async (_, i) =>
        tlsServer([await pki.leaf([`many-${i}.example.test`]), pki.intermediate], counter),
      ),
    );
    servers.push(...many);
    const scanned = await collect(
      new TlsEndpointSource({
        name: 'web',
        targets: () =>
          many.map((server, i) => ({
            host: '127.0.0.1',
            port: server.port,
            serverName: `many-${i}.example.test`,
            scope: 'web',
          })),
        anchors: TrustAnchors.of({ publicRoots: false, pem: pki.root.pem }),
        concurrency: 4,
      }).list(),
    );
    expect(scanned).toHaveLength(60);
    // Two handshakes a target: the scan's, then the TLS 1.2 one that reads the order the chain is sent in.
    expect(counter.accepted).toBe(60);
    expect(counter.high).toBeLessThanOrEqual(4);
  });
});

describe('configured targets', () => {
  it('expands endpoints, groups and port ranges, then the DNS names of the named sources, wildcards and other sources left out', async () => {
    const inventory = await dynamo.inventory();
    await placeAt(inventory, placeState('api.example.com', { source: 'acm', fingerprint: 'fp-1' }));
    await placeAt(
      inventory,
      placeState('shop', {
        source: 'acm',
        certificate: {
          ...placeState('x').certificate!,
          dnsNames: ['*.shop.example', 'shop.example', 'API.example.com'],
        },
      }),
    );
    await placeAt(inventory, placeState('elsewhere.example', { source: 'files' }));
    const [config] = CertwardenConfig.parse({
      sources: [
        {
          kind: 'tls-endpoint',
          name: 'web',
          endpoints: ['www.example.com', '[2001:db8::1]:8443'],
          groups: [
            { name: 'lan', endpoints: [{ host: '10.0.0.5', ports: ['8000-8001'], serverNames: ['a.lan', 'b.lan'] }] },
          ],
          namesFromInventory: { sources: ['acm'] },
        },
      ],
    }).sources;
    if (config.kind !== 'tls-endpoint') throw new Error('parsed as another kind');
    const targets = await collect(configuredTargets(config, inventory.store));
    expect(targets.map((t) => `${t.scope} ${t.host}:${t.port} ${t.serverName}`)).toEqual([
      'endpoints www.example.com:443 www.example.com',
      'endpoints 2001:db8::1:8443 null',
      'lan 10.0.0.5:8000 a.lan',
      'lan 10.0.0.5:8000 b.lan',
      'lan 10.0.0.5:8001 a.lan',
      'lan 10.0.0.5:8001 b.lan',
      'inventory-names api.example.com:443 api.example.com',
      'inventory-names shop.example:443 shop.example',
    ]);
  });
});

describe('an endpoint that cannot be reached for a while', () => {
  it('keeps what it served, leaf and chain, marked stale; announces no change or removal; clears the mark after', async () => {
    const pki = await testPki(now);
    const server = await tlsServer([await pki.leaf(['api.example.test']), pki.intermediate]);
    // A front on its own port that passes connections through, or drops them while the endpoint is "down".
    let down = false;
    const front = createNetServer((socket) => {
      if (down) return void socket.destroy();
      const back = connect(server.port, '127.0.0.1');
      socket.pipe(back).pipe(socket);
      socket.on('error', () => back.destroy());
      back.on('error', () => socket.destroy());
    });
    await new Promise<void>((listening) => front.listen(0, '127.0.0.1', listening));
    const target: ScopedTarget = {
      host: '127.0.0.1',
      port: (front.address() as AddressInfo).port,
      serverName: 'api.example.test',
      scope: 'web',
    };
    const endpoint = () =>
      new TlsEndpointSource({
        name: 'web',
        targets: () => [target],
        anchors: TrustAnchors.of({ publicRoots: false, pem: pki.root.pem }),
        timeoutMs: 2000,
      });
    const inventory = await dynamo.inventory();
    const sync = async (at: number) => {
      const events: CertwardenEvent[] = [];
      const report = await syncSource({
        source: endpoint(),
        store: inventory.store,
        clock: fixedClock(new Date(now.getTime() + at * 3_600_000)),
        events: { publish: async (batch) => void events.push(...batch) },
      });
      const places = await collect(inventory.store.bySource('web', 'live'));
      return { report, types: events.map(({ detailType }) => detailType), places };
    };
    try {
      const first = await sync(0);
      down = true;
      const unreached = await sync(1);
      down = false;
      const back = await sync(2);

      expect(first.places.map(({ role }) => role).sort()).toEqual(['chain', 'leaf']);
      const fingerprints = (places: StoredLocation[]) => places.map(({ fingerprint }) => fingerprint).sort();
      expect(fingerprints(unreached.places)).toEqual(fingerprints(first.places));
      expect(unreached.places.every(({ stale }) => stale?.reason.startsWith(`api.example.test@`))).toBe(true);
      expect(unreached.report.counts).toMatchObject({ stale: 2, removed: 0, updated: 0, unchanged: 0, errors: 1 });
      expect(unreached.types).toEqual(['Sync Failed']);
      expect(fingerprints(back.places)).toEqual(fingerprints(first.places));
      expect(back.places.every(({ stale }) => stale === undefined)).toBe(true);
      expect(back.types).not.toContain('Certificate Removed');
    } finally {
      await new Promise((closed) => front.close(closed));
      await server.close();
    }
  });
});
