import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type CertificateUse, type Rule } from '../types';

const Params = z.strictObject({
  /**
   * A certificate without extended key usage, or with anyExtendedKeyUsage, may serve any use (RFC 5280 §4.2.1.12).
   * @default true
   */
  allowUnrestricted: z.boolean(),
});
export type EkuMatchesUseParams = z.infer<typeof Params>;

/** The key purpose each use needs. */
export const EKU_FOR_USE: Readonly<Record<CertificateUse, string>> = {
  'tls-server': 'serverAuth',
  'tls-client': 'clientAuth',
  'code-signing': 'codeSigning',
  smime: 'emailProtection',
};

/**
 * The certificate's extended key usage allows what it is used for: a certificate on a load balancer or TLS
 * endpoint needs serverAuth, or clients will refuse it.
 */
export const ekuMatchesUse: Rule<EkuMatchesUseParams> = ({ certificate }, { allowUnrestricted }, { uses }) => {
  if (uses.length === 0) return notApplicable('no known use');
  const eku = certificate.extendedKeyUsage;
  if (allowUnrestricted && (eku.length === 0 || eku.includes('anyExtendedKeyUsage'))) return compliant;
  const missing = uses.filter((use) => !eku.includes(EKU_FOR_USE[use]));
  if (missing.length === 0) return compliant;
  return violation(
    `used as ${missing.join(', ')} but its extended key usage (${eku.join(', ') || 'none'}) lacks ` +
      missing.map((use) => EKU_FOR_USE[use]).join(', '),
    { uses, extendedKeyUsage: eku, missing: missing.map((use) => EKU_FOR_USE[use]) },
  );
};

export const ekuMatchesUseRule = defineRule({
  id: 'eku-matches-use',
  title: 'Extended key usage allows how it is used',
  defaultSeverity: 'high',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: { allowUnrestricted: true },
  evaluate: ekuMatchesUse,
});
