import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';
import { CABF_SC081_SCHEDULE, maxDaysAt, validityDays, withinDays } from '../validity';

const Params = z.strictObject({
  /** `renewal` values that mean a person renews it. A place with `managed: false` counts too. @default ['manual'] */
  manualRenewal: z.array(z.string().check(z.minLength(1))),
  /**
   * A certificate renewed by hand that lasts this many days or fewer (CA/B days, as max-validity counts them) is
   * noted whatever its issuer: a renewal every few weeks, by hand, is the one that is missed. @default 100
   */
  maxLifetimeDays: z.int().check(z.positive()),
});
export type ManualRenewalShortLifetimeParams = z.infer<typeof Params>;

/**
 * A certificate renewed by hand that must be renewed often: one that lasts at most `maxLifetimeDays` whatever
 * its issuer, or a publicly trusted TLS certificate while the CA/B Forum schedule takes public lifetimes down to
 * 47 days (2029-03-15). Either way the answer is to automate its renewal. Informational by default.
 */
export const manualRenewalShortLifetime: Rule<ManualRenewalShortLifetimeParams> = (
  { certificate, location },
  { manualRenewal, maxLifetimeDays },
  { issuerType, now },
) => {
  if (!location) return notApplicable('no location: renewal is a property of a place');
  const manual =
    (location.renewal !== undefined && manualRenewal.includes(location.renewal)) ||
    (location.renewal === undefined && location.managed === false);
  if (location.managed === true || !manual) return compliant;
  const short = withinDays(certificate.notBefore, certificate.notAfter, maxLifetimeDays);
  const publicTls = issuerType === 'public' && certificate.kind === 'tls-server' && !certificate.isCA;
  if (!short && !publicTls) return compliant;
  const lifetimeDays = validityDays(certificate.notBefore, certificate.notAfter);
  const reasons = short ? [`it lasts ${lifetimeDays} days (${maxLifetimeDays} or fewer)`] : [];
  let nextMaxDays: number | null = null;
  if (publicTls) {
    // The replacement is issued around this one's expiry, or now if it is overdue.
    nextMaxDays = maxDaysAt(CABF_SC081_SCHEDULE, Math.max(Date.parse(certificate.notAfter), now.getTime()));
    const last = CABF_SC081_SCHEDULE[CABF_SC081_SCHEDULE.length - 1];
    reasons.push(
      `its replacement may last at most ${nextMaxDays} days, and public TLS lifetimes fall to ${last.days} days ` +
        `from ${last.from!.slice(0, 10)}`,
    );
  }
  return violation(
    `renewed manually (${location.renewal ?? 'not managed'}); ${reasons.join('; ')}: automate its renewal`,
    {
      renewal: location.renewal ?? null,
      managed: location.managed ?? null,
      lifetimeDays,
      nextMaxDays,
    },
  );
};

export const manualRenewalShortLifetimeRule = defineRule({
  id: 'manual-renewal-short-lifetime',
  title: 'Manual renewal of a short-lived certificate, or of public TLS whose lifetime drops to 47 days',
  defaultSeverity: 'info',
  enabledByDefault: true,
  informational: true,
  params: Params,
  defaults: { manualRenewal: ['manual'], maxLifetimeDays: 100 },
  evaluate: manualRenewalShortLifetime,
});
