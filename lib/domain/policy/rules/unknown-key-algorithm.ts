import * as z from 'zod/mini';
import { POST_QUANTUM_ALGORITHMS } from '../../post-quantum';
import { defineRule } from '../rule-definition';
import { compliant, violation, type Rule } from '../types';

const Params = z.strictObject({
  /**
   * Key algorithms as records name them. @default RSA, EC, Ed25519, Ed448, DSA and every post-quantum parameter set
   * the parser names (lib/domain/post-quantum.ts, composite ML-DSA included): those the other rules judge (size,
   * curve, deprecation, quantum safety)
   */
  known: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
});
export type UnknownKeyAlgorithmParams = z.infer<typeof Params>;

/**
 * A key of an algorithm outside the known set (GOST R 34.10, SM2 under its own OID, any bare OID) escapes every
 * other key rule: no minimum size, curve list or deprecation applies to it, so without this rule it would pass
 * silently. Deprecated but known algorithms (DSA) are forbidden-key-algorithms' concern; a site that uses GOST
 * adds its OIDs to `known` in a scope.
 */
export const unknownKeyAlgorithm: Rule<UnknownKeyAlgorithmParams> = ({ certificate }, { known }) =>
  known.includes(certificate.keyAlgorithm)
    ? compliant
    : violation(
        `key algorithm ${certificate.keyAlgorithm} is none the policy knows (${known.join(', ')}): ` +
          'its strength is judged by no rule',
        { keyAlgorithm: certificate.keyAlgorithm, known },
      );

export const unknownKeyAlgorithmRule = defineRule({
  id: 'unknown-key-algorithm',
  title: 'Key algorithm one the policy knows how to judge',
  defaultSeverity: 'medium',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: { known: ['RSA', 'EC', 'Ed25519', 'Ed448', 'DSA', ...POST_QUANTUM_ALGORITHMS.map(({ name }) => name)] },
  evaluate: unknownKeyAlgorithm,
});
