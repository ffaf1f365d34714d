import { quantumVulnerable, quantumVulnerableRule } from '../../../../../lib/domain/policy/rules/quantum-vulnerable';
import { context, record, rsa, subject } from '../fixtures';

const params = quantumVulnerableRule.defaults;

describe('quantum-vulnerable', () => {
  it('is informational by default', () => {
    expect(quantumVulnerableRule).toMatchObject({ informational: true, defaultSeverity: 'info' });
  });

  describe('Compliant', () => {
    it.each([
      'ML-DSA-44',
      'ML-DSA-87',
      'SLH-DSA-SHA2-128s',
      'SLH-DSA-SHAKE-256f',
      'ML-KEM-768',
      'MLDSA65-ECDSA-P256-SHA512',
      'MLDSA87-Ed448-SHAKE256',
    ])('a %s key (post-quantum)', (keyAlgorithm) => {
      const certificate = record({ keyAlgorithm, keyCurve: null, keySize: null });
      expect(quantumVulnerable(subject(certificate), params, context())).toEqual({ outcome: 'compliant' });
    });
  });

  describe('Not applicable', () => {
    it('does not call a key algorithm it does not know safe: not applicable, naming it', () => {
      const certificate = record({ keyAlgorithm: '1.2.643.7.1.1.1.1', keyCurve: null, keySize: null });
      expect(quantumVulnerable(subject(certificate), params, context())).toEqual({
        outcome: 'not-applicable',
        reason: '1.2.643.7.1.1.1.1 key: not known to be quantum-vulnerable or quantum-safe',
      });
    });
  });

  describe('Noncompliant', () => {
    it.each([
      ['an RSA key', rsa(4096), 'RSA 4096-bit key'],
      ['an EC key', record(), 'EC P-256 key'],
      ['a DSA key', record({ keyAlgorithm: 'DSA', keyCurve: null, keySize: 2048 }), 'DSA 2048-bit key'],
      ['an Ed25519 key', record({ keyAlgorithm: 'Ed25519', keyCurve: null, keySize: 256 }), 'Ed25519 256-bit key'],
      ['an Ed448 key', record({ keyAlgorithm: 'Ed448', keyCurve: null, keySize: 456 }), 'Ed448 456-bit key'],
    ])('%s', (_name, certificate, named) => {
      const result = quantumVulnerable(subject(certificate), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { keyAlgorithm: certificate.keyAlgorithm } });
      expect(result.outcome === 'violation' && result.message).toContain(named);
    });
  });
});
