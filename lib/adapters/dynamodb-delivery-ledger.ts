import {
  GetCommand,
  PutCommand,
  UpdateCommand,
  paginateQuery,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { CertwardenEvent } from '../domain/events';
import { deliveryIdOf, describeEvent } from '../domain/notifications/delivery-id';
import type { Clock } from '../ports/clock';
import {
  type DeliveryLedger,
  type DeliveryState,
  type FailedAttempt,
  type FailureOutcome,
  type UndeliveredRecord,
} from '../ports/delivery-ledger';
import { isConditionFailure } from './dynamodb-alert-ledger';
import { INVENTORY_INDEXES, TTL_ATTRIBUTE } from './dynamodb-table';

export interface DynamoDeliveryLedgerOptions {
  /** Days a delivered or failing record is kept (TTL on AWS): longer than any retry of the event. @default 90 */
  retentionDays?: number;
  /** Days a dead letter stays listed (TTL on AWS). @default 365 */
  deadLetterRetentionDays?: number;
}

/** The byStatus index partition that lists dead letters: rare, so one partition holds them all. */
export const UNDELIVERED_PARTITION = 'UNDELIVERED';
const { byStatus } = INVENTORY_INDEXES;
const DAY_MS = 86_400_000;

const keyOf = (deliveryId: string, target: string) => ({ pk: `DELIVERY#${deliveryId}`, sk: `TARGET#${target}` });

/**
 * The delivery ledger in the inventory table: one item per (event, target), `DELIVERY#<deliveryId>` /
 * `TARGET#<target>`, written with conditional updates only (dynalite has no transactions). A dead letter is the
 * same item, put into the byStatus index (`UNDELIVERED` / `<deadAt>#<target>#<deliveryId>`) when it dies, so
 * that listing them reads them alone and no second item can disagree with it.
 */
export class DynamoDeliveryLedger implements DeliveryLedger {
  private readonly retentionMs: number;
  private readonly deadLetterRetentionMs: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    options: DynamoDeliveryLedgerOptions = {},
  ) {
    this.retentionMs = (options.retentionDays ?? 90) * DAY_MS;
    this.deadLetterRetentionMs = (options.deadLetterRetentionDays ?? 365) * DAY_MS;
  }

  async statesAt(target: string, deliveryIds: readonly string[]): Promise<Map<string, DeliveryState>> {
    // A publish holds the few alerts of one place (a notifier: one event), so a read each costs no more than a batch.
    const items = await Promise.all(
      [...new Set(deliveryIds)].map(async (deliveryId) => {
        const { Item } = await this.client.send(
          new GetCommand({
            TableName: this.tableName,
            Key: keyOf(deliveryId, target),
            ProjectionExpression: '#state',
            ExpressionAttributeNames: { '#state': 'state' },
            ConsistentRead: true,
          }),
        );
        return [deliveryId, Item?.state as DeliveryState | undefined] as const;
      }),
    );
    return new Map(items.filter((entry): entry is readonly [string, DeliveryState] => entry[1] !== undefined));
  }

  async delivered(target: string, events: readonly CertwardenEvent[]): Promise<void> {
    const now = this.clock.now();
    await Promise.all(
      events.map((event) =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...keyOf(deliveryIdOf(event), target),
              type: 'delivery',
              state: 'delivered',
              target,
              deliveredAt: now.toISOString(),
              [TTL_ATTRIBUTE]: Math.floor((now.getTime() + this.retentionMs) / 1000),
            },
          }),
        ),
      ),
    );
  }

  async failed({ event, target, reason, permanent, maxAttempts }: FailedAttempt): Promise<FailureOutcome> {
    const now = this.clock.now();
    const deliveryId = deliveryIdOf(event);
    const Key = keyOf(deliveryId, target);
    const described = describeEvent(event);
    let attempts: number;
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression:
            'ADD attempts :one SET #type = :type, #state = :failing, #target = :target, deliveryId = :key, ' +
            'reason = :reason, lastAttemptAt = :now, detailType = :detailType, alertId = :alertId, ' +
            'locationId = :locationId, subjectCommonName = :cn, #owner = :owner, severity = :severity, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(pk) OR #state = :failing',
          ExpressionAttributeNames: {
            '#type': 'type',
            '#state': 'state',
            '#target': 'target',
            '#owner': 'owner',
            '#ttl': TTL_ATTRIBUTE,
          },
          ExpressionAttributeValues: {
            ':one': 1,
            ':type': 'delivery',
            ':failing': 'failing',
            ':target': target,
            ':key': deliveryId,
            ':reason': reason,
            ':now': now.toISOString(),
            ':detailType': described.detailType,
            ':alertId': described.alertId,
            ':locationId': described.locationId,
            ':cn': described.subjectCommonName,
            ':owner': described.owner,
            ':severity': described.severity,
            ':ttl': Math.floor((now.getTime() + this.retentionMs) / 1000),
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      attempts = Number(Attributes?.attempts ?? 1);
    } catch (error) {
      if (isConditionFailure(error)) return { outcome: 'settled' };
      throw error;
    }
    if (!permanent && attempts < maxAttempts) return { outcome: 'retry', attempts };

    const deadAt = now.toISOString();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key,
          UpdateExpression:
            'SET #state = :dead, deadAt = :deadAt, permanent = :permanent, #ipk = :ipk, #isk = :isk, #ttl = :ttl',
          // Only the attempt that counted `attempts` kills it: another one that failed meanwhile has counted more.
          ConditionExpression: '#state = :failing AND attempts = :attempts',
          ExpressionAttributeNames: {
            '#state': 'state',
            '#ipk': byStatus.partition,
            '#isk': byStatus.sort,
            '#ttl': TTL_ATTRIBUTE,
          },
          ExpressionAttributeValues: {
            ':dead': 'dead',
            ':failing': 'failing',
            ':attempts': attempts,
            ':deadAt': deadAt,
            ':permanent': permanent,
            ':ipk': UNDELIVERED_PARTITION,
            ':isk': `${deadAt}#${target}#${deliveryId}`,
            ':ttl': Math.floor((now.getTime() + this.deadLetterRetentionMs) / 1000),
          },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return { outcome: 'settled' };
      throw error;
    }
    return {
      outcome: 'dead-lettered',
      record: { deliveryId, target, ...described, reason, permanent, attempts, deadAt },
    };
  }

  async *undelivered(): AsyncIterable<UndeliveredRecord> {
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: '#ipk = :ipk',
        ExpressionAttributeNames: { '#ipk': byStatus.partition },
        ExpressionAttributeValues: { ':ipk': UNDELIVERED_PARTITION },
        ScanIndexForward: false,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        yield {
          deliveryId: String(item.deliveryId),
          target: String(item.target),
          detailType: String(item.detailType),
          alertId: (item.alertId as string | null) ?? null,
          locationId: (item.locationId as string | null) ?? null,
          subjectCommonName: (item.subjectCommonName as string | null) ?? null,
          owner: (item.owner as string | null) ?? null,
          severity: (item.severity as string | null) ?? null,
          reason: String(item.reason),
          permanent: item.permanent === true,
          attempts: Number(item.attempts),
          deadAt: String(item.deadAt),
        };
      }
    }
  }
}
