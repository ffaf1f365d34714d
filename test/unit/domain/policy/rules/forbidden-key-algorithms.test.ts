import {
  forbiddenKeyAlgorithms,
  forbiddenKeyAlgorithmsRule,
} from '../../../../../lib/domain/policy/rules/forbidden-key-algorithms';
import { context, record, subject } from '../fixtures';

const params = forbiddenKeyAlgorithmsRule.defaults;

describe('forbidden-key-algorithms', () => {
  describe('Compliant', () => {
    it.each(['RSA', 'EC', 'Ed25519'])('a %s key', (keyAlgorithm) => {
      expect(forbiddenKeyAlgorithms(subject(record({ keyAlgorithm })), params, context())).toEqual({
        outcome: 'compliant',
      });
    });
  });

  describe('Noncompliant', () => {
    it('a DSA key, by default', () => {
      const result = forbiddenKeyAlgorithms(subject(record({ keyAlgorithm: 'DSA' })), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { keyAlgorithm: 'DSA' } });
      expect(result.outcome === 'violation' && result.message).toContain('DSA key');
    });

    it('any algorithm the parameters name, an OID included', () => {
      const gost = record({ keyAlgorithm: '1.2.643.2.2.19' });
      expect(forbiddenKeyAlgorithms(subject(gost), { algorithms: ['1.2.643.2.2.19'] }, context())).toMatchObject({
        outcome: 'violation',
      });
    });
  });
});
