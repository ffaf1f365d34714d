import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { DynamoAlertLedger } from '../../../lib/adapters/dynamodb-alert-ledger';
import { DETAIL_TYPES, type ExpiryAlertDetail } from '../../../lib/domain/events';
import { toSecurityHubFindings } from '../../../lib/domain/notifications/security-hub-finding';
import { toSiemJson } from '../../../lib/domain/notifications/siem-json';
import { toOcsf } from '../../../lib/domain/notifications/siem-ocsf';
import { renderSlackMessage } from '../../../lib/domain/notifications/slack-message';
import { RECOMMENDED_POLICY } from '../../../lib/domain/policy';
import { evaluateExpiry } from '../../../lib/use-cases/evaluate';
import { issueCertificate } from '../../../lib/x509/factory';
import { useEmbeddedDynamoDb } from '../../support/inventory';
import { opensslSync } from '../../support/openssl';
import { schemaProblems, schemaValidators } from '../../unit/domain/events/event-schemas';
import { inDays, makeEstate, MovableClock, NOW, RecordingPublisher } from './estate';

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

describe('the fields of a local file downstream', () => {
  it('carry no cloud region and the serial as openssl prints it, in the event, Slack, SIEM and Security Hub', async () => {
    const inventory = await dynamo.inventory();
    const clock = new MovableClock(NOW);
    const estate = await makeEstate();
    // A serial whose first nibble is zero: dropped, it read 9734a3a… against OpenSSL's 09734A3A….
    const issued = await issueCertificate({
      subject: 'CN=zero.example.com',
      dns: ['zero.example.com'],
      issuer: estate.ca,
      serialNumber: '09734a3a5b17c2d1',
      notBefore: inDays(-80),
      notAfter: inDays(5),
    });
    await writeFile(join(estate.root, 'zero.pem'), issued.pem);
    const events = new RecordingPublisher();
    await estate.sync(inventory.store, clock, events);
    await evaluateExpiry({
      store: inventory.store,
      ledger: new DynamoAlertLedger(inventory.client, inventory.tableName, clock),
      events,
      clock,
    });
    await estate.put('zero', 300, 365); // renewed: the finding of the old certificate is closed
    await estate.sync(inventory.store, clock, events);

    const alert = events.events.find((event) => event.detailType === 'Certificate Expiring')!;
    const detail = alert.detail as ExpiryAlertDetail;
    const openssl = opensslSync(['x509', '-noout', '-serial'], issued.pem).toString().trim().replace('serial=', '');
    expect(openssl).toBe('09734A3A5B17C2D1');
    expect(detail).toMatchObject({ region: null, serialNumber: openssl });
    const slack = JSON.stringify(renderSlackMessage(alert));
    expect(slack).toContain(`serial ${openssl}`);
    expect(slack).not.toContain('region');
    expect(toSiemJson(alert)).toMatchObject({ certificate_serial: openssl });
    const ocsf = toOcsf(alert) as unknown as { resources: Array<Record<string, unknown>> };
    expect(ocsf.resources[0]).not.toHaveProperty('region');
    expect(JSON.stringify(ocsf)).toContain(openssl);
    const target = { accountId: '222222222222', region: 'eu-central-1' };
    const [opened] = toSecurityHubFindings(alert, target);
    const renewal = events.events.find((event) => event.detailType === 'Certificate Changed')!;
    const [closed] = toSecurityHubFindings(renewal, target);
    expect(closed.Id).toBe(opened.Id);
    expect([opened.Resources[0].Region, closed.Resources[0].Region]).toEqual(['eu-central-1', 'eu-central-1']);
  });
});
