import { ACMClient, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-acm';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import { AwsAcmSource, type AwsAcmSourceOptions } from '../../../lib/connectors/aws-acm';
import { AWS_MAX_ATTEMPTS, AwsClientFactory, type AwsAccount } from '../../../lib/connectors/aws-clients';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { refreshEpoch } from '../../../lib/domain/refresh';
import { fixedClock, type Clock } from '../../../lib/ports/clock';
import { syncSource } from '../../../lib/use-cases/sync';
import { CertificateMill, FakeAcm, type AcmKeyAlgorithm } from '../../support/fakes/acm-server';
import { startFakeAws, type FakeAwsServer } from '../../support/fakes/aws-json-server';
import { collect, useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { inVirtualTime, VirtualTime } from '../../support/virtual-time';
import { busiestSecondBy } from '../../support/request-rate';

const dynamo = useEmbeddedDynamoDb();
const clock = fixedClock('2026-06-01T00:00:00.000Z');
const hoursLater = (hours: number): Clock => fixedClock(new Date(clock.now().getTime() + hours * 3_600_000));

/** The caller's own account (no role) and an account reached by AssumeRole with an external id. */
const HOME = '111111111111';
const MEMBER = '222222222222';
const REGIONS = ['eu-west-1', 'us-east-1'];
const ROLE = { roleName: 'certwarden-reader', externalId: 'certwarden-7f3a' };
const ACCOUNTS: AwsAccount[] = [{ accountId: HOME }, { accountId: MEMBER, ...ROLE }];
const ALL_KEY_TYPES = ['EC_prime256v1', 'EC_secp384r1', 'EC_secp521r1', 'RSA_1024', 'RSA_2048', 'RSA_3072', 'RSA_4096'];

let mill: CertificateMill;
beforeAll(async () => {
  mill = await CertificateMill.create(clock.now());
});

interface World {
  acm: FakeAcm;
  aws: FakeAwsServer;
  clients: AwsClientFactory;
  inventory: TestInventory;
  source(options?: Partial<AwsAcmSourceOptions>): AwsAcmSource;
  /** Clients with nothing cached (no assumed-role session): what the next run of the sync would start with. */
  freshClients(): AwsClientFactory;
}

const worlds: World[] = [];
afterEach(async () => {
  for (const world of worlds.splice(0)) {
    world.clients.destroy();
    await world.aws.close();
  }
});

/**
 * A fake ACM on 127.0.0.1 with the real ACM client pointed at it, in certwarden's retry configuration
 * (adaptive, AWS_MAX_ATTEMPTS): HOME is reached with the caller's own credentials, MEMBER through STS
 * AssumeRole. Closed after the test unless `keep`.
 */
async function world(options: { keep?: boolean } = {}): Promise<World> {
  const acm = new FakeAcm(mill);
  const aws = await startFakeAws({ services: [acm.service], seed: 7 });
  aws.grantRole({ accountId: MEMBER, ...ROLE });
  const caller = aws.callerCredentials(HOME);
  const freshClients = () => new AwsClientFactory({ credentials: caller, endpoint: aws.endpoint });
  const clients = freshClients();
  const inventory = await dynamo.inventory();
  const created: World = {
    acm,
    aws,
    clients,
    inventory,
    freshClients,
    source: (overrides = {}) =>
      new AwsAcmSource({ name: 'acm', clients, accounts: ACCOUNTS, regions: REGIONS, ...overrides }),
  };
  if (!options.keep) worlds.push(created);
  return created;
}

const KEY_MIX: AcmKeyAlgorithm[] = ['RSA_2048', 'RSA_2048', 'EC_prime256v1', 'EC_secp384r1'];

/** `count` certificates spread over both accounts and both regions. */
function populate(acm: FakeAcm, count: number, prefix = 'host') {
  for (let index = 0; index < count; index++) {
    acm.add({
      accountId: index % 2 === 0 ? HOME : MEMBER,
      region: REGIONS[Math.floor(index / 2) % 2],
      domainName: `${prefix}-${index}.example.com`,
      keyAlgorithm: KEY_MIX[index % KEY_MIX.length],
      inUseBy: index % 3 === 0 ? [`arn:aws:elasticloadbalancing:eu-west-1:${HOME}:loadbalancer/app/lb-${index}/1`] : [],
      tags: { owner: `team-${index % 7}` },
    });
  }
}

/** The live places of the inventory as (ARN, fingerprint), against what the fake ACM holds now. */
async function expectInventoryToEqualAcm(inventory: TestInventory, acm: FakeAcm) {
  const live = await collect(inventory.store.bySource('acm', 'live'));
  expect(live.map((location) => `${location.nativeId} ${location.fingerprint ?? 'none'}`).sort()).toEqual(
    acm
      .all()
      .map((certificate) => `${certificate.arn} ${certificate.issued?.fingerprint ?? 'none'}`)
      .sort(),
  );
}

const locationOf = (inventory: TestInventory, arn: string) => inventory.store.getLocation(`aws-acm:${arn}`);

/**
 * A sync in virtual time: the SDK's retries, back-off and adaptive rate limiter run at production settings on
 * jest's fake clock, so faults cost no real time and no assertion depends on the machine's speed.
 */
const sync = (options: Parameters<typeof syncSource>[0]) => inVirtualTime(() => syncSource(options));

describe('an ACM estate in 2 accounts × 2 regions, listed 2 a page, synced through 30 % throttling and 5xx', () => {
  const PAGE_SIZE = 2;
  // Six certificates in each account × region: three pages each.
  const COUNT = 24;
  let estate: World;
  let report: Awaited<ReturnType<typeof syncSource>>;

  beforeAll(async () => {
    estate = await world({ keep: true });
    populate(estate.acm, COUNT);
    estate.aws.faults.throttleRate = 0.3;
    estate.aws.faults.serverErrorRate = 0.1;
    report = await sync({ source: estate.source({ pageSize: PAGE_SIZE }), store: estate.inventory.store, clock });
    estate.aws.faults.throttleRate = estate.aws.faults.serverErrorRate = 0;
  });
  afterAll(async () => {
    estate.clients.destroy();
    await estate.aws.close();
  });

  it('inventories every certificate exactly once, with its current fingerprint, and reports no error', async () => {
    expect(report).toMatchObject({ complete: true, failedScopes: [], errors: [] });
    expect(report.counts).toMatchObject({ discovered: COUNT, errors: 0 });
    expect(estate.aws.injected.throttled).toBeGreaterThan(0);
    expect(estate.aws.injected.serverErrors).toBeGreaterThan(0);
    await expectInventoryToEqualAcm(estate.inventory, estate.acm);
  });

  it('asks ListCertificates for every key type, so EC certificates are inventoried too', async () => {
    expect(estate.acm.listRequests.length).toBeGreaterThanOrEqual(12);
    for (const request of estate.acm.listRequests) {
      expect([...((request.Includes as { keyTypes: string[] }).keyTypes ?? [])].sort()).toEqual(ALL_KEY_TYPES);
    }
    const ec = estate.acm.all().find((certificate) => certificate.keyAlgorithm === 'EC_prime256v1')!;
    expect(await locationOf(estate.inventory, ec.arn)).toMatchObject({
      fingerprint: ec.issued!.fingerprint,
      certificate: expect.objectContaining({ keyAlgorithm: 'EC', keySize: 256 }),
    });
  });

  it('assumes the member account role once, with its external id, and never asks for a private key', () => {
    expect(estate.aws.assumeRoleRequests).toEqual([
      expect.objectContaining({
        RoleArn: `arn:aws:iam::${MEMBER}:role/${ROLE.roleName}`,
        ExternalId: ROLE.externalId,
        RoleSessionName: 'certwarden',
      }),
    ]);
    expect(estate.acm.exportCalls).toBe(0);
    expect(estate.aws.calls.get('ExportCertificate')).toBeUndefined();
  });

  it('resyncs an unchanged estate with ListCertificates pages only, and writes nothing', async () => {
    estate.aws.resetCalls();
    estate.inventory.meter.reset();

    const resync = await sync({
      source: estate.source({ pageSize: PAGE_SIZE }),
      store: estate.inventory.store,
      clock,
    });

    expect(resync.counts).toMatchObject({ unchanged: COUNT, discovered: 0, updated: 0, renewed: 0, errors: 0 });
    expect(estate.aws.callCounts()).toEqual({ ListCertificates: 12 });
    expect(estate.inventory.meter.writeRequests).toBe(0);
  });
});

/**
 * ACM's published requests-per-second quotas per account × region (docs.aws.amazon.com/acm/latest/userguide/
 * acm-limits.html, "API rate quotas"), which the fake enforces as AWS does: what a client meets in production.
 */
const ACM_QUOTAS = { ListCertificates: 1, DescribeCertificate: 10, GetCertificate: 10, ListTagsForCertificate: 10 };

describe('a 240-certificate scope at ACM quotas, through 30 % random throttling, in the production client configuration', () => {
  const COUNT = 240;

  /** Virtual seconds of a first sync of COUNT certificates in one scope of its own, with `throttleRate`. */
  async function syncSeconds(region: string, throttleRate: number) {
    const { acm, aws, inventory, clients } = await world();
    for (let index = 0; index < COUNT; index++) {
      acm.add({ accountId: HOME, region, domainName: `q-${index}.example.com`, tags: { owner: 'web' } });
    }
    aws.faults.ratePerOperation = ACM_QUOTAS;
    aws.faults.throttleRate = throttleRate;
    // The moment each attempt leaves certwarden's pacing (the client is cached, so the source sends through it).
    const sent: Array<{ operation: string; at: number }> = [];
    clients
      .client('acm', { accountId: HOME }, region, (config) => new ACMClient(config))
      .middlewareStack.addRelativeTo(
        ((next, context) => (args) => {
          sent.push({ operation: context.commandName!.replace(/Command$/, ''), at: Date.now() });
          return next(args);
        }) satisfies FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes>,
        { relation: 'after', toMiddleware: 'certwardenRequestRate' },
      );
    const source = new AwsAcmSource({ name: 'acm', clients, accounts: [{ accountId: HOME }], regions: [region] });
    const time = VirtualTime.start();
    try {
      const report = await time.run(syncSource({ source, store: inventory.store, clock }));
      expect(report.counts).toMatchObject({ discovered: COUNT, errors: 0 });
      return {
        seconds: time.elapsed() / 1000,
        throttled: aws.injected.throttled,
        calls: aws.log.length,
        busiestSecond: busiestSecondBy(
          sent,
          (attempt) => attempt.operation,
          (attempt) => attempt.at,
        ),
      };
    } finally {
      time.stop();
    }
  }

  it('takes at most twice as long as the same sync unthrottled', async () => {
    const calm = await syncSeconds('ca-central-1', 0);
    const throttled = await syncSeconds('sa-east-1', 0.3);

    // Printed for docs/benchmarks.md: the figures behind the ratio.
    process.stdout.write(
      `ACM ${COUNT} in one scope: unthrottled ${calm.seconds.toFixed(1)} s (${calm.calls} calls, ${calm.throttled} throttled), ` +
        `30 % throttled ${throttled.seconds.toFixed(1)} s (${throttled.calls} calls, ${throttled.throttled} throttled)\n`,
    );
    expect(throttled.throttled).toBeGreaterThan(COUNT / 2);
    expect(throttled.seconds / calm.seconds).toBeLessThanOrEqual(2);
  });

  it('never sends an operation faster than its quota, throttled attempts and retries included', async () => {
    for (const [region, throttleRate] of [
      ['me-south-1', 0],
      ['af-south-1', 0.3],
    ] as const) {
      const { busiestSecond: sent } = await syncSeconds(region, throttleRate);

      for (const [operation, quota] of Object.entries(ACM_QUOTAS)) {
        expect({ throttleRate, operation, sent: sent[operation] }).toEqual({
          throttleRate,
          operation,
          sent: expect.any(Number),
        });
        expect({ throttleRate, operation, withinQuota: sent[operation] <= quota }).toEqual({
          throttleRate,
          operation,
          withinQuota: true,
        });
      }
    }
  });
});

describe('AWS ACM source', () => {
  it('inventories a pending certificate without an error, and a failed one with its problem, announced once', async () => {
    const { acm, aws, inventory, source } = await world();
    const published: CertwardenEvent[] = [];
    const events = { publish: async (batch: CertwardenEvent[]) => void published.push(...batch) };
    const pending = acm.add({
      accountId: HOME,
      region: 'eu-west-1',
      domainName: 'new.example.com',
      status: 'PENDING_VALIDATION',
    });
    const failed = acm.add({ accountId: HOME, region: 'eu-west-1', domainName: 'bad.example.com', status: 'FAILED' });

    const report = await sync({ source: source(), store: inventory.store, clock, events });

    expect(report).toMatchObject({ complete: true, errors: [] });
    expect(report.counts).toMatchObject({ discovered: 2, errors: 0 });
    expect(await locationOf(inventory, pending.arn)).toMatchObject({
      status: 'live',
      providerStatus: 'PENDING_VALIDATION',
      certificate: null,
      fingerprint: null,
      account: HOME,
      region: 'eu-west-1',
      scope: `${HOME}/eu-west-1`,
    });
    expect((await locationOf(inventory, pending.arn))?.error).toBeUndefined();
    const failedPlace = await locationOf(inventory, failed.arn);
    expect(failedPlace).toMatchObject({
      providerStatus: 'FAILED',
      certificate: null,
      problem: 'issuance FAILED (CAA_ERROR)',
    });
    expect(failedPlace?.error).toBeUndefined();
    expect(aws.calls.get('GetCertificate')).toBeUndefined();
    // The two places are announced in the order ACM lists them (by ARN): only the run's end is last.
    expect(published.map((event) => event.detailType).sort()).toEqual([
      'Certificate Discovered',
      'Certificate Discovered',
      'Certificate Provisioning Failed',
      'Sync Completed',
    ]);
    expect(published.at(-1)?.detailType).toBe('Sync Completed');
    const problems = published.filter((event) => event.detailType === 'Certificate Provisioning Failed');
    expect(problems[0].detail).toMatchObject({
      locationId: failedPlace?.locationId,
      state: 'FAILED',
      problem: 'issuance FAILED (CAA_ERROR)',
      account: HOME,
    });
    // A place needing a look, listed with the read errors.
    expect((await collect(inventory.store.byStatus('error'))).map((place) => place.nativeId)).toEqual([failed.arn]);

    published.length = 0;
    // A day later: every place is re-checked (described again), the failed one included.
    const dayLater: Clock = { now: () => new Date(clock.now().getTime() + 25 * 3_600_000) };
    const resync = await sync({ source: source(), store: inventory.store, clock: dayLater, events });
    expect(resync).toMatchObject({ complete: true, errors: [] });
    expect(aws.calls.get('DescribeCertificate')).toBe(4);
    expect(published.map((event) => event.detailType)).toEqual(['Sync Completed']);
  });

  it('lists certificates of every key pair origin, ACME included', async () => {
    const { acm, inventory, source } = await world();
    const acme = acm.add({
      accountId: HOME,
      region: 'us-east-1',
      domainName: 'acme.example.com',
      keyPairOrigin: 'ACME',
    });

    await sync({ source: source(), store: inventory.store, clock });

    expect(await locationOf(inventory, acme.arn)).toMatchObject({ fingerprint: acme.issued!.fingerprint });
  });

  it('records how each certificate is renewed, where it is in use, and its owner from tags', async () => {
    const { acm, inventory, source } = await world();
    const inUse = acm.add({
      accountId: HOME,
      region: 'eu-west-1',
      domainName: 'shop.example.com',
      inUseBy: ['arn:aws:cloudfront::111111111111:distribution/E2', 'arn:aws:elasticloadbalancing:lb/app/a/1'],
      tags: { Team: 'payments' },
    });
    const idle = acm.add({
      accountId: HOME,
      region: 'eu-west-1',
      domainName: 'idle.example.com',
      tags: { owner: 'web' },
    });
    const imported = acm.add({
      accountId: MEMBER,
      region: 'us-east-1',
      domainName: 'legacy.example.com',
      type: 'IMPORTED',
    });
    const privateCa = acm.add({
      accountId: MEMBER,
      region: 'us-east-1',
      domainName: 'svc.internal',
      type: 'PRIVATE',
      inUseBy: ['arn:aws:elasticloadbalancing:lb/app/internal/2'],
    });

    await sync({
      source: source({ ownerTagKeys: ['team', 'owner'], defaultOwner: 'platform' }),
      store: inventory.store,
      clock,
    });

    expect(await locationOf(inventory, inUse.arn)).toMatchObject({
      owner: 'payments',
      tags: { Team: 'payments' },
      managed: true,
      renewal: 'acm-managed',
      providerStatus: 'ISSUED',
      inUseBy: ['arn:aws:cloudfront::111111111111:distribution/E2', 'arn:aws:elasticloadbalancing:lb/app/a/1'],
      details: expect.objectContaining({ type: 'AMAZON_ISSUED', renewalEligibility: 'ELIGIBLE' }),
    });
    // ACM renews an Amazon-issued certificate only while it is in use.
    expect(await locationOf(inventory, idle.arn)).toMatchObject({
      owner: 'web',
      managed: false,
      renewal: 'acm-managed',
    });
    expect(await locationOf(inventory, imported.arn)).toMatchObject({
      owner: 'platform',
      managed: false,
      renewal: 'manual',
      account: MEMBER,
      region: 'us-east-1',
    });
    expect(await locationOf(inventory, privateCa.arn)).toMatchObject({ managed: true, renewal: 'acm-private-ca' });
  });

  it('records a renewal as a new fingerprint at the same ARN', async () => {
    const { acm, inventory, source } = await world();
    populate(acm, 4);
    await sync({ source: source(), store: inventory.store, clock });
    const [renewed] = acm.all();
    const oldFingerprint = renewed.issued!.fingerprint;

    acm.renew(renewed.arn);
    const report = await sync({ source: source(), store: inventory.store, clock });

    expect(report.counts).toMatchObject({ renewed: 1, unchanged: 3 });
    expect(await locationOf(inventory, renewed.arn)).toMatchObject({ fingerprint: renewed.issued!.fingerprint });
    expect(renewed.issued!.fingerprint).not.toBe(oldFingerprint);
    expect((await inventory.store.history(`aws-acm:${renewed.arn}`)).map((record) => record.change)).toEqual([
      'discovered',
      'renewed',
    ]);
  });

  it('turns a certificate deleted from ACM into a tombstone', async () => {
    const { acm, inventory, source } = await world();
    populate(acm, 4);
    await sync({ source: source(), store: inventory.store, clock });
    const [deleted] = acm.all();

    acm.remove(deleted.arn);
    const report = await sync({ source: source(), store: inventory.store, clock });

    expect(report.counts).toMatchObject({ removed: 1, unchanged: 3 });
    expect(await locationOf(inventory, deleted.arn)).toMatchObject({ status: 'removed' });
    await expectInventoryToEqualAcm(inventory, acm);
  });

  it('keeps a certificate whose body it is refused (permissions changed), marked stale, and announces no change', async () => {
    const { acm, inventory, source } = await world();
    populate(acm, 4);
    await sync({ source: source(), store: inventory.store, clock });
    const [refused] = acm.all();
    const before = await locationOf(inventory, refused.arn);

    refused.bodyDenied = true;
    const published: CertwardenEvent[] = [];
    const events = { publish: async (batch: CertwardenEvent[]) => void published.push(...batch) };
    // A day later every certificate is re-checked, the refused one included.
    const report = await sync({ source: source(), store: inventory.store, clock: hoursLater(25), events });

    expect(report.counts).toMatchObject({ stale: 1, updated: 0, removed: 0, unchanged: 3, errors: 1 });
    expect(report.errors[0].message).toMatch(/GetCertificate: AccessDeniedException/);
    expect(published.map(({ detailType }) => detailType)).toEqual(['Sync Failed']);
    expect(await locationOf(inventory, refused.arn)).toMatchObject({
      fingerprint: before!.fingerprint,
      stale: { reason: expect.stringMatching(/AccessDeniedException/) },
    });
  });

  it('keeps the places of a region that keeps failing, marked stale, and syncs the other regions', async () => {
    const { acm, aws, inventory, source } = await world();
    // Two certificates in each account × region.
    populate(acm, 8);
    await sync({ source: source(), store: inventory.store, clock });
    const down = `${MEMBER}/us-east-1`;
    const inDown = acm.all().filter((certificate) => `${certificate.accountId}/${certificate.region}` === down);
    const elsewhere = acm.all().find((certificate) => `${certificate.accountId}/${certificate.region}` !== down)!;

    aws.faults.failingScopes.add(down);
    acm.remove(inDown[0].arn);
    acm.remove(elsewhere.arn);
    const report = await sync({ source: source(), store: inventory.store, clock });

    expect(report.failedScopes).toEqual([
      {
        scope: down,
        message: expect.stringMatching(
          new RegExp(`^ListCertificates failed: .*unavailable.*after ${AWS_MAX_ATTEMPTS} attempts`),
        ),
      },
    ]);
    expect(report.counts).toMatchObject({ removed: 1, stale: inDown.length });
    for (const certificate of inDown) {
      expect(await locationOf(inventory, certificate.arn)).toMatchObject({
        status: 'live',
        stale: expect.objectContaining({ reason: expect.stringContaining('ListCertificates failed') }),
      });
    }
    expect(await locationOf(inventory, elsewhere.arn)).toMatchObject({ status: 'removed' });

    aws.faults.failingScopes.clear();
    const recovered = await sync({ source: source(), store: inventory.store, clock });
    expect(recovered.failedScopes).toEqual([]);
    expect(recovered.counts.removed).toBe(1);
    await expectInventoryToEqualAcm(inventory, acm);
    expect((await locationOf(inventory, inDown[1].arn))?.stale).toBeUndefined();
  });

  it('fails every region of an account whose role cannot be assumed, and syncs the other account', async () => {
    const { acm, aws, inventory, source, freshClients } = await world();
    populate(acm, 8);
    await sync({ source: source(), store: inventory.store, clock });

    aws.faults.deniedAccounts.add(MEMBER);
    const report = await sync({ source: source({ clients: freshClients() }), store: inventory.store, clock });

    expect(report.failedScopes.map((failure) => failure.scope).sort()).toEqual(
      REGIONS.map((region) => `${MEMBER}/${region}`),
    );
    expect(report.failedScopes[0].message).toMatch(
      new RegExp(`^cannot get credentials for arn:aws:iam::${MEMBER}:role/${ROLE.roleName}: AccessDenied`),
    );
    expect(report.counts).toMatchObject({ stale: 4, unchanged: 4, removed: 0 });
  });

  it('does not assume a role with the wrong external id', async () => {
    const { acm, inventory, clients } = await world();
    acm.add({ accountId: MEMBER, region: 'eu-west-1', domainName: 'a.example.com' });
    const source = new AwsAcmSource({
      name: 'acm',
      clients,
      accounts: [{ accountId: MEMBER, roleName: ROLE.roleName, externalId: 'guessed' }],
      regions: ['eu-west-1'],
    });

    const report = await sync({ source, store: inventory.store, clock });

    expect(report.failedScopes).toEqual([
      { scope: `${MEMBER}/eu-west-1`, message: expect.stringContaining('AccessDenied') },
    ]);
    expect(report.counts.discovered).toBe(0);
  });

  it('reloads unchanged certificates spread over fullRefreshHours, so tag changes arrive within that time', async () => {
    const { acm, aws, inventory, source } = await world();
    populate(acm, 24);
    await sync({ source: source(), store: inventory.store, clock });
    for (const certificate of acm.all()) certificate.tags = { owner: 'new-team' };
    // The first hour in which some certificate's refresh epoch ticks (each ARN's hash sets its own hour).
    const ticked = (hours: number) =>
      acm
        .all()
        .filter(
          (certificate) =>
            refreshEpoch(`aws-acm:${certificate.arn}`, hoursLater(hours).now(), 24) !==
            refreshEpoch(`aws-acm:${certificate.arn}`, clock.now(), 24),
        )
        .map((certificate) => certificate.arn);
    const hour = Array.from({ length: 24 }, (_, index) => index + 1).find((hours) => ticked(hours).length > 0)!;
    expect(ticked(hour).length).toBeLessThan(24);

    aws.resetCalls();
    const early = await sync({ source: source(), store: inventory.store, clock: hoursLater(hour) });
    const reloaded = aws.calls.get('DescribeCertificate') ?? 0;
    const aDayLater = await sync({ source: source(), store: inventory.store, clock: hoursLater(24) });

    expect(reloaded).toBe(ticked(hour).length);
    expect(early.counts.updated).toBe(reloaded);
    for (const arn of ticked(hour)) expect(await locationOf(inventory, arn)).toMatchObject({ owner: 'new-team' });
    expect(early.counts.updated + aDayLater.counts.updated).toBe(24);
    const owners = new Set((await collect(inventory.store.bySource('acm', 'live'))).map((location) => location.owner));
    expect([...owners]).toEqual(['new-team']);
  });

  it('re-checks an unchanged estate an hour and a day later on a moving clock, and writes nothing', async () => {
    const { acm, aws, inventory, source } = await world();
    populate(acm, 24);
    const moved = (hours: number): Clock => ({ now: () => new Date(Date.now() + hours * 3_600_000) });
    await sync({ source: source(), store: inventory.store, clock: moved(0) });

    for (const hours of [1, 25]) {
      const published: CertwardenEvent[] = [];
      const events = { publish: async (batch: CertwardenEvent[]) => void published.push(...batch) };
      aws.resetCalls();
      inventory.meter.reset();
      const report = await sync({ source: source(), store: inventory.store, clock: moved(hours), events });

      expect({ hours, unchanged: report.counts.unchanged }).toEqual({ hours, unchanged: 24 });
      expect(published.map((event) => event.detailType)).toEqual(['Sync Completed']);
      // Only the note of when each scope was read (at most hourly), never a place, its history or a certificate.
      expect(inventory.meter.writeRequests).toBeLessThanOrEqual(1);
      if (hours === 25) expect(aws.calls.get('DescribeCertificate')).toBe(24);
    }
    await expectInventoryToEqualAcm(inventory, acm);
  });

  it('slows down instead of failing when ACM throttles by rate', async () => {
    const { acm, aws, inventory, source } = await world();
    // Two certificates in each account × region: a listing and six detail calls there, at most four a second.
    populate(acm, 8);
    aws.faults.ratePerScope = 4;

    const report = await sync({ source: source(), store: inventory.store, clock });

    expect(report.counts).toMatchObject({ discovered: 8, errors: 0 });
    expect(aws.injected.throttled).toBeGreaterThan(0);
    await expectInventoryToEqualAcm(inventory, acm);
  });

  it("waits as long as a throttle's Retry-After asks", async () => {
    const { acm, aws, inventory, source } = await world();
    acm.add({ accountId: HOME, region: 'eu-west-1', domainName: 'a.example.com' });
    aws.faults.throttleNext = 1;
    aws.faults.retryAfterSeconds = 1;

    const report = await sync({
      source: source({ accounts: [{ accountId: HOME }], regions: ['eu-west-1'] }),
      store: inventory.store,
      clock,
    });

    expect(report.counts).toMatchObject({ discovered: 1, errors: 0 });
    const [throttled, retried] = aws.log.filter((call) => call.operation === 'ListCertificates');
    expect(throttled.status).toBe(400);
    expect(retried.status).toBe(200);
    // Virtual milliseconds: what the SDK waited, not how fast this machine is.
    expect(retried.at - throttled.at).toBeGreaterThanOrEqual(1_000);
  });
});
