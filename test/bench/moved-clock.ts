import type { Clock } from '../../lib/ports/clock';

/**
 * The real clock moved on by `hours`: a resync an hour or a day after the first sync without waiting for it, still
 * moving as the run goes (a frozen clock hid a daily rewrite of every ACM certificate once).
 */
export const movedClock = (hours: number): Clock => ({ now: () => new Date(Date.now() + hours * 3_600_000) });

/** The moved clocks every unchanged-resync row also runs on. */
export const RESYNC_HOURS_LATER = [1, 25] as const;
