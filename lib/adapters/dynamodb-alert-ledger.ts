import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../ports/clock';
import type { AlertKey, AlertLedger, AlertState, ClaimOptions, ClaimResult, PassOptions } from '../ports/alert-ledger';
import { TTL_ATTRIBUTE } from './dynamodb-table';

export interface DynamoAlertLedgerOptions {
  /** Days an alert record is kept after the certificate's notAfter (TTL on AWS). @default 365 */
  retentionDays?: number;
}

const keyOf = ({ locationId, fingerprint, thresholdId }: AlertKey) => ({
  pk: `ALERT#${locationId}`,
  sk: `${fingerprint}#${thresholdId}`,
});

/** A conditional write's condition did not hold (the SDK's class, or its name when another copy of the SDK threw it). */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';

/**
 * The alert ledger in the inventory table (`ALERT#<locationId>` / `<fingerprint>#<thresholdId>`), with
 * conditional writes only: a claim (or a pass) is a put that succeeds when no record exists or the record is an
 * expired claim, so of many evaluators exactly one wins; no transaction is needed.
 */
export class DynamoAlertLedger implements AlertLedger {
  private readonly retentionMs: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    options: DynamoAlertLedgerOptions = {},
  ) {
    this.retentionMs = (options.retentionDays ?? 365) * 86_400_000;
  }

  async state(key: AlertKey): Promise<AlertState | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(key), ConsistentRead: true }),
    );
    return Item?.state as AlertState | undefined;
  }

  async statesOf(locationId: string, fingerprint: string): Promise<Map<string, AlertState>> {
    const states = new Map<string, AlertState>();
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': `ALERT#${locationId}`, ':prefix': `${fingerprint}#` },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) states.set(String(item.thresholdId), item.state as AlertState);
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return states;
  }

  async claim(key: AlertKey, { owner, leaseMs, keepUntil, reclaimOwn }: ClaimOptions): Promise<ClaimResult> {
    const now = this.clock.now();
    const record = { state: 'claimed', owner, claimedAt: now.toISOString(), leaseUntil: now.getTime() + leaseMs };
    if (await this.putIfFree(key, keepUntil, record, reclaimOwn ? owner : undefined)) return 'claimed';
    const state = await this.state(key);
    return state === 'sent' || state === 'passed' ? state : 'held';
  }

  async pass(key: AlertKey, { passedFor, keepUntil }: PassOptions): Promise<boolean> {
    return this.putIfFree(key, keepUntil, { state: 'passed', passedFor, passedAt: this.clock.now().toISOString() });
  }

  /**
   * Writes the alert's record when no record exists or the record is a claim whose lease ran out: of many
   * evaluators exactly one succeeds. False when another record stands.
   */
  private async putIfFree(
    key: AlertKey,
    keepUntil: Date,
    record: Record<string, unknown>,
    orHeldBy?: string,
  ): Promise<boolean> {
    const now = this.clock.now().getTime();
    const keepMs = Math.max(keepUntil.getTime(), now) + this.retentionMs;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keyOf(key), type: 'alert', ...key, ...record, [TTL_ATTRIBUTE]: Math.floor(keepMs / 1000) },
          ConditionExpression: orHeldBy
            ? 'attribute_not_exists(pk) OR (#state = :claimed AND (leaseUntil < :now OR #owner = :owner))'
            : 'attribute_not_exists(pk) OR (#state = :claimed AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state', ...(orHeldBy && { '#owner': 'owner' }) },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':now': now, ...(orHeldBy && { ':owner': orHeldBy }) },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async complete(key: AlertKey, owner: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression: 'SET #state = :sent, sentAt = :now REMOVE leaseUntil',
          ConditionExpression: '#owner = :owner AND #state = :claimed',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':sent': 'sent',
            ':claimed': 'claimed',
            ':owner': owner,
            ':now': this.clock.now().toISOString(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async forget(key: AlertKey): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          ConditionExpression: '#state = :sent',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':sent': 'sent' },
        }),
      );
    } catch (error) {
      // Not sent (gone already, or someone's live claim): nothing to forget.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async release(key: AlertKey, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          ConditionExpression: '#owner = :owner AND #state = :claimed',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':owner': owner },
        }),
      );
    } catch (error) {
      // Taken over or already sent by another evaluator: nothing of ours to give back.
      if (!isConditionFailure(error)) throw error;
    }
  }
}
