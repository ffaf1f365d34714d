import { sanRequired } from '../../../../../lib/domain/policy/rules/san-required';
import { context, record, subject } from '../fixtures';

const none = { dns: [], ip: [], email: [], uri: [] };

describe('san-required', () => {
  describe('Compliant', () => {
    it.each([
      ['a DNS SAN', record()],
      ['an IP SAN only', record({ sans: { ...none, ip: ['192.0.2.10'] }, subjectCommonName: null })],
    ])('a TLS server certificate with %s', (_name, certificate) => {
      expect(sanRequired(subject(certificate), {}, context())).toEqual({ outcome: 'compliant' });
    });

    it.each([
      ['a CA', record({ isCA: true, kind: 'ca', sans: none })],
      [
        'a client certificate',
        record({ kind: 'tls-client', extendedKeyUsage: ['clientAuth'], sans: none, subjectCommonName: 'alice' }),
      ],
      [
        'an S/MIME certificate',
        record({ kind: 'smime', sans: { ...none, email: ['a@example.com'] }, subjectCommonName: 'Alice' }),
      ],
    ])('has nothing to say about %s', (_name, certificate) => {
      expect(sanRequired(subject(certificate), {}, context())).toMatchObject({ outcome: 'not-applicable' });
    });
  });

  describe('Noncompliant', () => {
    it('a serverAuth certificate with only a common name', () => {
      const result = sanRequired(subject(record({ sans: none })), {}, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { subjectCommonName: 'api.example.com' } });
      expect(result.outcome === 'violation' && result.message).toContain('"api.example.com"');
    });

    it('a certificate without key purposes whose common name is a host name', () => {
      const certificate = record({
        kind: 'other',
        extendedKeyUsage: [],
        sans: none,
        subjectCommonName: 'legacy.example.com',
      });
      expect(sanRequired(subject(certificate), {}, context())).toMatchObject({ outcome: 'violation' });
    });

    it('any certificate a load balancer serves, even one that does not look like a server certificate', () => {
      const certificate = record({ kind: 'other', extendedKeyUsage: [], sans: none, subjectCommonName: 'My Service' });
      expect(sanRequired(subject(certificate), {}, context({ uses: ['tls-server'] }))).toMatchObject({
        outcome: 'violation',
      });
    });
  });
});
