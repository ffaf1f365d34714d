import { createHash } from 'node:crypto';
import { CertificateParseError } from '../../../lib/domain/errors';
import { issueCertificate, privateKeyPem, type IssuedCertificate } from '../../../lib/x509/factory';
import { parseCertificates } from '../../../lib/x509/parse';
import { opensslSync, opensslWithFiles } from '../../support/openssl';

/** Spelled apart so that no committed file looks like it holds a key. */
const PRIVATE_KEY = ['PRIVATE', 'KEY'].join(' ');
const notBefore = new Date('2026-01-01T00:00:00.000Z');
const notAfter = new Date('2027-01-01T00:00:00.000Z');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const fingerprints = (input: Uint8Array | string) =>
  parseCertificates(input, 'input').certificates.map((c) => c.record.fingerprintSha256);

let root: IssuedCertificate;
let leaf: IssuedCertificate;
let keyPem: string;

beforeAll(async () => {
  root = await issueCertificate({ subject: 'CN=Unit Root', ca: true, notBefore, notAfter });
  leaf = await issueCertificate({
    subject: 'CN=api.example.com',
    dns: ['api.example.com'],
    issuer: root,
    notBefore,
    notAfter,
  });
  keyPem = await privateKeyPem(leaf.keys);
});

describe('parseCertificates', () => {
  it('reads every PEM block in order, whatever text surrounds them', () => {
    // zlint files, like many on disk, carry `openssl x509 -text` output before the PEM.
    const withText = opensslSync(['x509', '-text'], leaf.pem).toString('latin1');
    const input = `Some notes first\n${withText}\nand more between -----\n${root.pem}trailing text`;

    const result = parseCertificates(input, 'bundle.pem');

    expect(result.certificates.map((c) => c.record.fingerprintSha256)).toEqual([sha256(leaf.der), sha256(root.der)]);
    expect(result.certificates[0].der).toEqual(leaf.der);
    expect(result.problems).toEqual([]);
    expect(result.privateKeysDropped).toBe(0);
  });

  it('accepts CRLF line endings', () => {
    expect(fingerprints(`${leaf.pem}${root.pem}`.replace(/\n/g, '\r\n'))).toEqual([sha256(leaf.der), sha256(root.der)]);
  });

  it('accepts bytes as well as text', () => {
    expect(fingerprints(Buffer.from(leaf.pem))).toEqual([sha256(leaf.der)]);
  });

  it('accepts the TRUSTED CERTIFICATE label, reading the certificate before OpenSSL trust settings', () => {
    const trusted = opensslSync(['x509', '-trustout', '-addtrust', 'serverAuth'], leaf.pem).toString('latin1');
    expect(trusted).toContain('BEGIN TRUSTED CERTIFICATE');

    expect(fingerprints(trusted)).toEqual([sha256(leaf.der)]);
  });

  it('accepts the old X509 CERTIFICATE label', () => {
    expect(fingerprints(leaf.pem.replace(/CERTIFICATE/g, 'X509 CERTIFICATE'))).toEqual([sha256(leaf.der)]);
  });

  it('reads DER, one certificate or several back to back', () => {
    expect(fingerprints(leaf.der)).toEqual([sha256(leaf.der)]);
    expect(fingerprints(Buffer.concat([leaf.der, root.der]))).toEqual([sha256(leaf.der), sha256(root.der)]);
  });

  it.each(['PEM', 'DER'])('reads every certificate of a PKCS#7 bundle in %s', (form) => {
    const p7 = opensslWithFiles({ 'chain.pem': `${leaf.pem}\n${root.pem}` }, (path) => [
      'crl2pkcs7',
      '-nocrl',
      '-certfile',
      path['chain.pem'],
      '-outform',
      form,
    ]);
    if (form === 'PEM') expect(p7.toString()).toContain('BEGIN PKCS7');

    expect(fingerprints(p7)).toEqual([sha256(leaf.der), sha256(root.der)]);
  });

  it('drops private keys, counts them, and keeps no key material anywhere in the result', () => {
    const ecKey = opensslSync(['ecparam', '-name', 'prime256v1', '-genkey', '-noout']).toString();
    expect(ecKey).toContain('BEGIN EC PRIVATE KEY');
    const input = `${keyPem}${leaf.pem}${ecKey}${root.pem}`;

    const result = parseCertificates(input, 'bundle.pem');

    expect(result.privateKeysDropped).toBe(2);
    expect(result.certificates).toHaveLength(2);
    expect(result.problems).toEqual([]);
    const json = JSON.stringify(result);
    for (const key of [keyPem, ecKey]) {
      const body = key.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
      const keyDer = Buffer.from(body, 'base64');
      for (let i = 0; i + 24 <= body.length; i += 24) expect(json).not.toContain(body.slice(i, i + 24));
      for (const { der } of result.certificates) expect(Buffer.from(der).includes(keyDer.subarray(0, 32))).toBe(false);
    }
    expect(json).not.toContain('PRIVATE');
  });

  it('keeps a certificate seen twice once, where first seen', () => {
    expect(fingerprints(leaf.pem + root.pem + leaf.pem)).toEqual([sha256(leaf.der), sha256(root.der)]);
  });

  it('reports each unreadable block on one line and still returns the readable ones', () => {
    const garbage = `-----BEGIN CERTIFICATE-----\n${Buffer.from('not a certificate').toString('base64')}\n-----END CERTIFICATE-----\n`;
    const badBase64 = '-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n';
    const unterminated = '-----BEGIN CERTIFICATE-----\nMIIB\n';

    const result = parseCertificates(`${garbage}${leaf.pem}${badBase64}${unterminated}`, 'mixed.pem');

    expect(result.certificates.map((c) => c.record.fingerprintSha256)).toEqual([sha256(leaf.der)]);
    expect(result.problems).toEqual([
      expect.stringMatching(/^block 1 \(CERTIFICATE\): malformed DER/),
      'block 3 (CERTIFICATE): not valid base64',
      'block 4 (CERTIFICATE): no END line',
    ]);
  });

  it.each<[string, Uint8Array | string]>([
    ['empty text', ''],
    ['empty bytes', new Uint8Array(0)],
    ['text without PEM blocks', 'hello world\n'],
    ['binary that is neither PEM nor DER', Uint8Array.from([0x00, 0x01, 0xff, 0x30])],
    ['DER that is not a certificate', Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x05])],
    ['a key alone', `-----BEGIN ${PRIVATE_KEY}-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END ${PRIVATE_KEY}-----\n`],
    ['a certificate request', '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n'],
  ])('throws a one-line CertificateParseError naming the input for %s', (_, input) => {
    let thrown: unknown;
    try {
      parseCertificates(input, 'certs/odd.pem');
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(CertificateParseError);
    const message = (thrown as Error).message;
    expect(message).toMatch(/^certs\/odd\.pem: no certificate found \(.+\)$/);
    expect(message).not.toContain('\n');
  });

  it.each(['0x09734A3A5B17', '0x0F', '0', '255', '0x7F', '0x80', '0x0100', '-1', '-0x0A'])(
    'reads serial number %s as `openssl x509 -serial` prints it: whole octets, uppercase, leading zero kept',
    (serial) => {
      const pem = selfSignedWithSerial(serial);

      const [certificate] = parseCertificates(pem, 'serial.pem').certificates;

      expect(certificate.record.serialNumber).toBe(opensslSerial(pem));
    },
  );

  it('reads a negative serial number as signed hex, as openssl prints it', () => {
    const pem = selfSignedWithSerial('-258');

    const [certificate] = parseCertificates(pem, 'negative.pem').certificates;

    expect(certificate.record.serialNumber).toBe(opensslSerial(pem));
    expect(certificate.record.serialNumber).toBe('-0102');
  });
});

/** A throwaway self-signed certificate with this serial (`-set_serial`: decimal, or hex after `0x`). */
function selfSignedWithSerial(serial: string): string {
  return opensslSync([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    '/dev/null',
    '-subj',
    '/CN=serial',
    '-days',
    '1',
    '-set_serial',
    serial,
  ]).toString();
}

/** `openssl x509 -serial`'s value: `serial=09734A3A` → `09734A3A`. */
function opensslSerial(pem: string): string {
  return opensslSync(['x509', '-noout', '-serial'], pem)
    .toString()
    .trim()
    .replace(/^serial=/, '');
}
