import { GetCommand, paginateQuery, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../ports/clock';
import { isConditionFailure } from './dynamodb-alert-ledger';
import type { ClaimedRenewal, RenewalAttempt, RenewalClaim, RenewalKey, RenewalLedger } from '../ports/renewal-ledger';

/** In the place's own partition, beside its history: `LOC#<locationId>` / `RENEWAL#<fingerprint>`. */
const keyOf = ({ locationId, fingerprint }: RenewalKey) => ({ pk: `LOC#${locationId}`, sk: `RENEWAL#${fingerprint}` });

const attemptOf = (item: Record<string, unknown>): RenewalAttempt => {
  const { pk: _pk, sk: _sk, type: _type, leaseUntil: _lease, ...attempt } = item;
  return attempt as unknown as RenewalAttempt;
};

/**
 * The renewal ledger in the inventory table, with conditional writes only, as the alert ledger's claims
 * (dynamodb-alert-ledger.ts): a claim is one update that succeeds when no attempt exists, the last one failed or
 * is pending, or its lease ran out, so of many deliveries of one request exactly one renews.
 */
export class DynamoRenewalLedger implements RenewalLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async claim(key: RenewalKey, claim: RenewalClaim): Promise<ClaimedRenewal> {
    const now = this.clock.now();
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression:
            'SET #type = :type, locationId = :locationId, fingerprint = :fingerprint, renewalId = :renewalId, ' +
            '#method = :method, requestedBy = :requestedBy, requestedAt = :now, #state = :inProgress, ' +
            'leaseUntil = :leaseUntil REMOVE finishedAt, newFingerprint, message ADD attempt :one',
          ConditionExpression:
            'attribute_not_exists(pk) OR #state IN (:failed, :pending) OR (#state = :inProgress AND leaseUntil < :nowMs)',
          ExpressionAttributeNames: { '#type': 'type', '#method': 'method', '#state': 'state' },
          ExpressionAttributeValues: {
            ':type': 'renewal',
            ':locationId': key.locationId,
            ':fingerprint': key.fingerprint,
            ':renewalId': claim.renewalId,
            ':method': claim.method,
            ':requestedBy': claim.requestedBy,
            ':now': now.toISOString(),
            ':inProgress': 'in-progress',
            ':failed': 'failed',
            ':pending': 'pending',
            ':leaseUntil': now.getTime() + claim.leaseMs,
            ':nowMs': now.getTime(),
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { claimed: true, attempt: attemptOf(Attributes!) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: keyOf(key), ConsistentRead: true }),
      );
      return { claimed: false, attempt: attemptOf(Item!) };
    }
  }

  async finish(
    key: RenewalKey,
    renewalId: string,
    result: Pick<RenewalAttempt, 'state' | 'newFingerprint' | 'message'>,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(key),
          UpdateExpression:
            'SET #state = :state, finishedAt = :now, newFingerprint = :newFingerprint, message = :message REMOVE leaseUntil',
          ConditionExpression: 'renewalId = :renewalId AND #state = :inProgress',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':state': result.state,
            ':now': this.clock.now().toISOString(),
            ':newFingerprint': result.newFingerprint ?? null,
            ':message': result.message ?? null,
            ':renewalId': renewalId,
            ':inProgress': 'in-progress',
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async attemptsAt(locationId: string): Promise<RenewalAttempt[]> {
    const attempts: RenewalAttempt[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `LOC#${locationId}`, ':prefix': 'RENEWAL#' },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) attempts.push(...(page.Items ?? []).map(attemptOf));
    return attempts.sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
  }
}
