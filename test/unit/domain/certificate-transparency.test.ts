import { allowedBy, domainsCovering, issuedCertificateId, sameDn } from '../../../lib/domain/certificate-transparency';

describe('domainsCovering', () => {
  it.each([
    [['example.com'], ['example.com']],
    [['API.Example.com.'], ['example.com']],
    [['*.example.com'], ['example.com']],
    [['a.b.example.com'], ['example.com']],
    [['notexample.com'], []],
    [['example.com.evil.org'], []],
    [['other.org', 'x.shop.example.net'], ['shop.example.net']],
  ])('%j falls under %j', (names, expected) => {
    expect(domainsCovering(names, ['example.com', 'shop.example.net'])).toEqual(expected);
  });
});

describe('sameDn', () => {
  it.each([
    ['O=Example,CN=Example CA', 'O=Example,CN=Example CA', true],
    ['o=example, cn=Example CA', 'O=Example,CN=Example CA', true],
    ['CN=Example CA, O=Example', 'O=Example,CN=Example CA', true],
    ['CN=Example CA', 'O=Example,CN=Example CA', false],
    ['O=Example\\, Inc,CN=CA', 'O=Example\\, Inc,CN=CA', true],
    ['O=Example\\, Inc,CN=CA', 'O=Example,CN=Inc,CN=CA', false],
  ])('%s = %s: %s', (a, b, expected) => {
    expect(sameDn(a, b)).toBe(expected);
  });
});

describe('allowedBy', () => {
  const certificate = {
    issuer: 'O=Partner,CN=Partner CA',
    publicKeySha256: 'a'.repeat(64),
    issuerKeySha256: 'b'.repeat(64),
  };
  it.each([
    [{ issuers: ['CN=Partner CA,O=Partner'], publicKeys: [] }, 'issuer'],
    [{ issuers: [], publicKeys: ['A'.repeat(64)] }, 'public key'],
    [{ issuers: [], publicKeys: ['b'.repeat(64)] }, 'issuer key'],
    [{ issuers: ['CN=Other CA'], publicKeys: ['c'.repeat(64)] }, undefined],
  ])('%j lets it through by %s', (allowlist, expected) => {
    expect(allowedBy(certificate, allowlist)).toBe(expected);
  });

  it('never matches a missing issuer key', () => {
    expect(allowedBy({ ...certificate, issuerKeySha256: null }, { issuers: [], publicKeys: ['b'.repeat(64)] })).toBe(
      undefined,
    );
  });
});

describe('issuedCertificateId', () => {
  it('is the same for the same issuer and serial, and differs when either does', () => {
    const id = issuedCertificateId('CN=CA', '01AB');
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(issuedCertificateId('CN=CA', '01AB')).toBe(id);
    expect(issuedCertificateId('CN=CA2', '01AB')).not.toBe(id);
    expect(issuedCertificateId('CN=CA', '01AC')).not.toBe(id);
  });
});
