import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { OpenServedAlert, ServedAlerts } from '../ports/served-alerts';
import { isConditionFailure } from './dynamodb-alert-ledger';

/**
 * `SERVED#<source>` / `<scope>#<locationId>#<fingerprint>#<detail type>`: a partition of their own, so that the
 * workers that resolve them may delete these items and no other of the source's (IAM's dynamodb:LeadingKeys).
 */
const partitionOf = (source: string) => `SERVED#${source}`;
const scopePrefix = (scope: string) => `${scope}#`;
const keyOf = ({ source, scope, event }: OpenServedAlert) => ({
  pk: partitionOf(source),
  sk: `${scopePrefix(scope)}${event.detail.locationId}#${event.detail.fingerprint}#${event.detailType}`,
});

/**
 * The open served-certificate alerts in the inventory table, a partition per source: a scope's are one Query
 * of what is open (no index, no Scan); closing is a conditional delete, so of two runs one announces it.
 */
export class DynamoServedAlerts implements ServedAlerts {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async *openIn(source: string, scope?: string): AsyncIterable<OpenServedAlert> {
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: scope === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: {
            ':pk': partitionOf(source),
            ...(scope === undefined ? {} : { ':prefix': scopePrefix(scope) }),
          },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) {
        // A scope named like another's prefix (`a` and `a#b`) shares the key prefix; the stored scope tells them apart.
        if (scope !== undefined && item.scope !== scope) continue;
        yield { source, scope: String(item.scope), event: item.event as OpenServedAlert['event'] };
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  async open(alert: OpenServedAlert): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keyOf(alert), type: 'served-alert', scope: alert.scope, event: alert.event },
      }),
    );
  }

  async close(alert: OpenServedAlert): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keyOf(alert),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
