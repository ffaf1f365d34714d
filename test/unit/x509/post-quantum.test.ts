import { parseCertificates } from '../../../lib/x509/parse';
import { derCertificate, oid } from '../../support/der-certificate';

const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

/** A certificate whose key (and signature) is of `keyOid`, read by the parser. */
const parsed = (keyOid: string, signatureOid?: string) =>
  parseCertificates(
    derCertificate({
      keyOid,
      signatureOid,
      commonName: 'pq.example.com',
      issuerCommonName: 'PQ Test CA',
      notBefore: new Date(NOW.getTime() - DAY),
      notAfter: new Date(NOW.getTime() + 90 * DAY),
    }),
    'pq.der',
  ).certificates[0].record;

/*
 * OIDs and names as the references give them, written out rather than derived from lib's table: NIST CSOR sigAlgs
 * 17–31 (FIPS 204 ML-DSA, FIPS 205 SLH-DSA), kems 1–3 (FIPS 203 ML-KEM); draft-ietf-lamps-pq-composite-sigs
 * (id-alg arc 1.3.6.1.5.5.7.6, 37–54).
 */
describe('post-quantum keys and signatures are named, not left as OIDs', () => {
  it('builds its certificates with the OIDs as the references encode them', () => {
    // id-alg-ml-kem-512 in DER, as the CSOR assigns it.
    expect(Buffer.from(oid('2.16.840.1.101.3.4.4.1')).toString('hex')).toBe('0609608648016503040401');
  });

  it.each([
    ['2.16.840.1.101.3.4.3.17', 'ML-DSA-44'],
    ['2.16.840.1.101.3.4.3.18', 'ML-DSA-65'],
    ['2.16.840.1.101.3.4.3.19', 'ML-DSA-87'],
    ['2.16.840.1.101.3.4.3.20', 'SLH-DSA-SHA2-128s'],
    ['2.16.840.1.101.3.4.3.21', 'SLH-DSA-SHA2-128f'],
    ['2.16.840.1.101.3.4.3.22', 'SLH-DSA-SHA2-192s'],
    ['2.16.840.1.101.3.4.3.23', 'SLH-DSA-SHA2-192f'],
    ['2.16.840.1.101.3.4.3.24', 'SLH-DSA-SHA2-256s'],
    ['2.16.840.1.101.3.4.3.25', 'SLH-DSA-SHA2-256f'],
    ['2.16.840.1.101.3.4.3.26', 'SLH-DSA-SHAKE-128s'],
    ['2.16.840.1.101.3.4.3.27', 'SLH-DSA-SHAKE-128f'],
    ['2.16.840.1.101.3.4.3.28', 'SLH-DSA-SHAKE-192s'],
    ['2.16.840.1.101.3.4.3.29', 'SLH-DSA-SHAKE-192f'],
    ['2.16.840.1.101.3.4.3.30', 'SLH-DSA-SHAKE-256s'],
    ['2.16.840.1.101.3.4.3.31', 'SLH-DSA-SHAKE-256f'],
    ['1.3.6.1.5.5.7.6.37', 'MLDSA44-RSA2048-PSS-SHA256'],
    ['1.3.6.1.5.5.7.6.45', 'MLDSA65-ECDSA-P256-SHA512'],
    ['1.3.6.1.5.5.7.6.51', 'MLDSA87-Ed448-SHAKE256'],
    ['1.3.6.1.5.5.7.6.54', 'MLDSA87-ECDSA-P521-SHA512'],
  ])('%s: key and signature algorithm %s', (dotted, name) => {
    expect(parsed(dotted)).toMatchObject({
      keyAlgorithm: name,
      keySize: null,
      keyCurve: null,
      signatureAlgorithm: name,
      signatureHash: null,
    });
  });

  it.each([
    ['2.16.840.1.101.3.4.4.1', 'ML-KEM-512'],
    ['2.16.840.1.101.3.4.4.2', 'ML-KEM-768'],
    ['2.16.840.1.101.3.4.4.3', 'ML-KEM-1024'],
  ])('%s: an %s key (a KEM certificate, signed by an ML-DSA CA)', (dotted, name) => {
    expect(parsed(dotted, '2.16.840.1.101.3.4.3.18')).toMatchObject({
      keyAlgorithm: name,
      signatureAlgorithm: 'ML-DSA-65',
    });
  });

  it.each([
    ['2.16.840.1.101.3.4.3.32', 'HashML-DSA-44-with-SHA512'],
    ['2.16.840.1.101.3.4.3.35', 'HashSLH-DSA-SHA2-128s-with-SHA256'],
    ['2.16.840.1.101.3.4.3.37', 'HashSLH-DSA-SHA2-192s-with-SHA512'],
    ['2.16.840.1.101.3.4.3.41', 'HashSLH-DSA-SHAKE-128s-with-SHAKE128'],
    ['2.16.840.1.101.3.4.3.46', 'HashSLH-DSA-SHAKE-256f-with-SHAKE256'],
  ])('%s: a pre-hash signature algorithm, %s', (dotted, name) => {
    expect(parsed('2.16.840.1.101.3.4.3.17', dotted).signatureAlgorithm).toBe(name);
  });

  it('leaves an algorithm it does not know as its OID', () => {
    expect(parsed('1.3.6.1.4.1.99999.1').keyAlgorithm).toBe('1.3.6.1.4.1.99999.1');
  });
});
