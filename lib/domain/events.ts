/** What happened to a location in the inventory. */
export type ChangeKind = 'discovered' | 'renewed' | 'updated' | 'removed' | 'restored' | 'stale';

/** Every certwarden event carries this EventBridge source. */
export const EVENT_SOURCE = 'certwarden';

export interface InventoryChangeDetail {
  schemaVersion: 1;
  locationId: string;
  source: string;
  sourceKind: string;
  nativeId: string;
  change: PublishedChangeKind;
  fingerprint: string | null;
  previousFingerprint: string | null;
  subjectCommonName: string | null;
  notAfter: string | null;
  owner: string;
  at: string;
}

export interface SyncFailedDetail {
  schemaVersion: 1;
  source: string;
  sourceKind: string;
  /** False when the listing itself broke, so nothing could be marked removed. */
  complete: boolean;
  errors: Array<{ nativeId: string; message: string }>;
  at: string;
}

/** A policy rule a certificate at a place breaks (Policy Violation), or no longer breaks (Violation Resolved). */
export interface PolicyViolationDetail {
  schemaVersion: 1;
  locationId: string;
  source: string;
  sourceKind: string;
  nativeId: string;
  owner: string;
  fingerprint: string | null;
  subjectCommonName: string | null;
  ruleId: string;
  severity: 'info' | 'low' | 'medium' | 'high' | 'critical';
  message: string;
  at: string;
}

export type CertwardenEvent =
  | {
      detailType: 'Certificate Discovered' | 'Certificate Changed' | 'Certificate Removed';
      detail: InventoryChangeDetail;
    }
  | { detailType: 'Sync Failed'; detail: SyncFailedDetail }
  | { detailType: 'Policy Violation' | 'Violation Resolved'; detail: PolicyViolationDetail };

/** Changes the world hears about; a place going stale is told by its sync's Sync Failed event instead. */
export type PublishedChangeKind = Exclude<ChangeKind, 'stale'>;

const DETAIL_TYPE_OF_CHANGE: Record<
  PublishedChangeKind,
  'Certificate Discovered' | 'Certificate Changed' | 'Certificate Removed'
> = {
  discovered: 'Certificate Discovered',
  restored: 'Certificate Discovered',
  renewed: 'Certificate Changed',
  updated: 'Certificate Changed',
  removed: 'Certificate Removed',
};

export const inventoryChangeEvent = (detail: InventoryChangeDetail): CertwardenEvent => ({
  detailType: DETAIL_TYPE_OF_CHANGE[detail.change],
  detail,
});
