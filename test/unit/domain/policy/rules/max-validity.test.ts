import { maxValidity, maxValidityRule } from '../../../../../lib/domain/policy/rules/max-validity';
import { context, record, subject } from '../fixtures';

const params = maxValidityRule.defaults;
const SECOND = 1000;
const DAY = 86_400_000;

/** A certificate issued at `notBefore` whose notAfter is `days` days and `seconds` seconds later. */
const issued = (notBefore: string, days: number, seconds = 0, overrides = {}) =>
  record({
    notBefore: new Date(notBefore).toISOString(),
    notAfter: new Date(Date.parse(notBefore) + days * DAY + seconds * SECOND).toISOString(),
    ...overrides,
  });

const outcome = (certificate: ReturnType<typeof record>, issuerType: 'public' | 'private' = 'public') =>
  maxValidity(subject(certificate), params, context({ issuerType })).outcome;

/**
 * CA/B counting: notBefore through notAfter inclusive, so N days end one second before notBefore + N × 86,400 s.
 * `days, -1` is exactly N days (the longest allowed); `days, 0` is N days and one second (one day too many).
 */
describe('max-validity on publicly trusted TLS certificates (CA/B Forum SC-081)', () => {
  describe.each([
    // boundary, limit before, limit from
    ['2026-03-15T00:00:00Z', 398, 200],
    ['2027-03-15T00:00:00Z', 200, 100],
    ['2029-03-15T00:00:00Z', 100, 47],
  ])('issued around %s (%i days before, %i from)', (boundary, before, from) => {
    const justBefore = new Date(Date.parse(boundary) - SECOND).toISOString();

    describe('Compliant', () => {
      it(`issued one second before: exactly ${before} days`, () => {
        expect(outcome(issued(justBefore, before, -1))).toBe('compliant');
      });
      it(`issued at the boundary: exactly ${from} days`, () => {
        expect(outcome(issued(boundary, from, -1))).toBe('compliant');
      });
    });

    describe('Noncompliant', () => {
      it(`issued one second before: ${before} days and one second`, () => {
        expect(outcome(issued(justBefore, before, 0))).toBe('violation');
      });
      it(`issued at the boundary: ${from} days and one second`, () => {
        expect(outcome(issued(boundary, from, 0))).toBe('violation');
      });
      it(`issued at the boundary: the ${before} days allowed the second before`, () => {
        expect(outcome(issued(boundary, before, -1))).toBe('violation');
      });
    });
  });

  it('names the values in its message and details', () => {
    const result = maxValidity(subject(issued('2026-04-01T00:00:00Z', 365)), params, context());
    expect(result).toMatchObject({
      outcome: 'violation',
      details: { validityDays: 366, maxDays: 200, issuerType: 'public' },
    });
    expect(result.outcome === 'violation' && result.message).toMatch(/valid 366 days .* policy allows 200/);
  });

  it('follows a schedule given in the parameters', () => {
    const schedule = { ...params, publicTlsSchedule: [{ days: 90 }, { from: '2026-01-01T00:00:00Z', days: 30 }] };
    const result = maxValidity(subject(issued('2026-02-01T00:00:00Z', 31, -1)), schedule, context());
    expect(result).toMatchObject({ outcome: 'violation', details: { maxDays: 30 } });
  });
});

describe('max-validity on other certificates', () => {
  describe('Compliant', () => {
    it('a private TLS certificate of exactly 398 days (the default private limit)', () => {
      expect(outcome(issued('2027-06-01T00:00:00Z', 398, -1), 'private')).toBe('compliant');
    });
    it('a public S/MIME certificate is held to the private limit, not the TLS schedule', () => {
      expect(outcome(issued('2029-06-01T00:00:00Z', 300, 0, { kind: 'smime' }))).toBe('compliant');
    });
    it('a CA certificate has no limit by default', () => {
      const root = issued('2020-01-01T00:00:00Z', 9000, 0, { isCA: true, kind: 'ca' });
      expect(maxValidity(subject(root), params, context())).toMatchObject({ outcome: 'not-applicable' });
    });
    it('no private limit when it is null', () => {
      const long = issued('2026-01-01T00:00:00Z', 3650);
      expect(
        maxValidity(subject(long), { ...params, privateMaxDays: null }, context({ issuerType: 'private' })),
      ).toMatchObject({ outcome: 'not-applicable' });
    });
  });

  describe('Noncompliant', () => {
    it('a private TLS certificate of 398 days and one second', () => {
      expect(outcome(issued('2027-06-01T00:00:00Z', 398, 0), 'private')).toBe('violation');
    });
    it('a CA certificate beyond a configured CA limit', () => {
      const ca = issued('2026-01-01T00:00:00Z', 3651, 0, { isCA: true, kind: 'ca' });
      expect(maxValidity(subject(ca), { ...params, caMaxDays: 3650 }, context())).toMatchObject({
        outcome: 'violation',
        details: { maxDays: 3650 },
      });
    });
  });
});
