import { assessExpiry, DEFAULT_EXPIRY_THRESHOLDS, thresholdId } from '../../../lib/domain/expiry';

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

  it('reports whole days left rounded down, negative once expired, and the most urgent threshold', () => {
    const expired = assessExpiry(validity(90, -2.5), NOW);
    expect(expired).toMatchObject({ daysLeft: -3, expired: true, mostUrgent: { kind: 'expired' } });
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
