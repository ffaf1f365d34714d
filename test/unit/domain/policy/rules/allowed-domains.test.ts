import { allowedDomains } from '../../../../../lib/domain/policy/rules/allowed-domains';
import { context, record, subject } from '../fixtures';

const params = { patterns: ['example.com', '*.example.com', '**.corp.example.net'], allowIpAddresses: false };
const withNames = (dns: string[], ip: string[] = [], cn: string | null = dns[0] ?? null) =>
  record({ sans: { dns, ip, email: [], uri: [] }, subjectCommonName: cn });

describe('allowed-domains', () => {
  describe('Compliant', () => {
    it.each([
      [['example.com']],
      [['API.Example.com.']],
      [['*.example.com']],
      [['a.b.corp.example.net', 'x.corp.example.net']],
    ])('names %j', (dns) => {
      expect(allowedDomains(subject(withNames(dns)), params, context())).toEqual({ outcome: 'compliant' });
    });

    it('IP addresses when allowed', () => {
      const certificate = withNames(['example.com'], ['192.0.2.1']);
      expect(allowedDomains(subject(certificate), { ...params, allowIpAddresses: true }, context())).toEqual({
        outcome: 'compliant',
      });
    });
  });

  describe('Noncompliant', () => {
    it.each([
      [['evil.com'], ['evil.com']],
      [['a.b.example.com'], ['a.b.example.com']],
      [['corp.example.net'], ['corp.example.net']],
      [['example.com', 'example.org'], ['example.org']],
    ])('names %j (outside: %j)', (dns, outside) => {
      const result = allowedDomains(subject(withNames(dns)), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { outside } });
      expect(result.outcome === 'violation' && result.message).toContain(outside[0]);
    });

    it('a host-name common name outside the domains, even with allowed SANs', () => {
      const result = allowedDomains(subject(withNames(['example.com'], [], 'other.org')), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { outside: ['other.org'] } });
    });

    it('an IP address SAN unless allowed', () => {
      expect(allowedDomains(subject(withNames([], ['192.0.2.1'], null)), params, context())).toMatchObject({
        outcome: 'violation',
        details: { ipAddresses: ['192.0.2.1'] },
      });
    });
  });
});
