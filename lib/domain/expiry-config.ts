import * as z from 'zod';
import { DEFAULT_EXPIRY_THRESHOLDS } from './expiry';
import { DEFAULT_SEVERITY_THRESHOLDS } from './severity';

/** When expiry alerts fire (days left, a fraction of the lifetime) and how urgent each is. */
export const ExpiryConfig = z.strictObject({
  days: z.array(z.number().int().positive()).min(1).default(DEFAULT_EXPIRY_THRESHOLDS.days),
  lifetimeFraction: z.number().gt(0).lt(1).default(DEFAULT_EXPIRY_THRESHOLDS.lifetimeFraction),
  /** Days left at or below which an alert is `warning`, `high`, `critical` (a CA certificate one level higher). */
  severity: z
    .strictObject({
      warningDays: z.number().positive().default(DEFAULT_SEVERITY_THRESHOLDS.warningDays),
      highDays: z.number().positive().default(DEFAULT_SEVERITY_THRESHOLDS.highDays),
      criticalDays: z.number().nonnegative().default(DEFAULT_SEVERITY_THRESHOLDS.criticalDays),
    })
    .prefault({})
    .refine((s) => s.criticalDays < s.highDays && s.highDays < s.warningDays, {
      message: 'expected criticalDays < highDays < warningDays',
    }),
});

export type ExpiryConfig = z.infer<typeof ExpiryConfig>;
