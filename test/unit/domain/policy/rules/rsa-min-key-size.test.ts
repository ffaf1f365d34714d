import { rsaMinKeySize, rsaMinKeySizeRule } from '../../../../../lib/domain/policy/rules/rsa-min-key-size';
import { context, record, rsa, subject } from '../fixtures';

const params = rsaMinKeySizeRule.defaults;

describe('rsa-min-key-size', () => {
  describe('Compliant', () => {
    it.each([
      ['a 2048-bit leaf', rsa(2048)],
      ['a 4096-bit leaf', rsa(4096)],
      ['a 3072-bit CA', rsa(3072, { isCA: true, kind: 'ca' })],
    ])('%s', (_name, certificate) => {
      expect(rsaMinKeySize(subject(certificate), params, context())).toEqual({ outcome: 'compliant' });
    });

    it('has nothing to say about an EC key', () => {
      expect(rsaMinKeySize(subject(record()), params, context())).toMatchObject({ outcome: 'not-applicable' });
    });
  });

  describe('Noncompliant', () => {
    it.each([
      ['a 1024-bit leaf', rsa(1024), 1024, 2048],
      ['a 2047-bit leaf', rsa(2047), 2047, 2048],
      ['a 2048-bit CA', rsa(2048, { isCA: true, kind: 'ca' }), 2048, 3072],
    ])('%s', (_name, certificate, bits, required) => {
      const result = rsaMinKeySize(subject(certificate), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { keySize: bits, requiredBits: required } });
      expect(result.outcome === 'violation' && result.message).toContain(`${bits} bits`);
    });

    it('flags an RSA key whose modulus cannot be read', () => {
      expect(rsaMinKeySize(subject(rsa(null)), params, context())).toMatchObject({ outcome: 'violation' });
    });

    it('takes its limits from the parameters', () => {
      const result = rsaMinKeySize(subject(rsa(3072)), { minBits: 4096, caMinBits: 4096 }, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { requiredBits: 4096 } });
    });
  });
});
