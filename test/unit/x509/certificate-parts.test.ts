import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { certificateParts, certificateSignedBy, revocationPointers } from '../../../lib/x509/certificate-parts';
import { craftLeaf, testCa } from '../../support/crafted-certificates';
import { opensslSync, opensslWithFiles } from '../../support/openssl';

describe('revocationPointers', () => {
  it('reads http(s) OCSP responders, caIssuers and CRL distribution points, leaving LDAP ones out', async () => {
    const { der } = await craftLeaf({
      extensions: [
        new x509.AuthorityInfoAccessExtension({
          ocsp: ['http://ocsp.example.com', 'ldap://ldap.example.com/cn=OCSP'],
          caIssuers: ['https://ca.example.com/ca.crt', 'ldap://ldap.example.com/cn=CA?cACertificate'],
        }),
        new x509.CRLDistributionPointsExtension(['http://crl.example.com/1.crl', 'ldap://ldap.example.com/cn=CA']),
      ],
    });
    expect(revocationPointers(der)).toEqual({
      ocsp: ['http://ocsp.example.com'],
      caIssuers: ['https://ca.example.com/ca.crt'],
      crl: ['http://crl.example.com/1.crl'],
    });
  });

  it('finds none in a certificate without those extensions', async () => {
    expect(revocationPointers((await craftLeaf()).der)).toEqual({ ocsp: [], caIssuers: [], crl: [] });
  });
});

describe('certificateSignedBy', () => {
  it("is true for the issuer's key and false for another", async () => {
    const leaf = await craftLeaf();
    const issuer = certificateParts((await testCa()).der);
    expect(certificateSignedBy(leaf.der, issuer.spki)).toBe(true);
    expect(certificateSignedBy(leaf.der, certificateParts(leaf.der).spki)).toBe(false);
  });

  it('reads RSASSA-PSS parameters from the signature algorithm (SHA-384, salt 20)', () => {
    const key = opensslSync(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);
    const der = opensslWithFiles({ 'key.pem': key }, ({ 'key.pem': path }) => [
      'req',
      '-x509',
      '-new',
      '-key',
      path,
      '-subj',
      '/CN=pss.example',
      '-days',
      '1',
      '-sha384',
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      'rsa_pss_saltlen:20',
      '-outform',
      'DER',
    ]);
    expect(certificateSignedBy(der, certificateParts(der).spki)).toBe(true);
  });
});
