import { CertwardenConfig } from '../../../lib/domain/config';
import { RENEWAL_WATCH_HOURS, watchIntervalSeconds } from '../../../lib/domain/renewal-workflow';

const minutes = (n: number) => n * 60_000;

describe('watching a pending renewal', () => {
  it('looks every minute while most renewals finish, then every 5 minutes, then every 15', () => {
    expect(
      [0, minutes(9.9), minutes(10), minutes(119), minutes(120), minutes(60 * 24 * 7)].map(watchIntervalSeconds),
    ).toEqual([60, 60, 300, 300, 900, 900]);
  });

  it('keeps the first day of a watch to 120 looks, not 1,440 (each look is three billed state transitions)', () => {
    let looks = 0;
    for (let elapsed = 0; elapsed < minutes(60 * 24); elapsed += watchIntervalSeconds(elapsed) * 1000) looks++;
    expect(looks).toBe(120);
  });

  it('watches for renewal.watchHours, a day unless configured, 1 to 720 hours', () => {
    expect(CertwardenConfig.parse({}).renewal.watchHours).toBe(RENEWAL_WATCH_HOURS.default);
    expect(CertwardenConfig.parse({ renewal: { watchHours: 168 } }).renewal.watchHours).toBe(168);
    for (const watchHours of [0, 721, 1.5])
      expect(CertwardenConfig.safeParse({ renewal: { watchHours } }).error?.issues[0].path).toEqual([
        'renewal',
        'watchHours',
      ]);
  });
});
