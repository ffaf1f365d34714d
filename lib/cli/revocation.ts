import { HttpRevocationChecker } from '../adapters/http-revocation-checker';
import { RevocationConfig } from '../domain/config';
import { systemClock, type Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { InventoryStore } from '../ports/inventory-store';
import { checkRevocation, type RevocationReport } from '../use-cases/check-revocation';

/**
 * The revocation checks due now, as `scan` and `sync` make them right after they write (the places they gave a new
 * certificate are due at once; an unchanged resync leaves none due, so it asks no responder and writes nothing) and
 * `evaluate` after its alerts (the re-checks due). Null when disabled.
 */
export async function checkDueRevocations(
  store: InventoryStore,
  config: RevocationConfig = RevocationConfig.parse({}),
  events?: EventPublisher,
  clock: Clock = systemClock,
): Promise<RevocationReport | null> {
  if (!config.enabled) return null;
  const checker = new HttpRevocationChecker({
    clock,
    timeoutMs: config.timeoutMs,
    perHostConcurrency: config.perHostConcurrency,
  });
  try {
    return await checkRevocation({ store, checker, clock, events });
  } finally {
    checker.close();
  }
}

/** One line for the sync report, or nothing when no certificate was due. */
export function renderRevocationReport(report: RevocationReport | null): string {
  if (!report || report.checked === 0) return '';
  return (
    `revocation: ${report.checked} certificate(s) checked, ${report.good} good, ${report.revoked} revoked, ` +
    `${report.unknown} unknown\n`
  );
}
