import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, recordPredates, violation, type Rule } from '../types';
import { DAY_SECONDS, validitySeconds } from '../validity';

const Params = z.strictObject({
  /** Judge privately issued certificates too (the Baseline Requirements bind public CAs only). @default false */
  includePrivate: z.boolean(),
});
export type RevocationPointersParams = z.infer<typeof Params>;

/** Short-lived subscriber certificates need no revocation pointer (BR §1.6.1): 10 days, 7 from 2026-03-15. */
const SHORT_LIVED = [
  { before: Date.parse('2026-03-15T00:00:00Z'), days: 10 },
  { before: Infinity, days: 7 },
];

/**
 * Relying parties can learn that a certificate was revoked only where it says to look. The CA/B Forum Baseline
 * Requirements (§7.1.2.11.2 since ballot SC-063, 2024) want a CRL distribution point in every subscriber certificate
 * that names no OCSP responder, unless it is short-lived, and one in every subordinate CA certificate.
 * Roots (self-signed) say nothing: nothing above them revokes them.
 */
export const revocationPointers: Rule<RevocationPointersParams> = (
  { certificate },
  { includePrivate },
  { issuerType },
) => {
  if (issuerType !== 'public' && !includePrivate) return notApplicable('privately issued');
  if (certificate.selfSigned) return notApplicable('self-signed: nothing above it revokes it');
  const { ocspUrls, crlUrls } = certificate;
  if (ocspUrls === undefined || crlUrls === undefined) return recordPredates('revocation pointers');
  const details = { ocspUrls, crlUrls, isCA: certificate.isCA };
  if (certificate.isCA)
    return crlUrls.length > 0
      ? compliant
      : violation('subordinate CA certificate without a CRL distribution point', details);
  const notBefore = Date.parse(certificate.notBefore);
  const shortLivedDays = SHORT_LIVED.find((step) => notBefore < step.before)!.days;
  if (validitySeconds(notBefore, certificate.notAfter) <= shortLivedDays * DAY_SECONDS)
    return notApplicable(`short-lived (at most ${shortLivedDays} days): needs no revocation pointer`);
  return ocspUrls.length > 0 || crlUrls.length > 0
    ? compliant
    : violation(
        'neither an OCSP responder (AIA) nor a CRL distribution point: its revocation cannot be checked',
        details,
      );
};

export const revocationPointersRule = defineRule({
  id: 'revocation-pointers',
  title: 'Public certificates name an OCSP responder or a CRL distribution point',
  defaultSeverity: 'medium',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: { includePrivate: false },
  evaluate: revocationPointers,
});
