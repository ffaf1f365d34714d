import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDeliveryLedger } from '../../../lib/adapters/dynamodb-delivery-ledger';
import { TTL_ATTRIBUTE } from '../../../lib/adapters/dynamodb-table';
import { expiryAlertEvent, syncCompletedEvent, type CertwardenEvent } from '../../../lib/domain/events';
import { deliveryIdOf } from '../../../lib/domain/notifications/delivery-id';
import type { UndeliveredRecord } from '../../../lib/ports/delivery-ledger';
import { acmAlert, EVENT_OF_EVERY_TYPE } from '../../unit/domain/notifications/fixtures';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { MovableClock, NOW } from '../evaluate/estate';

const dynamo = useEmbeddedDynamoDb();
const alert = expiryAlertEvent(acmAlert);
const other = expiryAlertEvent({ ...acmAlert, alertId: `${acmAlert.alertId}-other` });
const SLACK = 'Slack (hooks.slack.com)';
const SIEM = 'SIEM json (siem.example.com)';

let inventory: TestInventory;
let clock: MovableClock;
let ledger: DynamoDeliveryLedger;

beforeEach(async () => {
  inventory = await dynamo.inventory();
  clock = new MovableClock(NOW);
  ledger = new DynamoDeliveryLedger(inventory.client, inventory.tableName, clock);
});

const listed = async () => {
  const rows: UndeliveredRecord[] = [];
  for await (const row of ledger.undelivered()) rows.push(row);
  return rows;
};
const fail = (event: CertwardenEvent, target: string, permanent = false, maxAttempts = 3) =>
  ledger.failed({ event, target, reason: permanent ? 'HTTP 400 invalid_blocks' : 'HTTP 503', permanent, maxAttempts });

describe('DynamoDeliveryLedger', () => {
  it('keys an expiry alert by its alert id, any other event by its content', () => {
    expect(deliveryIdOf(alert)).toBe(`alert:${acmAlert.alertId}`);
    const completed = (source: string) =>
      syncCompletedEvent({
        schemaVersion: 1,
        source,
        sourceKind: 'local-files',
        scopes: null,
        counts: { discovered: 0, renewed: 0, updated: 0, removed: 0, restored: 0, stale: 0, unchanged: 0 },
        startedAt: NOW.toISOString(),
        at: NOW.toISOString(),
      });
    expect(deliveryIdOf(completed('a'))).toBe(deliveryIdOf(completed('a')));
    expect(deliveryIdOf(completed('a'))).not.toBe(deliveryIdOf(completed('b')));
    // It names the alert it tells of, and is another event: a target that took (or gave up) the alert still gets it.
    const undelivered = EVENT_OF_EVERY_TYPE.find((event) => event.detailType === 'Alert Undelivered')!;
    expect(deliveryIdOf(undelivered)).toMatch(/^event:/);
  });

  it('records delivery per target: one target taking an event says nothing of another', async () => {
    await ledger.delivered(SLACK, [alert]);

    expect(await ledger.statesAt(SLACK, [deliveryIdOf(alert), deliveryIdOf(other)])).toEqual(
      new Map([[deliveryIdOf(alert), 'delivered']]),
    );
    expect(await ledger.statesAt(SIEM, [deliveryIdOf(alert)])).toEqual(new Map());
  });

  it('counts failures and dead-letters at the last allowed attempt, once, with the last reason', async () => {
    expect(await fail(alert, SLACK)).toEqual({ outcome: 'retry', attempts: 1 });
    expect(await fail(alert, SLACK)).toEqual({ outcome: 'retry', attempts: 2 });
    expect(await ledger.statesAt(SLACK, [deliveryIdOf(alert)])).toEqual(new Map([[deliveryIdOf(alert), 'failing']]));

    const third = await fail(alert, SLACK);

    expect(third).toEqual({
      outcome: 'dead-lettered',
      record: expect.objectContaining({ target: SLACK, reason: 'HTTP 503', permanent: false, attempts: 3 }),
    });
    expect(await fail(alert, SLACK)).toEqual({ outcome: 'settled' });
    expect(await ledger.statesAt(SLACK, [deliveryIdOf(alert)])).toEqual(new Map([[deliveryIdOf(alert), 'dead']]));
  });

  it('dead-letters a refusal for good at once, and lists dead letters newest first', async () => {
    await fail(alert, SLACK, true);
    clock.advance(60_000);
    await fail(other, SIEM, true);
    await fail(other, SLACK); // failing, not dead: not listed

    const rows = await listed();

    expect(rows.map((row) => [row.target, row.deliveryId, row.permanent, row.attempts])).toEqual([
      [SIEM, deliveryIdOf(other), true, 1],
      [SLACK, deliveryIdOf(alert), true, 1],
    ]);
    expect(rows[1]).toEqual({
      deliveryId: deliveryIdOf(alert),
      target: SLACK,
      detailType: alert.detailType,
      alertId: acmAlert.alertId,
      locationId: acmAlert.locationId,
      subjectCommonName: acmAlert.subjectCommonName,
      owner: acmAlert.owner,
      severity: acmAlert.severity,
      reason: 'HTTP 400 invalid_blocks',
      permanent: true,
      attempts: 1,
      deadAt: NOW.toISOString(),
    });
  });

  it('does not count a failure against an event the target took (a late, racing attempt)', async () => {
    await ledger.delivered(SLACK, [alert]);

    expect(await fail(alert, SLACK, true)).toEqual({ outcome: 'settled' });
    expect(await listed()).toEqual([]);
  });

  it('keeps delivered records 90 days and dead letters a year (TTL on AWS)', async () => {
    await ledger.delivered(SLACK, [alert]);
    await fail(other, SLACK, true);
    const ttlOf = async (event: CertwardenEvent) =>
      (
        await inventory.client.send(
          new GetCommand({
            TableName: inventory.tableName,
            Key: { pk: `DELIVERY#${deliveryIdOf(event)}`, sk: `TARGET#${SLACK}` },
          }),
        )
      ).Item?.[TTL_ATTRIBUTE];

    expect(await ttlOf(alert)).toBe(Math.floor(NOW.getTime() / 1000) + 90 * 86_400);
    expect(await ttlOf(other)).toBe(Math.floor(NOW.getTime() / 1000) + 365 * 86_400);
  });
});
