import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RevocationLedger, RevocationRecord } from '../ports/revocation-ledger';
import { isConditionFailure } from './dynamodb-alert-ledger';

/** Beside the certificate's own item, since a revocation is a fact about the certificate: `CERT#<fp>` / `REVOCATION`. */
const keyOf = (fingerprint: string) => ({ pk: `CERT#${fingerprint}`, sk: 'REVOCATION' });

/**
 * The revocation ledger in the inventory table: one conditional put per certificate (`attribute_not_exists`), as
 * the renewal ledger's claims, so a repeated or concurrent `certwarden revoke` records the revocation once.
 */
export class DynamoRevocationLedger implements RevocationLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(record: RevocationRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keyOf(record.fingerprint), type: 'revocation', ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async recordOf(fingerprint: string): Promise<RevocationRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(fingerprint), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, type: _type, ...record } = Item;
    return record as RevocationRecord;
  }
}
