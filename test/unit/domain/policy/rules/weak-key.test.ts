import { weakKey, weakKeyRule } from '../../../../../lib/domain/policy/rules/weak-key';
import { craftRecord, publicOnly, rocaShapedModulus, rsaPublicKey } from '../../../../support/crafted-certificates';
import { context, subject } from '../fixtures';

const params = weakKeyRule.defaults;

describe('weak-key', () => {
  describe('Compliant', () => {
    it('an RSA key generated here', async () => {
      const certificate = await craftRecord({ key: { algorithm: 'RSA', bits: 2048 } });
      expect(weakKey(subject(certificate), params, context())).toEqual({ outcome: 'compliant' });
    });
  });

  describe('Noncompliant', () => {
    it('an RSA modulus with the ROCA fingerprint (k·M + 65537^a mod M)', async () => {
      const key = await rsaPublicKey(rocaShapedModulus(2048, 271828n, 3n));
      const result = weakKey(subject(await craftRecord({ keys: publicOnly(key) })), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { weakKey: 'roca', keySize: 2048 } });
      expect(result.outcome === 'violation' && result.message).toContain('CVE-2017-15361');
    });
  });

  it.each([['an EC key', {}, /no weak-key test for EC/]])('is not applicable to %s', async (_name, options, reason) => {
    expect(weakKey(subject(await craftRecord(options)), params, context())).toMatchObject({
      outcome: 'not-applicable',
      reason: expect.stringMatching(reason),
    });
  });

  it('is not applicable to a record stored before weak keys were detected', async () => {
    const { weakKey: _weak, ...older } = await craftRecord({ key: { algorithm: 'RSA', bits: 2048 } });
    expect(weakKey(subject(older), params, context()).outcome).toBe('not-applicable');
  });
});
