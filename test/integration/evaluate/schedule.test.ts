import { randomUUID } from 'node:crypto';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../lib/adapters/dynamodb-client';
import { DynamoAlertLedger } from '../../../lib/adapters/dynamodb-alert-ledger';
import { DynamoInventoryStore } from '../../../lib/adapters/dynamodb-inventory-store';
import { DynamoDbMeter } from '../../../lib/adapters/dynamodb-meter';
import {
  ensureInventoryTable,
  startEmbeddedDynamoDb,
  type EmbeddedDynamoDb,
} from '../../../lib/adapters/embedded-dynamodb';
import type { CertwardenEvent, ExpiryAlertDetail } from '../../../lib/domain/events';
import {
  ALL_ALERT_SHARDS,
  evaluateExpiry,
  scheduleEveryPlace,
  type EvaluateOptions,
} from '../../../lib/use-cases/evaluate';
import { assessedLocations } from '../../../lib/use-cases/report';
import { DAY, FlakyPublisher, makeEstate, MovableClock, NOW, RecordingPublisher, type Estate } from './estate';

/**
 * The alert schedule as the evaluation uses it: what it reads is what is due, counted on the wire. The store
 * has a client of its own, metered, so that its items read are the schedule's alone (the ledger's reads go
 * through another client).
 */
let server: EmbeddedDynamoDb;
let store: DynamoInventoryStore;
let ledger: DynamoAlertLedger;
let storeReads: DynamoDbMeter;
let storeClient: DynamoDBDocumentClient;
let table: string;
let clock: MovableClock;
let estate: Estate;
const clients: Array<{ destroy(): void }> = [];

beforeAll(async () => {
  server = await startEmbeddedDynamoDb();
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await server.close();
});

beforeEach(async () => {
  table = `schedule-${randomUUID()}`;
  let ledgerClient: DynamoDBDocumentClient;
  [storeClient, ledgerClient] = [
    createDocumentClient({ endpoint: server.endpoint }),
    createDocumentClient({ endpoint: server.endpoint }),
  ];
  clients.push(storeClient, ledgerClient);
  await ensureInventoryTable(storeClient, table);
  clock = new MovableClock(NOW);
  store = new DynamoInventoryStore(storeClient, table);
  ledger = new DynamoAlertLedger(ledgerClient, table, clock);
  storeReads = new DynamoDbMeter().attach(storeClient);
  estate = await makeEstate();
});

interface Run {
  evaluated: number;
  emitted: number;
  failed: number;
  keptDue: number;
  /** Items the store read (the alert schedule's queries): the cost that must follow what is due. */
  itemsRead: number;
  writes: number;
  /** `<name> <threshold>` of each event emitted, sorted. */
  alerts: string[];
}

async function evaluate(events = new RecordingPublisher(), options: Partial<EvaluateOptions> = {}): Promise<Run> {
  const emitted: CertwardenEvent[] = [];
  storeReads.reset();
  const report = await evaluateExpiry({ store, ledger, events, clock, onEmitted: (e) => emitted.push(e), ...options });
  const alerts = emitted.map((event) => {
    const detail = event.detail as ExpiryAlertDetail;
    return `${detail.subjectCommonName} ${detail.thresholdId}`;
  });
  return { ...report, itemsRead: storeReads.itemsRead, writes: storeReads.writeRequests, alerts: alerts.sort() };
}

const sync = () => estate.sync(store, clock);

describe('the alert schedule', () => {
  it('reads every new place once, then nothing: a second evaluation right after the first reads 0 items', async () => {
    for (const [name, daysLeft, lifetime] of [
      ['soon.example.com', 20, 90],
      ['gone.example.com', -2, 90],
      ['fine-1.example.com', 200, 365],
      ['fine-2.example.com', 300, 365],
      ['fine-3.example.com', 150, 398],
    ] as const)
      await estate.put(name, daysLeft, lifetime);
    await sync();

    const first = await evaluate();
    const second = await evaluate();

    expect(first).toMatchObject({ evaluated: 5, itemsRead: 5 });
    expect(first.alerts.length).toBeGreaterThan(0);
    expect(second).toMatchObject({ evaluated: 0, itemsRead: 0, emitted: 0, writes: 0 });
  });

  it('looks at a place again when its next threshold is crossed, and not before, on a moving clock', async () => {
    await estate.put('soon.example.com', 20, 90); // lifetime and 30d crossed; 14d in 6 days
    await estate.put('fine.example.com', 200, 365); // its first threshold (a third of 365 days) in ~78 days
    await sync();
    expect((await evaluate()).alerts).toEqual(['soon.example.com 30d']);

    clock.advance(6 * DAY - 1);
    const early = await evaluate();
    clock.advance(1);
    const crossed = await evaluate();
    const after = await evaluate();

    expect(early).toMatchObject({ evaluated: 0, itemsRead: 0, emitted: 0 });
    expect(crossed).toMatchObject({ evaluated: 1, itemsRead: 1, alerts: ['soon.example.com 14d'] });
    expect(after).toMatchObject({ evaluated: 0, itemsRead: 0 });
  });

  it('sends each threshold of a certificate crossed after it was first seen, once, following the schedule to expiry, then forgets it', async () => {
    await estate.put('soon.example.com', 20, 90);
    await sync();
    const sent: string[] = [];
    let reads = 0;
    // A run every 12 hours for 30 days: the place is read only on the runs after it crosses a threshold.
    for (let run = 0; run <= 60; run++) {
      const result = await evaluate();
      sent.push(...result.alerts);
      reads += result.itemsRead;
      clock.advance(DAY / 2);
    }

    // lifetime-33% was crossed with 30d before the first look: passed over for it.
    expect(sent).toEqual([
      'soon.example.com 30d',
      'soon.example.com 14d',
      'soon.example.com 7d',
      'soon.example.com 1d',
      'soon.example.com expired',
    ]);
    expect(reads).toBe(5); // the first look, then 14d, 7d, 1d, expired
    const due: string[] = [];
    for (const shard of ALL_ALERT_SHARDS)
      for await (const place of store.alertsDue(shard, new Date(NOW.getTime() + 10_000 * DAY)))
        due.push(place.nativeId);
    expect(due).toEqual([]);
  });

  it('retries a failed publish on the next run, reading only the places that failed', async () => {
    await estate.put('soon.example.com', 20, 90);
    await estate.put('week.example.com', 5, 90);
    await estate.put('fine.example.com', 200, 365);
    await sync();

    const failed = await evaluate(new FlakyPublisher(Infinity));
    const retried = await evaluate();
    const after = await evaluate();

    expect(failed).toMatchObject({ evaluated: 3, emitted: 0, keptDue: 2 });
    expect(failed.failed).toBeGreaterThan(0);
    expect(retried).toMatchObject({ evaluated: 2, itemsRead: 2, failed: 0, keptDue: 0 });
    expect(retried.alerts).toHaveLength(failed.failed);
    expect(after).toMatchObject({ evaluated: 0, itemsRead: 0 });
  });

  it('has a renewed certificate due at once, and only it', async () => {
    await estate.put('soon.example.com', 20, 90);
    await estate.put('week.example.com', 5, 90);
    await estate.put('fine.example.com', 200, 365);
    await sync();
    await evaluate();

    clock.advance(DAY);
    await estate.put('week.example.com', 3, 90); // renewed badly: still 3 days left
    await sync();
    const renewed = await evaluate();

    expect(renewed).toMatchObject({ evaluated: 1, itemsRead: 1 });
    expect(renewed.alerts).toEqual(['week.example.com 7d']);
  });

  it('shares the due places between shards: each evaluation reads its own, together every place once', async () => {
    for (let n = 0; n < 12; n++) await estate.put(`host-${n}.example.com`, 10 + n, 90);
    await sync();
    const [low, high] = [ALL_ALERT_SHARDS.slice(0, 4), ALL_ALERT_SHARDS.slice(4)];

    const one = await evaluate(undefined, { shards: low });
    const other = await evaluate(undefined, { shards: high });

    expect(one.evaluated + other.evaluated).toBe(12);
    expect(one.itemsRead).toBe(one.evaluated);
    expect(other.itemsRead).toBe(other.evaluated);
    expect(Math.min(one.evaluated, other.evaluated)).toBeGreaterThan(0);
    expect(new Set([...one.alerts, ...other.alerts]).size).toBe(one.alerts.length + other.alerts.length);
    expect((await evaluate()).evaluated).toBe(0);
    await expect(evaluate(undefined, { shards: [ALL_ALERT_SHARDS.length] })).rejects.toThrow(RangeError);
  });

  it('leaves the schedule as it is on a dry run, and what an aborted run did not reach due', async () => {
    await estate.put('soon.example.com', 20, 90);
    await estate.put('week.example.com', 5, 90);
    await sync();

    const dry = await evaluate(undefined, { dryRun: true });
    const aborted = await evaluate(undefined, { signal: AbortSignal.abort() });
    const real = await evaluate();

    expect(dry).toMatchObject({ evaluated: 2, writes: 0 });
    expect(aborted).toMatchObject({ evaluated: 0, interrupted: true });
    expect(real.evaluated).toBe(2);
    expect(real.alerts).toEqual(dry.alerts);
  });

  it('evaluates an inventory written before the schedule existed once every place is made due, each alert once', async () => {
    await estate.put('soon.example.com', 20, 90);
    await estate.put('fine.example.com', 200, 365);
    await sync();
    // What a place synced before the alert schedule looks like: no nextAlertAt, in no shard.
    for await (const { location } of assessedLocations(store, clock))
      await store.scheduleNextAlert(location.locationId, location.fingerprint!, null);
    const unscheduled = await evaluate();

    const madeDue = await scheduleEveryPlace({ store, clock });
    const again = await scheduleEveryPlace({ store, clock });
    const evaluated = await evaluate();

    expect(unscheduled).toMatchObject({ evaluated: 0, emitted: 0 });
    expect(madeDue).toBe(2);
    expect(again).toBe(0); // already due: nothing written
    expect(evaluated).toMatchObject({
      evaluated: 2,
      alerts: ['soon.example.com 30d'],
    });
    expect((await evaluate()).evaluated).toBe(0);
  });

  it('makes a place synced before revocation checks existed due a check, once', async () => {
    await estate.put('soon.example.com', 20, 90);
    await sync();
    const places = [];
    for await (const { location } of assessedLocations(store, clock)) places.push(location);
    const [location] = places;
    const due = async () => {
      const ids: string[] = [];
      for (const shard of ALL_ALERT_SHARDS)
        for await (const place of store.revocationChecksDue(shard, clock.now())) ids.push(place.locationId);
      return ids;
    };
    // What a place synced before revocation checks looks like: never checked, on no revocation schedule.
    await store.scheduleRevocationCheck(location.locationId, location.fingerprint!, null);
    await storeClient.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: `LOC#${location.locationId}`, sk: 'LOCATION' },
        UpdateExpression: 'REMOVE revocation',
      }),
    );
    expect(await due()).toEqual([]);

    expect(await scheduleEveryPlace({ store, clock })).toBe(1);
    expect(await due()).toEqual([location.locationId]);
    expect(await scheduleEveryPlace({ store, clock })).toBe(0);
  });
});
