import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The inventory table: one table, items told apart by key prefix (see docs/architecture.md). The CDK
 * construct and the embedded store both build the table from these constants, so they cannot drift.
 */
export const INVENTORY_KEYS = { partition: 'pk', sort: 'sk' } as const;

export const INVENTORY_INDEXES = {
  /** FP#<fingerprint> → LOC#<locationId>: every place a certificate lives. */
  byFingerprint: { partition: 'gsi1pk', sort: 'gsi1sk' },
  /** EXPIRY#<shard> → <notAfter>#<locationId>: live locations by expiry, sharded to spread writes. */
  byExpiry: { partition: 'gsi2pk', sort: 'gsi2sk' },
  /** OWNER#<owner> → <notAfter>#<locationId>: live locations of an owner by expiry. */
  byOwner: { partition: 'gsi3pk', sort: 'gsi3sk' },
  /** SOURCE#<source> → <status>#<locationId>: a configured source's locations, live or removed. */
  bySource: { partition: 'gsi4pk', sort: 'gsi4sk' },
  /** STATUS#removed | STATUS#error (and later VIOLATION#<rule>) → <changedAt>#<locationId>: the exceptions. */
  byStatus: { partition: 'gsi5pk', sort: 'gsi5sk' },
  /** SPKI#<public key sha256> → LOC#<locationId>: live places whose certificates share a key (key reuse). */
  byPublicKey: { partition: 'gsi6pk', sort: 'gsi6sk' },
  /** ALERT#<shard> → <nextAlertAt>#<locationId>: the alert schedule, what the expiry evaluation reads. */
  byNextAlert: { partition: 'gsi7pk', sort: 'gsi7sk' },
} as const;

export type InventoryIndexName = keyof typeof INVENTORY_INDEXES;

/** Live locations spread over this many expiry partitions; a query reads them all and merges. */
export const EXPIRY_SHARDS = 8;

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
      Projection: { ProjectionType: 'ALL' as const },
    })),
  };
}
