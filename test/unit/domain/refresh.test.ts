import { refreshDue, refreshEpoch } from '../../../lib/domain/refresh';

const HOUR = 3_600_000;
const at = new Date('2026-06-01T00:00:00.000Z');
const later = (hours: number) => new Date(at.getTime() + hours * HOUR);

describe('refreshEpoch', () => {
  it('ticks once per period for each id', () => {
    const id = 'arn:aws:acm:eu-west-1:111111111111:certificate/0f3c2a9e-5b1d-4c8e-9a7f-2d6b8e4c1a35';
    const ticks = new Set(Array.from({ length: 24 }, (_, hour) => refreshEpoch(id, later(hour), 24)));
    expect(ticks.size).toBeLessThanOrEqual(2);
    expect(refreshEpoch(id, later(24), 24)).toBe(refreshEpoch(id, at, 24)! + 1);
  });

  it('spreads the ticks of many ids evenly over the period', () => {
    // Fixed ids, so the counts are the same on every run (random ones fall outside the bounds once in ~10⁴ runs).
    const ids = Array.from(
      { length: 2400 },
      (_, index) => `arn:aws:acm:eu-west-1:111111111111:certificate/${String(index).padStart(8, '0')}`,
    );
    const tickedWithin = (hours: number) =>
      ids.filter((id) => refreshEpoch(id, later(hours), 24) !== refreshEpoch(id, at, 24)).length;
    expect(tickedWithin(1)).toBeGreaterThan(60);
    expect(tickedWithin(1)).toBeLessThan(140);
    expect(tickedWithin(12)).toBeGreaterThan(1100);
    expect(tickedWithin(12)).toBeLessThan(1300);
  });

  it('never ticks when the period is infinite', () => {
    expect(refreshEpoch('a', at, Infinity)).toBeUndefined();
  });
});

describe('refreshDue', () => {
  const id = 'arn:aws:acm:eu-west-1:111111111111:certificate/0f3c2a9e-5b1d-4c8e-9a7f-2d6b8e4c1a35';
  const tick = Array.from({ length: 25 }, (_, hour) => hour).find(
    (hour) => refreshEpoch(id, later(hour), 24) !== refreshEpoch(id, at, 24),
  )!;

  it('is due once the period ticked since the last read, and not before', () => {
    expect(refreshDue(id, at, later(tick - 1), 24)).toBe(false);
    expect(refreshDue(id, at, later(tick), 24)).toBe(true);
    expect(refreshDue(id, later(tick), later(tick + 23), 24)).toBe(false);
  });

  it('is due when the last read is unknown, never when the period is infinite', () => {
    expect(refreshDue(id, undefined, at, 24)).toBe(true);
    expect(refreshDue(id, undefined, at, Infinity)).toBe(false);
  });
});
