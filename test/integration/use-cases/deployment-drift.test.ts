import { DynamoAlertLedger } from '../../../lib/adapters/dynamodb-alert-ledger';
import { DynamoServedAlerts } from '../../../lib/adapters/dynamodb-served-alerts';
import { TlsEndpointSource, type ScopedTarget } from '../../../lib/connectors/tls-endpoint';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { RECOMMENDED_POLICY } from '../../../lib/domain/policy';
import type { CertificateSource, SourceItem } from '../../../lib/ports/certificate-source';
import { systemClock } from '../../../lib/ports/clock';
import type { EventPublisher } from '../../../lib/ports/event-publisher';
import { detectDeploymentDrift } from '../../../lib/use-cases/deployment-drift';
import { syncSource } from '../../../lib/use-cases/sync';
import { TrustAnchors } from '../../../lib/x509/chain';
import type { IssuedCertificate } from '../../../lib/x509/factory';
import { normalize } from '../../../lib/x509/parse';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { refusedPort, testPki, tlsServer, type LocalTlsServer, type TestPki } from '../../support/tls-servers';

const dynamo = useEmbeddedDynamoDb();
const now = new Date();
const days = (n: number) => new Date(now.getTime() + n * 86_400_000);

class RecordingPublisher implements EventPublisher {
  readonly events: CertwardenEvent[] = [];
  async publish(events: CertwardenEvent[]) {
    this.events.push(...events);
  }
}

/** ACM as the inventory holds it after a sync: one place per certificate (the system under test reads the store). */
const acm = (certificates: Record<string, IssuedCertificate>): CertificateSource => ({
  kind: 'aws-acm',
  name: 'acm',
  async *list(): AsyncIterable<SourceItem> {
    for (const [id, certificate] of Object.entries(certificates)) {
      yield {
        nativeId: `arn:aws:acm:eu-west-1:111111111111:certificate/${id}`,
        scope: '111111111111/eu-west-1',
        role: 'leaf',
        certificate: { record: normalize(certificate.der), der: certificate.der },
        metadata: { owner: 'web', tags: {}, renewal: 'acm-managed' },
      };
    }
  },
});

let pki: TestPki;
const servers: Record<string, LocalTlsServer> = {};
const targets: ScopedTarget[] = [];
const certificates: Record<string, IssuedCertificate> = {};

async function serve(serverName: string, chain: IssuedCertificate[]) {
  const server = await tlsServer(chain);
  servers[serverName] = server;
  targets.push({ host: '127.0.0.1', port: server.port, serverName, scope: 'web' });
}

beforeAll(async () => {
  pki = await testPki(now);
  certificates.healthy = await pki.leaf(['healthy.example.test']);
  certificates.old = await pki.leaf(['drift.example.test'], { notBefore: days(-80), notAfter: days(10) });
  certificates.renewed = await pki.leaf(['drift.example.test'], { notBefore: days(-2), notAfter: days(88) });
  certificates.stranger = await pki.leaf(['stranger.example.test']);
  certificates.rogue = await pki.leaf(['rogue.example.test']);
  certificates.patched = await pki.leaf(['rogue.example.test']);
  await serve('healthy.example.test', [certificates.healthy, pki.intermediate]);
  await serve('drift.example.test', [certificates.old, pki.intermediate]);
  await serve('stranger.example.test', [certificates.stranger, pki.intermediate]);
  await serve('lonely.example.test', [certificates.stranger]);
  targets.push({ host: '127.0.0.1', port: await refusedPort(), serverName: 'refused.example.test', scope: 'web' });
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((server) => server.close()));
});

describe('deployment drift: what endpoints serve, joined with the inventory', () => {
  let inventory: TestInventory;
  let events: RecordingPublisher;
  const scan = async () => {
    const source = new TlsEndpointSource({
      name: 'web',
      targets: () => targets,
      anchors: TrustAnchors.of({ publicRoots: false, pem: pki.root.pem }),
      timeoutMs: 5000,
    });
    await syncSource({ source, store: inventory.store, clock: systemClock, events, policy: RECOMMENDED_POLICY });
  };
  const drift = (publisher: EventPublisher = events) =>
    detectDeploymentDrift({
      store: inventory.store,
      ledger: new DynamoAlertLedger(inventory.client, inventory.tableName, systemClock),
      served: new DynamoServedAlerts(inventory.client, inventory.tableName),
      events: publisher,
      clock: systemClock,
      source: 'web',
      inventorySources: ['acm'],
    });
  const served = (types: string[]) =>
    events.events
      .filter((event) => types.includes(event.detailType))
      .map((event) => {
        const detail = event.detail as { nativeId: string; fingerprint: string };
        return `${event.detailType} ${detail.nativeId.split('@')[0]} ${detail.fingerprint}`;
      })
      .sort();

  beforeAll(async () => {
    inventory = await dynamo.inventory();
    events = new RecordingPublisher();
    const { healthy, renewed } = certificates;
    await syncSource({ source: acm({ healthy, renewed }), store: inventory.store, clock: systemClock });
    await scan();
  });

  it('raises Deployment Drift for the endpoint serving the older certificate, Unknown for those no source holds, once each even when two runs race', async () => {
    const [first, second] = await Promise.all([drift(), drift()]);
    const fp = (name: string) => normalize(certificates[name].der).fingerprintSha256;
    expect(served(['Deployment Drift', 'Unknown Certificate Served'])).toEqual([
      `Deployment Drift drift.example.test ${fp('old')}`,
      `Unknown Certificate Served lonely.example.test ${fp('stranger')}`,
      `Unknown Certificate Served stranger.example.test ${fp('stranger')}`,
    ]);
    expect(first.raised.length + second.raised.length).toBe(3);
    expect(first.alreadyRaised + second.alreadyRaised).toBe(3);
    const driftEvent = events.events.find((event) => event.detailType === 'Deployment Drift')!;
    expect(driftEvent.detail).toMatchObject({
      name: 'drift.example.test',
      serverName: 'drift.example.test',
      severity: 'high',
      inventory: { fingerprint: fp('renewed'), source: 'acm', sourceKind: 'aws-acm' },
    });
  });

  it('raises nothing again on the next scan: each (endpoint, certificate) is raised once', async () => {
    const before = events.events.length;
    await scan();
    const report = await drift();
    expect(report.raised).toEqual([]);
    expect(report.alreadyRaised).toBe(3);
    expect(events.events.slice(before).map((event) => event.detailType)).not.toContain('Deployment Drift');
  });

  it('opens served-chain-valid on the endpoint that leaves out its intermediate, and on no other', () => {
    expect(
      events.events
        .filter((event) => event.detailType === 'Policy Violation')
        .map((event) => event.detail as { ruleId: string; nativeId: string; message: string })
        .filter((violation) => violation.ruleId === 'served-chain-valid')
        .map((violation) => [violation.nativeId.split('@')[0], violation.message]),
    ).toEqual([
      [
        'lonely.example.test',
        'stranger.example.test is issued by CN=Test Intermediate, which the server does not send and no trusted root is; ' +
          'serves a certificate for stranger.example.test, not lonely.example.test',
      ],
    ]);
  });

  describe('resolving what was raised', () => {
    const fp = (name: string) => normalize(certificates[name].der).fingerprintSha256;
    const resolutions = () =>
      events.events
        .filter((event) => event.detailType === 'Served Certificate Resolved')
        .map((event) => event.detail as { nativeId: string; fingerprint: string; resolves: string; resolution: string })
        .map(
          (detail) => `${detail.nativeId.split('@')[0]} ${detail.resolves} ${detail.fingerprint}: ${detail.resolution}`,
        );
    const failing: EventPublisher = {
      publish: async () => {
        throw new Error('EventBridge is down');
      },
    };

    it('resolves Deployment Drift once the endpoint serves the renewed certificate, once even when two runs race', async () => {
      const raised = events.events.find((event) => event.detailType === 'Deployment Drift')!;
      await servers['drift.example.test'].deploy([certificates.renewed, pki.intermediate]);
      await scan();
      const [first, second] = await Promise.all([drift(), drift()]);
      expect(first.resolved.length + second.resolved.length).toBe(1);
      expect(resolutions()).toEqual([
        `drift.example.test Deployment Drift ${fp('old')}: the endpoint serves drift.example.test ${fp('renewed').slice(0, 16)}… now`,
      ]);
      const resolved = events.events.find((event) => event.detailType === 'Served Certificate Resolved')!;
      expect(resolved.detail).toMatchObject({
        alertId: (raised.detail as { alertId: string }).alertId,
        locationId: (raised.detail as { locationId: string }).locationId,
        severity: 'info',
      });
      expect(resolved.detail).not.toHaveProperty('inventory');
      const again = await drift();
      expect([again.raised, again.resolved]).toEqual([[], []]);
    });

    it('raises the drift again when the old certificate comes back (a rollback), and resolves it again', async () => {
      const drifts = () => served(['Deployment Drift']).filter((line) => line.startsWith('Deployment Drift drift.'));
      await servers['drift.example.test'].deploy([certificates.old, pki.intermediate]);
      await scan();
      expect((await drift()).raised.map((event) => event.detailType)).toEqual(['Deployment Drift']);
      expect(drifts()).toHaveLength(2);
      await servers['drift.example.test'].deploy([certificates.renewed, pki.intermediate]);
      await scan();
      expect((await drift()).resolved).toHaveLength(1);
      expect(resolutions().filter((line) => line.startsWith('drift.'))).toHaveLength(2);
    });

    it('resolves Unknown Certificate Served at every endpoint serving it once a source holds the certificate', async () => {
      const before = resolutions().length;
      const { healthy, renewed, stranger } = certificates;
      await syncSource({ source: acm({ healthy, renewed, stranger }), store: inventory.store, clock: systemClock });
      const report = await drift();
      expect(report.raised).toEqual([]);
      expect(resolutions().slice(before).sort()).toEqual([
        `lonely.example.test Unknown Certificate Served ${fp('stranger')}: a source of the inventory holds the certificate it serves now`,
        `stranger.example.test Unknown Certificate Served ${fp('stranger')}: a source of the inventory holds the certificate it serves now`,
      ]);
    });

    it('keeps the alert of an endpoint that does not answer open, and resolves it once the endpoint leaves the scan', async () => {
      await serve('rogue.example.test', [certificates.rogue, pki.intermediate]);
      await scan();
      expect((await drift()).raised).toHaveLength(1);
      expect(served(['Unknown Certificate Served']).filter((line) => line.includes('rogue.'))).toEqual([
        `Unknown Certificate Served rogue.example.test ${fp('rogue')}`,
      ]);
      await servers['rogue.example.test'].close();
      await scan();
      expect((await drift()).resolved).toEqual([]);
      targets.splice(
        targets.findIndex((target) => target.serverName === 'rogue.example.test'),
        1,
      );
      await scan();
      expect((await drift()).resolved).toHaveLength(1);
      expect(resolutions().at(-1)).toBe(
        `rogue.example.test Unknown Certificate Served ${fp('rogue')}: the endpoint is no longer scanned`,
      );
    });

    it('keeps an alert open when its resolution cannot be published, and announces it once on the next run', async () => {
      await serve('patched.example.test', [certificates.rogue, pki.intermediate]);
      await scan();
      expect((await drift()).raised).toHaveLength(1);
      await servers['patched.example.test'].deploy([certificates.healthy, pki.intermediate]);
      await scan();
      const before = resolutions().length;
      await expect(drift(failing)).rejects.toThrow('EventBridge is down');
      expect((await drift()).resolved).toHaveLength(1);
      expect((await drift()).resolved).toHaveLength(0);
      expect(resolutions().slice(before)).toEqual([
        `patched.example.test Unknown Certificate Served ${fp('rogue')}: the endpoint serves healthy.example.test ${fp('healthy').slice(0, 16)}… now`,
      ]);
    });

    it('keeps track of an alert raised before open alerts were kept, and resolves it', async () => {
      await servers['patched.example.test'].deploy([certificates.patched, pki.intermediate]);
      await scan();
      expect((await drift()).raised).toHaveLength(1);
      // What a store written before this release holds: the ledger's entry, no open alert.
      const openAlerts = new DynamoServedAlerts(inventory.client, inventory.tableName);
      for await (const alert of openAlerts.openIn('web', 'web')) await openAlerts.close(alert);
      const quiet = await drift();
      expect([quiet.raised, quiet.resolved, quiet.alreadyRaised]).toEqual([[], [], 1]);
      await servers['patched.example.test'].deploy([certificates.healthy, pki.intermediate]);
      await scan();
      expect((await drift()).resolved.map((event) => (event.detail as { fingerprint: string }).fingerprint)).toEqual([
        fp('patched'),
      ]);
    });
  });
});
