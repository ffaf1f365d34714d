/**
 * Client-side pacing at the providers' published request quotas, so that a sync sends no more than a quota
 * allows instead of learning it from throttles. One bucket per quota unit (an operation of an account × region,
 * a vault, a project), shared by everything in the process that calls into that unit.
 */

/**
 * The providers' published default request quotas, per second, per quota unit. A quota raised through
 * Service Quotas (or lowered for a new account) is configured per source (`requestsPerSecond`).
 *
 * - ACM, per account × region and operation: DescribeCertificate, GetCertificate and ListTagsForCertificate
 *   10 per second, ListCertificates 1 ("API rate quotas",
 *   https://docs.aws.amazon.com/acm/latest/userguide/acm-limits.html, as quoted in
 *   https://newbetuts.com/70744470-rate-exceedingthrottling-issue-on-aws-services; the stored copy of AWS's
 *   own page was cut before its table).
 * - AWS Private CA, per account × region and operation: AWS publishes the table in the General Reference
 *   (https://docs.aws.amazon.com/general/latest/gr/pca.html#limits_pca, linked from
 *   https://docs.aws.amazon.com/privateca/latest/userguide/PcaLimits.html), whose stored copies here lacked
 *   the figures: 10 per second is taken for each listing and read operation, at or under every figure the
 *   table had for them. An account × region holds at most 200 CAs, so 10 per second lists it in seconds.
 * - IAM, per account (a global service): AWS publishes no per-operation figure. IAM throttles with a token bucket
 *   per API whose size it does not give, shared by every caller of the account and not raisable ("How to monitor
 *   and query IAM resources at scale – Part 2", https://aws.amazon.com/blogs/security/how-to-monitor-and-query-iam-resources-at-scale-part-2/;
 *   https://repost.aws/knowledge-center/iam-sts-throttling-error). 5 per second is taken for ListServerCertificates
 *   and GetServerCertificate: an account holds few server certificates, so a first sync still takes seconds,
 *   and the account's other IAM callers keep most of the bucket.
 * - AWS IoT Core, per account × region and operation: DescribeCertificate 10 per second (the General Reference's
 *   table, https://docs.aws.amazon.com/general/latest/gr/iot-core.html#throttling-limits, as quoted in
 *   aws-iot-builder-tools/thingpress doc/aws-api-limits.md; the stored copies of AWS's page were cut before it).
 *   10 per second is taken for ListCertificates, ListCACertificates and DescribeCACertificate too. At that rate a
 *   first sync describes 36,000 device certificates an hour; the quota is adjustable (`requestsPerSecond`).
 * - Azure Key Vault, per vault and region: 4,000 secret and vault transactions (a certificate GET among them)
 *   per 10 seconds (https://learn.microsoft.com/en-us/azure/key-vault/general/service-limits); the
 *   subscription as a whole gets five times one vault's.
 * - Google Certificate Manager, per project (all its locations together): 300 API requests and 300 reads (GET and
 *   LIST) per minute (https://cloud.google.com/certificate-manager/docs/quotas, "Rate quotas"). A bucket spacing
 *   requests evenly at 5 a second never sends 300 within less than a minute.
 */
export const PUBLISHED_RATES = {
  acm: { ListCertificates: 1, DescribeCertificate: 10, GetCertificate: 10, ListTagsForCertificate: 10 },
  'acm-pca': {
    ListCertificateAuthorities: 10,
    DescribeCertificateAuthority: 10,
    GetCertificateAuthorityCertificate: 10,
    ListTags: 10,
  },
  iam: { ListServerCertificates: 5, GetServerCertificate: 5 },
  iot: { ListCertificates: 10, DescribeCertificate: 10, ListCACertificates: 10, DescribeCACertificate: 10 },
  /** Every call to one vault. */
  'azure-key-vault': { vault: 4_000 / 10 },
  /** Every call to one project's Certificate Manager API. */
  'google-certificate-manager': { project: 300 / 60 },
} as const satisfies Record<string, Record<string, number>>;

/** Operation → requests per second. */
export type RequestRates = Readonly<Record<string, number>>;

/**
 * A token bucket: `ratePerSecond` tokens a second, holding at most `burst`; each request takes one, waiting
 * for it when none is left. Kept as the time the next token is due (the GCRA form of a token bucket), in
 * whole milliseconds with the interval rounded up, so rounding can only slow it: with the default burst of
 * one the requests are spaced evenly and no second ever holds more than the rate. Waiters are served in order
 * (each reserves its token when it asks).
 */
export class TokenBucket {
  private intervalMs: number;
  /** When the next token is due if the bucket held one token (the burst lets a request go that much sooner). */
  private nextAt = Number.NEGATIVE_INFINITY;
  private lastAsked = Number.NEGATIVE_INFINITY;

  constructor(
    private ratePerSecond: number,
    private readonly burst = 1,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) {
      throw new RangeError(
        `a token bucket needs a positive rate and a burst of at least 1 (${ratePerSecond}, ${burst})`,
      );
    }
    this.intervalMs = Math.ceil(1000 / ratePerSecond);
  }

  get rate(): number {
    return this.ratePerSecond;
  }

  /** Lowers the rate (never raises it): two configurations sharing a quota get the stricter one. */
  limitTo(ratePerSecond: number): void {
    if (ratePerSecond > 0 && ratePerSecond < this.ratePerSecond) {
      this.ratePerSecond = ratePerSecond;
      this.intervalMs = Math.ceil(1000 / ratePerSecond);
    }
  }

  /**
   * Resolves when the caller may send one request; rejects with the signal's reason as soon as it is aborted (a
   * stopped sync, an opened circuit breaker), rather than after a wait that may be seconds at a low rate. The
   * token of an aborted wait is not handed back: the bucket can only end up slower for it, never faster.
   */
  take(signal?: AbortSignalLike): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const wait = this.reserve();
    if (wait <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Reserves the next token and returns the milliseconds until it is due. */
  private reserve(): number {
    const now = Date.now();
    // The clock went back (a test's virtual clock stopped, the system clock was set): start over from now
    // rather than wait for a time that may never come.
    if (now < this.lastAsked) this.nextAt = now;
    this.lastAsked = now;
    const due = Math.max(this.nextAt, now);
    this.nextAt = due + this.intervalMs;
    return Math.max(0, due - (this.burst - 1) * this.intervalMs - now);
  }
}

/** What `take` reads of an abort signal: the DOM's, or the Azure SDK's AbortSignalLike, whose reason is optional. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

const abortReason = (signal: AbortSignalLike): unknown =>
  signal.reason ?? new DOMException('This operation was aborted', 'AbortError');

/** Buckets by quota unit, made on first use. */
export class RateLimiters {
  private readonly buckets = new Map<string, TokenBucket>();

  /**
   * The bucket of a quota unit (`acm/111111111111/eu-west-1/DescribeCertificate`): one per unit, whoever
   * asks, at the lowest rate anyone asked for.
   */
  bucket(unit: string, ratePerSecond: number): TokenBucket {
    let bucket = this.buckets.get(unit);
    if (!bucket) {
      bucket = new TokenBucket(ratePerSecond);
      this.buckets.set(unit, bucket);
    } else bucket.limitTo(ratePerSecond);
    return bucket;
  }
}

/**
 * The process's buckets: every source and client of a quota unit in this process paces through the same one
 * (a Lambda syncs one scope at a time; the CLI may sync several sources over the same accounts).
 */
export const processRateLimiters = new RateLimiters();
