import type { Clock } from '../../lib/ports/clock';

/**
 * The real clock moved on by `hours`: a resync an hour or a day after the first sync without waiting for it, still
 * moving as the run goes (a frozen clock hid a daily rewrite of every ACM certificate once).
 */
export const movedClock = (hours: number): Clock => ({ now: () => new Date(Date.now() + hours * 3_600_000) });

/** The moved clocks every unchanged-resync row also runs on. */
export const RESYNC_HOURS_LATER = [1, 25] as const;

/**
 * Moves this process's clock by `offsetMs` and keeps it running, until the returned function puts it back: the
 * deployed handlers read the time through the system clock (functions/ pass `systemClock`), and the fakes and the
 * SDK's signing must see the same moved time. A Proxy keeps `Date`'s statics, prototype and `instanceof` as they are.
 */
export function moveProcessClock(offsetMs: number): () => void {
  const RealDate = Date;
  if (offsetMs === 0) return () => undefined;
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) =>
      Reflect.construct(target, args.length > 0 ? args : [RealDate.now() + offsetMs], newTarget) as object,
    apply: () => new RealDate(RealDate.now() + offsetMs).toString(),
    get: (target, property, receiver) =>
      property === 'now' ? () => RealDate.now() + offsetMs : Reflect.get(target, property, receiver),
  });
  return () => {
    globalThis.Date = RealDate;
  };
}
