import fc from 'fast-check';
import {
  assessExpiry,
  DAY_MS,
  nextThresholdAt,
  thresholdId,
  type ExpiryThresholds,
  type Validity,
} from '../../../lib/domain/expiry';

const ISSUED = new Date('2026-06-01T00:00:00Z');
const certificate = (lifetimeDays: number, notBefore = ISSUED): Validity => ({
  notBefore: notBefore.toISOString(),
  notAfter: new Date(notBefore.getTime() + lifetimeDays * DAY_MS).toISOString(),
});
const crossedAt = (validity: Validity, at: number, thresholds?: ExpiryThresholds) =>
  assessExpiry(validity, new Date(at), thresholds).crossed.map(thresholdId);

/** Follows the schedule from `from` to its end: the thresholds newly crossed at each instant it names. */
function walk(validity: Validity, from: Date, thresholds?: ExpiryThresholds): string[][] {
  const steps: string[][] = [];
  for (let at = nextThresholdAt(validity, from, thresholds); at; at = nextThresholdAt(validity, at, thresholds)) {
    const before = crossedAt(validity, at.getTime() - 1, thresholds);
    steps.push(crossedAt(validity, at.getTime(), thresholds).filter((id) => !before.includes(id)));
  }
  return steps;
}

describe('nextThresholdAt', () => {
  it('walks a 398-day certificate through the lifetime threshold, every day threshold and expiry, then ends', () => {
    expect(walk(certificate(398), ISSUED)).toEqual([
      ['lifetime-33%'],
      ['60d'],
      ['30d'],
      ['14d'],
      ['7d'],
      ['1d'],
      ['expired'],
    ]);
  });

  it('skips the day thresholds that come before a 47-day certificate is due for renewal', () => {
    expect(walk(certificate(47), ISSUED)).toEqual([['lifetime-33%'], ['14d'], ['7d'], ['1d'], ['expired']]);
  });

  it("names the lifetime threshold's instant to the millisecond, though it falls on a fraction of a day", () => {
    const validity = certificate(398);
    const lifetime = nextThresholdAt(validity, ISSUED)!.getTime();

    expect(lifetime).toBe(Date.parse(validity.notAfter) - Math.floor((398 / 3) * DAY_MS));
    expect(crossedAt(validity, lifetime - 1)).toEqual([]);
    expect(crossedAt(validity, lifetime)).toEqual(['lifetime-33%']);
  });

  it('gives one instant for thresholds that fall together (a 90-day certificate: lifetime and 30 days)', () => {
    expect(walk(certificate(90), ISSUED)[0]).toEqual(['lifetime-33%', '30d']);
  });

  it('from between two thresholds, names the next one; at a threshold itself, the one after it', () => {
    const validity = certificate(398);
    const notAfter = Date.parse(validity.notAfter);
    const thirtyDays = new Date(notAfter - 30 * DAY_MS);

    expect(nextThresholdAt(validity, new Date(notAfter - 45 * DAY_MS))).toEqual(thirtyDays);
    expect(nextThresholdAt(validity, thirtyDays)).toEqual(new Date(notAfter - 14 * DAY_MS));
  });

  it('names expiry itself after the last day threshold, and nothing once expired', () => {
    const validity = certificate(398);
    const notAfter = Date.parse(validity.notAfter);

    expect(nextThresholdAt(validity, new Date(notAfter - DAY_MS / 2))).toEqual(new Date(notAfter));
    expect(nextThresholdAt(validity, new Date(notAfter))).toBeNull();
    expect(nextThresholdAt(validity, new Date(notAfter + 30 * DAY_MS))).toBeNull();
  });

  it('schedules a certificate that is not valid yet from its own lifetime', () => {
    const future = certificate(365, new Date(ISSUED.getTime() + 10 * DAY_MS));

    expect(walk(future, ISSUED)[0]).toEqual(['lifetime-33%']);
  });

  it('takes configurable thresholds', () => {
    const thresholds = { days: [90, 45, 3], lifetimeFraction: 0.5 };

    expect(walk(certificate(365), ISSUED, thresholds)).toEqual([
      ['lifetime-50%'],
      ['90d'],
      ['45d'],
      ['3d'],
      ['expired'],
    ]);
  });

  it('has only expiry for a certificate without a lifetime, and nothing for unreadable dates', () => {
    const instant = { notBefore: ISSUED.toISOString(), notAfter: ISSUED.toISOString() };

    expect(walk(instant, new Date(ISSUED.getTime() - DAY_MS))).toEqual([['expired']]);
    expect(nextThresholdAt({ notBefore: 'yesterday', notAfter: 'soon' }, ISSUED)).toBeNull();
  });

  it('for any certificate, thresholds and instant: nothing new is crossed before the instant it names, something at it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 * DAY_MS }),
        fc.integer({ min: -50 * DAY_MS, max: 1100 * DAY_MS }),
        fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { maxLength: 6 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (lifetimeMs, sinceIssue, days, lifetimeFraction) => {
          const thresholds = { days, lifetimeFraction };
          const validity = certificate(lifetimeMs / DAY_MS);
          const after = ISSUED.getTime() + sinceIssue;
          const now = crossedAt(validity, after, thresholds);
          const next = nextThresholdAt(validity, new Date(after), thresholds);
          if (next === null) {
            expect(now).toEqual(crossedAt(validity, Date.parse(validity.notAfter) + DAY_MS, thresholds));
            return;
          }
          expect(next.getTime()).toBeGreaterThan(after);
          expect(crossedAt(validity, next.getTime() - 1, thresholds)).toEqual(now);
          expect(crossedAt(validity, next.getTime(), thresholds).length).toBeGreaterThan(now.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
