import { AWS_MAX_ATTEMPTS } from '../../../lib/connectors/aws-clients';
import { AwsIamSource, type AwsIamSourceOptions } from '../../../lib/connectors/aws-iam';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { fixedClock } from '../../../lib/ports/clock';
import { syncSource } from '../../../lib/use-cases/sync';
import { CertificateMill } from '../../support/fakes/acm-server';
import { ACCOUNTS, HOME, MEMBER, ROLE, useFakeAwsAccounts } from '../../support/aws-accounts';
import type { FakeAwsServer } from '../../support/fakes/aws-json-server';
import { FakeIam, type FakeServerCertificate } from '../../support/fakes/iam-server';
import { collect, useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { inVirtualTime } from '../../support/virtual-time';

const dynamo = useEmbeddedDynamoDb();
const clock = fixedClock('2026-06-01T00:00:00.000Z');

let mill: CertificateMill;
beforeAll(async () => {
  mill = await CertificateMill.create(clock.now());
});

interface World {
  iam: FakeIam;
  aws: FakeAwsServer;
  inventory: TestInventory;
  source(options?: Partial<AwsIamSourceOptions>): AwsIamSource;
}

const fakeAws = useFakeAwsAccounts();

/** A fake IAM (awsQuery) with the real IAMClient pointed at it (useFakeAwsAccounts); syncs in virtual time. */
async function world(): Promise<World> {
  const iam = new FakeIam(mill);
  const { aws, clients } = await fakeAws({ queryServices: [iam.service] }, 13);
  return {
    iam,
    aws,
    inventory: await dynamo.inventory(),
    source: (overrides = {}) => new AwsIamSource({ name: 'iam', clients, accounts: ACCOUNTS, ...overrides }),
  };
}

const sync = (options: Parameters<typeof syncSource>[0]) => inVirtualTime(() => syncSource(options));

/** Three server certificates in each account, one of them CloudFront's (its path). */
function upload(iam: FakeIam): FakeServerCertificate[] {
  return [HOME, MEMBER].flatMap((accountId) => [
    iam.add({ accountId, name: `shop-${accountId}`, tags: { owner: 'web' } }),
    iam.add({ accountId, name: `cdn-${accountId}`, path: '/cloudfront/prod/', tags: { team: 'edge' } }),
    iam.add({ accountId, name: `legacy-elb-${accountId}`, daysLeft: 5 }),
  ]);
}

async function expectInventoryToEqualIam(inventory: TestInventory, iam: FakeIam) {
  const live = await collect(inventory.store.bySource('iam', 'live'));
  expect(live.map((location) => `${location.nativeId} ${location.fingerprint ?? 'none'}`).sort()).toEqual(
    iam
      .all()
      .map((certificate) => `${certificate.arn} ${certificate.body.fingerprint}`)
      .sort(),
  );
}

const locationOf = (inventory: TestInventory, arn: string) => inventory.store.getLocation(`aws-iam:${arn}`);

describe('IAM server certificates source', () => {
  it('inventories every server certificate of each account, one scope per account, with its owner from tags', async () => {
    const { iam, aws, inventory, source } = await world();
    const [shop, cdn] = upload(iam);

    const report = await sync({
      source: source({ pageSize: 2, ownerTagKeys: ['owner', 'team'], defaultOwner: 'platform' }),
      store: inventory.store,
      clock,
    });

    expect(report).toMatchObject({ complete: true, failedScopes: [], errors: [] });
    expect(report.counts.discovered).toBe(6);
    await expectInventoryToEqualIam(inventory, iam);
    expect(await locationOf(inventory, shop.arn)).toMatchObject({
      role: 'leaf',
      scope: HOME,
      account: HOME,
      owner: 'web',
      managed: false,
      renewal: 'manual',
      certificate: expect.objectContaining({ subjectCommonName: 'shop-111111111111.example.com' }),
      details: {
        serverCertificateName: shop.name,
        path: '/',
        serverCertificateId: shop.id,
        uploadDate: expect.any(String),
      },
    });
    expect(await locationOf(inventory, cdn.arn)).toMatchObject({
      owner: 'edge',
      details: { path: '/cloudfront/prod/' },
    });
    // Three certificates, two a page: two pages in each account; one GetServerCertificate each.
    expect(aws.callCounts()).toEqual({ AssumeRole: 1, GetServerCertificate: 6, ListServerCertificates: 4 });
    expect(aws.assumeRoleRequests).toEqual([
      expect.objectContaining({ RoleArn: `arn:aws:iam::${MEMBER}:role/${ROLE.roleName}`, ExternalId: ROLE.externalId }),
    ]);
    expect(iam.forbiddenCalls).toBe(0);
  });

  it('resyncs unchanged certificates with ListServerCertificates pages only, and writes nothing', async () => {
    const { iam, aws, inventory, source } = await world();
    upload(iam);
    await sync({ source: source({ pageSize: 2 }), store: inventory.store, clock });
    aws.resetCalls();
    inventory.meter.reset();

    const report = await sync({ source: source({ pageSize: 2 }), store: inventory.store, clock });

    expect(report.counts).toMatchObject({ unchanged: 6, discovered: 0, updated: 0, errors: 0 });
    expect(aws.callCounts()).toEqual({ ListServerCertificates: 4 });
    expect(inventory.meter.writeRequests).toBe(0);
  });

  it('keeps a server certificate it is refused (permissions changed), marked stale, and announces no change', async () => {
    const { iam, inventory, source } = await world();
    const [refused] = upload(iam);
    await sync({ source: source(), store: inventory.store, clock });
    const before = await locationOf(inventory, refused.arn);

    refused.denied = true;
    const published: CertwardenEvent[] = [];
    const events = { publish: async (batch: CertwardenEvent[]) => void published.push(...batch) };
    // A day later every certificate is re-read, the refused one included.
    const dayLater = fixedClock(new Date(clock.now().getTime() + 25 * 3_600_000));
    const report = await sync({ source: source(), store: inventory.store, clock: dayLater, events });

    expect(report.counts).toMatchObject({ stale: 1, updated: 0, removed: 0, unchanged: 5, errors: 1 });
    expect(published.map(({ detailType }) => detailType)).toEqual(['Sync Failed']);
    expect(await locationOf(inventory, refused.arn)).toMatchObject({
      fingerprint: before!.fingerprint,
      stale: { reason: expect.stringMatching(/GetServerCertificate: .*AccessDenied/) },
    });
  });

  it('turns a deleted server certificate into a tombstone', async () => {
    const { iam, inventory, source } = await world();
    const [deleted] = upload(iam);
    await sync({ source: source(), store: inventory.store, clock });

    iam.remove(deleted);
    const report = await sync({ source: source(), store: inventory.store, clock });

    expect(report.counts).toMatchObject({ removed: 1, unchanged: 5 });
    expect(await locationOf(inventory, deleted.arn)).toMatchObject({ status: 'removed' });
    await expectInventoryToEqualIam(inventory, iam);
  });

  it('inventories every certificate exactly through 30 % IAM Throttling and 5xx with the production retry configuration', async () => {
    const { iam, aws, inventory, source } = await world();
    upload(iam);
    upload(iam).forEach((certificate, index) => (certificate.tags = { owner: `team-${index}` }));
    aws.faults.throttleRate = 0.3;
    aws.faults.serverErrorRate = 0.05;
    aws.faults.retryAfterSeconds = 1;

    const report = await sync({ source: source({ pageSize: 1 }), store: inventory.store, clock });

    expect(report).toMatchObject({ complete: true, failedScopes: [], errors: [] });
    expect(aws.injected.throttled).toBeGreaterThan(3);
    expect(aws.log.some((call) => call.status === 400)).toBe(true);
    await expectInventoryToEqualIam(inventory, iam);
  });

  it('keeps the places of an account whose listing breaks after its first page, and catches up on the next sync', async () => {
    const { iam, aws, inventory, source } = await world();
    upload(iam);
    await sync({ source: source({ pageSize: 1 }), store: inventory.store, clock });
    const gone = iam.all().find((certificate) => certificate.accountId === MEMBER)!;
    iam.remove(gone);
    const added = iam.add({ accountId: MEMBER, name: 'new-member' });

    // Three pages of one in MEMBER: the first is answered, the second fails however often it is retried.
    aws.faults.callsBeforeFailing.set(`${MEMBER}/us-east-1 ListServerCertificates`, 1);
    const broken = await sync({ source: source({ pageSize: 1 }), store: inventory.store, clock });

    expect(broken.failedScopes).toEqual([
      {
        scope: MEMBER,
        message: expect.stringMatching(
          new RegExp(`^ListServerCertificates failed: ServiceUnavailable.*after ${AWS_MAX_ATTEMPTS} attempts`),
        ),
      },
    ]);
    expect(broken.counts).toMatchObject({ removed: 0, unchanged: 4 });
    expect(await locationOf(inventory, gone.arn)).toMatchObject({ status: 'live', stale: expect.anything() });

    aws.faults.callsBeforeFailing.clear();
    const recovered = await sync({ source: source({ pageSize: 1 }), store: inventory.store, clock });

    expect(recovered).toMatchObject({ complete: true, failedScopes: [] });
    expect(recovered.counts).toMatchObject({ removed: 1 });
    await expectInventoryToEqualIam(inventory, iam);
    expect(await locationOf(inventory, gone.arn)).toMatchObject({ status: 'removed' });
    expect(await locationOf(inventory, added.arn)).toMatchObject({
      status: 'live',
      fingerprint: added.body.fingerprint,
    });
  });
});
