import { expirySeverity } from '../../../../lib/domain/severity';

const NOW = new Date('2026-06-01T12:00:00Z');
const DAY = 86_400_000;
const expiringIn = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();

describe('expirySeverity', () => {
  it.each([
    [90, 'info'],
    [30.01, 'info'],
    [30, 'warning'],
    [7.5, 'warning'],
    [7, 'high'],
    [1.01, 'high'],
    [1, 'critical'],
    [0.1, 'critical'],
    [0, 'critical'],
    [-5, 'critical'],
  ])('a leaf certificate with %d days left is %s', (days, severity) => {
    expect(expirySeverity({ notAfter: expiringIn(days), isCA: false }, NOW)).toBe(severity);
  });

  it.each([
    [90, 'warning'],
    [30, 'high'],
    [7, 'critical'],
    [1, 'critical'],
    [-1, 'critical'],
  ])('a CA certificate with %d days left is one level higher: %s', (days, severity) => {
    expect(expirySeverity({ notAfter: expiringIn(days), isCA: true }, NOW)).toBe(severity);
  });

  it.each([
    [45, 'warning'],
    [14, 'high'],
    [3, 'critical'],
    [46, 'info'],
  ])('takes configured thresholds (warning 45, high 14, critical 3): %d days is %s', (days, severity) => {
    const thresholds = { warningDays: 45, highDays: 14, criticalDays: 3 };
    expect(expirySeverity({ notAfter: expiringIn(days), isCA: false }, NOW, thresholds)).toBe(severity);
  });
});
