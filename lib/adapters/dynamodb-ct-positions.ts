import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../ports/clock';
import type { CtPositions } from '../ports/ct-log';
import { isConditionFailure } from './dynamodb-alert-ledger';

const keyOf = (url: string) => ({ pk: `CTLOG#${url}`, sk: 'POSITION' });

/**
 * Each CT log's position in the inventory table (`CTLOG#<url>` / `POSITION`: `next`, the index of the next entry
 * to read), moved by a conditional update only (`next` still what the mover read, or no item yet), so no
 * transaction is needed and of two pollers only one moves past a batch.
 */
export class DynamoCtPositions implements CtPositions {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async position(url: string): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(url), ConsistentRead: true }),
    );
    return typeof Item?.next === 'number' ? Item.next : undefined;
  }

  async advance(url: string, from: number | undefined, to: number, treeSize: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(url),
          UpdateExpression: 'SET #next = :to, treeSize = :treeSize, movedAt = :now, #type = :type',
          ConditionExpression: from === undefined ? 'attribute_not_exists(pk)' : '#next = :from',
          ExpressionAttributeNames: { '#next': 'next', '#type': 'type' },
          ExpressionAttributeValues: {
            ':to': to,
            ':treeSize': treeSize,
            ':now': this.clock.now().toISOString(),
            ':type': 'ct-position',
            ...(from === undefined ? {} : { ':from': from }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
