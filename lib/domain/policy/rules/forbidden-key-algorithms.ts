import * as z from 'zod';
import { defineRule } from '../rule-definition';
import { compliant, violation, type Rule } from '../types';

const Params = z.strictObject({
  /** Key algorithms as records have them: 'RSA', 'EC', 'Ed25519', 'Ed448', 'DSA', or a dotted OID. @default ['DSA'] */
  algorithms: z.array(z.string().min(1)),
});
export type ForbiddenKeyAlgorithmsParams = z.infer<typeof Params>;

/** Public-key algorithms the policy forbids (DSA by default: withdrawn for signatures by FIPS 186-5). */
export const forbiddenKeyAlgorithms: Rule<ForbiddenKeyAlgorithmsParams> = ({ certificate }, { algorithms }) =>
  algorithms.includes(certificate.keyAlgorithm)
    ? violation(`${certificate.keyAlgorithm} key; policy forbids ${algorithms.join(', ')} keys`, {
        keyAlgorithm: certificate.keyAlgorithm,
        forbidden: algorithms,
      })
    : compliant;

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
