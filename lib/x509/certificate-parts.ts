import { webUris } from '../domain/revocation';
import { OID, publicKeyInfoBytes, readPssParams, signatureHash } from './algorithms';
import { expectTlv, malformed, readOid, readTlv, TAG, type Tlv } from './der';
import { readExtensions } from './extensions';
import { verifySignature } from './signature';

/**
 * The byte ranges of a certificate that revocation checking needs as encoded (OCSP's CertID hashes the issuer's
 * name and key bytes; a signature covers the TBS bytes), read with our own DER reader so nothing is re-encoded.
 */
export interface CertificateParts {
  tbs: Uint8Array;
  /** The DER Name of the issuer, as in the certificate. */
  issuerName: Uint8Array;
  subjectName: Uint8Array;
  spki: Uint8Array;
  /** The subjectPublicKey BIT STRING's bits, without the unused-bits octet: what OCSP's issuerKeyHash hashes. */
  publicKey: Uint8Array;
  /** The serial INTEGER's content octets. */
  serial: Uint8Array;
  signatureAlgorithm: Uint8Array;
  /** The signature BIT STRING's content, unused-bits octet included. */
  signature: Uint8Array;
}

/** @throws CertificateParseError when the bytes are not a certificate. */
export function certificateParts(der: Uint8Array): CertificateParts {
  const { tbs, issuer, subject, spki, serial, outerAlg, signature } = readCertificateElements(der);
  const algorithm = expectTlv(der, spki.body, spki.bodyEnd, TAG.SEQUENCE, 'algorithm');
  const key = expectTlv(der, algorithm.end, spki.bodyEnd, TAG.BIT_STRING, 'subjectPublicKey');
  return {
    tbs: der.subarray(tbs.start, tbs.end),
    issuerName: der.subarray(issuer.start, issuer.end),
    subjectName: der.subarray(subject.start, subject.end),
    spki: publicKeyInfoBytes(der, spki),
    publicKey: der.subarray(key.body + 1, key.bodyEnd),
    serial: der.subarray(serial.body, serial.bodyEnd),
    signatureAlgorithm: der.subarray(outerAlg.start, outerAlg.end),
    signature: der.subarray(signature.body, signature.bodyEnd),
  };
}

/**
 * A certificate's elements as our DER reader finds them (RFC 5280 §4.1), refused as OpenSSL refuses them: trailing
 * bytes, or an element in the TBSCertificate other than the unique IDs and the extensions.
 *
 * @throws CertificateParseError naming the offset and what is wrong.
 */
export function readCertificateElements(der: Uint8Array) {
  const cert = expectTlv(der, 0, der.length, TAG.SEQUENCE, 'certificate');
  if (cert.end !== der.length) throw malformed(cert.end, 'trailing bytes after the certificate');
  const tbs = expectTlv(der, cert.body, cert.bodyEnd, TAG.SEQUENCE, 'tbsCertificate');
  const outerAlg = expectTlv(der, tbs.end, cert.bodyEnd, TAG.SEQUENCE, 'signatureAlgorithm');
  const signature = expectTlv(der, outerAlg.end, cert.bodyEnd, TAG.BIT_STRING, 'signatureValue');
  if (signature.end !== cert.bodyEnd) throw malformed(signature.end, 'trailing bytes in certificate');
  const first = readTlv(der, tbs.body, tbs.bodyEnd);
  const serial = expectTlv(der, first.tag === 0xa0 ? first.end : tbs.body, tbs.bodyEnd, TAG.INTEGER, 'serialNumber');
  const innerAlg = expectTlv(der, serial.end, tbs.bodyEnd, TAG.SEQUENCE, 'signature');
  const issuer = expectTlv(der, innerAlg.end, tbs.bodyEnd, TAG.SEQUENCE, 'issuer');
  const validity = expectTlv(der, issuer.end, tbs.bodyEnd, TAG.SEQUENCE, 'validity');
  const subject = expectTlv(der, validity.end, tbs.bodyEnd, TAG.SEQUENCE, 'subject');
  const spki = expectTlv(der, subject.end, tbs.bodyEnd, TAG.SEQUENCE, 'subjectPublicKeyInfo');
  let extensions: Tlv | undefined;
  for (let p = spki.end; p < tbs.bodyEnd;) {
    const element = readTlv(der, p, tbs.bodyEnd);
    // [1] issuerUniqueID and [2] subjectUniqueID are skipped; [3] holds the extensions.
    if (element.tag === 0xa3) extensions = element;
    else if (element.tag !== 0x81 && element.tag !== 0x82 && element.tag !== 0xa1 && element.tag !== 0xa2) {
      throw malformed(p, 'unexpected element in tbsCertificate');
    }
    p = element.end;
  }
  return { tbs, outerAlg, signature, serial, innerAlg, issuer, validity, subject, spki, extensions };
}

/** Where a certificate says its revocation status and its issuer can be found (AIA and CDP extensions). */
export interface RevocationPointers {
  ocsp: string[];
  crl: string[];
  caIssuers: string[];
}

/**
 * The http(s) URLs of a certificate's AIA (OCSP, caIssuers) and CRL distribution points; LDAP ones are left out.
 * Read as the inventory's record reads them (lib/x509/extensions.ts): an extension whose value does not decode
 * counts as absent.
 */
export function revocationPointers(der: Uint8Array): RevocationPointers {
  const facts = readExtensions(der, readCertificateElements(der).extensions);
  return { ocsp: webUris(facts.ocspUrls), crl: webUris(facts.crlUrls), caIssuers: webUris(facts.caIssuersUrls) };
}

/** An AlgorithmIdentifier: its OID and its parameters' DER (absent when it has none). */
export interface SignatureAlgorithm {
  algorithm: string;
  parameters?: ArrayBuffer | Uint8Array | null;
}

/**
 * Whether `signature` (the BIT STRING's bits, unused-bits octet excluded, as @peculiar's schemas hold it) over
 * `tbs` was made by the key of `spki` with `algorithm`. Undefined when node:crypto cannot tell.
 */
export function signedWith(
  tbs: Uint8Array,
  algorithm: SignatureAlgorithm,
  signature: ArrayBuffer | Uint8Array,
  spki: Uint8Array,
): boolean | undefined {
  const oid = algorithm.algorithm;
  const params = algorithm.parameters ? new Uint8Array(algorithm.parameters) : undefined;
  const pss = oid === OID.rsassaPss ? readPssParams(params ?? new Uint8Array(0), 0, params?.length ?? 0) : undefined;
  const bits = new Uint8Array(signature);
  const withUnusedOctet = new Uint8Array(bits.length + 1);
  withUnusedOctet.set(bits, 1);
  return verifySignature({
    tbs,
    signatureOid: oid,
    hash: signatureHash(oid, pss),
    pss,
    signature: withUnusedOctet,
    spki,
  });
}

/** Whether `der` (a certificate) was signed by the key of `issuerSpki`. */
export function certificateSignedBy(der: Uint8Array, issuerSpki: Uint8Array): boolean {
  const parts = certificateParts(der);
  const alg = parts.signatureAlgorithm;
  const sequence = expectTlv(alg, 0, alg.length, TAG.SEQUENCE, 'signatureAlgorithm');
  const oid = expectTlv(alg, sequence.body, sequence.bodyEnd, TAG.OID, 'signature algorithm');
  const algorithm = {
    algorithm: readOid(alg, oid),
    parameters: oid.end < sequence.bodyEnd ? alg.subarray(oid.end, sequence.bodyEnd) : undefined,
  };
  return signedWith(parts.tbs, algorithm, parts.signature.subarray(1), issuerSpki) === true;
}
