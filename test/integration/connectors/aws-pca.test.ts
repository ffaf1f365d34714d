import { AWS_MAX_ATTEMPTS, AwsClientFactory, type AwsAccount } from '../../../lib/connectors/aws-clients';
import { AwsPcaSource, type AwsPcaSourceOptions } from '../../../lib/connectors/aws-pca';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { fixedClock } from '../../../lib/ports/clock';
import { syncSource } from '../../../lib/use-cases/sync';
import { startFakeAws, type FakeAwsServer } from '../../support/fakes/aws-json-server';
import { FakePca, type FakeCertificateAuthority } from '../../support/fakes/pca-server';
import { collect, useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { inVirtualTime } from '../../support/virtual-time';

const dynamo = useEmbeddedDynamoDb();
const clock = fixedClock('2026-06-01T00:00:00.000Z');

const HOME = '111111111111';
const MEMBER = '222222222222';
const REGIONS = ['eu-west-1', 'us-east-1'];
const ROLE = { roleName: 'certwarden-reader', externalId: 'certwarden-7f3a' };
const ACCOUNTS: AwsAccount[] = [{ accountId: HOME }, { accountId: MEMBER, ...ROLE }];

interface World {
  pca: FakePca;
  aws: FakeAwsServer;
  inventory: TestInventory;
  source(options?: Partial<AwsPcaSourceOptions>): AwsPcaSource;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A fake ACM PCA on 127.0.0.1 with the real ACMPCAClient pointed at it, in the production retry configuration
 * (certwarden's maxAttempts and adaptive mode, the SDK's own delays): HOME with the caller's own credentials,
 * MEMBER through STS AssumeRole. Syncs run in virtual time (`sync`), so those delays cost no real time.
 */
async function world(): Promise<World> {
  const pca = new FakePca(clock.now());
  const aws = await startFakeAws({ services: [pca.service], seed: 11 });
  aws.grantRole({ accountId: MEMBER, ...ROLE });
  const clients = new AwsClientFactory({ credentials: aws.callerCredentials(HOME), endpoint: aws.endpoint });
  cleanups.push(async () => {
    clients.destroy();
    await aws.close();
  });
  return {
    pca,
    aws,
    inventory: await dynamo.inventory(),
    source: (overrides = {}) =>
      new AwsPcaSource({ name: 'pca', clients, accounts: ACCOUNTS, regions: REGIONS, ...overrides }),
  };
}

/** A sync in virtual time: the SDK's retries and back-off on jest's fake clock. */
const sync = (options: Parameters<typeof syncSource>[0]) => inVirtualTime(() => syncSource(options));

/** A root and a subordinate in every account × region: 8 CAs. */
async function hierarchy(pca: FakePca): Promise<FakeCertificateAuthority[]> {
  const authorities: FakeCertificateAuthority[] = [];
  for (const accountId of [HOME, MEMBER]) {
    for (const region of REGIONS) {
      const root = await pca.add({
        accountId,
        region,
        commonName: `Root ${accountId} ${region}`,
        crl: { enabled: true, expirationInDays: 7, s3Bucket: 'crl-bucket' },
        tags: { owner: 'pki-team' },
      });
      const issuing = await pca.add({
        accountId,
        region,
        commonName: `Issuing ${accountId} ${region}`,
        parent: root,
        daysLeft: 365,
        ocsp: { enabled: true, customCname: 'ocsp.example.com' },
        tags: { owner: `app-${region}` },
      });
      authorities.push(root, issuing);
    }
  }
  return authorities;
}

async function expectInventoryToEqualPca(inventory: TestInventory, pca: FakePca) {
  const live = await collect(inventory.store.bySource('pca', 'live'));
  expect(live.map((location) => `${location.nativeId} ${location.fingerprint ?? 'none'}`).sort()).toEqual(
    pca
      .all()
      .map((authority) => `${authority.arn} ${authority.installed?.fingerprint ?? 'none'}`)
      .sort(),
  );
}

const locationOf = (inventory: TestInventory, arn: string) => inventory.store.getLocation(`aws-pca:${arn}`);

describe('AWS Private CA source', () => {
  it("inventories every CA with its own certificate as the place's leaf, its status and revocation configuration", async () => {
    const { pca, inventory, source } = await world();
    const [root, issuing] = await hierarchy(pca);

    const report = await sync({ source: source({ pageSize: 1 }), store: inventory.store, clock });

    expect(report).toMatchObject({ complete: true, failedScopes: [], errors: [] });
    expect(report.counts.discovered).toBe(8);
    await expectInventoryToEqualPca(inventory, pca);
    expect(await locationOf(inventory, root.arn)).toMatchObject({
      role: 'leaf',
      scope: `${HOME}/eu-west-1`,
      account: HOME,
      region: 'eu-west-1',
      providerStatus: 'ACTIVE',
      owner: 'pki-team',
      managed: false,
      renewal: 'manual',
      certificate: expect.objectContaining({ isCA: true, kind: 'ca', selfSigned: true }),
      details: expect.objectContaining({
        caType: 'ROOT',
        keyAlgorithm: 'EC_prime256v1',
        crlEnabled: true,
        crlExpirationInDays: 7,
        crlS3Bucket: 'crl-bucket',
        ocspEnabled: false,
      }),
    });
    expect(await locationOf(inventory, issuing.arn)).toMatchObject({
      owner: 'app-eu-west-1',
      certificate: expect.objectContaining({ isCA: true, selfSigned: false, subjectCommonName: issuing.commonName }),
      details: expect.objectContaining({
        caType: 'SUBORDINATE',
        crlEnabled: false,
        ocspEnabled: true,
        ocspCustomCname: 'ocsp.example.com',
      }),
    });
  });

  it("reads every page of a CA's tags to find its owner", async () => {
    const { pca, aws, inventory, source } = await world();
    const tags: Record<string, string> = { team: 'pki' };
    for (let index = 0; index < 59; index++) tags[`cost-centre-${String(index).padStart(2, '0')}`] = 'x';
    const authority = await pca.add({ accountId: HOME, region: 'eu-west-1', commonName: 'Tagged CA', tags });

    await sync({ source: source({ ownerTagKeys: ['team'] }), store: inventory.store, clock });

    expect(aws.calls.get('ListTags')).toBe(2);
    const location = await locationOf(inventory, authority.arn);
    expect(location).toMatchObject({ owner: 'pki' });
    expect(Object.keys(location?.tags ?? {})).toHaveLength(60);
  });

  it('inventories a CA still waiting for its certificate, and its certificate once installed', async () => {
    const { pca, aws, inventory, source } = await world();
    const pending = await pca.add({
      accountId: MEMBER,
      region: 'us-east-1',
      commonName: 'New CA',
      status: 'PENDING_CERTIFICATE',
    });

    await sync({ source: source(), store: inventory.store, clock });

    const before = await locationOf(inventory, pending.arn);
    expect(before).toMatchObject({ status: 'live', providerStatus: 'PENDING_CERTIFICATE', certificate: null });
    expect(before?.error).toBeUndefined();
    expect(aws.calls.get('GetCertificateAuthorityCertificate')).toBeUndefined();

    await pca.install(pending);
    const report = await sync({ source: source(), store: inventory.store, clock });

    expect(report.counts.updated).toBe(1);
    expect(await locationOf(inventory, pending.arn)).toMatchObject({
      providerStatus: 'ACTIVE',
      fingerprint: pending.installed!.fingerprint,
    });
  });

  it('resyncs unchanged CAs with ListCertificateAuthorities pages only', async () => {
    const { pca, aws, inventory, source } = await world();
    await hierarchy(pca);
    await sync({ source: source({ pageSize: 1 }), store: inventory.store, clock });
    aws.resetCalls();

    const report = await sync({ source: source({ pageSize: 1 }), store: inventory.store, clock });

    expect(report.counts).toMatchObject({ unchanged: 8, errors: 0 });
    // Two CAs per scope, one per page: two pages of the scope's own CAs and one (empty) of those shared with it,
    // in each of the four scopes.
    expect(aws.callCounts()).toEqual({ ListCertificateAuthorities: 12 });
  });

  it('inventories CAs shared through AWS RAM from an account outside the source, once, without its tags', async () => {
    const { pca, aws, inventory, source } = await world();
    const OUTSIDE = '333333333333';
    const shared = await pca.add({
      accountId: OUTSIDE,
      region: 'eu-west-1',
      commonName: 'Shared issuing CA',
      keyAlgorithm: 'RSA_4096',
      usageMode: 'SHORT_LIVED_CERTIFICATE',
      sharedWith: [MEMBER],
      tags: { owner: 'central-pki' },
    });
    // Shared from an account the source lists itself: that account's place, not a second one.
    const inside = await pca.add({ accountId: HOME, region: 'eu-west-1', commonName: 'Home CA', sharedWith: [MEMBER] });

    const report = await sync({ source: source({ defaultOwner: 'platform' }), store: inventory.store, clock });

    expect(report).toMatchObject({ complete: true, failedScopes: [], errors: [] });
    expect(report.counts.discovered).toBe(2);
    expect(await locationOf(inventory, shared.arn)).toMatchObject({
      scope: `${MEMBER}/eu-west-1`,
      account: OUTSIDE,
      owner: 'platform',
      fingerprint: shared.installed!.fingerprint,
      details: expect.objectContaining({
        sharedWith: MEMBER,
        keyAlgorithm: 'RSA_4096',
        signingAlgorithm: 'SHA256WITHRSA',
        usageMode: 'SHORT_LIVED_CERTIFICATE',
      }),
    });
    expect(await locationOf(inventory, inside.arn)).toMatchObject({ scope: `${HOME}/eu-west-1`, account: HOME });
    expect((await locationOf(inventory, inside.arn))?.details).not.toHaveProperty('sharedWith', expect.anything());
    expect(aws.calls.get('ListTags')).toBe(1);

    aws.resetCalls();
    const resync = await sync({ source: source({ defaultOwner: 'platform' }), store: inventory.store, clock });
    expect(resync.counts).toMatchObject({ unchanged: 2, errors: 0 });
    expect(Object.keys(aws.callCounts())).toEqual(['ListCertificateAuthorities']);
  });

  it.each([
    ['EC_secp384r1', 'SHA384WITHECDSA'],
    ['EC_secp521r1', 'SHA512WITHECDSA'],
    ['RSA_3072', 'SHA256WITHRSA'],
    ['ML_DSA_65', 'ML_DSA_65'],
  ] as const)('records a %s CA with its signing algorithm %s', async (keyAlgorithm, signingAlgorithm) => {
    const { pca, inventory, source } = await world();
    const authority = await pca.add({ accountId: HOME, region: 'us-east-1', commonName: 'CA', keyAlgorithm });

    await sync({ source: source(), store: inventory.store, clock });

    expect((await locationOf(inventory, authority.arn))?.details).toMatchObject({ keyAlgorithm, signingAlgorithm });
  });

  it("waits as long as a throttle's Retry-After asks, in seconds, although the PCA client's own retry reads only dates", async () => {
    const { pca, aws, inventory, source } = await world();
    await pca.add({ accountId: HOME, region: 'eu-west-1', commonName: 'CA' });
    aws.faults.throttleNext = 1;
    aws.faults.retryAfterSeconds = 3;

    const report = await sync({
      source: source({ accounts: [{ accountId: HOME }], regions: ['eu-west-1'] }),
      store: inventory.store,
      clock,
    });

    expect(report.counts).toMatchObject({ discovered: 1, errors: 0 });
    const [throttled, retried] = aws.log.filter((call) => call.operation === 'ListCertificateAuthorities');
    expect(throttled.status).toBe(400);
    expect(retried.status).toBe(200);
    // Virtual milliseconds. Without the factory's rewrite the client waits its own back-off (≤ 500 ms × 2ⁿ after
    // a throttle), not the 3 s asked; an HTTP date has whole seconds, hence the margin.
    expect(retried.at - throttled.at).toBeGreaterThanOrEqual(2_000);
  });

  it('inventories a CA whose creation failed with its problem, not as a sync error', async () => {
    const { pca, inventory, source } = await world();
    const failed = await pca.add({ accountId: HOME, region: 'eu-west-1', commonName: 'Broken', status: 'FAILED' });

    const report = await sync({ source: source(), store: inventory.store, clock });

    expect(report).toMatchObject({ complete: true, errors: [] });
    expect(await locationOf(inventory, failed.arn)).toMatchObject({
      providerStatus: 'FAILED',
      certificate: null,
      problem: 'CA creation FAILED (OTHER)',
    });
  });

  it('records a CA certificate replaced at the same ARN as renewed, and a deleted CA as a tombstone', async () => {
    const { pca, inventory, source } = await world();
    const [root, issuing, other] = await hierarchy(pca);
    await sync({ source: source(), store: inventory.store, clock });
    const oldFingerprint = issuing.installed!.fingerprint;

    await pca.install(issuing, root, 730);
    pca.remove(other.arn);
    const report = await sync({ source: source(), store: inventory.store, clock });

    expect(report.counts).toMatchObject({ renewed: 1, removed: 1, unchanged: 6 });
    expect(issuing.installed!.fingerprint).not.toBe(oldFingerprint);
    expect(await locationOf(inventory, issuing.arn)).toMatchObject({ fingerprint: issuing.installed!.fingerprint });
    expect(await locationOf(inventory, other.arn)).toMatchObject({ status: 'removed' });
  });

  it('keeps a CA whose certificate it is refused (permissions changed), marked stale, and announces no change', async () => {
    const { pca, inventory, source } = await world();
    const [root, issuing] = await hierarchy(pca);
    await sync({ source: source(), store: inventory.store, clock });
    const before = await locationOf(inventory, issuing.arn);

    // A new certificate is installed, so the CA is read again: refused.
    await pca.install(issuing, root, 730);
    issuing.certificateDenied = true;
    const published: CertwardenEvent[] = [];
    const events = { publish: async (batch: CertwardenEvent[]) => void published.push(...batch) };
    const report = await sync({ source: source(), store: inventory.store, clock, events });

    expect(report.counts).toMatchObject({ stale: 1, updated: 0, renewed: 0, removed: 0, errors: 1 });
    expect(published.map(({ detailType }) => detailType)).toEqual(['Sync Failed']);
    expect(await locationOf(inventory, issuing.arn)).toMatchObject({
      fingerprint: before!.fingerprint,
      stale: { reason: expect.stringMatching(/GetCertificateAuthorityCertificate: .*AccessDenied/) },
    });
  });

  it('inventories every CA exactly through 30 % throttling and 5xx with the production retry configuration', async () => {
    const { pca, aws, inventory, source } = await world();
    await hierarchy(pca);
    await hierarchy(pca);
    aws.faults.throttleRate = 0.3;
    aws.faults.serverErrorRate = 0.05;

    const report = await sync({ source: source({ pageSize: 1 }), store: inventory.store, clock });

    expect(report).toMatchObject({ complete: true, failedScopes: [], errors: [] });
    expect(aws.injected.throttled).toBeGreaterThan(5);
    await expectInventoryToEqualPca(inventory, pca);
    expect(pca.forbiddenCalls).toBe(0);
  });

  it('keeps the CAs of a region that keeps failing, marked stale', async () => {
    const { pca, aws, inventory, source } = await world();
    await hierarchy(pca);
    await sync({ source: source(), store: inventory.store, clock });

    aws.faults.failingScopes.add(`${HOME}/us-east-1`);
    const report = await sync({ source: source(), store: inventory.store, clock });

    expect(report.failedScopes).toEqual([
      {
        scope: `${HOME}/us-east-1`,
        message: expect.stringMatching(
          new RegExp(`^ListCertificateAuthorities failed: .*after ${AWS_MAX_ATTEMPTS} attempts`),
        ),
      },
    ]);
    expect(report.counts).toMatchObject({ stale: 2, unchanged: 6, removed: 0 });
  });
});
