import {
  GetCommand,
  paginateQuery,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../ports/clock';
import { isConditionFailure } from './dynamodb-alert-ledger';
import { indexShardOf } from './dynamodb-inventory-store';
import { INDEX_SHARDS, INVENTORY_INDEXES } from './dynamodb-table';
import { mergeSorted } from './merge-sorted';
import type {
  ApprovalDecision,
  ApprovalRequest,
  ClaimedRenewal,
  RenewalAttempt,
  RenewalClaim,
  RenewalKey,
  RenewalLedger,
} from '../ports/renewal-ledger';

/** In the place's own partition, beside its history: `LOC#<locationId>` / `RENEWAL#<fingerprint>`. */
const keyOf = ({ locationId, fingerprint }: RenewalKey) => ({ pk: `LOC#${locationId}`, sk: `RENEWAL#${fingerprint}` });

/**
 * The ledger by time, on the byStatus index: `RENEWALS#<shard of location>` → `<requestedAt>#<locationId>#<fingerprint>`.
 * A record is re-keyed when an attempt is taken up again, so a period lists each record by its latest attempt.
 */
const RENEWALS_PARTITION = 'RENEWALS#';
const byTimeKeys = ({ locationId, fingerprint }: RenewalKey, requestedAt: string) => ({
  ':gsi5pk': `${RENEWALS_PARTITION}${indexShardOf(locationId)}`,
  ':gsi5sk': `${requestedAt}#${locationId}#${fingerprint}`,
});

const attemptOf = (item: Record<string, unknown>): RenewalAttempt => {
  const { pk: _pk, sk: _sk, type: _type, leaseUntil: _lease, gsi5pk: _ipk, gsi5sk: _isk, ...attempt } = item;
  return attempt as unknown as RenewalAttempt;
};

/** An approval request is an item of its own, found by its id alone: `APPROVAL#<requestId>` / `APPROVAL`. */
const approvalKeyOf = (requestId: string) => ({ pk: `APPROVAL#${requestId}`, sk: 'APPROVAL' });

const approvalOf = (item: Record<string, unknown>): ApprovalRequest => {
  const { pk: _pk, sk: _sk, type: _type, ...request } = item;
  return request as unknown as ApprovalRequest;
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
            'leaseUntil = :leaseUntil, #ipk = :gsi5pk, #isk = :gsi5sk ' +
            'REMOVE finishedAt, newFingerprint, message, approval ADD attempt :one',
          ConditionExpression:
            'attribute_not_exists(pk) OR #state IN (:failed, :pending) OR ' +
            '(#state IN (:inProgress, :awaiting) AND leaseUntil < :nowMs)',
          ExpressionAttributeNames: {
            '#type': 'type',
            '#method': 'method',
            '#state': 'state',
            '#ipk': INVENTORY_INDEXES.byStatus.partition,
            '#isk': INVENTORY_INDEXES.byStatus.sort,
          },
          ExpressionAttributeValues: {
            ...byTimeKeys(key, now.toISOString()),
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
            ':awaiting': 'awaiting-approval',
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
          // A pending attempt is concluded by the deployed workflow's later look (checkRenewal).
          ConditionExpression: 'renewalId = :renewalId AND #state IN (:inProgress, :pending)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
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

  attemptsBetween(since: Date, until: Date): AsyncIterable<RenewalAttempt> {
    const { partition, sort } = INVENTORY_INDEXES.byStatus;
    const shards = Array.from({ length: INDEX_SHARDS }, (_, shard) =>
      this.queryAttempts({
        TableName: this.tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: '#ipk = :ipk AND #isk BETWEEN :since AND :until',
        ExpressionAttributeNames: { '#ipk': partition, '#isk': sort },
        // `#` sorts before every character of a location id, `~` after: [since, until) by requestedAt.
        ExpressionAttributeValues: {
          ':ipk': `${RENEWALS_PARTITION}${shard}`,
          ':since': `${since.toISOString()}#`,
          ':until': `${until.toISOString()}#`,
        },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    return mergeSorted(shards, (a, b) =>
      a.requestedAt === b.requestedAt
        ? `${a.locationId}#${a.fingerprint}`.localeCompare(`${b.locationId}#${b.fingerprint}`)
        : a.requestedAt < b.requestedAt
          ? -1
          : 1,
    );
  }

  private async *queryAttempts(input: QueryCommandInput): AsyncGenerator<RenewalAttempt> {
    for await (const page of paginateQuery({ client: this.client, pageSize: 200 }, input))
      for (const item of page.Items ?? []) yield attemptOf(item);
  }

  async attempt(key: RenewalKey): Promise<RenewalAttempt | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keyOf(key), ConsistentRead: true }),
    );
    return Item && attemptOf(Item);
  }

  async awaitApproval(request: ApprovalRequest): Promise<boolean> {
    const parked = await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(request),
        UpdateExpression: 'SET #state = :awaiting, leaseUntil = :until, approval = :approval',
        ConditionExpression: 'renewalId = :renewalId AND #state = :inProgress',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':awaiting': 'awaiting-approval',
          ':until': Date.parse(request.expiresAt),
          ':approval': { requestId: request.requestId, state: 'pending' },
          ':renewalId': request.renewalId,
          ':inProgress': 'in-progress',
        },
      }),
    );
    if (!parked) return false;
    return this.conditionally(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...approvalKeyOf(request.requestId), type: 'approval', ...request },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async approval(requestId: string): Promise<ApprovalRequest | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: approvalKeyOf(requestId), ConsistentRead: true }),
    );
    return Item && approvalOf(Item);
  }

  attachTaskToken(requestId: string, taskToken: string): Promise<boolean> {
    return this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: approvalKeyOf(requestId),
        UpdateExpression: 'SET taskToken = :token',
        ConditionExpression: '#state = :pending',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':token': taskToken, ':pending': 'pending' },
      }),
    );
  }

  async decideApproval(
    requestId: string,
    decision: ApprovalDecision,
    options: { leaseMs: number; failure: string },
  ): Promise<ApprovalRequest | undefined> {
    const now = this.clock.now();
    let decided: ApprovalRequest;
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: approvalKeyOf(requestId),
          UpdateExpression: 'SET #state = :state, decidedBy = :by, decidedAt = :now, decisionReason = :reason',
          ConditionExpression: '#state = :pending',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':state': decision.state,
            ':by': decision.by,
            ':now': now.toISOString(),
            ':reason': decision.reason,
            ':pending': 'pending',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      decided = approvalOf(Attributes!);
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
    const approved = decision.state === 'approved';
    // The attempt may have been taken over meanwhile (its request expired unanswered): then it is not touched.
    await this.conditionally(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keyOf(decided),
        UpdateExpression: approved
          ? 'SET #state = :inProgress, leaseUntil = :until, approval = :approval'
          : 'SET #state = :failed, finishedAt = :now, message = :message, approval = :approval REMOVE leaseUntil',
        ConditionExpression: 'renewalId = :renewalId AND #state = :awaiting',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':approval': {
            requestId,
            state: decided.state,
            decidedBy: decided.decidedBy,
            decidedAt: decided.decidedAt,
            decisionReason: decided.decisionReason,
          },
          ':renewalId': decided.renewalId,
          ':awaiting': 'awaiting-approval',
          ...(approved
            ? { ':inProgress': 'in-progress', ':until': now.getTime() + options.leaseMs }
            : { ':failed': 'failed', ':now': now.toISOString(), ':message': options.failure }),
        },
      }),
    );
    return decided;
  }

  /** Sends a conditional write: false when its condition failed. */
  private async conditionally(command: UpdateCommand | PutCommand): Promise<boolean> {
    try {
      await this.client.send(command as UpdateCommand);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
