import * as z from 'zod/mini';
import { postQuantumByName } from '../../post-quantum';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';

const Params = z.strictObject({
  /** Key algorithms Shor's algorithm breaks. @default RSA, EC, DSA, Ed25519, Ed448 */
  algorithms: z.array(z.string().check(z.minLength(1))),
});
export type QuantumVulnerableParams = z.infer<typeof Params>;

/**
 * Crypto-agility inventory: keys a cryptographically relevant quantum computer would break (RSA, ECDSA, EdDSA, DSA;
 * NIST IR 8547 deprecates them after 2030). Informational by default: nearly every certificate today is one.
 * ML-DSA, SLH-DSA, ML-KEM and composite ML-DSA keys are quantum-safe (compliant); a key algorithm in neither list is
 * not judged (not-applicable), never silently called safe.
 */
export const quantumVulnerable: Rule<QuantumVulnerableParams> = ({ certificate }, { algorithms }) => {
  const { keyAlgorithm, keyCurve, keySize } = certificate;
  if (algorithms.includes(keyAlgorithm))
    return violation(
      `${keyAlgorithm}${keyCurve ? ` ${keyCurve}` : keySize ? ` ${keySize}-bit` : ''} key: ` +
        'quantum-vulnerable (Shor); plan its move to a post-quantum algorithm (ML-DSA)',
      { keyAlgorithm, keySize, keyCurve },
    );
  if (postQuantumByName(keyAlgorithm)) return compliant;
  return notApplicable(`${keyAlgorithm} key: not known to be quantum-vulnerable or quantum-safe`);
};

export const quantumVulnerableRule = defineRule({
  id: 'quantum-vulnerable',
  title: 'Quantum-vulnerable key algorithm (crypto-agility inventory)',
  defaultSeverity: 'info',
  enabledByDefault: true,
  informational: true,
  params: Params,
  defaults: { algorithms: ['RSA', 'EC', 'DSA', 'Ed25519', 'Ed448'] },
  evaluate: quantumVulnerable,
});
