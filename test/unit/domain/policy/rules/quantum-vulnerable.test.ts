import { quantumVulnerable, quantumVulnerableRule } from '../../../../../lib/domain/policy/rules/quantum-vulnerable';
import { context, record, rsa, subject } from '../fixtures';

const params = quantumVulnerableRule.defaults;

describe('quantum-vulnerable', () => {
  it('is informational by default', () => {
    expect(quantumVulnerableRule).toMatchObject({ informational: true, defaultSeverity: 'info' });
  });

  describe('Compliant', () => {
    it.each(['Ed25519', 'Ed448', '2.16.840.1.101.3.4.3.18'])('a %s key', (keyAlgorithm) => {
      expect(quantumVulnerable(subject(record({ keyAlgorithm, keyCurve: null })), params, context())).toEqual({
        outcome: 'compliant',
      });
    });
  });

  describe('Noncompliant', () => {
    it.each([
      ['an RSA key', rsa(4096), 'RSA 4096-bit key'],
      ['an EC key', record(), 'EC P-256 key'],
      ['a DSA key', record({ keyAlgorithm: 'DSA', keyCurve: null, keySize: 2048 }), 'DSA 2048-bit key'],
    ])('%s', (_name, certificate, named) => {
      const result = quantumVulnerable(subject(certificate), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { keyAlgorithm: certificate.keyAlgorithm } });
      expect(result.outcome === 'violation' && result.message).toContain(named);
    });
  });
});
