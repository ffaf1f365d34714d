import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';

const Params = z.strictObject({
  /** Key algorithms as records have them: 'RSA', 'EC', 'Ed25519', 'Ed448', 'DSA', or a dotted OID. @default ['DSA'] */
  algorithms: z.array(z.string().check(z.minLength(1))),
});
export type ForbiddenKeyAlgorithmsParams = z.infer<typeof Params>;

/**
 * Public-key algorithms the policy forbids (DSA by default: withdrawn for signatures by FIPS 186-5). A key whose
 * algorithm has no name (a bare OID) and is not listed is not-applicable rather than compliant: unknown-key-algorithm
 * judges it.
 */
export const forbiddenKeyAlgorithms: Rule<ForbiddenKeyAlgorithmsParams> = ({ certificate }, { algorithms }) => {
  if (algorithms.includes(certificate.keyAlgorithm))
    return violation(`${certificate.keyAlgorithm} key; policy forbids ${algorithms.join(', ')} keys`, {
      keyAlgorithm: certificate.keyAlgorithm,
      forbidden: algorithms,
    });
  return /^\d+(\.\d+)+$/.test(certificate.keyAlgorithm)
    ? notApplicable(`unknown key algorithm ${certificate.keyAlgorithm}`)
    : compliant;
};

export const forbiddenKeyAlgorithmsRule = defineRule({
  id: 'forbidden-key-algorithms',
  title: 'No keys of a forbidden algorithm',
  defaultSeverity: 'high',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: { algorithms: ['DSA'] },
  evaluate: forbiddenKeyAlgorithms,
});
