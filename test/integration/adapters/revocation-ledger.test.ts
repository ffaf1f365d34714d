import { DynamoRevocationLedger } from '../../../lib/adapters/dynamodb-revocation-ledger';
import type { RevocationRecord } from '../../../lib/ports/revocation-ledger';
import { useEmbeddedDynamoDb } from '../../support/inventory';

const dynamo = useEmbeddedDynamoDb();

const record = (requestedBy: string): RevocationRecord => ({
  fingerprint: 'd'.repeat(64),
  serialNumber: '0A1B',
  issuer: 'CN=Issuing CA',
  reason: 'keyCompromise',
  outcome: 'revoked',
  certificateAuthorityArn: 'arn:aws:acm-pca:eu-west-1:111111111111:certificate-authority/ca',
  locationId: 'aws-acm:arn:1',
  requestedBy,
  at: '2026-06-01T00:00:00.000Z',
  note: null,
});

describe('DynamoRevocationLedger', () => {
  it('records a certificate once: of many writers at once one records, the record is the first', async () => {
    const inventory = await dynamo.inventory();
    const ledger = new DynamoRevocationLedger(inventory.client, inventory.tableName);

    const results = await Promise.all(['a', 'b', 'c', 'd'].map((who) => ledger.record(record(who))));
    const again = await ledger.record(record('e'));

    expect(results.filter(Boolean)).toHaveLength(1);
    expect(again).toBe(false);
    const kept = await ledger.recordOf('d'.repeat(64));
    expect(kept).toEqual(record(['a', 'b', 'c', 'd'][results.indexOf(true)]));
  });

  it('has no record of a certificate nobody revoked', async () => {
    const inventory = await dynamo.inventory();

    expect(await new DynamoRevocationLedger(inventory.client, inventory.tableName).recordOf('e'.repeat(64))).toBe(
      undefined,
    );
  });
});
