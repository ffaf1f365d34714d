import * as z from 'zod/mini';
import { DEFAULT_EXPIRY_THRESHOLDS } from './expiry';
import { DEFAULT_SEVERITY_THRESHOLDS } from './severity';

// zod's mini API, as in functions/: the evaluation and the digest read this schema at every cold start.

/** When expiry alerts fire (days left, a fraction of the lifetime) and how urgent each is. */
export const ExpiryConfig = z.strictObject({
  days: z._default(z.array(z.int().check(z.positive())).check(z.minLength(1)), DEFAULT_EXPIRY_THRESHOLDS.days),
  lifetimeFraction: z._default(z.number().check(z.gt(0), z.lt(1)), DEFAULT_EXPIRY_THRESHOLDS.lifetimeFraction),
  /** Days left at or below which an alert is `warning`, `high`, `critical` (a CA certificate one level higher). */
  severity: z
    .prefault(
      z.strictObject({
        warningDays: z._default(z.number().check(z.positive()), DEFAULT_SEVERITY_THRESHOLDS.warningDays),
        highDays: z._default(z.number().check(z.positive()), DEFAULT_SEVERITY_THRESHOLDS.highDays),
        criticalDays: z._default(z.number().check(z.nonnegative()), DEFAULT_SEVERITY_THRESHOLDS.criticalDays),
      }),
      {},
    )
    .check(
      z.refine((s) => s.criticalDays < s.highDays && s.highDays < s.warningDays, {
        message: 'expected criticalDays < highDays < warningDays',
      }),
    ),
});

export type ExpiryConfig = z.infer<typeof ExpiryConfig>;
