import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import type { CertificateRecord } from '../../certificate';
import { compliant, notApplicable, violation, type IssuerType, type Rule } from '../types';
import { CABF_SC081_SCHEDULE, DAY_SECONDS, maxDaysAt, validityDays, validitySeconds } from '../validity';

const nullableDays = z.nullable(z.int().check(z.positive(), z.maximum(100 * 366)));

const Params = z.strictObject({
  /**
   * Maximum validity of publicly trusted TLS server certificates by issue date (notBefore), steps in date order.
   * @default the CA/B Forum SC-081 schedule: 398 days, 200 from 2026-03-15, 100 from 2027-03-15, 47 from 2029-03-15
   */
  publicTlsSchedule: z
    .array(z.strictObject({ from: z.optional(z.iso.datetime({ offset: true })), days: z.int().check(z.positive()) }))
    .check(
      z.minLength(1),
      z.refine((steps) => steps[0].from === undefined, 'the first step has no "from" (it applies before all others)'),
      z.refine(
        (steps) =>
          steps.every(
            (step, i) =>
              i === 0 ||
              (step.from !== undefined && (i === 1 || Date.parse(step.from) > Date.parse(steps[i - 1].from!))),
          ),
        'steps after the first need a "from", in increasing order',
      ),
    ),
  /** Maximum validity of every other end-entity certificate (private issuers, public non-TLS); null: no limit. @default 398 */
  privateMaxDays: nullableDays,
  /** Maximum validity of CA certificates; null: no limit. @default null */
  caMaxDays: nullableDays,
});
export type MaxValidityParams = z.infer<typeof Params>;

/**
 * Validity no longer than the policy allows, counted as the CA/B Forum counts it (notBefore through notAfter
 * inclusive; a part day is a day: see `validity.ts`). Publicly trusted TLS server certificates follow the
 * schedule in force at their notBefore; CAs and everything else have their own limits.
 */
export const maxValidity: Rule<MaxValidityParams> = ({ certificate }, params, { issuerType }) => {
  const notBefore = Date.parse(certificate.notBefore);
  const publicTls = issuerType === 'public' && certificate.kind === 'tls-server';
  const maxDays = certificate.isCA
    ? params.caMaxDays
    : publicTls
      ? maxDaysAt(params.publicTlsSchedule, notBefore)
      : params.privateMaxDays;
  if (maxDays === null) return notApplicable(`no validity limit ${basisOf(certificate, publicTls, issuerType)}`);
  const notAfter = Date.parse(certificate.notAfter);
  const seconds = validitySeconds(notBefore, notAfter);
  if (seconds <= maxDays * DAY_SECONDS) return compliant;
  const days = validityDays(notBefore, notAfter);
  return violation(
    `valid ${days} days (${certificate.notBefore} to ${certificate.notAfter}); policy allows ${maxDays} ${basisOf(certificate, publicTls, issuerType)}`,
    {
      validityDays: days,
      validitySeconds: seconds,
      maxDays,
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
      issuerType,
    },
  );
};

/** What the limit applies to, for messages. */
function basisOf(certificate: CertificateRecord, publicTls: boolean, issuerType: IssuerType): string {
  if (certificate.isCA) return 'for a CA certificate';
  if (publicTls) return `for a public TLS certificate issued ${certificate.notBefore.slice(0, 10)}`;
  return `for a ${issuerType === 'public' ? `public ${certificate.kind}` : 'privately issued'} certificate`;
}

export const maxValidityRule = defineRule({
  id: 'max-validity',
  title: 'Validity within the CA/B Forum schedule (public TLS) or the policy limit (others)',
  defaultSeverity: 'medium',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: { publicTlsSchedule: [...CABF_SC081_SCHEDULE], privateMaxDays: 398, caMaxDays: null },
  evaluate: maxValidity,
});
