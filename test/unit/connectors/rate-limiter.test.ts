import { RateLimiters, TokenBucket } from '../../../lib/connectors/rate-limiter';
import { busiestSecond } from '../../support/request-rate';

beforeEach(() => jest.useFakeTimers({ now: new Date('2026-06-01T00:00:00Z') }));
afterEach(() => jest.useRealTimers());

/** Takes `count` tokens at once and returns when each was granted, in ms from now. */
async function grants(bucket: TokenBucket, count: number): Promise<number[]> {
  const start = Date.now();
  const granted: number[] = [];
  const all = Array.from({ length: count }, () => bucket.take().then(() => granted.push(Date.now() - start)));
  await jest.runAllTimersAsync();
  await Promise.all(all);
  return granted.sort((a, b) => a - b);
}

describe('TokenBucket', () => {
  it.each([1, 4, 10, 25])('grants at most %i a second to a crowd asking at once, spaced evenly', async (rate) => {
    const times = await grants(new TokenBucket(rate), rate * 5);

    expect(busiestSecond(times)).toBe(rate);
    expect(times[0]).toBe(0);
    expect(times.at(-1)).toBeGreaterThanOrEqual(((rate * 5 - 1) / rate) * 1000 - 1);
  });

  it('lets a burst through at once, then the rate', async () => {
    const times = await grants(new TokenBucket(10, 5), 15);

    expect(times.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(times[14]).toBeGreaterThanOrEqual(1000);
  });

  it('refills while idle, never above its burst', async () => {
    const bucket = new TokenBucket(2, 2);
    await grants(bucket, 2);
    jest.advanceTimersByTime(10_000);

    expect(await grants(bucket, 3)).toEqual([0, 0, 500]);
  });

  it('goes on at its rate when the clock goes back, instead of waiting for the old time', async () => {
    const bucket = new TokenBucket(10);
    await grants(bucket, 20);
    jest.setSystemTime(Date.now() - 3_600_000);

    const times = await grants(bucket, 10);

    expect(times.at(-1)).toBeLessThanOrEqual(1000);
  });

  it('ends a wait when its signal is aborted, with the signal’s reason, and never hands the token back', async () => {
    const bucket = new TokenBucket(1);
    await bucket.take();
    const stop = new AbortController();
    const waiting = bucket.take(stop.signal);
    const reason = new Error('sync stopped');

    jest.advanceTimersByTime(100);
    stop.abort(reason);

    await expect(waiting).rejects.toBe(reason);
    await expect(bucket.take(stop.signal)).rejects.toBe(reason);
    // The aborted wait's token (due at 1 s) stays spent: the next request goes a second after it.
    expect(await grants(bucket, 1)).toEqual([1900]);
  });

  it.each([
    [0, 1],
    [-1, 1],
    [Number.NaN, 1],
    [1, 0],
  ])('refuses rate %p with burst %p', (rate, burst) => {
    expect(() => new TokenBucket(rate, burst)).toThrow(RangeError);
  });
});

describe('RateLimiters', () => {
  it('gives every caller of a quota unit the same bucket, at the lowest rate asked for', () => {
    const limiters = new RateLimiters();
    const first = limiters.bucket('acm/111111111111/eu-west-1/DescribeCertificate', 10);

    const second = limiters.bucket('acm/111111111111/eu-west-1/DescribeCertificate', 5);
    const third = limiters.bucket('acm/111111111111/eu-west-1/DescribeCertificate', 20);

    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(first.rate).toBe(5);
    expect(limiters.bucket('acm/111111111111/us-east-1/DescribeCertificate', 10)).not.toBe(first);
  });
});
