import { createHash } from 'node:crypto';

/**
 * Periodic re-checks of places whose listing looks unchanged: what a cheap listing does not show (tags, usage)
 * changes too. Each place is re-checked once per period, offset by a hash of its id so that the re-checks of many
 * places spread evenly over the period (with 24 hours, about 1/24 of them each hour). A re-check costs the
 * provider's detail calls only: a place whose content is the same is not written.
 */

/** Which refresh period a place is in at `at`; undefined when `hours` is Infinity (never re-checked). */
export function refreshEpoch(id: string, at: Date, hours: number): number | undefined {
  if (!Number.isFinite(hours)) return undefined;
  const period = hours * 3_600_000;
  const offset = (createHash('sha256').update(id).digest().readUInt32BE(0) / 2 ** 32) * period;
  return Math.floor((at.getTime() + offset) / period);
}

/**
 * Whether a place last read (at the latest) at `lastRead` is due a re-check at `now`: its period ticked since.
 * An unknown last read is due. `lastRead` may be earlier than the true last read (it is recorded coarsely), which
 * only costs a place a second re-check, never a missed one.
 */
export function refreshDue(id: string, lastRead: Date | undefined, now: Date, hours: number): boolean {
  if (!Number.isFinite(hours)) return false;
  if (lastRead === undefined) return true;
  return refreshEpoch(id, lastRead, hours) !== refreshEpoch(id, now, hours);
}
