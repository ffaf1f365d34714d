import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { CertificateRecord } from '../../../lib/domain/certificate';
import { CertificateParseError } from '../../../lib/domain/errors';
import { issueCertificate, type IssuedCertificate } from '../../../lib/x509/factory';
import { normalize, parseCertificates } from '../../../lib/x509/parse';
import {
  craftLeaf,
  ctPoisonExtension,
  outerSignatureAlgorithm,
  publicOnly,
  rocaShapedModulus,
  rsaPublicKey,
  sctListExtension,
  withLastOidOctet,
  withoutParameters,
  withOuterSignatureAlgorithm,
} from '../../support/crafted-certificates';
import { opensslSync, opensslWithFiles } from '../../support/openssl';

const notBefore = new Date('2026-01-01T00:00:00.000Z');
const notAfter = new Date('2027-01-01T00:00:00.000Z');
const sha256 = (bytes: Uint8Array | ArrayBuffer) =>
  createHash('sha256')
    .update(new Uint8Array(bytes as ArrayBuffer))
    .digest('hex');

let root: IssuedCertificate;
let leaf: IssuedCertificate;

beforeAll(async () => {
  root = await issueCertificate({ subject: 'CN=Unit Root, O=Example', ca: true, notBefore, notAfter });
  leaf = await issueCertificate({
    subject: 'CN=api.example.com, O=Example, C=DE',
    dns: ['api.example.com', 'www.example.com'],
    ip: ['192.0.2.7', '2001:db8::1'],
    email: ['ops@example.com'],
    issuer: root,
    notBefore,
    notAfter,
    serialNumber: '0a1b2c',
  });
});

let rsaRoot: Promise<IssuedCertificate> | undefined;
/** An RSA CA, made once: RSA key generation is slow. */
const rsaCa = (): Promise<IssuedCertificate> =>
  (rsaRoot ??= issueCertificate({
    subject: 'CN=Unit RSA Root',
    ca: true,
    key: { algorithm: 'RSA', bits: 2048 },
    notBefore,
    notAfter,
  }));

describe('normalize', () => {
  it('describes a certificate in every field', async () => {
    const spki = await webcrypto.subtle.exportKey('spki', leaf.keys.publicKey);

    expect(normalize(leaf.der)).toEqual<CertificateRecord>({
      fingerprintSha256: sha256(leaf.der),
      // As `openssl x509 -serial` prints it: whole octets, the leading zero kept, uppercase.
      serialNumber: '0A1B2C',
      subject: 'C=DE,O=Example,CN=api.example.com',
      issuer: 'O=Example,CN=Unit Root',
      subjectCommonName: 'api.example.com',
      sans: {
        dns: ['api.example.com', 'www.example.com'],
        ip: ['192.0.2.7', '2001:db8::1'],
        email: ['ops@example.com'],
        uri: [],
      },
      notBefore: '2026-01-01T00:00:00.000Z',
      notAfter: '2027-01-01T00:00:00.000Z',
      keyAlgorithm: 'EC',
      keySize: 256,
      keyCurve: 'P-256',
      signatureAlgorithm: 'ecdsa-with-SHA256',
      signatureHash: 'SHA-256',
      isCA: false,
      selfSigned: false,
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extendedKeyUsage: ['serverAuth'],
      publicKeySha256: sha256(spki),
      kind: 'tls-server',
      tbsSignatureAlgorithm: 'ecdsa-with-SHA256',
      signatureAlgorithmsMatch: true,
      ocspUrls: [],
      crlUrls: [],
      sctCount: 0,
      precertificate: false,
      weakKey: null,
    });
  });

  it('refuses bytes after the certificate, since the fingerprint would not cover them', () => {
    expect(() => normalize(Buffer.concat([leaf.der, Buffer.of(0)]))).toThrow(CertificateParseError);
  });

  it.each([1, 10, 100])('refuses a certificate cut short by %i bytes', (cut) => {
    expect(() => normalize(leaf.der.subarray(0, leaf.der.length - cut))).toThrow(CertificateParseError);
  });
});

describe('keys', () => {
  it.each([
    ['P-384', ['-name', 'secp384r1'], 'P-384', 384],
    ['secp256k1', ['-name', 'secp256k1'], 'secp256k1', 256],
    ['brainpoolP256r1', ['-name', 'brainpoolP256r1'], 'brainpoolP256r1', 256],
    ['explicit parameters, which name no curve', ['-name', 'prime256v1', '-param_enc', 'explicit'], null, 256],
  ])('reads an EC key on %s', (_, curveArgs, curve, size) => {
    const params = opensslSync(['ecparam', ...curveArgs]);
    const pem = opensslWithFiles({ params }, (path) => [
      'req',
      '-x509',
      '-newkey',
      `ec:${path.params}`,
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      '/CN=ec',
      '-days',
      '1',
    ]);

    const { record } = parseCertificates(pem, 'ec.pem').certificates[0];

    expect([record.keyAlgorithm, record.keyCurve, record.keySize]).toEqual(['EC', curve, size]);
  });
});

describe('selfSigned', () => {
  it('holds for a certificate issued to itself and signed by its own key', () => {
    expect(normalize(root.der).selfSigned).toBe(true);
  });

  it('does not hold when the signature does not verify', () => {
    const tampered = Uint8Array.from(root.der);
    tampered[tampered.length - 1] ^= 0x01;

    expect(normalize(tampered).selfSigned).toBe(false);
  });

  it('does not hold for a certificate issued by another', () => {
    expect(normalize(leaf.der).selfSigned).toBe(false);
  });

  it('does not hold when the issuer merely has the same name but another key', async () => {
    const namesake = await issueCertificate({ subject: 'CN=Same Name', ca: true, notBefore, notAfter });
    const impostor = await issueCertificate({ subject: 'CN=Same Name', issuer: namesake, notBefore, notAfter });
    const record = normalize(impostor.der);

    expect(record.subject).toBe(record.issuer);
    expect(record.selfSigned).toBe(false);
  });

  it('does not hold when signed by its own key under another issuer name', async () => {
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: '01',
      subject: 'CN=Subject',
      issuer: 'CN=Someone Else',
      notBefore,
      notAfter,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
    });

    expect(normalize(new Uint8Array(certificate.rawData)).selfSigned).toBe(false);
  });

  it.each([
    ['Ed25519', ['-newkey', 'ed25519']],
    ['RSA-PSS', ['-newkey', 'rsa:2048', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32', '-sha384']],
    ['DSA', ['-newkey', 'dsa:{params}', '-sha256']],
  ])('is decided by the signature for %s too', (name, keyArgs) => {
    const params = name === 'DSA' ? opensslSync(['dsaparam', '2048']) : '';
    const pem = opensslWithFiles({ params }, (path) => [
      'req',
      '-x509',
      ...keyArgs.map((arg) => arg.replace('{params}', path.params)),
      '-nodes',
      '-keyout',
      '/dev/null',
      '-subj',
      '/CN=self',
      '-days',
      '1',
    ]);

    const { record, der } = parseCertificates(pem, 'self.pem').certificates[0];
    const tampered = Uint8Array.from(der);
    tampered[tampered.length - 1] ^= 0x01; // the signature's last octet

    expect(record.keyAlgorithm).toBe(name === 'RSA-PSS' ? 'RSA' : name);
    expect(record.selfSigned).toBe(true);
    expect(normalize(tampered).selfSigned).toBe(false);
  });
});

describe('revocation pointers, certificate transparency, the signed algorithm and weak keys', () => {
  it('reads OCSP responders from AIA (not CA issuers) and URIs of every CRL distribution point', async () => {
    const { der } = await craftLeaf({
      extensions: [
        new x509.AuthorityInfoAccessExtension({
          ocsp: ['http://ocsp.example.com'],
          caIssuers: ['http://ca.example.com/ca.crt'],
        }),
        new x509.CRLDistributionPointsExtension(['http://crl.example.com/1.crl', 'ldap://ldap.example.com/cn=CA']),
      ],
    });
    expect(normalize(der)).toMatchObject({
      ocspUrls: ['http://ocsp.example.com'],
      crlUrls: ['http://crl.example.com/1.crl', 'ldap://ldap.example.com/cn=CA'],
    });
  });

  it('has no pointers, SCTs or poison when the extensions are absent', async () => {
    expect(normalize((await craftLeaf()).der)).toMatchObject({
      ocspUrls: [],
      crlUrls: [],
      sctCount: 0,
      precertificate: false,
    });
  });

  it.each([1, 3])('counts %i embedded SCTs', async (count) => {
    expect(normalize((await craftLeaf({ extensions: [sctListExtension(count)] })).der).sctCount).toBe(count);
  });

  it('tells a precertificate by its CT poison', async () => {
    expect(normalize((await craftLeaf({ extensions: [ctPoisonExtension()] })).der).precertificate).toBe(true);
  });

  it('sees identical signature algorithms in a well-formed certificate', async () => {
    expect(normalize((await craftLeaf()).der)).toMatchObject({
      signatureAlgorithmsMatch: true,
      tbsSignatureAlgorithm: 'ecdsa-with-SHA256',
    });
  });

  it('names the signed algorithm when the outer one differs', async () => {
    const { der } = await craftLeaf();
    const record = normalize(withOuterSignatureAlgorithm(der, withLastOidOctet(outerSignatureAlgorithm(der), 0x03)));
    expect(record).toMatchObject({
      signatureAlgorithm: 'ecdsa-with-SHA384',
      tbsSignatureAlgorithm: 'ecdsa-with-SHA256',
      signatureAlgorithmsMatch: false,
      selfSigned: false,
    });
  });

  it('tells parameters that differ under the same algorithm (NULL against absent)', async () => {
    const { der } = await craftLeaf({ issuer: await rsaCa() });
    const record = normalize(withOuterSignatureAlgorithm(der, withoutParameters(outerSignatureAlgorithm(der))));
    expect(record).toMatchObject({
      signatureAlgorithm: 'sha256WithRSAEncryption',
      tbsSignatureAlgorithm: 'sha256WithRSAEncryption',
      signatureAlgorithmsMatch: false,
    });
  });

  it('marks an RSA key with the ROCA fingerprint, and no other', async () => {
    const roca = await craftLeaf({ keys: publicOnly(await rsaPublicKey(rocaShapedModulus(2048, 31337n, 4n))) });
    expect(normalize(roca.der)).toMatchObject({ keyAlgorithm: 'RSA', keySize: 2048, weakKey: 'roca' });
    expect(normalize((await rsaCa()).der)).toMatchObject({ keyAlgorithm: 'RSA', weakKey: null });
  });
});
