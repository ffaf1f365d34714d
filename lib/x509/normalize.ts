import { createHash } from 'node:crypto';
import { serialNumberHex, type CertificateRecord } from '../domain/certificate';
import { CertificateParseError } from '../domain/errors';
import { postQuantumByOid } from '../domain/post-quantum';
import {
  OID,
  publicKeyInfoBytes,
  readKey,
  readPssParams,
  signatureHash,
  twosComplementMagnitude,
  type PssParams,
} from './algorithms';
import { equalBytes, expectTlv, hex, readOid, readTlv, TAG, type Tlv } from './der';
import { readCertificateElements } from './certificate-parts';
import { readExtensions } from './extensions';
import { certificateKind } from './kind';
import { commonName, formatName, readName } from './name';
import { longName } from './oid-names';
import { verifySignature } from './signature';
import { readTime } from './time';

/**
 * Reads one DER certificate into a CertificateRecord whose every field agrees with `openssl x509` on the
 * same bytes (see the field docs in lib/domain/certificate.ts and test/integration/x509/zlint-corpus.test.ts).
 * The input must be exactly one Certificate: trailing bytes are refused, since the fingerprint covers it all.
 *
 * The parser is lenient where OpenSSL is (lint corpora are full of profile violations that real CAs issued)
 * and reads each part of the certificate once, straight from the input bytes.
 *
 * @throws CertificateParseError when the bytes are not a certificate.
 */
export function normalize(der: Uint8Array): CertificateRecord {
  try {
    return readCertificate(der);
  } catch (error) {
    if (error instanceof CertificateParseError) throw error;
    throw new CertificateParseError(`unreadable certificate: ${String(error)}`, { cause: error });
  }
}

function readCertificate(der: Uint8Array): CertificateRecord {
  const {
    tbs,
    outerAlg,
    signature: signatureValue,
    serial,
    innerAlg,
    issuer: issuerTlv,
    validity,
    subject: subjectTlv,
    spki,
    extensions,
  } = readCertificateElements(der);

  const notBefore = readTlv(der, validity.body, validity.bodyEnd);
  const notAfter = readTlv(der, notBefore.end, validity.bodyEnd);

  const sigOidTlv = expectTlv(der, outerAlg.body, outerAlg.bodyEnd, TAG.OID, 'signatureAlgorithm');
  const sigOid = readOid(der, sigOidTlv);
  const pss = sigOid === OID.rsassaPss ? attemptPss(der, sigOidTlv.end, outerAlg.bodyEnd) : undefined;
  const hash = signatureHash(sigOid, pss);

  const issuerAttributes = readName(der, issuerTlv);
  const subjectAttributes = readName(der, subjectTlv);
  const issuer = formatName(der, issuerAttributes);
  const subject = formatName(der, subjectAttributes);
  const key = readKey(der, spki);
  const facts = readExtensions(der, extensions);
  const spkiBytes = publicKeyInfoBytes(der, spki);
  const signatureAlgorithmsMatch = equalBytes(
    der.subarray(innerAlg.start, innerAlg.end),
    der.subarray(outerAlg.start, outerAlg.end),
  );

  return {
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    serialNumber: serialNumber(der, serial),
    subject,
    issuer,
    subjectCommonName: commonName(der, subjectAttributes),
    sans: facts.sans,
    notBefore: readTime(der, notBefore, 'notBefore'),
    notAfter: readTime(der, notAfter, 'notAfter'),
    keyAlgorithm: key.algorithm,
    keySize: key.size,
    keyCurve: key.curve,
    signatureAlgorithm: longName(sigOid) ?? postQuantumByOid(sigOid)?.name ?? sigOid,
    signatureHash: hash,
    isCA: facts.isCA,
    // Self-signed: issued to itself (same name) and signed by its own key, else it merely reuses its issuer's
    // name. The signed copy of the algorithm must match the outer one byte for byte (RFC 5280 §4.1.1.2; OpenSSL's
    // X509_verify refuses otherwise); where node:crypto cannot check the algorithm (MD2, GOST, …) the name decides.
    selfSigned:
      subject === issuer &&
      signatureAlgorithmsMatch &&
      verifySignature({
        tbs: der.subarray(tbs.start, tbs.end),
        signatureOid: sigOid,
        hash,
        pss,
        signature: der.subarray(signatureValue.body, signatureValue.bodyEnd),
        spki: spkiBytes,
      }) !== false,
    keyUsage: facts.keyUsage,
    extendedKeyUsage: facts.extendedKeyUsage,
    publicKeySha256: createHash('sha256').update(spkiBytes).digest('hex'),
    kind: certificateKind(facts.isCA, facts.extendedKeyUsage, facts.sans),
    tbsSignatureAlgorithm: signatureAlgorithmsMatch ? (longName(sigOid) ?? sigOid) : algorithmName(der, innerAlg),
    signatureAlgorithmsMatch,
    ocspUrls: facts.ocspUrls,
    crlUrls: facts.crlUrls,
    sctCount: facts.sctCount,
    precertificate: facts.precertificate,
    weakKey: key.weakKey,
  };
}

/** The name of an AlgorithmIdentifier's OID, null when the element holds none (the signed copy is not checked). */
function algorithmName(der: Uint8Array, algorithm: Tlv): string | null {
  try {
    const oid = readOid(der, expectTlv(der, algorithm.body, algorithm.bodyEnd, TAG.OID, 'algorithm'));
    return longName(oid) ?? oid;
  } catch {
    return null;
  }
}

function attemptPss(der: Uint8Array, from: number, to: number): PssParams | undefined {
  try {
    return readPssParams(der, from, to);
  } catch {
    return undefined;
  }
}

/** The signed value as OpenSSL prints it (serialNumberHex); `00` for an empty INTEGER too. */
function serialNumber(der: Uint8Array, serial: Tlv): string {
  let bytes = der.subarray(serial.body, serial.bodyEnd);
  let sign = '';
  if (bytes.length > 0 && bytes[0] & 0x80) {
    bytes = twosComplementMagnitude(bytes);
    sign = '-';
  }
  return serialNumberHex(sign + hex(bytes, 0, bytes.length));
}
