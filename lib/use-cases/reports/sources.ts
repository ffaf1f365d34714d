import type { RenewalSettings } from '../../domain/renewal';
import type { Clock } from '../../ports/clock';
import type { UndeliveredRecord } from '../../ports/delivery-ledger';
import type { InventoryStore } from '../../ports/inventory-store';
import type { RenewalLedger } from '../../ports/renewal-ledger';

/** What the reports read: the inventory and the ledgers kept in its table, with the clock that dates the read. */
export interface ReportSources {
  store: InventoryStore;
  renewals: Pick<RenewalLedger, 'attemptsAt' | 'attemptsBetween'>;
  /** The dead letters, newest first (DeliveryLedger.undelivered). */
  undelivered(): AsyncIterable<UndeliveredRecord>;
  clock: Clock;
  /** How places are renewed where configuration says more than the place (a configured Private CA). @default none */
  renewalSettings?: RenewalSettings;
}

/** What a report is asked for; each report takes only some of these (REPORT_OPTIONS). */
export interface ReportRequest {
  /** `expiring`: days ahead. @default 30 */
  days?: number;
  /** `inventory`, `expiring`, `violations`: one owner's. */
  owner?: string;
  /** `renewals`: the period, [since, until). @default the 30 days before now */
  since?: Date;
  until?: Date;
  /** `audit`: the place, by location id or the provider's id. */
  location?: string;
}
