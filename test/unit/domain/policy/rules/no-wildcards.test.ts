import { noWildcards, noWildcardsRule } from '../../../../../lib/domain/policy/rules/no-wildcards';
import { context, record, subject } from '../fixtures';

const params = noWildcardsRule.defaults;
const withNames = (dns: string[], cn: string | null = dns[0] ?? null) =>
  record({ sans: { dns, ip: [], email: [], uri: [] }, subjectCommonName: cn });

describe('no-wildcards', () => {
  describe('Compliant', () => {
    it('names without wildcards', () => {
      expect(noWildcards(subject(withNames(['a.example.com', 'b.example.com'])), params, context())).toEqual({
        outcome: 'compliant',
      });
    });
    it('a wildcard the parameters allow', () => {
      const certificate = withNames(['*.cdn.example.com']);
      expect(noWildcards(subject(certificate), { allowed: ['*.cdn.example.com'] }, context())).toEqual({
        outcome: 'compliant',
      });
    });
    it('ignores a wildcard common name when SANs are present (clients ignore the CN then)', () => {
      expect(noWildcards(subject(withNames(['a.example.com'], '*.example.com')), params, context())).toEqual({
        outcome: 'compliant',
      });
    });
  });

  describe('Noncompliant', () => {
    it('a wildcard SAN', () => {
      const result = noWildcards(subject(withNames(['*.example.com', 'example.com'])), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { wildcards: ['*.example.com'] } });
      expect(result.outcome === 'violation' && result.message).toContain('*.example.com');
    });
    it('a wildcard common name on a certificate without SANs', () => {
      expect(noWildcards(subject(withNames([], '*.Example.COM')), params, context())).toMatchObject({
        outcome: 'violation',
        details: { wildcards: ['*.example.com'] },
      });
    });
    it('a wildcard outside the allowed ones', () => {
      const certificate = withNames(['*.api.example.com']);
      expect(noWildcards(subject(certificate), { allowed: ['*.cdn.example.com'] }, context())).toMatchObject({
        outcome: 'violation',
      });
    });
  });
});
