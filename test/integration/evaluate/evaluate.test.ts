import { DynamoAlertLedger } from '../../../lib/adapters/dynamodb-alert-ledger';
import type { ExpiryAlertDetail } from '../../../lib/domain/events';
import { thresholdId } from '../../../lib/domain/expiry';
import { alertIdOf } from '../../../lib/ports/alert-ledger';
import type { Clock } from '../../../lib/ports/clock';
import { evaluateExpiry } from '../../../lib/use-cases/evaluate';
import { assessedLocations } from '../../../lib/use-cases/report';
import { collect, useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import {
  DAY,
  FlakyPublisher,
  makeEstate,
  MovableClock,
  NOW,
  PartialPublisher,
  RecordingPublisher,
  type Estate,
} from './estate';

const dynamo = useEmbeddedDynamoDb();

let inventory: TestInventory;
let estate: Estate;
let clock: MovableClock;

const ledgerFor = (at: Clock = clock) => new DynamoAlertLedger(inventory.client, inventory.tableName, at);
const evaluate = (events = new RecordingPublisher(), options: { runId?: string; dryRun?: boolean } = {}) =>
  evaluateExpiry({ store: inventory.store, ledger: ledgerFor(), events, clock, ...options });
const alertIds = (events: Array<{ detail: unknown }>) =>
  events.map((event) => (event.detail as ExpiryAlertDetail).alertId).sort();

/** Every (location, fingerprint, threshold) crossed now, computed independently of the ledger. */
async function expectedAlertIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const { location, expiry } of assessedLocations(inventory.store, clock))
    for (const threshold of expiry.crossed)
      ids.push(
        alertIdOf({
          locationId: location.locationId,
          fingerprint: location.fingerprint!,
          thresholdId: thresholdId(threshold),
        }),
      );
  return ids.sort();
}

beforeEach(async () => {
  inventory = await dynamo.inventory();
  clock = new MovableClock(NOW);
  estate = await makeEstate();
  await estate.put('soon.example.com', 20); // lifetime (30 d) and 30d crossed
  await estate.put('week.example.com', 5); // lifetime, 30d, 14d, 7d
  await estate.put('gone.example.com', -2); // everything, and expired
  await estate.put('fine.example.com', 200, 365); // nothing
  await estate.sync(inventory.store, clock);
});

describe('evaluateExpiry', () => {
  it('alerts once for every crossed threshold of every live location, with severity, owner and renewal help', async () => {
    const events = new RecordingPublisher();
    const report = await evaluate(events);

    expect(alertIds(events.events)).toEqual(await expectedAlertIds());
    // Places are alerted concurrently: the report lists what was published, soonest expiry first.
    expect(report.emitted).toHaveLength(events.events.length);
    expect(report.emitted).toEqual(expect.arrayContaining(events.events));
    const notAfters = report.emitted.map((event) => (event.detail as ExpiryAlertDetail).notAfter);
    expect(notAfters).toEqual([...notAfters].sort());
    expect(report.evaluated).toBe(4);
    const expired = events.events.filter((event) => event.detailType === 'Certificate Expired');
    expect(expired.map((event) => (event.detail as ExpiryAlertDetail).subjectCommonName)).toEqual(['gone.example.com']);
    const week = events.events
      .map((event) => event.detail as ExpiryAlertDetail)
      .find((detail) => detail.subjectCommonName === 'week.example.com' && detail.thresholdId === '7d')!;
    expect(week).toMatchObject({
      subjectCommonName: 'week.example.com',
      severity: 'high',
      owner: 'platform',
      source: 'files',
      sourceKind: 'local-files',
      daysLeft: 5,
      renewal: { method: 'manual', managed: false, instructions: expect.stringMatching(/replace the file/) },
    });
    expect(week.serialNumber).toMatch(/^[0-9a-f]+$/);
  });

  it('emits nothing on a rerun, and nothing when the same evaluation is delivered twice', async () => {
    await evaluate(new RecordingPublisher(), { runId: 'run-1' });

    const rerun = await evaluate();
    const redelivered = await evaluate(new RecordingPublisher(), { runId: 'run-1' });

    expect(rerun.emitted).toEqual([]);
    expect(redelivered.emitted).toEqual([]);
    expect(rerun.alreadySent).toBe((await expectedAlertIds()).length);
  });

  it.each([2, 5])('%i evaluators racing on one inventory send each alert exactly once', async (evaluators) => {
    const publishers = Array.from({ length: evaluators }, () => new RecordingPublisher());

    const reports = await Promise.all(publishers.map((events) => evaluate(events)));

    const sent = publishers.flatMap((publisher) => publisher.events);
    expect(alertIds(sent)).toEqual(await expectedAlertIds());
    // They did meet: some found alerts taken by another.
    expect(reports.reduce((sum, report) => sum + report.alreadySent + report.heldElsewhere, 0)).toBeGreaterThan(0);
  });

  it('re-arms the thresholds when the certificate is renewed (a new fingerprint)', async () => {
    await evaluate();
    await estate.put('week.example.com', 6); // renewed, but badly: still 6 days left
    await estate.put('soon.example.com', 365, 365); // renewed properly
    await estate.sync(inventory.store, clock);

    const events = new RecordingPublisher();
    await evaluate(events);

    const names = events.events.map((event) => (event.detail as ExpiryAlertDetail).thresholdId);
    expect(
      events.events.every((event) => (event.detail as ExpiryAlertDetail).subjectCommonName === 'week.example.com'),
    ).toBe(true);
    expect(names.sort()).toEqual(['14d', '30d', '7d', 'lifetime-33%']);
  });

  it('alerts a threshold crossed later, and only that one for that certificate', async () => {
    await evaluate();
    clock.advance(11 * DAY); // soon.example.com: 20 → 9 days left, crossing 14d

    const events = new RecordingPublisher();
    await evaluate(events);

    const soon = events.events
      .map((event) => event.detail as ExpiryAlertDetail)
      .filter((detail) => detail.subjectCommonName === 'soon.example.com');
    expect(soon.map((detail) => detail.thresholdId)).toEqual(['14d']);
  });

  it('fails the run when the ledger cannot be read, after the places in flight, and a rerun sends everything', async () => {
    const ledger = ledgerFor();
    const broken = Object.assign(Object.create(ledger) as DynamoAlertLedger, {
      statesOf: async (locationId: string, fingerprint: string) => {
        if (locationId.includes('week.example.com')) throw new Error('ProvisionedThroughputExceededException');
        return ledger.statesOf(locationId, fingerprint);
      },
    });
    const before = new RecordingPublisher();
    await expect(
      evaluateExpiry({ store: inventory.store, ledger: broken, events: before, clock, concurrency: 1 }),
    ).rejects.toThrow('ProvisionedThroughputExceededException');
    // gone.example.com expires first, so it was alerted before the failure; week.example.com was not.
    expect(before.events.length).toBeGreaterThan(0);
    expect(alertIds(before.events).some((id) => id.includes('week.example.com'))).toBe(false);

    const after = new RecordingPublisher();
    await evaluate(after);
    const sent = await evaluate(new RecordingPublisher());
    const everySend = [...alertIds(before.events), ...alertIds(after.events)].sort();
    expect(everySend).toEqual(await expectedAlertIds());
    expect(sent.emitted).toEqual([]);
  });

  it('loses no alert when publishing fails: the claims are released and the next run sends them', async () => {
    const failing = new FlakyPublisher(Infinity);
    const failed = await evaluate(failing);
    expect(failed.emitted).toEqual([]);
    expect(failed.failed.map((failure) => failure.alertId).sort()).toEqual(await expectedAlertIds());

    const events = new RecordingPublisher();
    await evaluate(events);

    expect(alertIds(events.events)).toEqual(await expectedAlertIds());
  });

  it('when the publisher refuses some alerts of a place, marks the accepted ones sent: a rerun sends only the refused', async () => {
    // In every place with several alerts, the first threshold is taken and the others refused.
    const expected = await expectedAlertIds();
    const refusedIds = new Set<string>();
    const partial = new PartialPublisher((event) => {
      const detail = event.detail as ExpiryAlertDetail;
      const ofPlace = expected.filter((id) => id.startsWith(`${detail.locationId}#${detail.fingerprint}#`));
      const refuse = ofPlace.length > 1 && detail.alertId !== ofPlace[0];
      if (refuse) refusedIds.add(detail.alertId);
      return refuse;
    });
    const first = await evaluate(partial);

    expect(refusedIds.size).toBeGreaterThan(0);
    const accepted = expected.filter((id) => !refusedIds.has(id));
    // Some places had their alerts accepted in part, in the same publish as refused ones.
    expect(partial.calls.some((call) => call.length > 1)).toBe(true);
    expect(alertIds(partial.events)).toEqual(accepted);
    expect(alertIds(first.emitted)).toEqual(accepted);
    expect(first.failed.map((failure) => failure.alertId).sort()).toEqual([...refusedIds].sort());
    const ledger = ledgerFor();
    for (const id of accepted) {
      const [locationId, fingerprint, threshold] = splitAlertId(id);
      expect(await ledger.state({ locationId, fingerprint, thresholdId: threshold })).toBe('sent');
    }

    const rerun = new RecordingPublisher();
    const second = await evaluate(rerun);
    expect(alertIds(rerun.events)).toEqual([...refusedIds].sort());
    expect(second.failed).toEqual([]);
    expect(second.alreadySent).toBe(accepted.length);

    const third = new RecordingPublisher();
    await evaluate(third);
    expect(third.events).toEqual([]);
  });

  it('releases every alert of a place on an error that does not say which were sent', async () => {
    const unknown = new PartialPublisher();
    unknown.publish = async (events) => {
      unknown.calls.push(events);
      throw new Error('socket hang up');
    };
    const failed = await evaluate(unknown);
    expect(failed.failed.map((failure) => failure.alertId).sort()).toEqual(await expectedAlertIds());

    const rerun = new RecordingPublisher();
    await evaluate(rerun);
    expect(alertIds(rerun.events)).toEqual(await expectedAlertIds());
  });

  it('takes over a claim left by a crashed evaluator once its lease has run out, not before', async () => {
    const [first] = await expectedAlertIds();
    const [locationId, fingerprint, threshold] = splitAlertId(first);
    const key = { locationId, fingerprint, thresholdId: threshold };
    await ledgerFor().claim(key, { owner: 'crashed', leaseMs: 60_000, keepUntil: NOW });

    const during = await evaluate();
    expect(alertIds(during.emitted)).not.toContain(first);
    expect(during.heldElsewhere).toBe(1);

    clock.advance(61_000);
    const after = await evaluate();
    expect(alertIds(after.emitted)).toEqual([first]);
    expect(await ledgerFor().state(key)).toBe('sent');
  });

  it('dry run returns what would be emitted and claims nothing', async () => {
    const events = new RecordingPublisher();
    const dry = await evaluate(events, { dryRun: true });

    expect(events.events).toEqual([]);
    expect(alertIds(dry.emitted)).toEqual(await expectedAlertIds());
    const alerts = (await inventory.scanAll()).filter((item) => String(item.pk).startsWith('ALERT#'));
    expect(alerts).toEqual([]);
    const real = await evaluate();
    expect(alertIds(real.emitted)).toEqual(alertIds(dry.emitted));
  });

  it('keeps the ledger in the inventory table under ALERT#<location> with a TTL past the expiry', async () => {
    await evaluate();

    const alerts = (await inventory.scanAll()).filter((item) => String(item.pk).startsWith('ALERT#'));
    expect(alerts).toHaveLength((await expectedAlertIds()).length);
    for (const alert of alerts) {
      expect(alert.sk).toMatch(/^[0-9a-f]{64}#(\d+d|lifetime-\d+%|expired)$/);
      expect(alert.state).toBe('sent');
      expect(alert.expiresAt).toBeGreaterThan(NOW.getTime() / 1000 + 300 * 86_400);
    }
    expect(await collect(inventory.store.byStatus('error'))).toEqual([]);
  });
});

function splitAlertId(alertId: string): [string, string, string] {
  const match = /^(.*)#([0-9a-f]{64})#([^#]+)$/.exec(alertId)!;
  return [match[1], match[2], match[3]];
}
