import { dnAttributes, IssuerClassifier, DEFAULT_PUBLIC_ISSUER_ORGANIZATIONS } from '../../../../lib/domain/policy';
import { record } from './fixtures';

const classifier = new IssuerClassifier({
  organizations: DEFAULT_PUBLIC_ISSUER_ORGANIZATIONS,
  subjects: ['CN=Example Public CA, O=Example Trust'],
  spkiSha256: ['a'.repeat(64)],
});

describe('public or private issuer', () => {
  it.each([
    [
      "a Let's Encrypt intermediate, by organization",
      { certificate: record({ issuer: "CN=R11,O=Let's Encrypt,C=US" }) },
      'public',
    ],
    [
      'a DigiCert intermediate, case-insensitively',
      { certificate: record({ issuer: 'CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=digicert inc,C=US' }) },
      'public',
    ],
    [
      'an issuer named in subjects',
      { certificate: record({ issuer: 'cn=Example Public CA,o=Example Trust' }) },
      'public',
    ],
    [
      'an issuer key in spkiSha256',
      { certificate: record({ issuer: 'CN=Anything' }), issuerSpkiSha256: 'a'.repeat(64) },
      'public',
    ],
    ['a company CA', { certificate: record({ issuer: 'CN=Corp Issuing CA 2,O=Example Corp' }) }, 'private'],
    [
      'a self-signed leaf, whatever it claims',
      { certificate: record({ issuer: "CN=x,O=Let's Encrypt", selfSigned: true }) },
      'private',
    ],
    ['what the source says, first of all', { certificate: record(), issuerType: 'private' as const }, 'private'],
  ])('%s', (_name, subject, expected) => {
    expect(classifier.classify(subject)).toBe(expected);
    expect(classifier.explain(subject).issuerType).toBe(expected);
  });

  it('explains its decision', () => {
    expect(classifier.explain({ certificate: record() }).reason).toBe(
      `issuer organization "Let's Encrypt" in publicIssuers.organizations`,
    );
  });
});

describe('dnAttributes', () => {
  it('reads RFC 4514 names with escapes and multi-valued RDNs', () => {
    expect(dnAttributes('CN=a\\, b+OU=x,O=Acme\\2C Inc.,C=US')).toEqual([
      ['CN', 'a, b'],
      ['OU', 'x'],
      ['O', 'Acme, Inc.'],
      ['C', 'US'],
    ]);
    expect(dnAttributes('')).toEqual([]);
  });
});
