import { allowedEcCurves, allowedEcCurvesRule } from '../../../../../lib/domain/policy/rules/allowed-ec-curves';
import { context, record, rsa, subject } from '../fixtures';

const params = allowedEcCurvesRule.defaults;

describe('allowed-ec-curves', () => {
  describe('Compliant', () => {
    it.each(['P-256', 'P-384', 'P-521'])('a key on %s', (curve) => {
      expect(allowedEcCurves(subject(record({ keyCurve: curve })), params, context())).toEqual({
        outcome: 'compliant',
      });
    });

    it('has nothing to say about an RSA key', () => {
      expect(allowedEcCurves(subject(rsa(2048)), params, context())).toMatchObject({ outcome: 'not-applicable' });
    });
  });

  describe('Noncompliant', () => {
    it.each(['secp256k1', 'brainpoolP256r1', 'P-224'])('a key on %s', (curve) => {
      const result = allowedEcCurves(subject(record({ keyCurve: curve })), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { keyCurve: curve } });
      expect(result.outcome === 'violation' && result.message).toContain(curve);
    });

    it('a key with explicit curve parameters', () => {
      expect(allowedEcCurves(subject(record({ keyCurve: null })), params, context())).toMatchObject({
        outcome: 'violation',
        details: { keyCurve: null },
      });
    });
  });
});
