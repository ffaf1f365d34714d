import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The inventory table: one table, items told apart by key prefix (see docs/architecture.md). The CDK
 * construct and the embedded store both build the table from these constants, so they cannot drift.
 */
export const INVENTORY_KEYS = { partition: 'pk', sort: 'sk' } as const;

/**
 * Each index copies what it projects on every write of an item in it: a place written into seven indexes with
 * ALL costs seven times its size again. Indexes whose queries return a few places each (the places of one
 * certificate or key, those due an alert now) project only keys, and the store reads the places they name by key;
 * the listings (by expiry, owner, source, status) project everything so that a listing reads what it returns once.
 */
export const INVENTORY_INDEXES = {
  /** FP#<fingerprint> → LOC#<locationId>: every place a certificate lives. */
  byFingerprint: { partition: 'gsi1pk', sort: 'gsi1sk', projection: 'KEYS_ONLY' },
  /** EXPIRY#<shard> → <notAfter>#<locationId>: live locations by expiry. */
  byExpiry: { partition: 'gsi2pk', sort: 'gsi2sk', projection: 'ALL' },
  /**
   * OWNER#<owner>#<shard> → <notAfter>#<locationId>: live locations of an owner by expiry;
   * VIOLATIONS-OF#<owner>#<shard> → <rule>#<locationId>: an owner's open violations.
   */
  byOwner: { partition: 'gsi3pk', sort: 'gsi3sk', projection: 'ALL' },
  /**
   * SOURCE#<source>#<shard of scope> → <status>#<scope hash>#<locationId>: a configured source's locations, live
   * or removed, grouped by scope, so that one scope's places are one range of one partition.
   */
  bySource: { partition: 'gsi4pk', sort: 'gsi4sk', projection: 'ALL' },
  /**
   * STATUS#<removed|error|pending>#<shard> → <changedAt>#<locationId>: the exceptions (ExceptionStatus: `error`
   * holds read errors and provider problems, `pending` live places without a certificate and nothing wrong);
   * VIOLATION#<rule>#<shard> → <severity>#<locationId>: open violations of a rule, most severe first.
   */
  byStatus: { partition: 'gsi5pk', sort: 'gsi5sk', projection: 'ALL' },
  /** SPKI#<public key sha256> → LOC#<locationId>: live places whose certificates share a key (key reuse). */
  byPublicKey: { partition: 'gsi6pk', sort: 'gsi6sk', projection: 'KEYS_ONLY' },
  /** ALERT#<shard> → <nextAlertAt>#<locationId>: the alert schedule, what the expiry evaluation reads. */
  byNextAlert: { partition: 'gsi7pk', sort: 'gsi7sk', projection: 'KEYS_ONLY' },
  /** REVOCATION#<shard> → <nextRevocationCheckAt>#<locationId>: the places whose revocation status is due a check. */
  byRevocationCheck: { partition: 'gsi8pk', sort: 'gsi8sk', projection: 'KEYS_ONLY' },
} as const satisfies Record<string, { partition: string; sort: string; projection: 'ALL' | 'KEYS_ONLY' }>;

export type InventoryIndexName = keyof typeof INVENTORY_INDEXES;

/**
 * Index partitions that would otherwise hold a whole estate (every live place by expiry, every place of a
 * source, of the `unowned` owner, every tombstone) are spread over this many shards: DynamoDB takes at most
 * 1,000 writes a second in one partition, and a full sync of a million places in 15 minutes writes ~1,100 a
 * second. A query reads every shard and merges them in order.
 */
export const INDEX_SHARDS = 8;

/** TTL attribute (epoch seconds) on history records; honoured by DynamoDB on AWS, ignored by dynalite. */
export const TTL_ATTRIBUTE = 'expiresAt';

export function inventoryTableDefinition(tableName: string): CreateTableCommandInput {
  const indexes = Object.entries(INVENTORY_INDEXES);
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: INVENTORY_KEYS.partition, KeyType: 'HASH' },
      { AttributeName: INVENTORY_KEYS.sort, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      INVENTORY_KEYS.partition,
      INVENTORY_KEYS.sort,
      ...indexes.flatMap(([, keys]) => [keys.partition, keys.sort]),
    ].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
    GlobalSecondaryIndexes: indexes.map(([IndexName, keys]) => ({
      IndexName,
      KeySchema: [
        { AttributeName: keys.partition, KeyType: 'HASH' as const },
        { AttributeName: keys.sort, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: keys.projection },
    })),
  };
}
