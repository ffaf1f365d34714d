import {
  assessExpiry,
  compareThresholdIds,
  DEFAULT_EXPIRY_THRESHOLDS,
  planAlert,
  thresholdId,
  wholeDaysLeft,
} from '../../../lib/domain/expiry';

const NOW = new Date('2026-06-01T00:00:00Z');
const day = 86_400_000;
const validity = (lifetimeDays: number, daysLeft: number) => ({
  notBefore: new Date(NOW.getTime() - (lifetimeDays - daysLeft) * day).toISOString(),
  notAfter: new Date(NOW.getTime() + daysLeft * day).toISOString(),
});
const crossedIds = (lifetimeDays: number, daysLeft: number) =>
  assessExpiry(validity(lifetimeDays, daysLeft), NOW).crossed.map(thresholdId);

describe('assessExpiry', () => {
  it.each([
    [365, 200, []],
    [365, 122, []],
    [365, 121, ['lifetime-33%']],
    [365, 60, ['lifetime-33%', '60d']],
    [365, 29.5, ['lifetime-33%', '60d', '30d']],
    [365, 7, ['lifetime-33%', '60d', '30d', '14d', '7d']],
    [365, 0.5, ['lifetime-33%', '60d', '30d', '14d', '7d', '1d']],
    [365, -3, ['lifetime-33%', '60d', '30d', '14d', '7d', '1d', 'expired']],
  ])('a %i-day certificate with %d days left has crossed %j', (lifetime, left, expected) => {
    expect(crossedIds(lifetime, left)).toEqual(expected);
  });

  it('does not treat a 47-day certificate like a 1-year one: 30 days left is no alert yet', () => {
    expect(crossedIds(47, 30)).toEqual([]);
    expect(crossedIds(47, 40)).toEqual([]);
  });

  it('alerts a 47-day certificate when a third of its lifetime remains, then at the shorter day thresholds', () => {
    expect(crossedIds(47, 15.5)).toEqual(['lifetime-33%']);
    expect(crossedIds(47, 13)).toEqual(['lifetime-33%', '14d']);
    expect(crossedIds(47, 1)).toEqual(['lifetime-33%', '14d', '7d', '1d']);
  });

  it('orders the lifetime threshold among the day thresholds by days left', () => {
    // 90-day certificate: renewal due at 30 days left, so 30d and the lifetime threshold coincide.
    expect(crossedIds(90, 29)).toEqual(['lifetime-33%', '30d']);
  });

  it('reports the most urgent threshold, and whole days left, negative once expired', () => {
    const expired = assessExpiry(validity(90, -2.5), NOW);
    expect(expired).toMatchObject({ daysLeft: -2, expired: true, mostUrgent: { kind: 'expired' } });
    const fresh = assessExpiry(validity(90, 80.2), NOW);
    expect(fresh).toMatchObject({ daysLeft: 80, expired: false, mostUrgent: null, crossed: [] });
  });

  it('flags a certificate that is not valid yet', () => {
    const future = { notBefore: '2026-07-01T00:00:00Z', notAfter: '2027-07-01T00:00:00Z' };
    expect(assessExpiry(future, NOW).notYetValid).toBe(true);
  });

  it('takes configurable thresholds', () => {
    const result = assessExpiry(validity(365, 45), NOW, { days: [90, 45], lifetimeFraction: 0.5 });
    expect(result.crossed.map(thresholdId)).toEqual(['lifetime-50%', '90d', '45d']);
  });

  it('uses 60, 30, 14, 7 and 1 days and a third of the lifetime by default', () => {
    expect(DEFAULT_EXPIRY_THRESHOLDS).toEqual({ days: [60, 30, 14, 7, 1], lifetimeFraction: 1 / 3 });
  });
});

describe('wholeDaysLeft', () => {
  const minute = 60_000;
  const at = (msPastExpiry: number) => wholeDaysLeft(NOW.getTime(), NOW.getTime() + msPastExpiry);
  it.each([
    ['5 days left', 5, -5 * day],
    ['5 days less a minute left', 4, -5 * day + minute],
    ['a minute left', 0, -minute],
    ['the instant of expiry', 0, 0],
    ['a minute past expiry', 0, minute],
    ['a day less a minute past', 0, day - minute],
    ['exactly a day past', -1, day],
    ['5 days past', -5, 5 * day],
    ['5 days and a minute past', -5, 5 * day + minute],
    ['6 days less a minute past', -5, 6 * day - minute],
  ])('counts whole days toward zero: %s is %i', (_, expected, ms) => {
    expect(at(ms)).toBe(expected);
    expect(Object.is(at(ms), -0)).toBe(false);
  });

  it('is the daysLeft of assessExpiry', () => {
    const expiredBy = (ms: number) => ({
      notBefore: '2026-01-01T00:00:00Z',
      notAfter: new Date(NOW.getTime() - ms).toISOString(),
    });
    expect(assessExpiry(expiredBy(5 * day + minute), NOW).daysLeft).toBe(-5);
    expect(assessExpiry(expiredBy(-5 * day + minute), NOW).daysLeft).toBe(4);
  });
});

describe('compareThresholdIds', () => {
  it('orders thresholds most urgent first, as numbers: expired, days ascending, then the lifetime one', () => {
    const ids = ['lifetime-33%', '60d', '1d', '14d', 'expired', '7d', '30d', '100d', 'lifetime-50%'];
    expect(ids.sort(compareThresholdIds)).toEqual([
      'expired',
      '1d',
      '7d',
      '14d',
      '30d',
      '60d',
      '100d',
      'lifetime-33%',
      'lifetime-50%',
    ]);
  });

  it('agrees with assessExpiry, whose crossed thresholds are least urgent first', () => {
    const crossed = assessExpiry(validity(365, -3), NOW).crossed.map(thresholdId);
    expect([...crossed].sort(compareThresholdIds)).toEqual([...crossed].reverse());
  });
});

describe('planAlert', () => {
  const crossed = (lifetimeDays: number, daysLeft: number) =>
    assessExpiry(validity(lifetimeDays, daysLeft), NOW).crossed;
  const plan = (lifetimeDays: number, daysLeft: number, settled: string[] = []) => {
    const { alert, passOver } = planAlert(crossed(lifetimeDays, daysLeft), (id) => settled.includes(id));
    return { alert: alert && thresholdId(alert), passOver: passOver.map(thresholdId) };
  };

  it('alerts nothing for a healthy certificate', () => {
    expect(plan(365, 200)).toEqual({ alert: null, passOver: [] });
  });

  it('alerts a certificate first seen expired once, as expired, and passes over every other threshold', () => {
    expect(plan(365, -3)).toEqual({
      alert: 'expired',
      passOver: ['lifetime-33%', '60d', '30d', '14d', '7d', '1d'],
    });
  });

  it('ranks the lifetime threshold below any day threshold crossed with it', () => {
    expect(plan(365, 50)).toEqual({ alert: '60d', passOver: ['lifetime-33%'] });
    expect(plan(47, 13)).toEqual({ alert: '14d', passOver: ['lifetime-33%'] });
    expect(plan(365, 100)).toEqual({ alert: 'lifetime-33%', passOver: [] });
  });

  it('alerts a further threshold crossed later once, passing over only what was not settled', () => {
    expect(plan(365, 5, ['lifetime-33%', '60d', '30d'])).toEqual({ alert: '7d', passOver: ['14d'] });
  });

  it('alerts nothing when the most urgent threshold is settled, and passes over what an older ledger left', () => {
    expect(plan(365, 5, ['7d', '60d'])).toEqual({ alert: null, passOver: ['lifetime-33%', '30d', '14d'] });
  });
});
