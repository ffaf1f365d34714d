import * as z from 'zod';
import { defineRule } from '../rule-definition';
import { compliant, violation, type Rule } from '../types';

/** The post-quantum algorithms of FIPS 203, 204 and 205, by their parameter sets' names. */
const POST_QUANTUM = [
  'ML-KEM-512',
  'ML-KEM-768',
  'ML-KEM-1024',
  'ML-DSA-44',
  'ML-DSA-65',
  'ML-DSA-87',
  ...['SHA2', 'SHAKE'].flatMap((hash) =>
    ['128s', '128f', '192s', '192f', '256s', '256f'].map((set) => `SLH-DSA-${hash}-${set}`),
  ),
];

const Params = z.strictObject({
  /**
   * Key algorithms as records name them. @default RSA, EC, Ed25519, Ed448, DSA and the ML-KEM, ML-DSA and SLH-DSA
   * parameter sets: those the other rules judge (size, curve, deprecation, quantum safety)
   */
  known: z.array(z.string().min(1)).min(1),
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
  defaults: { known: ['RSA', 'EC', 'Ed25519', 'Ed448', 'DSA', ...POST_QUANTUM] },
  evaluate: unknownKeyAlgorithm,
});
