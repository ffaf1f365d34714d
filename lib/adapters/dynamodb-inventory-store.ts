import { createHash } from 'node:crypto';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  paginateQuery,
  type DynamoDBDocumentClient,
  type PutCommandInput,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { serialNumberHex, type CertificateRecord, type ParsedCertificate } from '../domain/certificate';
import {
  ALERT_SHARDS,
  type ExceptionStatus,
  type HistoryRecord,
  type InventoryStore,
  type KeyUser,
  type LastRenewal,
  type ListOptions,
  type FailedWrite,
  type LocationChange,
  type ViolationChange,
  type LocationListing,
  type LocationState,
  type LocationStatus,
  type ScopeNote,
  type StoredLocation,
  type StoredViolation,
  type SyncRunRecord,
} from '../ports/inventory-store';
import type { Severity } from '../domain/policy/types';
import { unaskableRevocation, type RevocationStatus } from '../domain/revocation';
import { INDEX_SHARDS, INVENTORY_INDEXES, TTL_ATTRIBUTE, type InventoryIndexName } from './dynamodb-table';
import { mergeSorted } from './merge-sorted';

type Item = Record<string, unknown>;

export interface DynamoInventoryStoreOptions {
  /** How long history and sync-run records are kept on AWS (TTL). @default 730 */
  historyRetentionDays?: number;
}

const locationKey = (locationId: string) => ({ pk: `LOC#${locationId}`, sk: 'LOCATION' });
const certificateKey = (fingerprint: string) => ({ pk: `CERT#${fingerprint}`, sk: 'CERTIFICATE' });
const historySortKey = (version: number, historyId: string) =>
  `HISTORY#${String(version).padStart(10, '0')}#${historyId}`;
/** Sorts after every ISO date, so locations without a certificate come last in expiry order. */
const NO_EXPIRY = '~';

/** A stable shard of `shards` for a key: spreads one index partition's items over several. */
const shardOf = (key: string, shards: number): number =>
  createHash('sha1').update(key).digest().readUInt32BE(0) % shards;

export const indexShardOf = (key: string): number => shardOf(key, INDEX_SHARDS);

/** A scope as its places' bySource sort keys name it: fixed length, so no scope's range holds another's. */
const scopeKeyOf = (scope: string): string => createHash('sha1').update(scope).digest('hex').slice(0, 16);

/** The queries of every shard of a sharded index partition. */
const everyShard = <T>(query: (shard: number) => AsyncIterable<T>): Array<AsyncIterable<T>> =>
  Array.from({ length: INDEX_SHARDS }, (_, shard) => query(shard));

const BATCH_GET_LIMIT = 100;
const MERGE_PAGE_SIZE = 200;
const BATCH_WRITE_LIMIT = 25;
const MAX_UNPROCESSED_ROUNDS = 10;

/**
 * The inventory on DynamoDB (lib-dynamodb), identical against dynalite and AWS. Every write is either
 * idempotent by key (certificates, history) or conditional on the version it was computed from (locations),
 * so no transaction is needed and a retried sync can never duplicate or lose a change.
 */
export class DynamoInventoryStore implements InventoryStore {
  private readonly retentionSeconds: number;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoInventoryStoreOptions = {},
  ) {
    this.retentionSeconds = (options.historyRetentionDays ?? 730) * 86_400;
  }

  async getLocations(locationIds: string[]): Promise<Map<string, StoredLocation>> {
    const found = new Map<string, StoredLocation>();
    for (const item of await this.batchGet([...new Set(locationIds)].map(locationKey))) {
      const location = fromLocationItem(item);
      found.set(location.locationId, location);
    }
    return found;
  }

  async getLocation(locationId: string): Promise<StoredLocation | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: locationKey(locationId), ConsistentRead: true }),
    );
    return Item ? fromLocationItem(Item) : undefined;
  }

  async saveCertificates(certificates: ParsedCertificate[]): Promise<void> {
    const unique = new Map(certificates.map((parsed) => [parsed.record.fingerprintSha256, parsed]));
    const items = [...unique.values()].map(({ record, der }) => ({
      ...certificateKey(record.fingerprintSha256),
      type: 'certificate',
      ...record,
      der: Buffer.from(der).toString('base64'),
    }));
    await this.batchPut(items);
  }

  async getCertificate(fingerprint: string): Promise<(CertificateRecord & { pem: string }) | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: certificateKey(fingerprint) }),
    );
    if (!Item) return undefined;
    const body = String(Item.der).replace(/(.{64})/g, '$1\n');
    return { ...fromCertificateItem(Item), pem: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n` };
  }

  async applyChange(change: LocationChange): Promise<StoredLocation | 'conflict'> {
    const [result] = await this.applyChanges([change]);
    if (typeof result === 'object' && 'failed' in result) throw result.failed;
    return result;
  }

  /**
   * One round trip per change, not two: the history records of every change go first, unconditionally and in
   * batches (a record is keyed by its version and content, so a retry rewrites the same one), then each location
   * moves by a put conditional on the version it was computed from. A writer that loses that race leaves a record
   * no location points to: history() follows the chain from the location's current record and never meets it.
   */
  async applyChanges(changes: LocationChange[]): Promise<Array<StoredLocation | 'conflict' | FailedWrite>> {
    const planned = changes.map((change) => this.plan(change));
    await this.batchPut(planned.flatMap(({ history }) => (history ? [history] : [])));
    const settled = await Promise.allSettled(planned.map(({ stored, previous }) => this.putLocation(stored, previous)));
    return settled.map((result) => (result.status === 'fulfilled' ? result.value : { failed: result.reason }));
  }

  private plan({ next, previous, change, at, revocationKnownAtOnce }: LocationChange): {
    stored: StoredLocation;
    previous: StoredLocation | undefined;
    history: Item | undefined;
  } {
    const version = (previous?.version ?? 0) + 1;
    if (onlyStaleMarkMoves(previous, next, change)) {
      // A scope's outage is not the certificate's history: the mark lives on the place alone, one write to set
      // and one to clear (a vault of 1,280 places gone and back: 2,560 writes, no longer 5,120).
      const stored: StoredLocation = { ...previous!, ...next, stale: next.stale, version };
      return { stored, previous, history: undefined };
    }
    const historyId = createHash('sha1')
      .update(JSON.stringify([next.contentHash, change, next.status, next.stale?.since ?? null, at]))
      .digest('hex')
      .slice(0, 16);
    const record: HistoryRecord = {
      locationId: next.locationId,
      version,
      historyId,
      previousHistoryId: previous?.historyId ?? null,
      change,
      at,
      fingerprint: next.fingerprint,
      previousFingerprint: previous?.fingerprint ?? null,
      contentHash: next.contentHash,
    };
    const stored: StoredLocation = {
      ...next,
      version,
      historyId,
      firstSeenAt: previous?.firstSeenAt ?? at,
      changedAt: at,
      removedAt: next.status === 'removed' ? (previous?.removedAt ?? at) : undefined,
      nextAlertAt: nextAlertOf(next, previous, at),
      ...revocationOf(next, previous, at, revocationKnownAtOnce === true),
      lastRenewal: previous?.lastRenewal,
    };
    const history = {
      pk: `LOC#${record.locationId}`,
      sk: historySortKey(version, historyId),
      type: 'history',
      ...record,
      [TTL_ATTRIBUTE]: this.expiresAt(at),
    };
    return { stored, previous, history };
  }

  private async putLocation(
    stored: StoredLocation,
    previous: StoredLocation | undefined,
  ): Promise<StoredLocation | 'conflict'> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toLocationItem(stored),
          ...(previous ? fromVersion(previous) : { ConditionExpression: 'attribute_not_exists(pk)' }),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      throw error;
    }
    return stored;
  }

  locationsOfCertificate(fingerprint: string): AsyncIterable<StoredLocation> {
    return this.queryLocations('byFingerprint', `FP#${fingerprint}`);
  }

  locationsWithPublicKey(publicKeySha256: string): AsyncIterable<StoredLocation> {
    return this.queryLocations('byPublicKey', `SPKI#${publicKeySha256}`);
  }

  async keyUsers(publicKeySha256: string, sample: number): Promise<{ sample: KeyUser[]; more: boolean }> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keyRegisterPartition(publicKeySha256) },
        Limit: sample + 1,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    return { sample: Items.slice(0, sample).map(fromKeyUserItem), more: Items.length > sample };
  }

  async registeredKeyUsers(users: Array<{ publicKeySha256: string; fingerprint: string }>): Promise<Set<string>> {
    const keys = users.map(({ publicKeySha256, fingerprint }) => keyUserKey(publicKeySha256, fingerprint));
    return new Set((await this.batchGet(keys)).map((item) => String(item.fingerprint)));
  }

  async addKeyUsers(users: Array<{ publicKeySha256: string; user: KeyUser }>): Promise<void> {
    // A certificate's register item is the same whoever writes it: unconditional, so it can go in batches.
    await this.batchPut(
      users.map(({ publicKeySha256, user }) => ({
        ...keyUserKey(publicKeySha256, user.fingerprint),
        type: 'key-user',
        ...user,
      })),
    );
  }

  async removeKeyUsers(users: Array<{ publicKeySha256: string; fingerprint: string }>): Promise<void> {
    await this.batchDelete(users.map(({ publicKeySha256, fingerprint }) => keyUserKey(publicKeySha256, fingerprint)));
  }

  expiringBefore(cutoff: Date, options: ListOptions = {}): AsyncIterable<StoredLocation> {
    return this.mergeExpiryShards(cutoff, options);
  }

  listingsExpiringBefore(cutoff: Date, options: ListOptions = {}): AsyncIterable<LocationListing> {
    return this.mergeExpiryShards(cutoff, { ...options, projection: LISTING_PROJECTION });
  }

  /** Every `byExpiry` shard queried and merged in expiry order. */
  private mergeExpiryShards(
    cutoff: Date,
    options: ListOptions & { projection?: typeof LISTING_PROJECTION },
  ): AsyncIterable<StoredLocation> {
    // Every shard holds a page while the merge runs: small pages keep that bounded on a large inventory.
    const shards = everyShard((shard) =>
      this.queryLocations('byExpiry', `EXPIRY#${shard}`, {
        before: cutoff.toISOString(),
        limit: options.limit,
        // A listing's items are a fraction of a place's: pages five times as large hold no more in memory.
        pageSize: options.projection ? 5 * MERGE_PAGE_SIZE : MERGE_PAGE_SIZE,
        projection: options.projection,
      }),
    );
    return take(
      mergeSorted(shards, (a, b) => compareExpiry(a, b)),
      options.limit,
    );
  }

  alertsDue(shard: number, now: Date, options: ListOptions = {}): AsyncIterable<StoredLocation> {
    // `~` sorts after the `#<locationId>` of every place due at exactly `now`.
    return this.queryLocations('byNextAlert', `ALERT#${shard}`, { ...options, before: `${now.toISOString()}~` });
  }

  async scheduleNextAlert(locationId: string, fingerprint: string, at: string | null): Promise<void> {
    await this.moveOnSchedule('byNextAlert', 'nextAlertAt', locationId, fingerprint, at, alertScheduleKeys);
  }

  /**
   * Moves a place on one of its schedules (the sparse index `index`, its time in `field`; null takes it off, or
   * parks it under `parked`'s keys in the same index), with `extra` set in the same update, unless its certificate
   * changed or it went since it was read (then the sync has scheduled it afresh): false then. Never changes the
   * place's version.
   */
  private async moveOnSchedule(
    index: 'byNextAlert' | 'byRevocationCheck',
    field: string,
    locationId: string,
    fingerprint: string,
    at: string | null,
    scheduleKeys: (locationId: string, at: string) => Record<':pk' | ':sk', string>,
    extra?: { name: string; value: unknown },
    parked?: Record<':pk' | ':sk', string>,
  ): Promise<boolean> {
    const keys = INVENTORY_INDEXES[index];
    const set = extra ? [`${extra.name} = :extra`] : [];
    const expression =
      at !== null
        ? `SET ${[...set, `${field} = :at`, '#pk = :pk', '#sk = :sk'].join(', ')}`
        : parked
          ? `SET ${[...set, '#pk = :pk', '#sk = :sk'].join(', ')} REMOVE ${field}`
          : `${set.length > 0 ? `SET ${set.join(', ')} ` : ''}REMOVE ${field}, #pk, #sk`;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: locationKey(locationId),
          UpdateExpression: expression,
          ConditionExpression: 'fingerprint = :fingerprint AND #status = :live',
          ExpressionAttributeNames: { '#pk': keys.partition, '#sk': keys.sort, '#status': 'status' },
          ExpressionAttributeValues: {
            ':fingerprint': fingerprint,
            ':live': 'live',
            ...(extra && { ':extra': extra.value }),
            ...(at !== null && { ':at': at, ...scheduleKeys(locationId, at) }),
            ...(at === null && parked),
          },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return false;
    }
  }

  revocationChecksDue(shard: number, now: Date, options: ListOptions = {}): AsyncIterable<StoredLocation> {
    return this.queryLocations('byRevocationCheck', `REVOCATION#${shard}`, {
      ...options,
      before: `${now.toISOString()}~`,
    });
  }

  async scheduleRevocationCheck(locationId: string, fingerprint: string, at: string | null): Promise<void> {
    await this.moveOnSchedule(
      'byRevocationCheck',
      'nextRevocationCheckAt',
      locationId,
      fingerprint,
      at,
      revocationScheduleKeys,
    );
  }

  recordRevocation(
    locationId: string,
    fingerprint: string,
    revocation: RevocationStatus,
    nextCheckAt: string | null,
  ): Promise<boolean> {
    return this.moveOnSchedule(
      'byRevocationCheck',
      'nextRevocationCheckAt',
      locationId,
      fingerprint,
      nextCheckAt,
      revocationScheduleKeys,
      { name: 'revocation', value: revocation },
      revocation.status === 'revoked' ? revokedKeys(locationId, revocation) : undefined,
    );
  }

  revokedPlaces(options: ListOptions = {}): AsyncIterable<StoredLocation> {
    const shards = everyShard((shard) =>
      this.queryLocations('byRevocationCheck', `REVOKED#${shard}`, { limit: options.limit }),
    );
    const sortKey = (place: StoredLocation) => revokedKeys(place.locationId, place.revocation!)[':sk'];
    return take(
      mergeSorted(shards, (a, b) => (sortKey(a) < sortKey(b) ? -1 : 1)),
      options.limit,
    );
  }

  async recordRenewal(locationId: string, lastRenewal: LastRenewal): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: locationKey(locationId),
          UpdateExpression: 'SET lastRenewal = :lastRenewal',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastRenewal) OR lastRenewal.#at <= :at)',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':lastRenewal': lastRenewal, ':at': lastRenewal.at },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return false;
    }
  }

  byOwner(owner: string, options: ListOptions & { before?: Date } = {}): AsyncIterable<StoredLocation> {
    const shards = everyShard((shard) =>
      this.queryLocations('byOwner', `OWNER#${owner}#${shard}`, {
        limit: options.limit,
        pageSize: MERGE_PAGE_SIZE,
        before: options.before?.toISOString(),
      }),
    );
    return take(mergeSorted(shards, compareExpiry), options.limit);
  }

  bySource(
    source: string,
    status: LocationStatus,
    options: ListOptions & { scope?: string } = {},
  ): AsyncIterable<StoredLocation> {
    const { scope, limit } = options;
    if (scope !== undefined) {
      return this.queryLocations('bySource', `SOURCE#${source}#${indexShardOf(scope)}`, {
        limit,
        prefix: `${status}#${scopeKeyOf(scope)}#`,
      });
    }
    const shards = everyShard((shard) =>
      this.queryLocations('bySource', `SOURCE#${source}#${shard}`, { limit, prefix: `${status}#` }),
    );
    return take(concatenate(shards), limit);
  }

  byStatus(status: ExceptionStatus, options: ListOptions = {}): AsyncIterable<StoredLocation> {
    const shards = everyShard((shard) =>
      this.queryLocations('byStatus', `STATUS#${status}#${shard}`, {
        limit: options.limit,
        pageSize: MERGE_PAGE_SIZE,
        descending: true,
      }),
    );
    const sortKey = (place: StoredLocation) =>
      `${status === 'removed' ? place.removedAt : place.changedAt}#${place.locationId}`;
    return take(
      mergeSorted(shards, (a, b) => (sortKey(a) > sortKey(b) ? -1 : 1)),
      options.limit,
    );
  }

  /** The location's history, oldest first: the chain of records from its current one back. */
  async history(locationId: string): Promise<HistoryRecord[]> {
    const records = new Map<string, HistoryRecord>();
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :history)',
        ExpressionAttributeValues: { ':pk': `LOC#${locationId}`, ':history': 'HISTORY#' },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, type: _type, [TTL_ATTRIBUTE]: _ttl, ...record } = item;
        records.set(String(record.historyId), record as unknown as HistoryRecord);
      }
    }
    const chain: HistoryRecord[] = [];
    // Records past their retention (TTL) end the chain early.
    for (
      let record = records.get((await this.getLocation(locationId))?.historyId ?? '');
      record;
      record = record.previousHistoryId ? records.get(record.previousHistoryId) : undefined
    ) {
      chain.push(record);
    }
    return chain.reverse();
  }

  async recordSyncRun(run: SyncRunRecord): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `SOURCE#${run.source}`,
          sk: `RUN#${run.startedAt}`,
          type: 'sync-run',
          ...run,
          [TTL_ATTRIBUTE]: this.expiresAt(run.startedAt),
        },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
  }

  async syncRuns(source: string, options: ListOptions = {}): Promise<SyncRunRecord[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
        ExpressionAttributeValues: { ':pk': `SOURCE#${source}`, ':run': 'RUN#' },
        ScanIndexForward: false,
        Limit: options.limit,
      }),
    );
    return (Items ?? []).map(
      ({ pk: _pk, sk: _sk, type: _type, [TTL_ATTRIBUTE]: _ttl, ...run }) => run as SyncRunRecord,
    );
  }

  async scopeNotes(source: string, scopes?: string[]): Promise<Map<string, ScopeNote>> {
    const notes = new Map<string, ScopeNote>();
    const note = (item: Item) =>
      notes.set(String(item.scope), {
        ...(item.lastGoodReadAt !== undefined && { lastGoodReadAt: String(item.lastGoodReadAt) }),
        ...(item.policyMark !== undefined && { policyMark: String(item.policyMark) }),
      });
    if (scopes) {
      for (const item of await this.batchGet([...new Set(scopes)].map((scope) => scopeNoteKey(source, scope)))) {
        note(item);
      }
      return notes;
    }
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :scope)',
        ExpressionAttributeValues: { ':pk': `SOURCE#${source}`, ':scope': 'SCOPE#' },
        ReturnConsumedCapacity: 'TOTAL',
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) note(item);
    return notes;
  }

  async recordScopeNotes(source: string, notes: Map<string, ScopeNote>): Promise<void> {
    await this.batchPut(
      [...notes].map(([scope, note]) => ({ ...scopeNoteKey(source, scope), type: 'scope-note', scope, ...note })),
    );
  }

  async getCertificates(fingerprints: string[]): Promise<Map<string, CertificateRecord>> {
    const found = new Map<string, CertificateRecord>();
    for (const item of await this.batchGet([...new Set(fingerprints)].map(certificateKey))) {
      const record = fromCertificateItem(item);
      found.set(record.fingerprintSha256, record);
    }
    return found;
  }

  async violationsAt(locationId: string): Promise<StoredViolation[]> {
    const violations: StoredViolation[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :violation)',
        ExpressionAttributeValues: { ':pk': `LOC#${locationId}`, ':violation': 'VIOLATION#' },
        ReturnConsumedCapacity: 'TOTAL',
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) violations.push(fromViolationItem(item));
    return violations;
  }

  async saveViolations(violations: StoredViolation[]): Promise<void> {
    await this.batchPut(violations.map(toViolationItem));
  }

  async claimViolationChanges(changes: ViolationChange[]): Promise<boolean[]> {
    return Promise.all(
      changes.map(async ({ before, after }) => {
        const { locationId, ruleId } = (after ?? before)!;
        const condition =
          before === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : before.revision === undefined
              ? { ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revision)' }
              : {
                  ConditionExpression: 'revision = :revision',
                  ExpressionAttributeValues: { ':revision': before.revision },
                };
        try {
          if (after)
            await this.client.send(
              new PutCommand({
                TableName: this.tableName,
                Item: toViolationItem({ ...after, revision: (before?.revision ?? 0) + 1 }),
                ...condition,
                ReturnConsumedCapacity: 'TOTAL',
              }),
            );
          else
            await this.client.send(
              new DeleteCommand({
                TableName: this.tableName,
                Key: { pk: `LOC#${locationId}`, sk: `VIOLATION#${ruleId}` },
                ...condition,
                ReturnConsumedCapacity: 'TOTAL',
              }),
            );
          return true;
        } catch (error) {
          if (error instanceof ConditionalCheckFailedException) return false;
          throw error;
        }
      }),
    );
  }

  async removeViolations(violations: Array<{ locationId: string; ruleId: string }>): Promise<void> {
    await this.batchDelete(
      violations.map(({ locationId, ruleId }) => ({ pk: `LOC#${locationId}`, sk: `VIOLATION#${ruleId}` })),
    );
  }

  violationsByRule(ruleId: string, options: ListOptions & { exempted?: boolean } = {}): AsyncIterable<StoredViolation> {
    const prefix = options.exempted ? 'EXEMPTED' : 'VIOLATION';
    return this.mergeViolations((shard) => `${prefix}#${ruleId}#${shard}`, 'byStatus', ruleIndexSortKey, options);
  }

  violationsByOwner(owner: string, options: ListOptions = {}): AsyncIterable<StoredViolation> {
    return this.mergeViolations((shard) => `VIOLATIONS-OF#${owner}#${shard}`, 'byOwner', ownerIndexSortKey, options);
  }

  private mergeViolations(
    partition: (shard: number) => string,
    index: InventoryIndexName,
    sortKey: (violation: StoredViolation) => string,
    options: ListOptions,
  ): AsyncIterable<StoredViolation> {
    const shards = everyShard((shard) => this.queryViolations(index, partition(shard), options));
    return take(
      mergeSorted(shards, (a, b) => (sortKey(a) < sortKey(b) ? -1 : 1)),
      options.limit,
    );
  }

  private async *queryViolations(
    index: InventoryIndexName,
    partition: string,
    options: ListOptions,
  ): AsyncGenerator<StoredViolation> {
    for await (const item of this.queryIndex(index, partition, options)) {
      const { revision: _revision, ...violation } = fromViolationItem(item);
      yield violation;
    }
  }

  async policyMark(source: string): Promise<string | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `SOURCE#${source}`, sk: 'POLICY' },
        ConsistentRead: true,
      }),
    );
    return Item ? String(Item.mark) : undefined;
  }

  async setPolicyMark(source: string, mark: string): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `SOURCE#${source}`, sk: 'POLICY', type: 'policy-mark', mark },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
  }

  private async *queryIndex(index: InventoryIndexName, partition: string, options: ListOptions): AsyncGenerator<Item> {
    const pageSize = options.limit ? Math.min(options.limit, 1000) : undefined;
    let yielded = 0;
    const pages = paginateQuery(
      { client: this.client, pageSize },
      {
        TableName: this.tableName,
        IndexName: index,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': INVENTORY_INDEXES[index].partition },
        ExpressionAttributeValues: { ':pk': partition },
        ReturnConsumedCapacity: 'TOTAL',
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        yield item;
        if (options.limit && ++yielded >= options.limit) return;
      }
    }
  }

  private async *queryLocations(
    index: InventoryIndexName,
    partition: string,
    options: ListOptions & {
      before?: string;
      prefix?: string;
      descending?: boolean;
      pageSize?: number;
      projection?: typeof LISTING_PROJECTION;
    } = {},
  ): AsyncGenerator<StoredLocation> {
    const keys = INVENTORY_INDEXES[index];
    const input: QueryCommandInput = {
      TableName: this.tableName,
      IndexName: index,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': keys.partition },
      ExpressionAttributeValues: { ':pk': partition },
      ScanIndexForward: !options.descending,
      ReturnConsumedCapacity: 'TOTAL',
    };
    if (options.projection) {
      input.ProjectionExpression = options.projection.expression;
      Object.assign(input.ExpressionAttributeNames!, options.projection.names);
    }
    if (options.before !== undefined || options.prefix !== undefined) {
      input.ExpressionAttributeNames!['#sk'] = keys.sort;
      if (options.before !== undefined) {
        input.KeyConditionExpression += ' AND #sk < :sk';
        input.ExpressionAttributeValues![':sk'] = options.before;
      } else {
        input.KeyConditionExpression += ' AND begins_with(#sk, :sk)';
        input.ExpressionAttributeValues![':sk'] = options.prefix;
      }
    }
    // A page no larger than what is wanted, so a limited query reads little more than it returns; a keys-only
    // page no larger than one batch of reads by key, so that a page of places held in memory stays small.
    const keysOnly = keys.projection === 'KEYS_ONLY';
    const pageSize = Math.min(
      options.limit ?? Infinity,
      options.pageSize ?? Infinity,
      keysOnly ? BATCH_GET_LIMIT : 1000,
    );
    let yielded = 0;
    const paging = { client: this.client, pageSize: Number.isFinite(pageSize) ? pageSize : undefined };
    for await (const page of paginateQuery(paging, input)) {
      const items = keysOnly ? await this.itemsNamedBy(page.Items ?? []) : (page.Items ?? []);
      for (const item of items) {
        yield fromLocationItem(item);
        if (options.limit && ++yielded >= options.limit) return;
      }
    }
  }

  /** The items a keys-only index page names, in its order; one that went meanwhile is left out. */
  private async itemsNamedBy(page: Item[]): Promise<Item[]> {
    const keyOf = (item: Item) => `${String(item.pk)}\u0000${String(item.sk)}`;
    const found = new Map(
      (await this.batchGet(page.map(({ pk, sk }) => ({ pk, sk })))).map((item) => [keyOf(item), item]),
    );
    return page.map((item) => found.get(keyOf(item))).filter((item): item is Item => item !== undefined);
  }

  /**
   * Items by key, in rounds of BATCH_GET_LIMIT, retrying what DynamoDB leaves unprocessed. Eventually consistent,
   * at half the read units: every item read by key here is written with a condition or idempotently (see
   * getLocations), so a read a moment stale costs a retry, never a wrong write.
   */
  private async batchGet(keys: Item[]): Promise<Item[]> {
    const found: Item[] = [];
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
      let pending = keys.slice(start, start + BATCH_GET_LIMIT);
      for (let round = 0; pending.length > 0; round++) {
        if (round > 0) await backoff(round);
        const output = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.tableName]: { Keys: pending } },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        found.push(...(output.Responses?.[this.tableName] ?? []));
        pending = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        if (round >= MAX_UNPROCESSED_ROUNDS && pending.length > 0) throw new Error('DynamoDB kept keys unprocessed');
      }
    }
    return found;
  }

  private async batchPut(items: Item[]): Promise<void> {
    await this.batchWrite(items.map((Item) => ({ PutRequest: { Item } })));
  }

  private async batchDelete(keys: Item[]): Promise<void> {
    await this.batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } })));
  }

  /** Writes in rounds of BATCH_WRITE_LIMIT, retrying what DynamoDB leaves unprocessed. */
  private async batchWrite(
    all: Array<{ PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } }>,
  ): Promise<void> {
    for (let start = 0; start < all.length; start += BATCH_WRITE_LIMIT) {
      let requests = all.slice(start, start + BATCH_WRITE_LIMIT);
      for (let round = 0; requests.length > 0; round++) {
        if (round > 0) await backoff(round);
        const output = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: requests }, ReturnConsumedCapacity: 'TOTAL' }),
        );
        requests = (output.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (round >= MAX_UNPROCESSED_ROUNDS && requests.length > 0) throw new Error('DynamoDB kept writes unprocessed');
      }
    }
  }

  private expiresAt(isoTime: string): number {
    return Math.floor(Date.parse(isoTime) / 1000) + this.retentionSeconds;
  }
}

/**
 * The attributes of a LocationListing, as a projection: the reserved words among them (`role`, `owner`,
 * `source`) by placeholder.
 */
const LISTING_PROJECTION = {
  expression: [
    'locationId',
    'nativeId',
    '#role',
    '#owner',
    '#source',
    'revocation',
    'sourceKind',
    'renewal',
    'managed',
    'details.#type',
    ...['notBefore', 'notAfter', 'subject', 'subjectCommonName', 'dnsNames', 'kind', 'isCA', 'issuer'].map(
      (field) => `certificate.${field}`,
    ),
  ].join(', '),
  names: { '#role': 'role', '#owner': 'owner', '#source': 'source', '#type': 'type' },
} as const;

/**
 * A place's put moves it from the version it was computed from, and from the renewal end it read: a renewal that
 * ended meanwhile (recordRenewal, which leaves the version) makes the put a conflict, re-read and tried again,
 * rather than a put of the end before it.
 */
/**
 * The condition of a sync's put: the place is still at the version the change was computed from, and what other
 * writers set without moving the version (a renewal's outcome, a revocation check's answer) is still what the change
 * carries over. Otherwise the put would undo it: a conflict, recomputed from the fresh place.
 */
function fromVersion(
  previous: StoredLocation,
): Pick<PutCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const conditions = ['version = :previous'];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':previous': previous.version };
  if (previous.lastRenewal) {
    conditions.push('lastRenewal.#at = :renewedAt');
    names['#at'] = 'at';
    values[':renewedAt'] = previous.lastRenewal.at;
  } else conditions.push('attribute_not_exists(lastRenewal)');
  if (previous.revocation) {
    conditions.push('revocation.#checkedAt = :checkedAt');
    names['#checkedAt'] = 'checkedAt';
    values[':checkedAt'] = previous.revocation.checkedAt;
  } else conditions.push('attribute_not_exists(revocation)');
  return {
    ConditionExpression: conditions.join(' AND '),
    ...(Object.keys(names).length > 0 && { ExpressionAttributeNames: names }),
    ExpressionAttributeValues: values,
  };
}

function compareExpiry(
  a: Pick<StoredLocation, 'certificate' | 'locationId'>,
  b: Pick<StoredLocation, 'certificate' | 'locationId'>,
): number {
  const left = a.certificate?.notAfter ?? NO_EXPIRY;
  const right = b.certificate?.notAfter ?? NO_EXPIRY;
  return left < right ? -1 : left > right ? 1 : a.locationId < b.locationId ? -1 : 1;
}

function toLocationItem(location: StoredLocation): Item {
  const { locationId, status, fingerprint, certificate, source } = location;
  const expirySort = `${certificate?.notAfter ?? NO_EXPIRY}#${locationId}`;
  const item: Item = { ...locationKey(locationId), type: 'location', ...location };
  if (fingerprint) Object.assign(item, { gsi1pk: `FP#${fingerprint}`, gsi1sk: `LOC#${locationId}` });
  if (status === 'live') {
    if (certificate) Object.assign(item, { gsi2pk: `EXPIRY#${indexShardOf(locationId)}`, gsi2sk: expirySort });
    if (certificate?.publicKeySha256) {
      Object.assign(item, { gsi6pk: `SPKI#${certificate.publicKeySha256}`, gsi6sk: `LOC#${locationId}` });
    }
    Object.assign(item, { gsi3pk: `OWNER#${location.owner}#${indexShardOf(locationId)}`, gsi3sk: expirySort });
    if (certificate && location.nextAlertAt) {
      const { ':pk': gsi7pk, ':sk': gsi7sk } = alertScheduleKeys(locationId, location.nextAlertAt);
      Object.assign(item, { gsi7pk, gsi7sk });
    }
    if (certificate && location.nextRevocationCheckAt) {
      const { ':pk': gsi8pk, ':sk': gsi8sk } = revocationScheduleKeys(locationId, location.nextRevocationCheckAt);
      Object.assign(item, { gsi8pk, gsi8sk });
    } else if (certificate && location.revocation?.status === 'revoked') {
      const { ':pk': gsi8pk, ':sk': gsi8sk } = revokedKeys(locationId, location.revocation);
      Object.assign(item, { gsi8pk, gsi8sk });
    }
  }
  Object.assign(item, {
    gsi4pk: `SOURCE#${source}#${indexShardOf(location.scope)}`,
    gsi4sk: `${status}#${scopeKeyOf(location.scope)}#${locationId}`,
  });
  const shard = indexShardOf(locationId);
  if (status === 'removed') {
    Object.assign(item, { gsi5pk: `STATUS#removed#${shard}`, gsi5sk: `${location.removedAt}#${locationId}` });
  } else if (location.error || location.problem) {
    Object.assign(item, { gsi5pk: `STATUS#error#${shard}`, gsi5sk: `${location.changedAt}#${locationId}` });
  } else if (!certificate) {
    Object.assign(item, { gsi5pk: `STATUS#pending#${shard}`, gsi5sk: `${location.changedAt}#${locationId}` });
  }
  return item;
}

/** A place marked stale, or cleared of its mark with nothing else different: no history record. */
function onlyStaleMarkMoves(
  previous: StoredLocation | undefined,
  next: LocationState,
  change: LocationChange['change'],
): boolean {
  if (!previous || previous.status !== 'live' || next.status !== 'live') return false;
  if (change === 'stale') return true;
  return previous.stale !== undefined && next.stale === undefined && previous.contentHash === next.contentHash;
}

/**
 * A revoked certificate is checked no more (its revocation is final), so its place's slot in the revocation index
 * lists it among the revoked instead: `REVOKED#<shard>` → `<revokedAt>#<locationId>` (`certwarden report revocations`).
 */
const revokedKeys = (locationId: string, revocation: RevocationStatus) => ({
  ':pk': `REVOKED#${indexShardOf(locationId)}`,
  ':sk': `${revocation.revokedAt ?? revocation.checkedAt}#${locationId}`,
});

const alertScheduleKeys = (locationId: string, at: string) => ({
  ':pk': `ALERT#${shardOf(locationId, ALERT_SHARDS)}`,
  ':sk': `${at}#${locationId}`,
});

const revocationScheduleKeys = (locationId: string, at: string) => ({
  ':pk': `REVOCATION#${shardOf(locationId, ALERT_SHARDS)}`,
  ':sk': `${at}#${locationId}`,
});

/**
 * A place's revocation status and next check after this change: due at once when it gets a certificate it did
 * not have (known at once when that certificate names nowhere to ask), kept as they were while its certificate
 * stays, none without one.
 */
function revocationOf(
  next: LocationChange['next'],
  previous: StoredLocation | undefined,
  at: string,
  knownAtOnce: boolean,
): Pick<StoredLocation, 'revocation' | 'nextRevocationCheckAt'> {
  if (next.status !== 'live' || !next.fingerprint) return { revocation: undefined, nextRevocationCheckAt: undefined };
  const sameCertificate = previous?.status === 'live' && previous.fingerprint === next.fingerprint;
  if (!sameCertificate) {
    return knownAtOnce
      ? { revocation: unaskableRevocation(at), nextRevocationCheckAt: undefined }
      : { revocation: undefined, nextRevocationCheckAt: at };
  }
  return { revocation: previous.revocation, nextRevocationCheckAt: previous.nextRevocationCheckAt };
}

/**
 * When the evaluation must look at a place after this change: at once when it gets a certificate it did not
 * have (new, renewed, restored), as scheduled before while its certificate stays, never without one.
 */
function nextAlertOf(
  next: LocationChange['next'],
  previous: StoredLocation | undefined,
  at: string,
): string | undefined {
  if (next.status !== 'live' || !next.fingerprint) return undefined;
  const sameCertificate = previous?.status === 'live' && previous.fingerprint === next.fingerprint;
  return sameCertificate ? previous.nextAlertAt : at;
}

function toViolationItem(violation: StoredViolation): Item {
  // Exempted violations stay out of the open ones' partitions of the rule and owner indexes: those list what is
  // open. The rule index lists them apart (`EXEMPTED#`), for the violations report's open exemptions.
  const open = violation.exemption === null;
  return {
    pk: `LOC#${violation.locationId}`,
    sk: `VIOLATION#${violation.ruleId}`,
    type: 'violation',
    ...violation,
    gsi5pk: `${open ? 'VIOLATION' : 'EXEMPTED'}#${violation.ruleId}#${indexShardOf(violation.locationId)}`,
    gsi5sk: ruleIndexSortKey(violation),
    ...(open && {
      gsi3pk: `VIOLATIONS-OF#${violation.owner}#${indexShardOf(violation.locationId)}`,
      gsi3sk: ownerIndexSortKey(violation),
    }),
  };
}

/** Most severe first in the rule index. */
const SEVERITY_ORDER: Record<Severity, string> = { critical: '0', high: '1', medium: '2', low: '3', info: '4' };

const keyRegisterPartition = (publicKeySha256: string) => `KEY#${publicKeySha256}`;
const keyUserKey = (publicKeySha256: string, fingerprint: string) => ({
  pk: keyRegisterPartition(publicKeySha256),
  sk: `CERT#${fingerprint}`,
});

function fromKeyUserItem(item: Item): KeyUser {
  const { fingerprint, subject, subjectCommonName, dnsNames } = item as unknown as KeyUser;
  return { fingerprint, subject, subjectCommonName, dnsNames };
}

const scopeNoteKey = (source: string, scope: string) => ({ pk: `SOURCE#${source}`, sk: `SCOPE#${scope}` });

const ruleIndexSortKey = (violation: StoredViolation) =>
  `${SEVERITY_ORDER[violation.severity]}#${violation.locationId}`;
const ownerIndexSortKey = (violation: StoredViolation) => `${violation.ruleId}#${violation.locationId}`;

function fromViolationItem(item: Item): StoredViolation {
  const { pk: _pk, sk: _sk, type: _type, gsi3pk: _a, gsi3sk: _b, gsi5pk: _c, gsi5sk: _d, ...violation } = item;
  return violation as unknown as StoredViolation;
}

/**
 * A certificate record as stored, its serial in today's form: a record is written once per fingerprint, so one
 * stored before the serial kept its leading zero (`9734a3a…`) is read as `openssl x509 -serial` prints it.
 */
function fromCertificateItem(item: Item): CertificateRecord {
  const { pk: _pk, sk: _sk, type: _type, der: _der, ...record } = item;
  const certificate = record as unknown as CertificateRecord;
  return { ...certificate, serialNumber: serialNumberHex(String(certificate.serialNumber)) };
}

function fromLocationItem(item: Item): StoredLocation {
  const {
    pk: _pk,
    sk: _sk,
    type: _type,
    gsi1pk: _g1p,
    gsi1sk: _g1s,
    gsi2pk: _g2p,
    gsi2sk: _g2s,
    gsi3pk: _g3p,
    gsi3sk: _g3s,
    gsi4pk: _g4p,
    gsi4sk: _g4s,
    gsi5pk: _g5p,
    gsi5sk: _g5s,
    gsi6pk: _g6p,
    gsi6sk: _g6s,
    gsi7pk: _g7p,
    gsi7sk: _g7s,
    gsi8pk: _g8p,
    gsi8sk: _g8s,
    ...location
  } = item;
  return location as unknown as StoredLocation;
}

async function* concatenate<T>(sources: Array<AsyncIterable<T>>): AsyncGenerator<T> {
  for (const source of sources) yield* source;
}

async function* take<T>(source: AsyncIterable<T>, limit: number | undefined): AsyncGenerator<T> {
  let count = 0;
  for await (const value of source) {
    if (limit !== undefined && count++ >= limit) return;
    yield value;
  }
}

function backoff(round: number): Promise<void> {
  const ms = Math.min(2000, 50 * 2 ** round) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
