import { namesWhereToAsk, revocationKnownAtOnce } from '../../../lib/domain/revocation';

const leaf = (ocspUrls?: string[], crlUrls?: string[]) => ({ isCA: false, ocspUrls, crlUrls });

describe('namesWhereToAsk', () => {
  it('is true for an OCSP responder or a CRL served over HTTP(S)', () => {
    expect(namesWhereToAsk(leaf(['http://ocsp.example'], []))).toBe(true);
    expect(namesWhereToAsk(leaf([], ['HTTPS://crl.example/ca.crl']))).toBe(true);
  });

  it('is false when the certificate names none, or only places reached another way than HTTP', () => {
    expect(namesWhereToAsk(leaf([], []))).toBe(false);
    expect(namesWhereToAsk(leaf([], ['ldap://ldap.example/cn=CA?certificateRevocationList']))).toBe(false);
  });

  it('is true for a record read before its pointers were kept: it may name one', () => {
    expect(namesWhereToAsk(leaf())).toBe(true);
  });
});

describe('revocationKnownAtOnce', () => {
  it('is true for a leaf that names nowhere to ask', () => {
    expect(revocationKnownAtOnce(leaf([], ['ldap://ldap.example/cn=CA']))).toBe(true);
  });

  it('is false for a leaf that names somewhere to ask, and for any CA (an issuer its run offers to leaves)', () => {
    expect(revocationKnownAtOnce(leaf(['http://ocsp.example'], []))).toBe(false);
    expect(revocationKnownAtOnce({ isCA: true, ocspUrls: [], crlUrls: [] })).toBe(false);
    expect(revocationKnownAtOnce(leaf())).toBe(false);
  });
});
