import { keyReuse, keyReuseRule } from '../../../../../lib/domain/policy/rules/key-reuse';
import { context, record, subject } from '../fixtures';

const params = keyReuseRule.defaults;
const KEY = 'e'.repeat(64);
const named = (dns: string[], overrides = {}) =>
  record({
    publicKeySha256: KEY,
    subject: `CN=${dns[0]}`,
    subjectCommonName: dns[0],
    sans: { dns, ip: [], email: [], uri: [] },
    ...overrides,
  });

describe('key-reuse', () => {
  const mine = named(['api.example.com', 'www.example.com']);

  describe('Compliant', () => {
    it('no other certificate holds the key (the subject itself may be in the list)', () => {
      expect(keyReuse(subject(mine), params, context({ sameKeyElsewhere: [mine] }))).toEqual({ outcome: 'compliant' });
    });

    it('a renewal for the same names that kept its key', () => {
      const renewal = named(['www.example.com', 'api.example.com']);
      expect(keyReuse(subject(mine), params, context({ sameKeyElsewhere: [mine, renewal] }))).toEqual({
        outcome: 'compliant',
      });
    });

    it('has nothing to say without the cross-certificate view', () => {
      expect(keyReuse(subject(mine), params, context())).toMatchObject({ outcome: 'not-applicable' });
    });
  });

  describe('Noncompliant', () => {
    it('the same key in a certificate for unrelated names', () => {
      const other = named(['billing.internal']);
      const result = keyReuse(subject(mine), params, context({ sameKeyElsewhere: [mine, other] }));
      expect(result).toMatchObject({
        outcome: 'violation',
        details: { sharedWith: [{ fingerprint: other.fingerprintSha256, names: ['billing.internal'] }] },
      });
      expect(result.outcome === 'violation' && result.message).toContain('billing.internal');
    });

    it('any reuse when renewals may not keep their key', () => {
      const renewal = named(['api.example.com', 'www.example.com']);
      expect(
        keyReuse(subject(mine), { allowSameNames: false }, context({ sameKeyElsewhere: [renewal] })),
      ).toMatchObject({ outcome: 'violation' });
    });
  });
});
