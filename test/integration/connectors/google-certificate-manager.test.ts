import { generateKeyPairSync } from 'node:crypto';
import { CertificateManagerClient } from '@google-cloud/certificate-manager';
import { OAuth2Client } from 'google-auth-library';
import {
  createCertificateManagerClient,
  GoogleCertificateManagerSource,
  type GoogleCertificateManagerSourceOptions,
} from '../../../lib/connectors/google-certificate-manager';
import { CLOUD_PLATFORM_SCOPE, createGoogleAuthClient } from '../../../lib/connectors/google-credentials';
import { RateLimiters } from '../../../lib/connectors/rate-limiter';
import { fixedClock } from '../../../lib/ports/clock';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { syncSource } from '../../../lib/use-cases/sync';
import { generateKeys, issueCertificate, type IssuedCertificate } from '../../../lib/x509/factory';
import {
  FakeCertificateManager,
  pemFingerprint,
  type BearerCheck,
  type CertificateResource,
} from '../../support/fakes/certificate-manager-server';
import { collect, useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { inVirtualTime, VirtualTime } from '../../support/virtual-time';
import { busiestSecond, busiestSecondBy } from '../../support/request-rate';

const dynamo = useEmbeddedDynamoDb();
const clock = fixedClock('2026-06-01T00:00:00.000Z');
const inDays = (days: number) => new Date(clock.now().getTime() + days * 86_400_000);
const ACCESS_TOKEN = 'fake-access-token';

let ca: IssuedCertificate;
let keys: CryptoKeyPair;
beforeAll(async () => {
  ca = await issueCertificate({ subject: 'CN=Test CA', ca: true, notBefore: inDays(-400), notAfter: inDays(3000) });
  keys = await generateKeys();
});

/** A PEM chain as Certificate Manager returns it: the leaf, then its issuer. */
async function chainFor(host: string, daysLeft = 90): Promise<string> {
  const leaf = await issueCertificate({
    subject: `CN=${host}`,
    dns: [host],
    issuer: ca,
    keys,
    notBefore: inDays(daysLeft - 398),
    notAfter: inDays(daysLeft),
  });
  return leaf.pem + ca.pem;
}

const nameOf = (project: string, location: string, id: string) =>
  `projects/${project}/locations/${location}/certificates/${id}`;

async function selfManaged(
  name: string,
  labels: Record<string, string> = {},
  daysLeft = 90,
): Promise<CertificateResource> {
  const host = `${name.split('/').pop()}.example.com`;
  return {
    name,
    labels,
    selfManaged: {},
    pemCertificate: await chainFor(host, daysLeft),
    sanDnsnames: [host],
    expireTime: inDays(daysLeft).toISOString(),
  } satisfies CertificateResource;
}

async function managedActive(name: string, labels: Record<string, string> = {}): Promise<CertificateResource> {
  const host = `${name.split('/').pop()}.example.com`;
  return {
    name,
    labels,
    managed: {
      domains: [host],
      state: 'ACTIVE',
      authorizationAttemptInfo: [{ domain: host, state: 'AUTHORIZED' }],
    },
    pemCertificate: await chainFor(host),
    sanDnsnames: [host],
    expireTime: inDays(90).toISOString(),
  } satisfies CertificateResource;
}

const managedProvisioning = (name: string): CertificateResource => ({
  name,
  labels: { owner: 'web' },
  managed: {
    domains: ['new.example.com'],
    state: 'PROVISIONING',
    authorizationAttemptInfo: [{ domain: 'new.example.com', state: 'AUTHORIZING' }],
  },
  sanDnsnames: ['new.example.com'],
});

/** An OAuth2 client holding a preset access token: what the fake's Authorization check expects. */
function presetTokenAuth(): OAuth2Client {
  // Jest's CommonJS runtime cannot run gaxios' `import('node-fetch')`; Node's own fetch does the same job.
  const auth = new OAuth2Client({ transporterOptions: { fetchImplementation: fetch } });
  auth.setCredentials({ access_token: ACCESS_TOKEN, expiry_date: Date.now() + 3_600_000 });
  return auth;
}

const clients: CertificateManagerClient[] = [];
const fakes: FakeCertificateManager[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
});

async function startFake(bearer?: BearerCheck): Promise<FakeCertificateManager> {
  const fake = await FakeCertificateManager.start(bearer ?? { accessToken: ACCESS_TOKEN });
  fakes.push(fake);
  return fake;
}

function clientFor(fake: FakeCertificateManager, auth = presetTokenAuth()): CertificateManagerClient {
  const client = createCertificateManagerClient({ authClient: auth, ...fake.endpoint });
  clients.push(client);
  return client;
}

function sourceOn(
  fake: FakeCertificateManager,
  options: Partial<GoogleCertificateManagerSourceOptions> = {},
): GoogleCertificateManagerSource {
  return new GoogleCertificateManagerSource({
    name: 'gcm',
    client: clientFor(fake),
    projects: ['shop-prod'],
    pageSize: 50,
    ...options,
  });
}

/**
 * A sync in virtual time: the connector's production retry policy (8 attempts, back-off from 1 s, a 60 s call
 * timeout) and the server's Retry-After run on jest's fake clock, costing no real time.
 */
const sync = (options: Parameters<typeof syncSource>[0]) => inVirtualTime(() => syncSource(options));
/** Attempts per call in the connector's production retry policy. */
const MAX_ATTEMPTS = 8;

async function liveInventory(inventory: TestInventory): Promise<string[]> {
  const live = await collect(inventory.store.bySource('gcm', 'live'));
  return live.map((location) => `${location.nativeId} ${location.fingerprint ?? 'none'}`).sort();
}

const locationId = (name: string) => `google-certificate-manager:${name}`;
const pagesOf = (count: number, pageSize: number) => Math.max(1, Math.ceil(count / pageSize));

describe('Google Certificate Manager source, through the real SDK on the REST transport', () => {
  describe('an estate in 2 projects × 3 locations, listed 2 a page', () => {
    const PROJECTS = ['shop-prod', 'data-prod'];
    const LOCATIONS = ['global', 'us-central1', 'europe-west1'];
    const SIZES: Record<string, number> = {
      'shop-prod/global': 6,
      'shop-prod/us-central1': 3,
      'shop-prod/europe-west1': 0,
      'data-prod/global': 5,
      'data-prod/us-central1': 2,
      'data-prod/europe-west1': 2,
    };
    const COUNT = Object.values(SIZES).reduce((sum, size) => sum + size, 0);
    const PAGE_SIZE = 2;
    let fake: FakeCertificateManager;
    let inventory: TestInventory;
    let source: GoogleCertificateManagerSource;
    let firstSync: Awaited<ReturnType<typeof syncSource>>;
    let firstCalls: Record<string, number>;
    let client: CertificateManagerClient;

    beforeAll(async () => {
      fake = await FakeCertificateManager.start({ accessToken: ACCESS_TOKEN });
      // Four distinct certificates shared by the places (the same certificate uploaded in several locations,
      // as regional load balancers need).
      const chains = await Promise.all(
        Array.from({ length: 4 }, (_, index) => chainFor(`host-${index}.example.com`, -30 + index * 90)),
      );
      let serial = 0;
      for (const [scope, size] of Object.entries(SIZES)) {
        const [project, location] = scope.split('/');
        for (let index = 0; index < size; index++) {
          const name = nameOf(project, location, `cert-${String(index).padStart(4, '0')}`);
          const labels: Record<string, string> = index % 2 === 0 ? { owner: `team-${index % 7}` } : {};
          const pemCertificate = chains[serial++ % chains.length];
          // Some managed certificates are still being provisioned: no PEM yet.
          fake.putCertificate(
            index === 4
              ? managedProvisioning(name)
              : index % 3 === 0
                ? { name, labels, managed: { domains: [`${index}.example.com`], state: 'ACTIVE' }, pemCertificate }
                : { name, labels, selfManaged: {}, pemCertificate },
          );
        }
      }
      fake.putCertificateMap(
        {
          name: 'projects/shop-prod/locations/global/certificateMaps/storefront',
          gclbTargets: [{ targetHttpsProxy: 'projects/shop-prod/global/targetHttpsProxies/storefront-https' }],
        },
        [
          {
            name: 'projects/shop-prod/locations/global/certificateMaps/storefront/certificateMapEntries/www',
            hostname: 'www.example.com',
            certificates: [nameOf('shop-prod', 'global', 'cert-0003')],
          },
        ],
      );
      inventory = await dynamo.inventory();
      client = createCertificateManagerClient({ authClient: presetTokenAuth(), ...fake.endpoint });
      source = new GoogleCertificateManagerSource({
        name: 'gcm',
        client,
        projects: PROJECTS,
        locations: LOCATIONS,
        pageSize: PAGE_SIZE,
        concurrency: 4,
      });
      fake.setFaults({ throttleRate: 0.3, retryAfterSeconds: 0, unavailableRate: 0.1, seed: 7 });
      firstSync = await sync({ source, store: inventory.store, clock });
      firstCalls = fake.countsByOperation();
    });
    afterAll(async () => {
      await client?.close();
      await fake?.close();
    });

    it('comes through 30% throttling and 503s with the inventory equal to the source, nothing lost or doubled', async () => {
      expect(firstSync.complete).toBe(true);
      expect(firstSync.failedScopes).toEqual([]);
      expect(firstSync.counts).toMatchObject({ discovered: COUNT, errors: 0 });
      expect(await liveInventory(inventory)).toEqual(fake.expectedInventory());
      expect(fake.count('ListCertificates', 'throttled')).toBeGreaterThan(0);
      expect(fake.count('ListCertificates', 'unavailable')).toBeGreaterThan(0);
      expect(firstCalls.GetCertificate).toBeUndefined();
      expect(firstCalls.Other).toBeUndefined();
    });

    it('reads every page once: successful list calls are exactly the pages of each project/location', () => {
      const pages = Object.values(SIZES).reduce((sum, size) => sum + pagesOf(size, PAGE_SIZE), 0);
      const succeeded = fake.calls.filter((call) => call.operation === 'ListCertificates' && call.outcome === 'ok');

      expect(pages).toBe(11);
      expect(succeeded).toHaveLength(pages);
      expect(new Set(succeeded.map((call) => `${call.parent} ${call.pageToken}`)).size).toBe(pages);
    });

    it('resyncs the unchanged source with list pages only and no writes', async () => {
      fake.setFaults({ throttleRate: 0, unavailableRate: 0 });
      fake.resetCalls();
      inventory.meter.reset();

      const resync = await sync({ source, store: inventory.store, clock });

      expect(resync.counts).toMatchObject({ discovered: 0, updated: 0, renewed: 0, removed: 0, unchanged: COUNT });
      expect(inventory.meter.writeRequests).toBe(0);
      const pages = Object.values(SIZES).reduce((sum, size) => sum + pagesOf(size, PAGE_SIZE), 0);
      expect(fake.countsByOperation()).toEqual({
        ListCertificates: pages,
        // Usage comes from certificate maps: one page of maps per project, one page of entries per map.
        ListCertificateMaps: PROJECTS.length,
        ListCertificateMapEntries: 1,
      });
    });
  });

  describe('what each place says', () => {
    it('maps labels to tags and owner, through the configured owner label keys and the default owner', async () => {
      const fake = await startFake();
      fake.putCertificate(
        await selfManaged(nameOf('shop-prod', 'global', 'by-team'), { team: 'payments', env: 'prod' }),
      );
      fake.putCertificate(await selfManaged(nameOf('shop-prod', 'global', 'by-owner'), { owner: 'web' }));
      fake.putCertificate(await selfManaged(nameOf('shop-prod', 'global', 'unlabelled')));
      const inventory = await dynamo.inventory();

      await sync({
        source: sourceOn(fake, { ownerTagKeys: ['team', 'owner'], defaultOwner: 'platform' }),
        store: inventory.store,
        clock,
      });

      const place = (id: string) => inventory.store.getLocation(locationId(nameOf('shop-prod', 'global', id)));
      expect(await place('by-team')).toMatchObject({ owner: 'payments', tags: { team: 'payments', env: 'prod' } });
      expect(await place('by-owner')).toMatchObject({ owner: 'web', tags: { owner: 'web' } });
      expect(await place('unlabelled')).toMatchObject({ owner: 'platform', tags: {} });
    });

    it('tells a Google-managed certificate from a self-managed one, with project, location and state', async () => {
      const fake = await startFake();
      const managed = await managedActive(nameOf('shop-prod', 'us-central1', 'managed'));
      const uploaded = await selfManaged(nameOf('shop-prod', 'us-central1', 'uploaded'));
      fake.putCertificate(managed);
      fake.putCertificate(uploaded);
      const inventory = await dynamo.inventory();

      await sync({
        source: sourceOn(fake, { locations: ['us-central1'] }),
        store: inventory.store,
        clock,
      });

      expect(await inventory.store.getLocation(locationId(managed.name))).toMatchObject({
        scope: 'shop-prod/us-central1',
        account: 'shop-prod',
        region: 'us-central1',
        managed: true,
        renewal: 'google-managed',
        providerStatus: 'ACTIVE',
        fingerprint: pemFingerprint(managed.pemCertificate),
        certificate: expect.objectContaining({ subjectCommonName: 'managed.example.com', isCA: false }),
      });
      const stored = await inventory.store.getLocation(locationId(uploaded.name));
      expect(stored).toMatchObject({
        managed: false,
        renewal: 'manual',
        fingerprint: pemFingerprint(uploaded.pemCertificate),
      });
      expect(stored?.providerStatus).toBeUndefined();
      expect(stored?.error).toBeUndefined();
    });

    it('inventories a managed certificate still provisioning, with no certificate yet and no error', async () => {
      const fake = await startFake();
      const name = nameOf('shop-prod', 'global', 'brand-new');
      fake.putCertificate(managedProvisioning(name));
      const inventory = await dynamo.inventory();

      const report = await sync({ source: sourceOn(fake), store: inventory.store, clock });

      expect(report.counts).toMatchObject({ discovered: 1, errors: 0 });
      expect(await inventory.store.getLocation(locationId(name))).toMatchObject({
        status: 'live',
        fingerprint: null,
        certificate: null,
        managed: true,
        renewal: 'google-managed',
        providerStatus: 'PROVISIONING',
        owner: 'web',
      });
    });

    it('records a managed certificate whose domain authorization failed with its problem, not as a sync error', async () => {
      const fake = await startFake();
      const failed = nameOf('shop-prod', 'global', 'blocked');
      fake.putCertificate({
        name: failed,
        managed: {
          domains: ['blocked.example.com'],
          state: 'FAILED',
          provisioningIssue: { reason: 'AUTHORIZATION_ISSUE', details: 'Authorization attempt failed' },
          authorizationAttemptInfo: [
            {
              domain: 'blocked.example.com',
              state: 'FAILED',
              failureReason: 'CAA',
              details: 'CAA record forbids issuance',
            },
          ],
        },
      });
      // Still serving its current certificate, but renewal is stuck on one domain.
      const active = await managedActive(nameOf('shop-prod', 'global', 'renewal-stuck'));
      const renewing: CertificateResource = {
        ...active,
        managed: {
          ...active.managed,
          authorizationAttemptInfo: [
            {
              domain: 'renewal-stuck.example.com',
              state: 'FAILED',
              failureReason: 'CONFIG',
              details: 'DNS points elsewhere',
            },
          ],
        },
      };
      fake.putCertificate(renewing);
      const inventory = await dynamo.inventory();

      const published: CertwardenEvent[] = [];
      const events = { publish: async (batch: CertwardenEvent[]) => void published.push(...batch) };

      const report = await sync({ source: sourceOn(fake), store: inventory.store, clock, events });

      expect(report).toMatchObject({ complete: true, errors: [] });
      expect(report.counts).toMatchObject({ discovered: 2, errors: 0 });
      const failedPlace = await inventory.store.getLocation(locationId(failed));
      expect(failedPlace).toMatchObject({
        certificate: null,
        providerStatus: 'FAILED',
        problem:
          'managed certificate FAILED: provisioning failed; AUTHORIZATION_ISSUE: Authorization attempt failed; blocked.example.com: authorization failed (CAA: CAA record forbids issuance)',
      });
      expect(failedPlace?.error).toBeUndefined();
      expect(await inventory.store.getLocation(locationId(renewing.name))).toMatchObject({
        fingerprint: pemFingerprint(renewing.pemCertificate),
        providerStatus: 'ACTIVE',
        problem: expect.stringContaining(
          'renewal-stuck.example.com: authorization failed (CONFIG: DNS points elsewhere)',
        ),
      });
      const needingALook = await collect(inventory.store.byStatus('error'));
      expect(needingALook.map((place) => place.nativeId).sort()).toEqual([failed, renewing.name]);
      const problems = published.filter((event) => event.detailType === 'Certificate Provisioning Failed');
      expect(problems.map((event) => (event.detail as { nativeId: string }).nativeId).sort()).toEqual([
        failed,
        renewing.name,
      ]);
      expect(published.at(-1)?.detailType).toBe('Sync Completed');

      // Google returns whole resources on every listing: the same problem is neither an error nor news again.
      published.length = 0;
      const resync = await sync({ source: sourceOn(fake), store: inventory.store, clock, events });
      expect(resync).toMatchObject({ complete: true, errors: [] });
      expect(resync.counts).toMatchObject({ unchanged: 2, errors: 0 });
      expect(published.map((event) => event.detailType)).toEqual(['Sync Completed']);
    });

    it('fills inUseBy from the certificate map entries serving a certificate and their target proxies', async () => {
      const fake = await startFake();
      const served = await managedActive(nameOf('shop-prod', 'global', 'served'));
      const idle = await selfManaged(nameOf('shop-prod', 'global', 'idle'));
      fake.putCertificate(served);
      fake.putCertificate(idle);
      const map = 'projects/shop-prod/locations/global/certificateMaps/storefront';
      fake.putCertificateMap(
        { name: map, gclbTargets: [{ targetHttpsProxy: 'projects/shop-prod/global/targetHttpsProxies/storefront' }] },
        [
          { name: `${map}/certificateMapEntries/www`, hostname: 'www.example.com', certificates: [served.name] },
          { name: `${map}/certificateMapEntries/api`, hostname: 'api.example.com', certificates: [served.name] },
        ],
      );
      const inventory = await dynamo.inventory();

      await sync({ source: sourceOn(fake), store: inventory.store, clock });

      expect((await inventory.store.getLocation(locationId(served.name)))?.inUseBy).toEqual([
        'projects/shop-prod/global/targetHttpsProxies/storefront',
        `${map}/certificateMapEntries/api`,
        `${map}/certificateMapEntries/www`,
      ]);
      expect((await inventory.store.getLocation(locationId(idle.name)))?.inUseBy).toEqual([]);
    });
  });

  describe('when the certificate maps cannot be read', () => {
    it.each([
      [403, 'no permission to list them'],
      [404, 'the API refuses them'],
    ])(
      'syncs the certificates with usage unknown and a warning on %i (%s), and fills usage once readable',
      async (status) => {
        const fake = await startFake();
        const served = await managedActive(nameOf('shop-prod', 'global', 'served'));
        fake.putCertificate(served);
        const map = 'projects/shop-prod/locations/global/certificateMaps/storefront';
        fake.putCertificateMap({ name: map, gclbTargets: [] }, [
          { name: `${map}/certificateMapEntries/www`, hostname: 'www.example.com', certificates: [served.name] },
        ]);
        fake.failParent('projects/shop-prod/locations/global', status, 'ListCertificateMaps');
        const inventory = await dynamo.inventory();
        const source = sourceOn(fake);

        const report = await sync({ source, store: inventory.store, clock });

        expect(report).toMatchObject({ complete: true, errors: [], failedScopes: [] });
        expect(report.counts).toMatchObject({ discovered: 1, errors: 0 });
        expect(report.warnings).toEqual([
          expect.stringMatching(
            /^projects\/shop-prod\/locations\/global: usage unknown .*certificate maps: .*(403|404)/,
          ),
        ]);
        const place = await inventory.store.getLocation(locationId(served.name));
        expect(place).toMatchObject({ fingerprint: pemFingerprint(served.pemCertificate) });
        expect(place?.inUseBy).toBeUndefined();

        fake.restoreParent('projects/shop-prod/locations/global');
        const readable = await sync({ source, store: inventory.store, clock });
        expect(readable).toMatchObject({ warnings: [], errors: [] });
        expect((await inventory.store.getLocation(locationId(served.name)))?.inUseBy).toEqual([
          `${map}/certificateMapEntries/www`,
        ]);
      },
    );

    it('keeps the usage it knew, with no change announced, while the maps fail after their retries', async () => {
      const fake = await startFake();
      const served = await managedActive(nameOf('shop-prod', 'global', 'served'));
      fake.putCertificate(served);
      const map = 'projects/shop-prod/locations/global/certificateMaps/storefront';
      const proxy = 'projects/shop-prod/global/targetHttpsProxies/sf';
      fake.putCertificateMap({ name: map, gclbTargets: [{ targetHttpsProxy: proxy }] }, [
        { name: `${map}/certificateMapEntries/www`, hostname: 'www.example.com', certificates: [served.name] },
      ]);
      const inventory = await dynamo.inventory();
      const source = sourceOn(fake);
      await sync({ source, store: inventory.store, clock });
      const known = (await inventory.store.getLocation(locationId(served.name)))?.inUseBy;

      fake.failParent('projects/shop-prod/locations/global', 503, 'ListCertificateMaps');
      const events: CertwardenEvent[] = [];
      const report = await sync({
        source,
        store: inventory.store,
        clock,
        events: { publish: async (batch) => void events.push(...batch) },
      });

      expect(known).toEqual([proxy, `${map}/certificateMapEntries/www`]);
      expect(report.counts).toMatchObject({ updated: 0, unchanged: 1 });
      expect(report.warnings).toEqual([expect.stringMatching(/usage unknown/)]);
      expect(events.map(({ detailType }) => detailType)).toEqual(['Sync Completed']);
      expect((await inventory.store.getLocation(locationId(served.name)))?.inUseBy).toEqual(known);
    });

    it('reads no map when usageFromCertificateMaps is off', async () => {
      const fake = await startFake();
      fake.putCertificate(await managedActive(nameOf('shop-prod', 'global', 'plain')));
      const inventory = await dynamo.inventory();

      const report = await sync({
        source: sourceOn(fake, { usageFromCertificateMaps: false }),
        store: inventory.store,
        clock,
      });

      expect(report).toMatchObject({ errors: [], warnings: [] });
      expect(fake.calls.map((call) => call.operation)).toEqual(['ListCertificates']);
    });
  });

  describe('changes between syncs', () => {
    it('records a renewal: a new certificate at the same name, with its history', async () => {
      const fake = await startFake();
      const before = await managedActive(nameOf('shop-prod', 'global', 'renewing'));
      fake.putCertificate(before);
      const inventory = await dynamo.inventory();
      const source = sourceOn(fake);
      await sync({ source, store: inventory.store, clock });

      const after = { ...before, pemCertificate: await chainFor('renewing.example.com', 180) };
      fake.putCertificate(after);
      const report = await sync({ source, store: inventory.store, clock });

      expect(report.counts).toMatchObject({ renewed: 1, unchanged: 0 });
      const id = locationId(before.name);
      expect(await inventory.store.getLocation(id)).toMatchObject({
        fingerprint: pemFingerprint(after.pemCertificate),
      });
      expect(await inventory.store.history(id)).toEqual([
        expect.objectContaining({ change: 'discovered', fingerprint: pemFingerprint(before.pemCertificate) }),
        expect.objectContaining({
          change: 'renewed',
          fingerprint: pemFingerprint(after.pemCertificate),
          previousFingerprint: pemFingerprint(before.pemCertificate),
        }),
      ]);
    });

    it('turns a certificate deleted from Certificate Manager into a tombstone', async () => {
      const fake = await startFake();
      const kept = await selfManaged(nameOf('shop-prod', 'global', 'kept'));
      const dropped = await selfManaged(nameOf('shop-prod', 'global', 'dropped'));
      fake.putCertificate(kept);
      fake.putCertificate(dropped);
      const inventory = await dynamo.inventory();
      const source = sourceOn(fake);
      await sync({ source, store: inventory.store, clock });

      fake.deleteCertificate(dropped.name);
      const report = await sync({ source, store: inventory.store, clock });

      expect(report.counts).toMatchObject({ removed: 1, unchanged: 1 });
      expect(await inventory.store.getLocation(locationId(dropped.name))).toMatchObject({ status: 'removed' });
      expect(await liveInventory(inventory)).toEqual(fake.expectedInventory());
    });
  });

  describe('a project/location that cannot be read', () => {
    it('keeps its places, marked stale, never tombstoned, while the other locations sync; they return when it does', async () => {
      const fake = await startFake();
      const broken = 'projects/shop-prod/locations/europe-west1';
      const there = [
        await selfManaged(nameOf('shop-prod', 'europe-west1', 'eu-1')),
        await selfManaged(nameOf('shop-prod', 'europe-west1', 'eu-2')),
      ];
      const elsewhere = await selfManaged(nameOf('shop-prod', 'global', 'global-1'));
      for (const certificate of [...there, elsewhere]) fake.putCertificate(certificate);
      const inventory = await dynamo.inventory();
      const source = sourceOn(fake, {
        locations: ['global', 'europe-west1'],
      });
      await sync({ source, store: inventory.store, clock });

      // The location goes down, and meanwhile one certificate there is deleted and one appears elsewhere.
      fake.failParent(broken, 503);
      fake.deleteCertificate(there[1].name);
      const added = await selfManaged(nameOf('shop-prod', 'global', 'global-2'));
      fake.putCertificate(added);
      const report = await sync({ source, store: inventory.store, clock });

      expect(report.complete).toBe(true);
      expect(report.failedScopes).toEqual([
        {
          scope: 'shop-prod/europe-west1',
          message: `ListCertificates ${broken}: 503 UNAVAILABLE: ${broken} cannot be read right now (after ${MAX_ATTEMPTS} attempts)`,
        },
      ]);
      expect(report.counts).toMatchObject({ discovered: 1, removed: 0, stale: 2 });
      expect(fake.calls.filter((call) => call.parent === broken && call.outcome === 'unavailable')).toHaveLength(
        MAX_ATTEMPTS,
      );
      for (const certificate of there) {
        expect(await inventory.store.getLocation(locationId(certificate.name))).toMatchObject({
          status: 'live',
          stale: expect.objectContaining({ reason: expect.stringContaining('503 UNAVAILABLE') }),
        });
      }
      expect(await inventory.store.getLocation(locationId(added.name))).toMatchObject({ status: 'live' });

      fake.restoreParent(broken);
      const recovered = await sync({ source, store: inventory.store, clock });

      expect(recovered.failedScopes).toEqual([]);
      expect(recovered.counts).toMatchObject({ removed: 1 });
      expect(await liveInventory(inventory)).toEqual(fake.expectedInventory());
      expect((await inventory.store.getLocation(locationId(there[0].name)))?.stale).toBeUndefined();
    });

    it('gives up on a location it may not read at once, without retrying a permission error', async () => {
      const fake = await startFake();
      const denied = 'projects/shop-prod/locations/us-east1';
      fake.putCertificate(await selfManaged(nameOf('shop-prod', 'global', 'fine')));
      fake.failParent(denied, 403);
      const inventory = await dynamo.inventory();

      const report = await sync({
        source: sourceOn(fake, { locations: ['global', 'us-east1'] }),
        store: inventory.store,
        clock,
      });

      expect(report.failedScopes).toEqual([
        {
          scope: 'shop-prod/us-east1',
          message: expect.stringMatching(/^ListCertificates .*: 403 PERMISSION_DENIED: /),
        },
      ]);
      expect(fake.calls.filter((call) => call.parent === denied)).toHaveLength(1);
      expect(report.counts).toMatchObject({ discovered: 1 });
    });
    it('cancels a call that gets no answer and, after its retries, reports the location as failed', async () => {
      const fake = await startFake();
      const stalled = 'projects/shop-prod/locations/asia-east1';
      fake.putCertificate(await selfManaged(nameOf('shop-prod', 'global', 'answered')));
      fake.stallParent(stalled);
      const inventory = await dynamo.inventory();

      const report = await sync({
        source: sourceOn(fake, { locations: ['global', 'asia-east1'] }),
        store: inventory.store,
        clock,
      });

      expect(report.failedScopes).toEqual([
        {
          scope: 'shop-prod/asia-east1',
          message: `ListCertificates ${stalled}: TimeoutError: no response within 60000 ms (after ${MAX_ATTEMPTS} attempts)`,
        },
      ]);
      expect(fake.count('ListCertificates', 'stalled')).toBe(MAX_ATTEMPTS);
      expect(report.counts).toMatchObject({ discovered: 1 });
    });
  });

  describe('retries', () => {
    it('waits as long as Retry-After asks, holding back the other calls to the same project', async () => {
      const fake = await startFake();
      const throttled = 'projects/shop-prod/locations/global';
      const neighbour = 'projects/shop-prod/locations/us-central1';
      fake.putCertificate(await selfManaged(nameOf('shop-prod', 'global', 'one')));
      for (const id of ['two', 'three', 'four'])
        fake.putCertificate(await selfManaged(nameOf('shop-prod', 'us-central1', id)));
      // Only the global location is throttled (once); the neighbour's pages are slow enough to be read after.
      fake.setFaults({
        throttleRate: 1,
        retryAfterSeconds: 1,
        maxConsecutiveFaults: 1,
        faultParents: [throttled],
        latencyMs: 100,
      });
      const inventory = await dynamo.inventory();

      const report = await sync({
        source: sourceOn(fake, {
          locations: ['global', 'us-central1'],
          pageSize: 1,
          concurrency: 2,
          usageFromCertificateMaps: false,
        }),
        store: inventory.store,
        clock,
      });

      expect(report.counts).toMatchObject({ discovered: 4, errors: 0 });
      const [throttle] = fake.calls.filter((call) => call.outcome === 'throttled');
      const retried = fake.calls.filter((call) => call.parent === throttled && call.outcome === 'ok');
      // Virtual milliseconds (the fake logs Date.now()): what the connector waited, whatever the machine's speed.
      expect(retried[0].at - throttle.at).toBeGreaterThanOrEqual(1_000);
      const neighbourPages = fake.calls.filter((call) => call.parent === neighbour);
      expect(neighbourPages).toHaveLength(3);
      // Whatever was on the wire before the throttle went; nothing went during the pause it asked for.
      const duringPause = neighbourPages.filter((page) => page.at > throttle.at && page.at - throttle.at < 1_000);
      expect(duringPause).toEqual([]);
    });

    it('is needed: on the REST transport the SDK alone gives up on the first 429 or 503', async () => {
      // gax retries ListCertificates on gRPC UNAVAILABLE only, but REST errors carry the HTTP status as `code`.
      const fake = await startFake();
      const client = clientFor(fake);

      for (const [throttleRate, unavailableRate, status] of [
        [1, 0, 429],
        [0, 1, 503],
      ]) {
        fake.setFaults({ throttleRate, unavailableRate, maxConsecutiveFaults: 5 });
        fake.resetCalls();
        const attempt = client.listCertificates({ parent: 'projects/shop-prod/locations/global' });

        await expect(attempt).rejects.toMatchObject({ code: status });
        expect(fake.calls).toHaveLength(1);
      }
    });
  });

  it('authenticates with a service account key fetched by ARN, as a self-signed JWT the server verifies', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const email = 'certwarden-reader@shop-prod.iam.gserviceaccount.com';
    const fake = await startFake({
      serviceAccountEmail: email,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      scope: CLOUD_PLATFORM_SCOPE,
    });
    fake.putCertificate(await selfManaged(nameOf('shop-prod', 'global', 'signed-in')));
    const secret = JSON.stringify({
      type: 'service_account',
      client_email: email,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    const auth = await createGoogleAuthClient(
      { type: 'service-account', secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:gcm-AbCdEf' },
      { fetchSecret: async () => secret, fetchImplementation: fetch },
    );
    const inventory = await dynamo.inventory();

    const report = await sync({
      source: sourceOn(fake, { client: clientFor(fake, auth as OAuth2Client) }),
      store: inventory.store,
      clock,
    });

    expect(report.counts).toMatchObject({ discovered: 1, errors: 0 });
    expect(fake.count(undefined, 'unauthenticated')).toBe(0);
  });

  it('stops calling the API when the consumer of the listing stops early', async () => {
    const fake = await startFake();
    for (let index = 0; index < 120; index++) {
      fake.putCertificate({ ...managedProvisioning(nameOf('shop-prod', 'global', `p-${index}`)) });
    }
    const source = sourceOn(fake, { pageSize: 10, usageFromCertificateMaps: false });

    const time = VirtualTime.start();
    try {
      await time.run(
        (async () => {
          for await (const _item of source.list()) break;
        })(),
      );
      // A request already on the wire when the listing stopped is cancelled, but may still reach the server.
      await time.runOut(60_000);
      const callsWhenStopped = fake.calls.length;
      await time.runOut(10 * 60_000);

      expect(fake.calls.length).toBe(callsWhenStopped);
      expect(callsWhenStopped).toBeLessThan(12);
    } finally {
      time.stop();
    }
  });
});

describe('the rate of requests a project receives', () => {
  /** `count` certificates in each location of each project, listed a page each. */
  async function estate(projects: string[], locations: string[], count: number) {
    const fake = await startFake();
    for (const project of projects) {
      for (const location of locations) {
        for (let index = 0; index < count; index++) {
          fake.putCertificate(await selfManaged(nameOf(project, location, `c-${index}`)));
        }
      }
    }
    return fake;
  }

  it('never passes the configured rate in any one second, all locations of a project and retries together; each project has its own bucket', async () => {
    const RATE = 2;
    const projects = ['shop-prod', 'data-prod'];
    const fake = await estate(projects, ['global', 'us-central1', 'europe-west1'], 3);
    fake.setFaults({ throttleRate: 0.3, retryAfterSeconds: 0, unavailableRate: 0.1, seed: 3 });
    const inventory = await dynamo.inventory();
    const source = sourceOn(fake, {
      projects,
      locations: ['global', 'us-central1', 'europe-west1'],
      pageSize: 1,
      concurrency: 6,
      requestsPerSecond: RATE,
      rateLimiters: new RateLimiters(),
    });

    const report = await sync({ source, store: inventory.store, clock });

    expect(report.counts).toMatchObject({ discovered: 18, errors: 0 });
    expect(fake.count(undefined, 'throttled') + fake.count(undefined, 'unavailable')).toBeGreaterThan(0);
    // Three locations of a project listed at once, and still its rate: the bucket is the project's.
    expect(
      busiestSecondBy(
        fake.calls,
        (call) => call.parent.split('/')[1],
        (call) => call.at,
      ),
    ).toEqual({ 'shop-prod': RATE, 'data-prod': RATE });
    expect(busiestSecond(fake.calls.map((call) => call.at))).toBeGreaterThan(RATE);
  });

  it('goes at Google’s published 300 a minute, 5 a second, when none is configured', async () => {
    const fake = await estate(['shop-prod'], ['global', 'us-central1'], 10);
    const inventory = await dynamo.inventory();
    const source = sourceOn(fake, {
      locations: ['global', 'us-central1'],
      pageSize: 1,
      rateLimiters: new RateLimiters(),
    });

    const report = await sync({ source, store: inventory.store, clock });

    expect(report.counts).toMatchObject({ discovered: 20, errors: 0 });
    expect(
      busiestSecondBy(
        fake.calls,
        (call) => call.parent.split('/')[1],
        (call) => call.at,
      ),
    ).toEqual({ 'shop-prod': 5 });
  });
});
