import * as z from 'zod';
import { defineRule } from '../rule-definition';
import { compliant, violation, type Rule } from '../types';

const Params = z.strictObject({
  /** Key algorithms Shor's algorithm breaks. @default RSA, EC, DSA */
  algorithms: z.array(z.string().min(1)),
});
export type QuantumVulnerableParams = z.infer<typeof Params>;

/**
 * Crypto-agility inventory: keys a cryptographically relevant quantum computer would break (RSA, ECDSA, DSA;
 * NIST IR 8547 deprecates them after 2030). Informational by default: every certificate today is one.
 */
export const quantumVulnerable: Rule<QuantumVulnerableParams> = ({ certificate }, { algorithms }) =>
  algorithms.includes(certificate.keyAlgorithm)
    ? violation(
        `${certificate.keyAlgorithm}${certificate.keyCurve ? ` ${certificate.keyCurve}` : certificate.keySize ? ` ${certificate.keySize}-bit` : ''} key: ` +
          'quantum-vulnerable (Shor); plan its move to a post-quantum algorithm (ML-DSA)',
        { keyAlgorithm: certificate.keyAlgorithm, keySize: certificate.keySize, keyCurve: certificate.keyCurve },
      )
    : compliant;

export const quantumVulnerableRule = defineRule({
  id: 'quantum-vulnerable',
  title: 'Quantum-vulnerable key algorithm (crypto-agility inventory)',
  defaultSeverity: 'info',
  enabledByDefault: true,
  informational: true,
  params: Params,
  defaults: { algorithms: ['RSA', 'EC', 'DSA'] },
  evaluate: quantumVulnerable,
});
