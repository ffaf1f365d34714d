import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';

const Params = z.strictObject({
  /** Curve names as records have them ('P-256', 'secp256k1', 'brainpoolP256r1', …). @default P-256, P-384, P-521 */
  curves: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
});
export type AllowedEcCurvesParams = z.infer<typeof Params>;

/** EC keys must be on an allowed named curve; explicit curve parameters name none and are refused. */
export const allowedEcCurves: Rule<AllowedEcCurvesParams> = ({ certificate }, { curves }) => {
  if (certificate.keyAlgorithm !== 'EC') return notApplicable(`not an EC key (${certificate.keyAlgorithm})`);
  const curve = certificate.keyCurve;
  if (curve === null)
    return violation(`EC key with explicit curve parameters (no named curve); policy allows ${curves.join(', ')}`, {
      keyCurve: null,
      allowed: curves,
    });
  return curves.includes(curve)
    ? compliant
    : violation(`EC key on curve ${curve}; policy allows ${curves.join(', ')}`, { keyCurve: curve, allowed: curves });
};

export const allowedEcCurvesRule = defineRule({
  id: 'allowed-ec-curves',
  title: 'EC keys on an allowed named curve',
  defaultSeverity: 'medium',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: { curves: ['P-256', 'P-384', 'P-521'] },
  evaluate: allowedEcCurves,
});
