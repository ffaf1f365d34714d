import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { DynamoAlertLedger } from '../../../lib/adapters/dynamodb-alert-ledger';
import { DETAIL_TYPES } from '../../../lib/domain/events';
import { RECOMMENDED_POLICY } from '../../../lib/domain/policy';
import { evaluateExpiry } from '../../../lib/use-cases/evaluate';
import { useEmbeddedDynamoDb } from '../../support/inventory';
import { schemaProblems, schemaValidators } from '../../unit/domain/events/event-schemas';
import { makeEstate, MovableClock, NOW, RecordingPublisher } from './estate';

const dynamo = useEmbeddedDynamoDb();

describe('events emitted by syncSource and evaluateExpiry', () => {
  it('each validates against the schema of its detail type', async () => {
    const inventory = await dynamo.inventory();
    const clock = new MovableClock(NOW);
    const estate = await makeEstate();
    const events = new RecordingPublisher();
    await estate.put('a.example.com', 20);
    await estate.put('b.example.com', -1);
    await estate.put('c.example.com', 300, 365);
    await estate.put('weak.example.com', 60, 365, { algorithm: 'RSA', bits: 1024, hash: 'SHA-1' });
    await estate.sync(inventory.store, clock, events, RECOMMENDED_POLICY); // Certificate Discovered, Policy Violation, Sync Completed
    await estate.put('a.example.com', 5); // Certificate Changed (renewed)
    await rm(join(estate.root, 'c.example.com.pem')); // Certificate Removed
    await writeFile(join(estate.root, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nnot base64\n'); // Sync Failed
    await estate.put('weak.example.com', 60, 365); // Violation Resolved
    await estate.sync(inventory.store, clock, events, RECOMMENDED_POLICY);
    await evaluateExpiry({
      store: inventory.store,
      ledger: new DynamoAlertLedger(inventory.client, inventory.tableName, clock),
      events,
      clock,
    }); // Certificate Expiring, Certificate Expired

    const validators = schemaValidators();
    expect(new Set(events.events.map((event) => event.detailType))).toEqual(
      new Set([
        'Certificate Discovered',
        'Certificate Changed',
        'Certificate Removed',
        'Sync Failed',
        'Sync Completed',
        'Policy Violation',
        'Violation Resolved',
        'Certificate Expiring',
        'Certificate Expired',
      ]),
    );
    expect(events.events.flatMap((event) => schemaProblems(validators, event))).toEqual([]);
    for (const event of events.events) expect(DETAIL_TYPES).toContain(event.detailType);
    expect(JSON.stringify(events.events)).not.toMatch(/BEGIN|PRIVATE KEY/);
  });
});
