import { AWS_MAX_ATTEMPTS } from '../../../lib/connectors/aws-clients';
import { AwsIotSource, type AwsIotSourceOptions } from '../../../lib/connectors/aws-iot';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { fixedClock, type Clock } from '../../../lib/ports/clock';
import { syncSource } from '../../../lib/use-cases/sync';
import { CertificateMill } from '../../support/fakes/acm-server';
import { ACCOUNTS, HOME, MEMBER, useFakeAwsAccounts } from '../../support/aws-accounts';
import type { FakeAwsServer } from '../../support/fakes/aws-json-server';
import { FakeIot, type FakeIotCertificate, type IotCertificateStatus } from '../../support/fakes/iot-server';
import { collect, useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { inVirtualTime } from '../../support/virtual-time';

const dynamo = useEmbeddedDynamoDb();
const clock = fixedClock('2026-06-01T00:00:00.000Z');
const hoursLater = (hours: number): Clock => fixedClock(new Date(clock.now().getTime() + hours * 3_600_000));

const REGIONS = ['eu-west-1', 'us-east-1'];
const STATUSES: IotCertificateStatus[] = [
  'ACTIVE',
  'INACTIVE',
  'REVOKED',
  'PENDING_TRANSFER',
  'REGISTER_INACTIVE',
  'PENDING_ACTIVATION',
];

let mill: CertificateMill;
beforeAll(async () => {
  mill = await CertificateMill.create(clock.now());
});

interface World {
  iot: FakeIot;
  aws: FakeAwsServer;
  inventory: TestInventory;
  source(options?: Partial<AwsIotSourceOptions>): AwsIotSource;
}

const fakeAws = useFakeAwsAccounts();

/** A fake IoT Core (restJson1) with the real IoTClient pointed at it (useFakeAwsAccounts); syncs in virtual time. */
async function world(): Promise<World> {
  const iot = new FakeIot(mill);
  const { aws, clients } = await fakeAws({ restServices: [iot.service] }, 17);
  return {
    iot,
    aws,
    inventory: await dynamo.inventory(),
    source: (overrides = {}) =>
      new AwsIotSource({ name: 'iot', clients, accounts: ACCOUNTS, regions: REGIONS, ...overrides }),
  };
}

const sync = (options: Parameters<typeof syncSource>[0]) => inVirtualTime(() => syncSource(options));

/** In every account × region: the mill's CA registered with IoT, and a device certificate in each status. */
async function fleet(iot: FakeIot): Promise<FakeIotCertificate[]> {
  const all: FakeIotCertificate[] = [];
  for (const accountId of [HOME, MEMBER]) {
    for (const region of REGIONS) {
      const ca = await iot.addCa({ accountId, region });
      all.push(ca);
      STATUSES.forEach((status, index) =>
        all.push(
          iot.addDevice({ accountId, region, thingName: `thing-${index}`, status, ca: index % 2 ? ca : undefined }),
        ),
      );
    }
  }
  return all;
}

/** The live places of the inventory as (ARN, fingerprint, status), against what the fake holds now. */
async function expectInventoryToEqualIot(inventory: TestInventory, iot: FakeIot) {
  const live = await collect(inventory.store.bySource('iot', 'live'));
  expect(live.map((place) => `${place.nativeId} ${place.fingerprint} ${place.providerStatus}`).sort()).toEqual(
    iot
      .all()
      .map((certificate) => `${certificate.arn} ${certificate.id} ${certificate.status}`)
      .sort(),
  );
}

const locationOf = (inventory: TestInventory, arn: string) => inventory.store.getLocation(`aws-iot:${arn}`);

describe('AWS IoT Core source', () => {
  it('inventories every device certificate in whatever status, and the CA certificates registered with IoT, without an error', async () => {
    const { iot, aws, inventory, source } = await world();
    const [ca, active, inactive, revoked, pendingTransfer] = await fleet(iot);
    iot.setStatus(pendingTransfer, 'PENDING_TRANSFER', { message: 'to the vendor', to: '333333333333' });

    const report = await sync({ source: source({ pageSize: 2 }), store: inventory.store, clock });

    expect(report).toMatchObject({ complete: true, failedScopes: [], errors: [] });
    expect(report.counts).toMatchObject({ discovered: 28, errors: 0 });
    await expectInventoryToEqualIot(inventory, iot);
    expect(await locationOf(inventory, ca.arn)).toMatchObject({
      scope: `${HOME}/eu-west-1`,
      account: HOME,
      region: 'eu-west-1',
      providerStatus: 'ACTIVE',
      owner: 'unowned',
      renewal: 'manual',
      certificate: expect.objectContaining({ isCA: true }),
      details: expect.objectContaining({
        certificateType: 'ca',
        certificateId: ca.id,
        autoRegistrationStatus: 'DISABLE',
      }),
    });
    expect(await locationOf(inventory, active.arn)).toMatchObject({
      providerStatus: 'ACTIVE',
      details: expect.objectContaining({ certificateType: 'device', certificateMode: 'SNI_ONLY' }),
    });
    expect(await locationOf(inventory, inactive.arn)).toMatchObject({
      providerStatus: 'INACTIVE',
      details: expect.objectContaining({ caCertificateId: ca.id, certificateMode: 'DEFAULT', ownedBy: HOME }),
    });
    expect(await locationOf(inventory, pendingTransfer.arn)).toMatchObject({
      providerStatus: 'PENDING_TRANSFER',
      details: expect.objectContaining({ transferMessage: 'to the vendor' }),
    });
    const revokedPlace = await locationOf(inventory, revoked.arn);
    expect(revokedPlace).toMatchObject({ status: 'live', providerStatus: 'REVOKED', fingerprint: revoked.id });
    expect(revokedPlace?.error).toBeUndefined();
    // Per scope: one CA page, six devices two a page; a Describe call for each certificate.
    expect(aws.callCounts()).toEqual({
      AssumeRole: 1,
      DescribeCACertificate: 4,
      DescribeCertificate: 24,
      ListCACertificates: 4,
      ListCertificates: 12,
    });
    expect(iot.forbiddenCalls).toBe(0);
  });

  it('resyncs an unchanged fleet with list pages only, a day later too, and writes nothing', async () => {
    const { iot, aws, inventory, source } = await world();
    await fleet(iot);
    await sync({ source: source({ pageSize: 2 }), store: inventory.store, clock });

    for (const later of [clock, hoursLater(25)]) {
      aws.resetCalls();
      inventory.meter.reset();
      const report = await sync({ source: source({ pageSize: 2 }), store: inventory.store, clock: later });

      expect(report.counts).toMatchObject({ unchanged: 28, discovered: 0, updated: 0, errors: 0 });
      expect(aws.callCounts()).toEqual({ ListCACertificates: 4, ListCertificates: 12 });
      // A day later only the note of when each scope was read, never a place.
      expect(inventory.meter.itemsWrittenExcept('scope-note')).toBe(0);
      if (later === clock) expect(inventory.meter.writeRequests).toBe(0);
    }
  });

  it('describes again only a certificate whose status changed, and inventories its revocation as a state', async () => {
    const { iot, aws, inventory, source } = await world();
    const [, active] = await fleet(iot);
    await sync({ source: source(), store: inventory.store, clock });
    aws.resetCalls();

    iot.setStatus(active, 'REVOKED');
    const report = await sync({ source: source(), store: inventory.store, clock });

    expect(report).toMatchObject({ errors: [], failedScopes: [] });
    expect(report.counts).toMatchObject({ updated: 1, unchanged: 27, errors: 0 });
    expect(aws.calls.get('DescribeCertificate')).toBe(1);
    expect(await locationOf(inventory, active.arn)).toMatchObject({
      providerStatus: 'REVOKED',
      fingerprint: active.id,
    });
  });

  it('keeps a certificate it is refused (permissions changed), marked stale, and announces no change', async () => {
    const { iot, inventory, source } = await world();
    const [, active] = await fleet(iot);
    await sync({ source: source(), store: inventory.store, clock });
    const before = await locationOf(inventory, active.arn);

    // Its status changes, so it is described again: refused.
    iot.setStatus(active, 'INACTIVE');
    active.denied = true;
    const published: CertwardenEvent[] = [];
    const events = { publish: async (batch: CertwardenEvent[]) => void published.push(...batch) };
    const report = await sync({ source: source(), store: inventory.store, clock, events });

    expect(report.counts).toMatchObject({ stale: 1, updated: 0, removed: 0, unchanged: 27, errors: 1 });
    expect(published.map(({ detailType }) => detailType)).toEqual(['Sync Failed']);
    expect(await locationOf(inventory, active.arn)).toMatchObject({
      fingerprint: before!.fingerprint,
      stale: { reason: expect.stringMatching(/DescribeCertificate: .*AccessDenied/) },
    });
  });

  it('turns a deleted certificate into a tombstone', async () => {
    const { iot, inventory, source } = await world();
    const [, , deleted] = await fleet(iot);
    await sync({ source: source(), store: inventory.store, clock });

    iot.remove(deleted);
    const report = await sync({ source: source(), store: inventory.store, clock });

    expect(report.counts).toMatchObject({ removed: 1, unchanged: 27 });
    expect(await locationOf(inventory, deleted.arn)).toMatchObject({ status: 'removed' });
    await expectInventoryToEqualIot(inventory, iot);
  });

  it('inventories every certificate exactly through 30 % throttling (429) and 5xx with the production retry configuration', async () => {
    const { iot, aws, inventory, source } = await world();
    await fleet(iot);
    aws.faults.throttleRate = 0.3;
    aws.faults.serverErrorRate = 0.05;

    const report = await sync({ source: source({ pageSize: 3 }), store: inventory.store, clock });

    expect(report).toMatchObject({ complete: true, failedScopes: [], errors: [] });
    expect(aws.injected.throttled).toBeGreaterThan(5);
    expect(aws.log.filter((call) => call.status === 429).length).toBe(aws.injected.throttled);
    await expectInventoryToEqualIot(inventory, iot);
  });

  it('keeps the places of a region whose listing breaks after its first page, and catches up on the next sync', async () => {
    const { iot, aws, inventory, source } = await world();
    await fleet(iot);
    await sync({ source: source({ pageSize: 2 }), store: inventory.store, clock });
    const broken = `${MEMBER}/us-east-1`;
    const inBroken = iot.all().filter((c) => `${c.accountId}/${c.region}` === broken && c.type === 'device');
    iot.remove(inBroken[5]);
    const added = iot.addDevice({ accountId: MEMBER, region: 'us-east-1', thingName: 'new-thing' });

    // Three pages of two devices there: the first is answered, the second fails however often it is retried.
    aws.faults.callsBeforeFailing.set(`${broken} ListCertificates`, 1);
    const failed = await sync({ source: source({ pageSize: 2 }), store: inventory.store, clock });

    expect(failed.failedScopes).toEqual([
      {
        scope: broken,
        message: expect.stringMatching(
          new RegExp(`failed: ServiceUnavailableException.*after ${AWS_MAX_ATTEMPTS} attempts`),
        ),
      },
    ]);
    expect(failed.counts.removed).toBe(0);
    expect(await locationOf(inventory, inBroken[5].arn)).toMatchObject({ status: 'live', stale: expect.anything() });

    aws.faults.callsBeforeFailing.clear();
    const recovered = await sync({ source: source({ pageSize: 2 }), store: inventory.store, clock });

    expect(recovered).toMatchObject({ complete: true, failedScopes: [] });
    expect(recovered.counts).toMatchObject({ removed: 1 });
    await expectInventoryToEqualIot(inventory, iot);
    expect(await locationOf(inventory, inBroken[5].arn)).toMatchObject({ status: 'removed' });
    expect(await locationOf(inventory, added.arn)).toMatchObject({ status: 'live', providerStatus: 'ACTIVE' });
  });
});
