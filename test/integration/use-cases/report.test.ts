import { fixedClock } from '../../../lib/ports/clock';
import { countExpired, summarizeInventory } from '../../../lib/use-cases/report';
import { placeAt, placeState, useEmbeddedDynamoDb } from '../../support/inventory';

const dynamo = useEmbeddedDynamoDb();
const NOW = new Date('2026-06-01T00:00:00.000Z');
const inDays = (days: number) => new Date(NOW.getTime() + days * 86_400_000).toISOString();

describe('the expired count of the inventory metrics', () => {
  it('counts the expired places reading only them, as many as the whole summary counts', async () => {
    const inventory = await dynamo.inventory();
    const days = [-30, -1, 0, 1, 5, 20, 45, 90, 120, 200, 300, 365];
    for (const [index, day] of days.entries()) {
      await placeAt(inventory, placeState(`p${index}.pem`, { notAfter: inDays(day) }));
    }
    const clock = fixedClock(NOW);
    inventory.meter.reset();

    const expired = await countExpired(inventory.store, clock);
    const itemsRead = inventory.meter.itemsRead;
    const summary = await summarizeInventory(inventory.store, clock);

    expect(expired).toBe(3);
    expect(summary.byExpiry.expired).toBe(expired);
    expect(itemsRead).toBe(expired);
  });
});
