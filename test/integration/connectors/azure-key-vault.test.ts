import { createHash } from 'node:crypto';
import type { CertificateClientOptions } from '@azure/keyvault-certificates';
import {
  AzureKeyVaultSource,
  createKeyVaultClient,
  KEY_VAULT_RETRY_OPTIONS,
  type AzureKeyVaultSourceOptions,
} from '../../../lib/connectors/azure-key-vault';
import { RateLimiters } from '../../../lib/connectors/rate-limiter';
import { fixedClock } from '../../../lib/ports/clock';
import { syncSource } from '../../../lib/use-cases/sync';
import { parseCertificates } from '../../../lib/x509/parse';
import {
  FakeKeyVault,
  LeafFactory,
  StubTokenCredential,
  makeFakeTls,
  startFakeVaults,
  type FakeTls,
  type NewCertificate,
  type Outage,
} from '../../support/fakes/key-vault-server';
import { collect, useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { inVirtualTime, VirtualTime } from '../../support/virtual-time';
import { busiestSecond } from '../../support/request-rate';

const dynamo = useEmbeddedDynamoDb();
const clock = fixedClock('2026-06-01T00:00:00.000Z');

let tls: FakeTls;
let leaves: LeafFactory;
const vaults: FakeKeyVault[] = [];
const credential = new StubTokenCredential();

beforeAll(async () => {
  [tls, leaves] = await Promise.all([makeFakeTls(), LeafFactory.create()]);
});
afterAll(async () => {
  await Promise.all(vaults.map((vault) => vault.close()));
});

async function startVaults(count: number, pageSize?: number): Promise<FakeKeyVault[]> {
  const started = await startFakeVaults(count, { tls, token: credential.token, seed: vaults.length + 1, pageSize });
  vaults.push(...started);
  return started;
}

/**
 * The real SDK client with certwarden's retry settings, trusting the fake's CA through the pipeline's
 * `tlsOptions` (NODE_EXTRA_CA_CERTS is only read at process start). Syncs that meet faults run in virtual
 * time, so the production back-off costs no real time.
 */
const clientOptions = (): CertificateClientOptions => ({
  tlsOptions: { ca: tls.caPem },
  disableChallengeResourceVerification: true,
});

function sourceOver(
  over: FakeKeyVault[],
  options: Partial<AzureKeyVaultSourceOptions> = {},
  subscriptionId = 'sub-0001',
): AzureKeyVaultSource {
  return new AzureKeyVaultSource({
    name: 'key-vaults',
    vaults: over.map((vault) => ({ url: vault.url, subscriptionId })),
    clientFor: (vault, circuitBreaker) =>
      createKeyVaultClient(vault.url, credential, { ...clientOptions(), circuitBreaker }),
    ...options,
  });
}

async function fill(
  vault: FakeKeyVault,
  count: number,
  shape: (index: number) => Partial<NewCertificate> = () => ({}),
) {
  const ders = await Promise.all(Array.from({ length: count }, (_, index) => leaves.issue(`c${index}.example.com`)));
  ders.forEach((der, index) => vault.add(`cert-${String(index).padStart(4, '0')}`, { der, ...shape(index) }));
}

/** The inventory's live places, as `nativeId fingerprint`, must be exactly what the vaults hold now. */
async function expectInventoryToEqualVaults(inventory: TestInventory, over: FakeKeyVault[]) {
  const live = await collect(inventory.store.bySource('key-vaults', 'live'));
  const body = (place: (typeof live)[number]) =>
    place.providerStatus === 'disabled' ? 'disabled' : (place.fingerprint ?? 'none');
  expect(live.map((place) => `${place.nativeId} ${body(place)}`).sort()).toEqual(
    over.flatMap((vault) => vault.state()).sort(),
  );
}

const fingerprintOf = (der: Uint8Array) => parseCertificates(der, 'test').certificates[0].record.fingerprintSha256;

describe('Azure Key Vault source, driven through the real SDK against a wire-level fake', () => {
  it('inventories every certificate of two vaults, page after page, through throttling and 5xx, exactly', async () => {
    const inventory = await dynamo.inventory();
    const [alpha, beta] = await startVaults(2, 2);
    for (const vault of [alpha, beta]) {
      // Six certificates, one still being issued, two a page: three pages.
      await fill(vault, 5, (index) => ({
        enabled: index !== 3,
        tags: index % 3 === 0 ? { owner: `team-${index}` } : undefined,
      }));
      vault.add('being-issued', { der: null });
      vault.faults = { throttleRate: 0.3, retryAfterSeconds: 0, serverErrorRate: 0.1, failEveryCallWith: null };
    }
    const source = sourceOver([alpha, beta]);

    const first = await inVirtualTime(() => syncSource({ source, store: inventory.store, clock }));

    expect(first.errors).toEqual([]);
    expect(first).toMatchObject({ complete: true, failedScopes: [] });
    expect(first.counts).toMatchObject({ discovered: 12, unchanged: 0 });
    await expectInventoryToEqualVaults(inventory, [alpha, beta]);
    for (const vault of [alpha, beta]) {
      expect(vault.pagesPerListing()).toBe(3);
      expect(vault.responseCount('listCertificates', 200)).toBe(3);
      // Not the disabled one: Key Vault refuses it, and its listing says enough.
      expect(vault.responseCount('getCertificate', 200)).toBe(5);
      expect(vault.responseCount('getCertificate', 403)).toBe(0);
      expect(vault.statusCount(429)).toBeGreaterThan(0);
      expect(vault.requestCount('challenge')).toBe(1);
    }
    expect(
      alpha.statusCount(500) + alpha.statusCount(503) + beta.statusCount(500) + beta.statusCount(503),
    ).toBeGreaterThan(0);
    expect(new Set(credential.requests.map((request) => JSON.stringify(request)))).toEqual(
      new Set([JSON.stringify({ scopes: ['https://vault.azure.net/.default'], tenantId: 'certwarden-test-tenant' })]),
    );

    alpha.resetCounts();
    beta.resetCounts();
    inventory.meter.reset();
    const resync = await inVirtualTime(() => syncSource({ source, store: inventory.store, clock }));

    expect(resync.counts).toMatchObject({ unchanged: 12, discovered: 0, updated: 0, renewed: 0, errors: 0 });
    for (const vault of [alpha, beta]) {
      expect(vault.responseCount('listCertificates', 200)).toBe(vault.pagesPerListing());
      expect([...vault.requests.keys()]).toEqual(['listCertificates']);
    }
    expect(inventory.meter.writeRequests).toBe(0);
    for (const vault of [alpha, beta]) expect(vault.requestCount('secrets')).toBe(0);
  });

  describe('what a place says about its certificate', () => {
    let inventory: TestInventory;
    let vault: FakeKeyVault;
    const ders = new Map<string, Uint8Array>();

    beforeAll(async () => {
      inventory = await dynamo.inventory();
      [vault] = await startVaults(1);
      const estate: Record<string, Partial<NewCertificate>> = {
        'tagged-team': { tags: { Team: 'payments', owner: 'ignored-second-key' } },
        untagged: {},
        'digicert-auto': { policy: { issuerName: 'DigiCert', lifetimeActions: [{ action: 'AutoRenew' }] } },
        'self-auto': { policy: { issuerName: 'Self', lifetimeActions: [{ action: 'AutoRenew' }] } },
        'unknown-email': {
          policy: { issuerName: 'Unknown', lifetimeActions: [{ action: 'EmailContacts', daysBeforeExpiry: 30 }] },
        },
        'digicert-no-actions': { policy: { issuerName: 'DigiCert', lifetimeActions: [] } },
        disabled: { enabled: false },
      };
      for (const [name, shape] of Object.entries(estate)) {
        const der = await leaves.issue(`${name}.example.com`);
        ders.set(name, der);
        vault.add(name, { der, ...shape });
      }
      vault.add('pending', {
        der: null,
        policy: { issuerName: 'DigiCert', lifetimeActions: [{ action: 'AutoRenew' }] },
      });
      const source = sourceOver([vault], { ownerTagKeys: ['team', 'owner'], defaultOwner: 'platform' }, 'sub-1234');
      const report = await syncSource({ source, store: inventory.store, clock });
      expect(report.errors).toEqual([]);
    });

    const place = (name: string) => inventory.store.getLocation(`azure-key-vault:${vault.placeId(name)}`);

    it('is named by the certificate id without version, in the vault as scope, account and region', async () => {
      expect(await place('untagged')).toMatchObject({
        nativeId: `${vault.url}/certificates/untagged`,
        scope: vault.url,
        region: vault.url,
        account: 'sub-1234',
        role: 'leaf',
        status: 'live',
        fingerprint: fingerprintOf(ders.get('untagged')!),
      });
    });

    it.each([
      ['tagged-team', 'payments', { Team: 'payments', owner: 'ignored-second-key' }],
      ['untagged', 'platform', {}],
    ])('takes the owner of %s from its tags, else the default owner', async (name, owner, tags) => {
      expect(await place(name)).toMatchObject({ owner, tags });
    });

    it.each([
      ['digicert-auto', 'key-vault-auto', true],
      ['self-auto', 'key-vault-auto', false],
      ['unknown-email', 'email-only', false],
      ['digicert-no-actions', 'manual', false],
    ])('reads the renewal of %s from its policy: %s, managed %s', async (name, renewal, managed) => {
      expect(await place(name)).toMatchObject({ renewal, managed });
    });

    it('inventories a certificate disabled before it was ever read from the listing, without a GET or an error', async () => {
      const disabled = await place('disabled');
      expect(disabled).toMatchObject({
        status: 'live',
        providerStatus: 'disabled',
        fingerprint: null,
        owner: 'platform',
        details: {
          x509ThumbprintSha1: createHash('sha1').update(ders.get('disabled')!).digest('hex'),
          expiresOn: expect.any(String),
        },
      });
      expect(disabled?.error).toBeUndefined();
      expect(vault.responseCount('getCertificate', 403)).toBe(0);
      expect(await place('untagged')).toMatchObject({ providerStatus: 'enabled' });
    });

    it('inventories a certificate whose issuance is pending, without a body and without an error', async () => {
      const pending = await place('pending');
      expect(pending).toMatchObject({
        status: 'live',
        providerStatus: 'pending',
        fingerprint: null,
        certificate: null,
      });
      expect(pending?.error).toBeUndefined();
    });

    it('never asks for a secret', () => {
      expect(vault.requestCount('secrets')).toBe(0);
    });
  });

  it('records a new version as a renewal of the same place, new tags as an update, a deletion as a tombstone', async () => {
    const inventory = await dynamo.inventory();
    const [vault] = await startVaults(1);
    await fill(vault, 10);
    const source = sourceOver([vault]);
    await syncSource({ source, store: inventory.store, clock });
    const previous = await inventory.store.getLocation(`azure-key-vault:${vault.placeId('cert-0007')}`);

    const renewed = await leaves.issue('c7.example.com', new Date('2028-01-01T00:00:00Z'));
    vault.renew('cert-0007', renewed);
    vault.setTags('cert-0001', { owner: 'new-owner' });
    vault.remove('cert-0004');
    vault.resetCounts();
    const report = await syncSource({ source, store: inventory.store, clock });

    expect(report.counts).toMatchObject({ renewed: 1, updated: 1, removed: 1, unchanged: 7, errors: 0 });
    expect(vault.requestCount('getCertificate')).toBe(2);
    await expectInventoryToEqualVaults(inventory, [vault]);
    expect(await inventory.store.getLocation(`azure-key-vault:${vault.placeId('cert-0007')}`)).toMatchObject({
      fingerprint: fingerprintOf(renewed),
      certificate: expect.objectContaining({ notAfter: '2028-01-01T00:00:00.000Z' }),
    });
    expect(
      (await inventory.store.history(`azure-key-vault:${vault.placeId('cert-0007')}`)).map((entry) => [
        entry.change,
        entry.fingerprint,
      ]),
    ).toEqual([
      ['discovered', previous?.fingerprint],
      ['renewed', fingerprintOf(renewed)],
    ]);
    expect(await inventory.store.getLocation(`azure-key-vault:${vault.placeId('cert-0001')}`)).toMatchObject({
      owner: 'new-owner',
    });
    expect(await inventory.store.getLocation(`azure-key-vault:${vault.placeId('cert-0004')}`)).toMatchObject({
      status: 'removed',
    });
  });

  it('follows a certificate disabled in place from its listing: its status and owner, the same certificate, no GET', async () => {
    const inventory = await dynamo.inventory();
    const [vault] = await startVaults(1);
    await fill(vault, 3, () => ({ tags: { owner: 'team-a' } }));
    const source = sourceOver([vault]);
    await syncSource({ source, store: inventory.store, clock });
    const id = (name: string) => `azure-key-vault:${vault.placeId(name)}`;
    const before = await inventory.store.getLocation(id('cert-0000'));

    vault.setEnabled('cert-0000', false);
    vault.setTags('cert-0000', { owner: 'team-b' });
    // A new version made disabled: the certificate the place held is gone from it, and its body is refused.
    vault.renew('cert-0001', await leaves.issue('c1-next.example.com'), false);
    vault.resetCounts();
    const report = await syncSource({ source, store: inventory.store, clock });

    expect(report.errors).toEqual([]);
    expect(report.counts).toMatchObject({ updated: 2, unchanged: 1, errors: 0 });
    expect(vault.requestCount('getCertificate')).toBe(0);
    expect(await inventory.store.getLocation(id('cert-0000'))).toMatchObject({
      providerStatus: 'disabled',
      owner: 'team-b',
      fingerprint: before?.fingerprint,
      certificate: before?.certificate,
    });
    expect(await inventory.store.getLocation(id('cert-0001'))).toMatchObject({
      providerStatus: 'disabled',
      fingerprint: null,
      certificate: null,
    });
    await expectInventoryToEqualVaults(inventory, [vault]);

    vault.resetCounts();
    inventory.meter.reset();
    const resync = await syncSource({ source, store: inventory.store, clock });
    expect(resync.counts).toMatchObject({ unchanged: 3, errors: 0 });
    expect([...vault.requests.keys()]).toEqual(['listCertificates']);
    expect(inventory.meter.writeRequests).toBe(0);

    vault.setEnabled('cert-0001', true);
    const enabled = await syncSource({ source, store: inventory.store, clock });
    expect(enabled.counts).toMatchObject({ updated: 1, errors: 0 });
    expect(vault.responseCount('getCertificate', 200)).toBe(1);
    await expectInventoryToEqualVaults(inventory, [vault]);
  });

  it.each([
    [503, 'retried until the budget is spent', KEY_VAULT_RETRY_OPTIONS.maxRetries + 1],
    [403, 'not retried', 1],
  ])(
    'keeps the places of a vault failing with %i (%s) as stale, and still syncs the other vault',
    async (status, _retried, listAttempts) => {
      const inventory = await dynamo.inventory();
      const [healthy, failing] = await startVaults(2);
      await fill(healthy, 5);
      await fill(failing, 5);
      const source = sourceOver([healthy, failing]);
      await syncSource({ source, store: inventory.store, clock });

      failing.faults = { ...failing.faults, failEveryCallWith: status };
      healthy.add('arrived', { der: await leaves.issue('arrived.example.com') });
      healthy.remove('cert-0003');
      const before = new Set(failing.state());
      failing.resetCounts();
      const report = await inVirtualTime(() => syncSource({ source, store: inventory.store, clock }));

      expect(report.complete).toBe(true);
      expect(report.failedScopes).toEqual([
        { scope: failing.url, message: expect.stringContaining(`cannot list certificates: HTTP ${status}`) },
      ]);
      expect(report.counts).toMatchObject({ discovered: 1, removed: 1, stale: 5 });
      expect(failing.requestCount('listCertificates')).toBe(listAttempts);
      const kept = await collect(inventory.store.bySource('key-vaults', 'live'));
      const failingPlaces = kept.filter((location) => location.scope === failing.url);
      expect(new Set(failingPlaces.map((location) => `${location.nativeId} ${location.fingerprint}`))).toEqual(before);
      expect(failingPlaces.every((location) => location.stale?.reason.includes(`HTTP ${status}`))).toBe(true);
      await expectInventoryToEqualVaults(inventory, [healthy, failing]);
    },
  );

  it('marks a failed vault’s places stale with one write each and clears them with one more, no history', async () => {
    const inventory = await dynamo.inventory();
    const [vault] = await startVaults(1);
    await fill(vault, 6);
    const source = sourceOver([vault]);
    await syncSource({ source, store: inventory.store, clock });
    const id = `azure-key-vault:${vault.placeId('cert-0002')}`;
    const history = (await inventory.store.history(id)).map((record) => record.change);

    vault.faults = { ...vault.faults, failEveryCallWith: 403 };
    inventory.meter.reset();
    const failed = await syncSource({ source, store: inventory.store, clock });
    expect(failed.counts).toMatchObject({ stale: 6 });
    expect(Object.fromEntries(inventory.meter.itemsWritten)).toEqual({ location: 6, 'sync-run': 1 });

    vault.faults = { ...vault.faults, failEveryCallWith: null };
    inventory.meter.reset();
    const back = await syncSource({ source, store: inventory.store, clock });
    expect(back).toMatchObject({ failedScopes: [], errors: [] });
    expect(inventory.meter.itemsWritten.get('location')).toBe(6);
    expect(inventory.meter.itemsWritten.get('history')).toBeUndefined();
    expect((await inventory.store.getLocation(id))?.stale).toBeUndefined();
    expect((await inventory.store.history(id)).map((record) => record.change)).toEqual(history);
    await expectInventoryToEqualVaults(inventory, [vault]);
  });

  it('verifies the vault’s TLS certificate: a vault it cannot trust is a failed scope, not a silent connection', async () => {
    const inventory = await dynamo.inventory();
    const [vault] = await startVaults(1);
    await fill(vault, 2);
    const source = sourceOver([vault], {
      clientFor: (location, circuitBreaker) =>
        createKeyVaultClient(location.url, credential, { ...clientOptions(), tlsOptions: undefined, circuitBreaker }),
    });

    const report = await syncSource({ source, store: inventory.store, clock });

    expect(report.failedScopes).toEqual([{ scope: vault.url, message: expect.stringMatching(/certificate/) }]);
    expect(vault.requests.size).toBe(0);
  });

  it('waits as long as Retry-After asks when throttled, and then succeeds', async () => {
    const inventory = await dynamo.inventory();
    const [vault] = await startVaults(1);
    await fill(vault, 3);
    const source = sourceOver([vault]);
    await syncSource({ source, store: inventory.store, clock }); // meets the bearer challenge first
    vault.add('late', { der: await leaves.issue('late.example.com') });

    vault.throttleNext(2, 1);
    const time = VirtualTime.start();
    try {
      const report = await time.run(syncSource({ source, store: inventory.store, clock }));

      expect(time.elapsed()).toBeGreaterThanOrEqual(2_000);
      expect(report.counts).toMatchObject({ discovered: 1, unchanged: 3, errors: 0 });
      expect(vault.statusCount(429)).toBe(2);
    } finally {
      time.stop();
    }
  });
});

describe('a vault that goes away mid-sync, with the production retry settings', () => {
  /** The connection failure each outage shows the client once its open connections are gone. */
  const failureOf: Record<Outage, string> = { refuse: 'ECONNREFUSED', reset: 'ECONNRESET' };
  const outages = Object.keys(failureOf) as Outage[];
  /** Renewed before the outage: the first three on the pages still served, the last two on pages never served. */
  const RENEWED = ['cert-0001', 'cert-0006', 'cert-0011', 'cert-0020', 'cert-0030'];

  /**
   * Two vaults inventoried; then the healthy one gains and loses a certificate, the failing one (40 certificates,
   * 8 pages of 5) has five renewed, and goes away after answering 3 listing pages.
   */
  async function vaultGoingAway(mode: Outage, options: Partial<AzureKeyVaultSourceOptions> = {}) {
    const inventory = await dynamo.inventory();
    const [healthy, failing] = await startVaults(2, 5);
    await fill(healthy, 5);
    await fill(failing, 40);
    const source = sourceOver([healthy, failing], options);
    const first = await syncSource({ source, store: inventory.store, clock });
    expect(first.errors).toEqual([]);
    const inventoried = await fingerprintsOf(inventory, failing);

    healthy.add('arrived', { der: await leaves.issue('arrived.example.com') });
    healthy.remove('cert-0003');
    for (const name of RENEWED) {
      failing.renew(name, await leaves.issue(`${name}.example.com`, new Date('2028-01-01T00:00:00Z')));
    }
    failing.goAway(mode, { answeredBefore: 3 });
    return { inventory, healthy, failing, source, inventoried };
  }

  /** The failing vault's places in the inventory, whatever their status, as `nativeId fingerprint`. */
  async function fingerprintsOf(inventory: TestInventory, vault: FakeKeyVault): Promise<string[]> {
    const places = await Promise.all(
      [...vault.certificates.keys()].map((name) =>
        inventory.store.getLocation(`azure-key-vault:${vault.placeId(name)}`),
      ),
    );
    return places.map((place) => `${place?.nativeId} ${place?.status} ${place?.fingerprint}`).sort();
  }

  it.each(outages)(
    'without its circuit breaker, holds the sync for minutes: every call spends its retries (%s)',
    async (mode) => {
      const { inventory, failing, source } = await vaultGoingAway(mode, { connectionFailuresToFailVault: Infinity });

      const time = VirtualTime.start();
      try {
        const report = await time.run(syncSource({ source, store: inventory.store, clock }));

        // The listing's page and then the loads of the places listed before the outage, each ~1-2 minutes.
        expect(time.elapsed()).toBeGreaterThan(2 * 60_000);
        expect(report.failedScopes).toEqual([
          { scope: failing.url, message: expect.stringContaining(`cannot list certificates: ${failureOf[mode]}`) },
        ]);
      } finally {
        time.stop();
      }
    },
  );

  it.each(outages)(
    'fails the vault within seconds, keeps its places (stale), still syncs the other vault, and restores it when back (%s)',
    async (mode) => {
      const { inventory, healthy, failing, source, inventoried } = await vaultGoingAway(mode);

      const started = performance.now();
      const report = await syncSource({ source, store: inventory.store, clock });
      const seconds = (performance.now() - started) / 1000;

      expect(seconds).toBeLessThan(30);
      const cause = `vault unreachable: ${failureOf[mode]} after 3 consecutive connection failures`;
      expect(report.failedScopes).toEqual([{ scope: failing.url, message: cause }]);
      // The renewed places on the pages served could not be loaded: kept as they were, each an error naming why.
      expect(report.errors.map((error) => error.message).sort()).toEqual(
        [
          `${failing.url}: ${cause}`,
          ...RENEWED.slice(0, 3).map((name) => `${failing.placeId(name)}: cannot read the certificate: ${cause}`),
        ].sort(),
      );
      expect(report.counts).toMatchObject({ discovered: 1, removed: 1, stale: 25, renewed: 0 });
      expect(await fingerprintsOf(inventory, failing)).toEqual(inventoried);
      const places = await collect(inventory.store.bySource('key-vaults', 'live'));
      const stale = places.filter((place) => place.stale);
      expect(stale).toHaveLength(25);
      expect(stale.every((place) => place.scope === failing.url && place.stale?.reason === cause)).toBe(true);
      expect(
        places
          .filter((place) => place.scope === healthy.url)
          .map((place) => `${place.nativeId} ${place.fingerprint}`)
          .sort(),
      ).toEqual(healthy.state().sort());

      await failing.comeBack();
      const back = await syncSource({ source, store: inventory.store, clock });

      expect(back).toMatchObject({ failedScopes: [], errors: [] });
      expect(back.counts).toMatchObject({ renewed: RENEWED.length, removed: 0, errors: 0 });
      await expectInventoryToEqualVaults(inventory, [healthy, failing]);
      const after = await collect(inventory.store.bySource('key-vaults', 'live'));
      expect(after.filter((place) => place.stale)).toEqual([]);
    },
  );

  it('stops a gone vault’s listing at once when the sync is stopped, the next pages included (breaker off)', async () => {
    const inventory = await dynamo.inventory();
    const [vault] = await startVaults(1, 5);
    await fill(vault, 20);
    const source = sourceOver([vault], { connectionFailuresToFailVault: Infinity });
    // The first page answered: the SDK fetches the next ones without the caller's abortSignal.
    vault.goAway('refuse', { answeredBefore: 1 });

    const started = performance.now();
    const report = await syncSource({ source, store: inventory.store, clock, signal: AbortSignal.timeout(1_000) });
    const seconds = (performance.now() - started) / 1000;

    expect(report.complete).toBe(false);
    // Without the signal reaching the next pages, the page in back-off would go on for a minute or two.
    expect(seconds).toBeLessThan(10);
  });

  it.each(outages)(
    'aborts the certificate loads in flight and refuses those waiting when the vault goes away after its listing (%s)',
    async (mode) => {
      const inventory = await dynamo.inventory();
      const [vault] = await startVaults(1, 5);
      await fill(vault, 40);
      // Unpaced (a bucket of its own at an unbounded rate): on localhost a paced load is answered before the next
      // one goes, while across a network the loads overlap, and those in flight are what this is about.
      const source = sourceOver([vault], {
        clientFor: (location, circuitBreaker) =>
          createKeyVaultClient(location.url, credential, {
            ...clientOptions(),
            circuitBreaker,
            requestsPerSecond: Infinity,
            rateLimiters: new RateLimiters(),
          }),
      });
      // Eight pages answered, then four of the forty loads: the vault goes away with eight of them in flight.
      vault.goAway(mode, { answeredBefore: vault.pagesPerListing() + 4 });

      const started = performance.now();
      const report = await syncSource({ source, store: inventory.store, clock });
      const seconds = (performance.now() - started) / 1000;

      expect(seconds).toBeLessThan(30);
      // The calls in flight are cut whichever way the vault went: they are what opens the breaker.
      const cause = 'vault unreachable: ECONNRESET after 3 consecutive connection failures';
      expect(report.counts).toMatchObject({ discovered: 4, errors: 36 });
      expect(
        new Set(report.errors.map((error) => error.message.replace(/^.*?: cannot read the certificate: /, ''))),
      ).toEqual(new Set([cause]));
      const live = await collect(inventory.store.bySource('key-vaults', 'live'));
      expect(live).toHaveLength(4);
    },
  );
});

describe('the rate of requests a vault receives', () => {
  it('never passes the configured rate in any one second, pages, loads, retries and the challenge included; each vault has its own bucket', async () => {
    const RATE = 10;
    const inventory = await dynamo.inventory();
    const over = await startVaults(2, 5);
    for (const vault of over) {
      await fill(vault, 40);
      vault.faults = { throttleRate: 0.3, retryAfterSeconds: 0, serverErrorRate: 0.1, failEveryCallWith: null };
    }
    const rateLimiters = new RateLimiters();
    const source = sourceOver(over, {
      clientFor: (vault, circuitBreaker) =>
        createKeyVaultClient(vault.url, credential, {
          ...clientOptions(),
          circuitBreaker,
          requestsPerSecond: RATE,
          rateLimiters,
        }),
    });

    const time = VirtualTime.start();
    try {
      const report = await time.run(syncSource({ source, store: inventory.store, clock }));

      expect(report.counts).toMatchObject({ discovered: 80, errors: 0 });
      for (const vault of over) {
        expect(vault.statusCount(429) + vault.statusCount(500) + vault.statusCount(503)).toBeGreaterThan(0);
        expect(vault.log.filter((request) => request.operation === 'challenge')).toHaveLength(1);
      }
      expect(over.map((vault) => busiestSecond(vault.log.map((request) => request.at)))).toEqual([RATE, RATE]);
      // Listed at once, the two vaults together went faster than one vault's rate.
      expect(busiestSecond(over.flatMap((vault) => vault.log.map((request) => request.at)))).toBeGreaterThan(RATE);
    } finally {
      time.stop();
    }
  });
});
