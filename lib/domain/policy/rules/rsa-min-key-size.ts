import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';

const Params = z.strictObject({
  /** Smallest RSA modulus for end-entity certificates, in bits. @default 2048 */
  minBits: z.int().check(z.minimum(512), z.maximum(16384)),
  /** Smallest RSA modulus for CA certificates, in bits. @default 3072 */
  caMinBits: z.int().check(z.minimum(512), z.maximum(16384)),
});
export type RsaMinKeySizeParams = z.infer<typeof Params>;

/** RSA keys shorter than the policy's minimum: 2048 bits for leaves, 3072 for CAs (NIST SP 800-57 beyond 2030). */
export const rsaMinKeySize: Rule<RsaMinKeySizeParams> = ({ certificate }, { minBits, caMinBits }) => {
  if (certificate.keyAlgorithm !== 'RSA') return notApplicable(`not an RSA key (${certificate.keyAlgorithm})`);
  const required = certificate.isCA ? caMinBits : minBits;
  const bits = certificate.keySize;
  if (bits === null)
    return violation(`RSA key whose modulus cannot be read; policy requires at least ${required} bits`, {
      keySize: null,
      requiredBits: required,
    });
  return bits < required
    ? violation(
        `RSA key of ${bits} bits; policy requires at least ${required} bits${certificate.isCA ? ' for a CA' : ''}`,
        { keySize: bits, requiredBits: required, isCA: certificate.isCA },
      )
    : compliant;
};

export const rsaMinKeySizeRule = defineRule({
  id: 'rsa-min-key-size',
  title: 'RSA modulus at least 2048 bits (3072 for CAs)',
  defaultSeverity: 'high',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: { minBits: 2048, caMinBits: 3072 },
  evaluate: rsaMinKeySize,
});
