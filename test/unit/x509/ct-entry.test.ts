import { createHash, createSign, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { CertificateParseError } from '../../../lib/domain/errors';
import { certificateParts } from '../../../lib/x509/certificate-parts';
import { readCtEntry, treeHeadSignedBy } from '../../../lib/x509/ct-entry';
import { issueCertificate, type IssuedCertificate } from '../../../lib/x509/factory';
import { normalize } from '../../../lib/x509/normalize';
import { poisonExtension, precertEntry, x509Entry } from '../../support/fakes/ct-log-server';

const notBefore = new Date('2026-05-01T00:00:00Z');
const notAfter = new Date('2026-08-01T00:00:00Z');
let ca: IssuedCertificate;
let leaf: IssuedCertificate;
let precert: IssuedCertificate;

beforeAll(async () => {
  ca = await issueCertificate({ subject: 'CN=Issuing CA', ca: true, notBefore, notAfter });
  leaf = await issueCertificate({
    subject: 'CN=a.example.com',
    dns: ['a.example.com'],
    issuer: ca,
    notBefore,
    notAfter,
  });
  precert = await issueCertificate({
    subject: 'CN=b.example.com',
    dns: ['b.example.com', 'c.example.com'],
    issuer: ca,
    notBefore,
    notAfter,
    extensions: [poisonExtension()],
  });
});

const caKeyHash = () => createHash('sha256').update(certificateParts(ca.der).spki).digest('hex');

describe('readCtEntry', () => {
  it('reads an x509_entry: the certificate, its fingerprint, the log timestamp and the chain issuer key', () => {
    const { leafInput, extraData } = x509Entry(leaf, [ca], 1_780_000_000_123);
    expect(readCtEntry(leafInput, extraData)).toEqual({
      entryType: 'x509',
      timestamp: 1_780_000_000_123,
      record: normalize(leaf.der),
      fingerprint: normalize(leaf.der).fingerprintSha256,
      issuerKeySha256: caKeyHash(),
    });
  });

  it("reads a precert_entry: the TBSCertificate's names, issuer and serial, and the issuer_key_hash", () => {
    const { leafInput, extraData } = precertEntry(precert, [ca], 7);
    const entry = readCtEntry(leafInput, extraData);
    const issued = normalize(precert.der);
    expect(entry).toMatchObject({
      entryType: 'precert',
      timestamp: 7,
      fingerprint: null,
      issuerKeySha256: caKeyHash(),
    });
    expect(entry.record).toMatchObject({
      serialNumber: issued.serialNumber,
      issuer: issued.issuer,
      subject: issued.subject,
      sans: issued.sans,
      notAfter: issued.notAfter,
      publicKeySha256: issued.publicKeySha256,
      // The log strips the poison: what it holds is what the final certificate will say.
      precertificate: false,
    });
  });

  it('reads an x509_entry with no chain (a self-signed root): no issuer key', () => {
    const { leafInput } = x509Entry(ca, [], 0);
    expect(readCtEntry(leafInput, Buffer.of(0, 0, 0)).issuerKeySha256).toBeNull();
  });

  it.each([
    ['an empty leaf', Buffer.alloc(0), /^MerkleTreeLeaf: ends at byte 0/],
    ['a v2 leaf', Buffer.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), /^MerkleTreeLeaf: version 1, leaf type 0/],
    ['an unknown entry type', Buffer.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9), /^MerkleTreeLeaf: unknown entry type 9/],
  ])('refuses %s in one line', (_name, leafInput, message) => {
    expect(() => readCtEntry(leafInput, Buffer.alloc(0))).toThrow(CertificateParseError);
    expect(() => readCtEntry(leafInput, Buffer.alloc(0))).toThrow(message);
  });

  it('refuses a truncated leaf', () => {
    const { leafInput, extraData } = precertEntry(precert, [ca], 7);
    expect(() => readCtEntry(leafInput.subarray(0, leafInput.length - 40), extraData)).toThrow(CertificateParseError);
  });

  it('never throws anything but CertificateParseError, whatever the bytes', () => {
    const { leafInput } = x509Entry(leaf, [ca], 1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: leafInput.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, value) => {
        const mutated = Buffer.from(leafInput);
        mutated[at] = value;
        try {
          readCtEntry(mutated, Buffer.alloc(0));
        } catch (error) {
          expect(error).toBeInstanceOf(CertificateParseError);
          expect(String((error as Error).message)).not.toContain('\n');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('treeHeadSignedBy', () => {
  const rootHash = createHash('sha256').update('root').digest();
  const u64 = (value: number) => {
    const bytes = Buffer.alloc(8);
    bytes.writeBigUInt64BE(BigInt(value));
    return bytes;
  };
  /** A tree head signed as RFC 6962 §3.5 says, in a DigitallySigned with these algorithm codes. */
  const signedHead = (type: 'ec' | 'rsa', codes = type === 'ec' ? [4, 3] : [4, 1]) => {
    const { publicKey, privateKey } =
      type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
    const head = { treeSize: 1234, timestamp: 1_780_000_000_000, rootHash };
    const signature = createSign('sha256')
      .update(Buffer.concat([Buffer.of(0, 1), u64(head.timestamp), u64(head.treeSize), rootHash]))
      .sign(privateKey);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(signature.length);
    return {
      sth: { ...head, signature: Buffer.concat([Buffer.from(codes), length, signature]) },
      spki: publicKey.export({ type: 'spki', format: 'der' }),
    };
  };

  it.each(['ec', 'rsa'] as const)('accepts a %s tree head signed by the key', (type) => {
    const { sth, spki } = signedHead(type);
    expect(treeHeadSignedBy(sth, spki)).toBe(true);
  });

  it('refuses another key, a changed tree size or root, a wrong algorithm code, and garbage', () => {
    const { sth, spki } = signedHead('ec');
    expect(treeHeadSignedBy(sth, signedHead('ec').spki)).toBe(false);
    expect(treeHeadSignedBy({ ...sth, treeSize: 1235 }, spki)).toBe(false);
    expect(treeHeadSignedBy({ ...sth, rootHash: Buffer.alloc(32) }, spki)).toBe(false);
    expect(treeHeadSignedBy(signedHead('ec', [4, 1]).sth, spki)).toBe(false);
    expect(treeHeadSignedBy({ ...sth, signature: Buffer.of(4, 3, 0) }, spki)).toBe(false);
    expect(treeHeadSignedBy(sth, Buffer.from('not a key'))).toBe(false);
  });
});
