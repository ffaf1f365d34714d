import {
  CABF_SC081_SCHEDULE,
  maxDaysAt,
  validityDays,
  validitySeconds,
  withinDays,
} from '../../../../lib/domain/policy/validity';

describe('validity counted as RFC 5280 and the CA/B Forum count it', () => {
  it.each([
    ['equal dates: one second, one day', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 1, 1],
    ['one day minus a second: one day', '2026-01-01T00:00:00Z', '2026-01-01T23:59:59Z', 86_400, 1],
    ['a day later: a day and a second, two days', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 86_401, 2],
    ['notAfter before notBefore: nothing', '2026-01-02T00:00:00Z', '2026-01-01T00:00:00Z', 0, 0],
  ])('%s', (_name, notBefore, notAfter, seconds, days) => {
    expect(validitySeconds(notBefore, notAfter)).toBe(seconds);
    expect(validityDays(notBefore, notAfter)).toBe(days);
  });

  it('fits 398 days with notAfter one second short of notBefore + 398 × 86,400 s, not at it', () => {
    expect(withinDays('2025-01-01T00:00:00Z', '2026-02-02T23:59:59Z', 398)).toBe(true);
    expect(withinDays('2025-01-01T00:00:00Z', '2026-02-03T00:00:00Z', 398)).toBe(false);
  });
});

describe('the SC-081 schedule', () => {
  it.each([
    ['2020-01-01T00:00:00Z', 398],
    ['2026-03-14T23:59:59Z', 398],
    ['2026-03-15T00:00:00Z', 200],
    ['2027-03-14T23:59:59Z', 200],
    ['2027-03-15T00:00:00Z', 100],
    ['2029-03-14T23:59:59Z', 100],
    ['2029-03-15T00:00:00Z', 47],
    ['2040-01-01T00:00:00Z', 47],
  ])('a certificate issued %s may last %i days', (issuedAt, days) => {
    expect(maxDaysAt(CABF_SC081_SCHEDULE, Date.parse(issuedAt))).toBe(days);
  });
});
