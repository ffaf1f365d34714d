import * as z from 'zod';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';
import { CABF_SC081_SCHEDULE, maxDaysAt } from '../validity';

const Params = z.strictObject({
  /** `renewal` values that mean a person renews it. A place with `managed: false` counts too. @default ['manual'] */
  manualRenewal: z.array(z.string().min(1)),
});
export type ManualRenewalShortLifetimeParams = z.infer<typeof Params>;

/**
 * A publicly trusted TLS certificate renewed by hand, while the CA/B Forum schedule takes public lifetimes down
 * to 47 days (2029-03-15): a renewal every six weeks needs automation. Informational by default.
 */
export const manualRenewalShortLifetime: Rule<ManualRenewalShortLifetimeParams> = (
  { certificate, location },
  { manualRenewal },
  { issuerType, now },
) => {
  if (issuerType !== 'public' || certificate.kind !== 'tls-server' || certificate.isCA)
    return notApplicable('not a publicly trusted TLS server certificate');
  if (!location) return notApplicable('no location: renewal is a property of a place');
  const manual =
    (location.renewal !== undefined && manualRenewal.includes(location.renewal)) ||
    (location.renewal === undefined && location.managed === false);
  if (location.managed === true || !manual) return compliant;
  // The replacement is issued around this one's expiry, or now if it is overdue.
  const replacementIssued = Math.max(Date.parse(certificate.notAfter), now.getTime());
  const nextMaxDays = maxDaysAt(CABF_SC081_SCHEDULE, replacementIssued);
  const last = CABF_SC081_SCHEDULE[CABF_SC081_SCHEDULE.length - 1];
  return violation(
    `renewed manually (${location.renewal ?? 'not managed'}); its replacement may last at most ${nextMaxDays} days, ` +
      `and public TLS lifetimes fall to ${last.days} days from ${last.from!.slice(0, 10)}: automate its renewal`,
    { renewal: location.renewal ?? null, managed: location.managed ?? null, nextMaxDays },
  );
};

export const manualRenewalShortLifetimeRule = defineRule({
  id: 'manual-renewal-short-lifetime',
  title: 'Manual renewal of a public TLS certificate whose lifetime drops to 47 days',
  defaultSeverity: 'info',
  enabledByDefault: true,
  informational: true,
  params: Params,
  defaults: { manualRenewal: ['manual'] },
  evaluate: manualRenewalShortLifetime,
});
