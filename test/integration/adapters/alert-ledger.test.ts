import { DynamoAlertLedger } from '../../../lib/adapters/dynamodb-alert-ledger';
import { TTL_ATTRIBUTE } from '../../../lib/adapters/dynamodb-table';
import type { AlertKey } from '../../../lib/ports/alert-ledger';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { MovableClock, NOW } from '../evaluate/estate';

const dynamo = useEmbeddedDynamoDb();
const FP = 'c'.repeat(64);
const key: AlertKey = { locationId: 'aws-acm:arn:1', fingerprint: FP, thresholdId: '7d' };
const LEASE = { leaseMs: 60_000, keepUntil: new Date('2026-07-01T00:00:00Z') };

let inventory: TestInventory;
let clock: MovableClock;
let ledger: DynamoAlertLedger;

beforeEach(async () => {
  inventory = await dynamo.inventory();
  clock = new MovableClock(NOW);
  ledger = new DynamoAlertLedger(inventory.client, inventory.tableName, clock);
});

describe('DynamoAlertLedger', () => {
  it('gives a fresh alert to the first claimant only', async () => {
    const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((owner) => ledger.claim(key, { owner, ...LEASE })));
    expect(results.filter((result) => result === 'claimed')).toHaveLength(1);
    expect(results.filter((result) => result === 'held')).toHaveLength(4);
  });

  it('reports a completed alert as sent to any later claimant, and in statesOf', async () => {
    await ledger.claim(key, { owner: 'a', ...LEASE });
    expect(await ledger.complete(key, 'a')).toBe(true);

    clock.advance(10 * 60_000);
    expect(await ledger.claim(key, { owner: 'b', ...LEASE })).toBe('sent');
    expect(await ledger.state(key)).toBe('sent');
    expect(await ledger.statesOf(key.locationId, FP)).toEqual(new Map([['7d', 'sent']]));
  });

  it('lets another take over a claim whose lease ran out; the old owner can then neither complete nor release it', async () => {
    await ledger.claim(key, { owner: 'crashed', ...LEASE });
    expect(await ledger.claim(key, { owner: 'b', ...LEASE })).toBe('held');

    clock.advance(LEASE.leaseMs + 1);
    expect(await ledger.claim(key, { owner: 'b', ...LEASE })).toBe('claimed');
    expect(await ledger.complete(key, 'crashed')).toBe(false);
    await ledger.release(key, 'crashed');
    expect(await ledger.state(key)).toBe('claimed');
    expect(await ledger.complete(key, 'b')).toBe(true);
  });

  it('forgets a released claim, so the next claimant gets it at once', async () => {
    await ledger.claim(key, { owner: 'a', ...LEASE });
    await ledger.release(key, 'a');

    expect(await ledger.state(key)).toBeUndefined();
    expect(await ledger.claim(key, { owner: 'b', ...LEASE })).toBe('claimed');
  });

  it('never releases a sent alert', async () => {
    await ledger.claim(key, { owner: 'a', ...LEASE });
    await ledger.complete(key, 'a');
    await ledger.release(key, 'a');
    expect(await ledger.state(key)).toBe('sent');
  });

  it('keeps alerts of another certificate at the same place apart (a renewal re-arms)', async () => {
    await ledger.claim(key, { owner: 'a', ...LEASE });
    await ledger.complete(key, 'a');
    const renewed = { ...key, fingerprint: 'd'.repeat(64) };

    expect(await ledger.claim(renewed, { owner: 'a', ...LEASE })).toBe('claimed');
    expect(await ledger.statesOf(key.locationId, FP)).toEqual(new Map([['7d', 'sent']]));
  });

  it('stores the alert under ALERT#<location> / <fingerprint>#<threshold> with a TTL a year past keepUntil', async () => {
    await ledger.claim(key, { owner: 'a', ...LEASE });

    const [item] = (await inventory.scanAll()).filter((entry) => String(entry.pk).startsWith('ALERT#'));
    expect(item).toMatchObject({ pk: 'ALERT#aws-acm:arn:1', sk: `${FP}#7d`, state: 'claimed', owner: 'a' });
    expect(item[TTL_ATTRIBUTE]).toBe(Math.floor((LEASE.keepUntil.getTime() + 365 * 86_400_000) / 1000));
  });

  it('passes over a fresh alert for good: no claimant gets it, and statesOf says so', async () => {
    const PASS = { passedFor: 'expired', keepUntil: LEASE.keepUntil };
    expect(await ledger.pass(key, PASS)).toBe(true);

    expect(await ledger.claim(key, { owner: 'b', ...LEASE })).toBe('passed');
    expect(await ledger.pass(key, PASS)).toBe(false);
    expect(await ledger.statesOf(key.locationId, FP)).toEqual(new Map([['7d', 'passed']]));
    const [item] = (await inventory.scanAll()).filter((entry) => String(entry.pk).startsWith('ALERT#'));
    expect(item).toMatchObject({ state: 'passed', passedFor: 'expired', passedAt: NOW.toISOString() });
  });

  it('never passes over a sent alert or one under a live claim, but does one whose claim lease ran out', async () => {
    const PASS = { passedFor: 'expired', keepUntil: LEASE.keepUntil };
    const sent = { ...key, thresholdId: '14d' };
    await ledger.claim(sent, { owner: 'a', ...LEASE });
    await ledger.complete(sent, 'a');
    await ledger.claim(key, { owner: 'crashed', ...LEASE });

    expect(await ledger.pass(sent, PASS)).toBe(false);
    expect(await ledger.pass(key, PASS)).toBe(false);
    clock.advance(LEASE.leaseMs + 1);
    expect(await ledger.pass(key, PASS)).toBe(true);
    expect(await ledger.complete(key, 'crashed')).toBe(false);
    expect(await ledger.statesOf(key.locationId, FP)).toEqual(
      new Map([
        ['14d', 'sent'],
        ['7d', 'passed'],
      ]),
    );
  });
});
