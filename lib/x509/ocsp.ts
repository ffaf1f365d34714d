import { createHash, randomBytes } from 'node:crypto';
import {
  BasicOCSPResponse,
  CertID,
  id_kp_OCSPSigning,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
  Nonce,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  TBSRequest,
  type SingleResponse,
} from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, CRLReasons, Extension, Name } from '@peculiar/asn1-x509';
import { RevocationCheckError } from '../domain/errors';
import { certificateParts, certificateSignedBy, signedWith, type CertificateParts } from './certificate-parts';
import { equalBytes } from './der';
import { normalize } from './normalize';

const SHA1 = '1.3.14.3.2.26';

/** What a responder or a CRL says about one certificate, with the window in which that holds. */
export interface StatusAnswer {
  status: 'good' | 'revoked' | 'unknown';
  /** ISO 8601, for a revoked certificate. */
  revokedAt: string | null;
  /** The CRL reason's RFC 5280 name (`keyCompromise`, `superseded`, …), null when none is given. */
  reason: string | null;
  thisUpdate: string;
  nextUpdate: string | null;
}

/** One OCSP request as sent: its DER body and what the answer must echo. */
export interface OcspQuery {
  der: Uint8Array;
  certId: CertID;
  /** The nonce extension's value as sent (RFC 8954): a response carrying another one is refused. */
  nonceValue: Uint8Array;
}

/** Clocks of responder and checker may disagree by this much before a thisUpdate "in the future" is refused. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** A DER OCSPRequest for one certificate (CertID by SHA-1, as every responder accepts), with a fresh nonce. */
export function ocspRequest(certificate: CertificateParts, issuer: CertificateParts): OcspQuery {
  const sha1 = (bytes: Uint8Array) => new OctetString(createHash('sha1').update(bytes).digest());
  const certId = new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: SHA1, parameters: null }),
    issuerNameHash: sha1(certificate.issuerName),
    issuerKeyHash: sha1(issuer.publicKey),
    serialNumber: Uint8Array.from(certificate.serial).buffer,
  });
  const nonceValue = new Uint8Array(AsnConvert.serialize(new Nonce(randomBytes(16))));
  const request = new OCSPRequest({
    tbsRequest: new TBSRequest({
      requestList: [new Request({ reqCert: certId })],
      requestExtensions: [new Extension({ extnID: id_pkix_ocsp_nonce, extnValue: new OctetString(nonceValue) })],
    }),
  });
  return { der: new Uint8Array(AsnConvert.serialize(request)), certId, nonceValue };
}

/**
 * Reads and verifies an OCSP response to `query`: signed by the issuer itself or by a responder certificate the
 * issuer signed for OCSP signing (id-kp-OCSPSigning, valid now), echoing the nonce when it carries one (RFC 8954
 * lets a responder serve pre-signed answers without it), current (thisUpdate not ahead, nextUpdate not passed).
 *
 * @throws RevocationCheckError naming what is wrong.
 */
export function readOcspResponse(
  bytes: Uint8Array,
  query: OcspQuery,
  issuer: { der: Uint8Array; parts: CertificateParts },
  now: Date,
): StatusAnswer {
  const basic = basicResponse(bytes);
  const data = basic.tbsResponseData;
  if (!basic.tbsResponseDataRaw) throw new RevocationCheckError('OCSP response without signed data');
  const signer = authorizedSigner(basic, issuer, now);
  if (
    signedWith(new Uint8Array(basic.tbsResponseDataRaw), basic.signatureAlgorithm, basic.signature, signer) !== true
  ) {
    throw new RevocationCheckError('OCSP response signature does not verify');
  }
  const nonce = data.responseExtensions?.find((extension) => extension.extnID === id_pkix_ocsp_nonce);
  if (nonce && !equalBytes(new Uint8Array(nonce.extnValue.buffer), query.nonceValue)) {
    throw new RevocationCheckError('OCSP response nonce does not match the request');
  }
  const single = data.responses.find((response) => sameCertId(response.certID, query.certId));
  if (!single) throw new RevocationCheckError('OCSP response does not cover the certificate asked about');
  return answerOf(single, now);
}

function basicResponse(bytes: Uint8Array): BasicOCSPResponse {
  let response: OCSPResponse;
  try {
    response = AsnConvert.parse(bytes, OCSPResponse);
  } catch (error) {
    throw new RevocationCheckError('unreadable OCSP response', { cause: error });
  }
  if (response.responseStatus !== OCSPResponseStatus.successful) {
    throw new RevocationCheckError(`OCSP responder answered ${OCSPResponseStatus[response.responseStatus]}`);
  }
  if (response.responseBytes?.responseType !== id_pkix_ocsp_basic) {
    throw new RevocationCheckError('OCSP response of a type other than basic');
  }
  try {
    return AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse);
  } catch (error) {
    throw new RevocationCheckError('unreadable basic OCSP response', { cause: error });
  }
}

/**
 * The key the response must be signed with: the issuer's when its responder ID names the issuer, else a
 * certificate in the response that the ID names, signed by the issuer, for OCSP signing and valid now.
 */
function authorizedSigner(
  basic: BasicOCSPResponse,
  issuer: { der: Uint8Array; parts: CertificateParts },
  now: Date,
): Uint8Array {
  const id = basic.tbsResponseData.responderID;
  const names = (parts: CertificateParts) =>
    id.byKey
      ? equalBytes(new Uint8Array(id.byKey.buffer), createHash('sha1').update(parts.publicKey).digest())
      : id.byName !== undefined &&
        equalBytes(new Uint8Array(AsnConvert.serialize(id.byName)), reencodedName(parts.subjectName));
  if (names(issuer.parts)) return issuer.parts.spki;
  for (const certificate of basic.certs ?? []) {
    const der = new Uint8Array(AsnConvert.serialize(certificate));
    const parts = certificateParts(der);
    if (!names(parts)) continue;
    if (!certificateSignedBy(der, issuer.parts.spki)) {
      throw new RevocationCheckError('OCSP responder certificate not issued by the certificate’s issuer');
    }
    const record = normalize(der);
    if (!record.extendedKeyUsage.includes('OCSPSigning') && !record.extendedKeyUsage.includes(id_kp_OCSPSigning)) {
      throw new RevocationCheckError('OCSP responder certificate lacks the OCSPSigning extended key usage');
    }
    if (now < new Date(record.notBefore) || now > new Date(record.notAfter)) {
      throw new RevocationCheckError('OCSP responder certificate not valid now');
    }
    return parts.spki;
  }
  throw new RevocationCheckError('OCSP response signed by a responder the issuer did not authorize');
}

/** A Name as @peculiar encodes it, for comparison with one it parsed (both sides go through the same encoder). */
const reencodedName = (der: Uint8Array) => new Uint8Array(AsnConvert.serialize(AsnConvert.parse(der, Name)));

function sameCertId(a: CertID, b: CertID): boolean {
  const bytes = (value: ArrayBuffer | OctetString) =>
    new Uint8Array(value instanceof OctetString ? value.buffer : value);
  return (
    a.hashAlgorithm.algorithm === b.hashAlgorithm.algorithm &&
    equalBytes(bytes(a.issuerNameHash), bytes(b.issuerNameHash)) &&
    equalBytes(bytes(a.issuerKeyHash), bytes(b.issuerKeyHash)) &&
    serialKey(bytes(a.serialNumber)) === serialKey(bytes(b.serialNumber))
  );
}

function answerOf(single: SingleResponse, now: Date): StatusAnswer {
  const thisUpdate = single.thisUpdate;
  const nextUpdate = single.nextUpdate ?? null;
  if (thisUpdate.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw new RevocationCheckError(`OCSP response thisUpdate ${thisUpdate.toISOString()} is in the future`);
  }
  if (nextUpdate && nextUpdate.getTime() < now.getTime() - CLOCK_SKEW_MS) {
    throw new RevocationCheckError(`OCSP response expired at its nextUpdate ${nextUpdate.toISOString()}`);
  }
  const { certStatus } = single;
  const revoked = certStatus.revoked;
  return {
    status: revoked ? 'revoked' : certStatus.unknown !== undefined ? 'unknown' : 'good',
    revokedAt: revoked ? revoked.revocationTime.toISOString() : null,
    reason: revoked?.revocationReason ? reasonName(revoked.revocationReason.reason) : null,
    thisUpdate: thisUpdate.toISOString(),
    nextUpdate: nextUpdate?.toISOString() ?? null,
  };
}

/** RFC 5280's name of a CRL reason code (`keyCompromise`), or the number when it is not one. */
export const reasonName = (code: number): string => CRLReasons[code] ?? String(code);

/** A serial's INTEGER content as lowercase hex without leading zero octets: equal serials, equal keys. */
export function serialKey(bytes: Uint8Array): string {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return Buffer.from(bytes.subarray(start)).toString('hex');
}
