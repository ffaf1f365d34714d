import { CertificateParseError } from '../domain/errors';
import { readOid, readTlv, TAG, type Tlv } from './der';

const SIGNED_DATA = '1.2.840.113549.1.7.2';

/**
 * Whether a DER element is a CMS/PKCS#7 ContentInfo (SEQUENCE { OID, [0] … }) rather than a certificate
 * (SEQUENCE { SEQUENCE, … }): the first member tells them apart.
 */
export function isContentInfo(buf: Uint8Array, top: Tlv): boolean {
  if (top.tag !== TAG.SEQUENCE || top.body >= top.bodyEnd) return false;
  return buf[top.body] === TAG.OID;
}

/**
 * The certificates of a PKCS#7/CMS SignedData (a .p7b/.p7c "certs-only" bundle or a signed message), as
 * slices of `buf` in the order they appear. BER indefinite lengths are accepted in the envelope, as Java and
 * Windows tools write them; each certificate itself is read as DER later. Attribute certificates and other
 * CertificateChoices are skipped.
 */
export function pkcs7Certificates(buf: Uint8Array, contentInfo: Tlv): Uint8Array[] {
  const oidTlv = readTlv(buf, contentInfo.body, contentInfo.bodyEnd, true);
  const contentType = readOid(buf, oidTlv);
  if (contentType !== SIGNED_DATA) {
    throw new CertificateParseError(`PKCS#7 content type ${contentType} is not signedData`);
  }
  if (oidTlv.end >= contentInfo.bodyEnd) return [];
  const explicit = readTlv(buf, oidTlv.end, contentInfo.bodyEnd, true);
  if (explicit.tag !== 0xa0) throw new CertificateParseError('PKCS#7 signedData content is missing');
  const signedData = readTlv(buf, explicit.body, explicit.bodyEnd, true);
  if (signedData.tag !== TAG.SEQUENCE) throw new CertificateParseError('PKCS#7 signedData is not a SEQUENCE');
  const certificates: Uint8Array[] = [];
  // version, digestAlgorithms, encapContentInfo, then [0] certificates if present.
  let p = signedData.body;
  for (let i = 0; i < 3 && p < signedData.bodyEnd; i++) p = readTlv(buf, p, signedData.bodyEnd, true).end;
  if (p >= signedData.bodyEnd) return certificates;
  const set = readTlv(buf, p, signedData.bodyEnd, true);
  if (set.tag !== 0xa0) return certificates;
  for (let q = set.body; q < set.bodyEnd;) {
    const choice = readTlv(buf, q, set.bodyEnd, true);
    if (choice.tag === TAG.SEQUENCE) certificates.push(buf.subarray(choice.start, choice.end));
    q = choice.end;
  }
  return certificates;
}
