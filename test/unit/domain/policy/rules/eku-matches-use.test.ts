import { ekuMatchesUse, ekuMatchesUseRule } from '../../../../../lib/domain/policy/rules/eku-matches-use';
import { context, record, subject } from '../fixtures';

const params = ekuMatchesUseRule.defaults;

describe('eku-matches-use', () => {
  describe('Compliant', () => {
    it.each([
      ['serverAuth on a load balancer', ['serverAuth'], ['tls-server']],
      ['serverAuth and clientAuth used both ways', ['serverAuth', 'clientAuth'], ['tls-server', 'tls-client']],
      ['no extended key usage (any purpose)', [], ['tls-server']],
      ['anyExtendedKeyUsage', ['anyExtendedKeyUsage'], ['code-signing']],
    ] as const)('%s', (_name, eku, uses) => {
      const certificate = record({ extendedKeyUsage: [...eku] });
      expect(ekuMatchesUse(subject(certificate), params, context({ uses: [...uses] }))).toEqual({
        outcome: 'compliant',
      });
    });

    it('has nothing to say when no use is known', () => {
      expect(ekuMatchesUse(subject(record()), params, context())).toMatchObject({ outcome: 'not-applicable' });
    });
  });

  describe('Noncompliant', () => {
    it('a client certificate on a load balancer', () => {
      const certificate = record({ extendedKeyUsage: ['clientAuth'], kind: 'tls-client' });
      const result = ekuMatchesUse(subject(certificate), params, context({ uses: ['tls-server'] }));
      expect(result).toMatchObject({ outcome: 'violation', details: { missing: ['serverAuth'] } });
      expect(result.outcome === 'violation' && result.message).toContain('lacks serverAuth');
    });

    it('a code-signing certificate used for S/MIME', () => {
      const certificate = record({ extendedKeyUsage: ['codeSigning'], kind: 'code-signing' });
      expect(ekuMatchesUse(subject(certificate), params, context({ uses: ['smime'] }))).toMatchObject({
        outcome: 'violation',
        details: { missing: ['emailProtection'] },
      });
    });

    it('an unrestricted certificate when the policy wants explicit purposes', () => {
      const certificate = record({ extendedKeyUsage: [] });
      expect(
        ekuMatchesUse(subject(certificate), { allowUnrestricted: false }, context({ uses: ['tls-server'] })),
      ).toMatchObject({ outcome: 'violation' });
    });
  });
});
