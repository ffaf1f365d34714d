import { randomBytes } from 'node:crypto';

/*
 * Certificates for algorithms nothing on this machine signs with (Node 20's OpenSSL 3.0 has no ML-DSA, SLH-DSA or
 * ML-KEM): DER written field by field around random key and signature bytes. The parser reads them as it reads any
 * certificate; their signatures verify against nothing, which is all the parser needs to know.
 */

/** One DER element: tag, definite length, content. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  const length: number[] = [];
  for (let n = body.length; n > 0; n = Math.floor(n / 256)) length.unshift(n & 0xff);
  const header = body.length < 0x80 ? [tag, body.length] : [tag, 0x80 | length.length, ...length];
  return Buffer.concat([Uint8Array.from(header), body]);
}

/** An OBJECT IDENTIFIER from its dotted form. */
export function oid(dotted: string): Uint8Array {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const groups = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) groups.unshift(0x80 | (n & 0x7f));
    bytes.push(...groups);
  }
  return tlv(0x06, Uint8Array.from(bytes));
}

const SEQUENCE = 0x30;
const algorithm = (dotted: string) => tlv(SEQUENCE, oid(dotted));
const name = (cn: string) => tlv(SEQUENCE, tlv(0x31, tlv(SEQUENCE, oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn)))));
const utcTime = (at: Date) => tlv(0x17, Buffer.from(`${at.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`));

export interface DerCertificateOptions {
  /** The SubjectPublicKeyInfo's algorithm OID (no parameters, as FIPS 203/204/205 keys have none). */
  keyOid: string;
  /** The signature algorithm OID. @default keyOid (self-issued by the same algorithm) */
  signatureOid?: string;
  /** Bytes of the public key. @default 64 */
  keyLength?: number;
  commonName: string;
  issuerCommonName: string;
  notBefore: Date;
  notAfter: Date;
}

/** A v3 certificate with the given key and signature algorithms and a DNS SAN equal to the common name. */
export function derCertificate(options: DerCertificateOptions): Uint8Array {
  const signatureOid = options.signatureOid ?? options.keyOid;
  const san = tlv(SEQUENCE, tlv(0x82, Buffer.from(options.commonName)));
  const extensions = tlv(0xa3, tlv(SEQUENCE, tlv(SEQUENCE, oid('2.5.29.17'), tlv(0x04, san))));
  const tbs = tlv(
    SEQUENCE,
    tlv(0xa0, tlv(0x02, Uint8Array.of(2))),
    tlv(0x02, Uint8Array.of(0x01, ...randomBytes(15))),
    algorithm(signatureOid),
    name(options.issuerCommonName),
    tlv(SEQUENCE, utcTime(options.notBefore), utcTime(options.notAfter)),
    name(options.commonName),
    tlv(SEQUENCE, algorithm(options.keyOid), tlv(0x03, Uint8Array.of(0), randomBytes(options.keyLength ?? 64))),
    extensions,
  );
  return tlv(SEQUENCE, tbs, algorithm(signatureOid), tlv(0x03, Uint8Array.of(0), randomBytes(64)));
}
