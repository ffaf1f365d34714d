import { DynamoAlertLedger } from '../../../lib/adapters/dynamodb-alert-ledger';
import type { CertwardenEvent, ExpiryAlertDetail } from '../../../lib/domain/events';
import { thresholdId } from '../../../lib/domain/expiry';
import { alertIdOf, type AlertKey } from '../../../lib/ports/alert-ledger';
import type { Clock } from '../../../lib/ports/clock';
import { ALL_ALERT_SHARDS, evaluateExpiry, type EvaluateOptions } from '../../../lib/use-cases/evaluate';
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
/** An evaluation, with the events it emitted (published, or with dryRun would be). */
const evaluate = async (events = new RecordingPublisher(), options: Partial<EvaluateOptions> = {}) => {
  const emitted: CertwardenEvent[] = [];
  const onEmitted = (event: CertwardenEvent) => emitted.push(event);
  const report = await evaluateExpiry({
    store: inventory.store,
    ledger: ledgerFor(),
    events,
    clock,
    onEmitted,
    ...options,
  });
  return { ...report, events: emitted };
};
/** Puts every live place back on the alert schedule, due now: as a late index read or a race would show it again. */
async function makeEveryPlaceDue(): Promise<void> {
  for await (const { location } of assessedLocations(inventory.store, clock))
    await inventory.store.scheduleNextAlert(location.locationId, location.fingerprint!, clock.now().toISOString());
}
/** The native ids of the places the alert schedule has due now. */
async function dueNow(): Promise<string[]> {
  const due: string[] = [];
  for (const shard of ALL_ALERT_SHARDS)
    for await (const place of inventory.store.alertsDue(shard, clock.now())) due.push(place.nativeId);
  return due.sort();
}
const alertIds = (events: Array<{ detail: unknown }>) =>
  events.map((event) => (event.detail as ExpiryAlertDetail).alertId).sort();

/** Every (location, fingerprint, threshold) crossed now, computed independently of the ledger. */
async function crossedAlertIds(which: 'all' | 'most urgent' = 'all'): Promise<string[]> {
  const ids: string[] = [];
  for await (const { location, expiry } of assessedLocations(inventory.store, clock))
    for (const threshold of which === 'all' ? expiry.crossed : expiry.crossed.slice(-1))
      ids.push(
        alertIdOf({
          locationId: location.locationId,
          fingerprint: location.fingerprint!,
          thresholdId: thresholdId(threshold),
        }),
      );
  return ids.sort();
}
/** The alerts a first evaluation sends: one per place, at its most urgent crossed threshold. */
const expectedAlertIds = () => crossedAlertIds('most urgent');
/** The alert ids in the ledger in this state. */
async function ledgerIds(state: string): Promise<string[]> {
  const items = (await inventory.scanAll()).filter((item) => String(item.pk).startsWith('ALERT#') && item.sk);
  return items
    .filter((item) => item.type === 'alert' && item.state === state)
    .map((item) => alertIdOf(item as unknown as AlertKey))
    .sort();
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
  it('sends one alert per place, at its most urgent crossed threshold, with severity, owner and renewal help', async () => {
    const events = new RecordingPublisher();
    const report = await evaluate(events);

    expect(alertIds(events.events)).toEqual(await expectedAlertIds());
    const thresholds = events.events.map((event) => (event.detail as ExpiryAlertDetail).thresholdId).sort();
    expect(thresholds).toEqual(['30d', '7d', 'expired']);
    // The report counts what was published; onEmitted heard of each event.
    expect(report.emitted).toBe(events.events.length);
    expect(alertIds(report.events)).toEqual(alertIds(events.events));
    expect(report.evaluated).toBe(4);
    expect(report.passed).toBe((await crossedAlertIds()).length - 3);
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
    expect(week.serialNumber).toMatch(/^([0-9A-F]{2})+$/);
  });

  it('emits nothing on a rerun, and nothing when the same evaluation is delivered twice', async () => {
    await evaluate(new RecordingPublisher(), { runId: 'run-1' });

    const rerun = await evaluate();
    const redelivered = await evaluate(new RecordingPublisher(), { runId: 'run-1' });

    expect(rerun).toMatchObject({ evaluated: 0, emitted: 0 });
    expect(redelivered).toMatchObject({ evaluated: 0, emitted: 0 });
  });

  it('emits nothing for a place read again after its alerts were sent: the ledger has them', async () => {
    await evaluate(new RecordingPublisher(), { runId: 'run-1' });
    await makeEveryPlaceDue();

    const rerun = await evaluate();
    await makeEveryPlaceDue();
    const redelivered = await evaluate(new RecordingPublisher(), { runId: 'run-1' });

    expect(rerun.events).toEqual([]);
    expect(redelivered.events).toEqual([]);
    expect(rerun.evaluated).toBe(4);
    expect(rerun.alreadySent).toBe((await crossedAlertIds()).length);
    expect(redelivered.alreadySent).toBe((await crossedAlertIds()).length);
  });

  it.each([2, 5])('%i evaluators racing on one inventory send each alert exactly once', async (evaluators) => {
    const publishers = Array.from({ length: evaluators }, () => new RecordingPublisher());

    const reports = await Promise.all(publishers.map((events) => evaluate(events)));

    const sent = publishers.flatMap((publisher) => publisher.events);
    expect(alertIds(sent)).toEqual(await expectedAlertIds());
    expect(await ledgerIds('sent')).toEqual(await expectedAlertIds());
    const lessUrgent = (await crossedAlertIds()).filter((id) => !alertIds(sent).includes(id));
    expect(await ledgerIds('passed')).toEqual(lessUrgent);
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
    expect(names).toEqual(['7d']);
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

  it('tells a place first seen expired once, that it expired, and records its other thresholds as passed', async () => {
    const events = new RecordingPublisher();
    await evaluate(events);

    const gone = (await expectedAlertIds()).find((id) => id.includes('gone.example.com'))!;
    const place = gone.slice(0, -'expired'.length);
    expect(alertIds(events.events).filter((id) => id.startsWith(place))).toEqual([gone]);
    expect((await ledgerIds('passed')).filter((id) => id.startsWith(place))).toEqual(
      ['14d', '1d', '30d', '7d', 'lifetime-33%'].map((threshold) => `${place}${threshold}`),
    );
    const passed = (await inventory.scanAll()).find(
      (item) => item.state === 'passed' && item.sk === `${gone.split('#').at(-2)}#30d`,
    );
    expect(passed).toMatchObject({ passedFor: 'expired' });
  });

  it('alerts only the most urgent of several thresholds crossed between two runs, then a further one once', async () => {
    await evaluate();
    clock.advance(15 * DAY); // soon.example.com: 20 → 5 days left, crossing 14d and 7d at once

    const both = new RecordingPublisher();
    const crossing = await evaluate(both);
    clock.advance(4.5 * DAY); // 0.5 days left: 1d
    const later = new RecordingPublisher();
    await evaluate(later);
    const again = await evaluate();

    const soon = (events: RecordingPublisher) =>
      events.events
        .map((event) => event.detail as ExpiryAlertDetail)
        .filter((detail) => detail.subjectCommonName === 'soon.example.com')
        .map((detail) => detail.thresholdId);
    expect(soon(both)).toEqual(['7d']);
    expect(crossing.passed).toBeGreaterThanOrEqual(1);
    // lifetime-33% was passed over for 30d on the first run, 14d now for 7d.
    expect((await ledgerIds('passed')).filter((id) => id.includes('soon.example.com'))).toEqual([
      expect.stringMatching(/#14d$/),
      expect.stringMatching(/#lifetime-33%$/),
    ]);
    expect(soon(later)).toEqual(['1d']);
    expect(again.events).toEqual([]);
  });

  it.each([2, 4])(
    '%i evaluators racing while every other publish fails: nothing lost, nothing sent twice',
    async (evaluators) => {
      const publishers = Array.from({ length: evaluators }, (_, index) =>
        index % 2 === 0 ? new RecordingPublisher() : new FlakyPublisher(Infinity),
      );
      await Promise.all(publishers.map((events) => evaluate(events)));
      const retry = new RecordingPublisher();
      await evaluate(retry);

      const sent = [...publishers.flatMap((publisher) => publisher.events), ...retry.events];
      expect(alertIds(sent)).toEqual(await expectedAlertIds());
      expect(await ledgerIds('sent')).toEqual(await expectedAlertIds());
      expect(await ledgerIds('claimed')).toEqual([]);
      expect((await evaluate()).events).toEqual([]);
    },
  );

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
    expect(alertIds(before.events).some((id) => id.includes('week.example.com'))).toBe(false);
    // The place that failed, and those not reached, are still due.
    expect(await dueNow()).toEqual(expect.arrayContaining([expect.stringContaining('week.example.com')]));

    const after = new RecordingPublisher();
    await evaluate(after);
    const sent = await evaluate(new RecordingPublisher());
    const everySend = [...alertIds(before.events), ...alertIds(after.events)].sort();
    expect(everySend).toEqual(await expectedAlertIds());
    expect(sent.events).toEqual([]);
  });

  it('loses no alert when publishing fails: the claims are released and the next run sends them', async () => {
    const failing = new FlakyPublisher(Infinity);
    const failed = await evaluate(failing);
    expect(failed.events).toEqual([]);
    expect(failed.failures.map((failure) => failure.alertId).sort()).toEqual(await expectedAlertIds());
    expect(failed.failed).toBe((await expectedAlertIds()).length);
    // Every place with an alert stays due; the healthy one is moved on to its first threshold.
    expect(failed.keptDue).toBe(3);
    expect(await dueNow()).not.toContainEqual(expect.stringContaining('fine.example.com'));
    expect(await ledgerIds('passed')).toEqual([]);

    const events = new RecordingPublisher();
    await evaluate(events);

    expect(alertIds(events.events)).toEqual(await expectedAlertIds());
  });

  it('when the publisher refuses the alerts of some places, marks the accepted ones sent: a rerun sends only the refused', async () => {
    const expected = await expectedAlertIds();
    const refused = expected.filter((id) => id.includes('week.example.com') || id.includes('gone.example.com'));
    const partial = new PartialPublisher((event) => refused.includes((event.detail as ExpiryAlertDetail).alertId));
    const first = await evaluate(partial);

    const accepted = expected.filter((id) => !refused.includes(id));
    expect(alertIds(partial.events)).toEqual(accepted);
    expect(alertIds(first.events)).toEqual(accepted);
    expect(first.failures.map((failure) => failure.alertId).sort()).toEqual(refused);
    expect(await ledgerIds('sent')).toEqual(accepted);
    // A refused place's less urgent thresholds wait for its alert: nothing of it is recorded yet.
    const places = refused.map((id) => id.slice(0, id.lastIndexOf('#') + 1));
    expect((await ledgerIds('passed')).filter((id) => places.some((place) => id.startsWith(place)))).toEqual([]);

    const rerun = new RecordingPublisher();
    const second = await evaluate(rerun);
    expect(alertIds(rerun.events)).toEqual(refused);
    expect(second.failed).toBe(0);

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
    expect(failed.failures.map((failure) => failure.alertId).sort()).toEqual(await expectedAlertIds());

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
    expect(alertIds(during.events)).not.toContain(first);
    expect(during.heldElsewhere).toBe(1);
    // Its place stays due, so the first run after the lease looks at it again.
    expect(await dueNow()).toEqual([(await inventory.store.getLocation(locationId))!.nativeId]);

    clock.advance(61_000);
    const after = await evaluate();
    expect(alertIds(after.events)).toEqual([first]);
    expect(await ledgerFor().state(key)).toBe('sent');
  });

  it('dry run returns what would be emitted and claims nothing', async () => {
    const events = new RecordingPublisher();
    const dry = await evaluate(events, { dryRun: true });

    expect(events.events).toEqual([]);
    expect(alertIds(dry.events)).toEqual(await expectedAlertIds());
    expect(dry.emitted).toBe(dry.events.length);
    const alerts = (await inventory.scanAll()).filter((item) => String(item.pk).startsWith('ALERT#'));
    expect(alerts).toEqual([]);
    // Nor does it move the schedule: every place is still due.
    expect(await dueNow()).toHaveLength(4);
    const real = await evaluate();
    expect(alertIds(real.events)).toEqual(alertIds(dry.events));
  });

  it('keeps the ledger in the inventory table under ALERT#<location> with a TTL past the expiry', async () => {
    await evaluate();

    const alerts = (await inventory.scanAll()).filter((item) => String(item.pk).startsWith('ALERT#'));
    expect(alerts).toHaveLength((await crossedAlertIds()).length);
    for (const alert of alerts) {
      expect(alert.sk).toMatch(/^[0-9a-f]{64}#(\d+d|lifetime-\d+%|expired)$/);
      expect(alert.state).toMatch(/^(sent|passed)$/);
      expect(alert.expiresAt).toBeGreaterThan(NOW.getTime() / 1000 + 300 * 86_400);
    }
    expect(await collect(inventory.store.byStatus('error'))).toEqual([]);
  });
});

function splitAlertId(alertId: string): [string, string, string] {
  const match = /^(.*)#([0-9a-f]{64})#([^#]+)$/.exec(alertId)!;
  return [match[1], match[2], match[3]];
}
