import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, CRLReason, id_ce_cRLReasons, Name } from '@peculiar/asn1-x509';
import { RevocationCheckError } from '../domain/errors';
import type { CertificateParts } from './certificate-parts';
import { signedWith } from './certificate-parts';
import { equalBytes } from './der';
import { reasonName, serialKey } from './ocsp';
import { decodeBase64, pemBlocks } from './pem';

/** A CRL read and verified: its window and what it revokes, by serial (see serialKey). */
export interface CrlContents {
  thisUpdate: string;
  /** Null when the CRL names none (then it never goes stale by date). */
  nextUpdate: string | null;
  revoked: Map<string, { revokedAt: string; reason: string | null }>;
}

/**
 * Reads a CRL (DER, or PEM as some servers hand out) and verifies it was issued and signed by `issuer`.
 *
 * @throws RevocationCheckError naming what is wrong.
 */
export function readCrl(bytes: Uint8Array, issuer: CertificateParts): CrlContents {
  let crl: CertificateList;
  try {
    crl = AsnConvert.parse(derOf(bytes), CertificateList);
  } catch (error) {
    throw new RevocationCheckError('unreadable CRL', { cause: error });
  }
  const tbs = crl.tbsCertList;
  const issuerName = new Uint8Array(AsnConvert.serialize(AsnConvert.parse(issuer.subjectName, Name)));
  if (!equalBytes(new Uint8Array(AsnConvert.serialize(tbs.issuer)), issuerName)) {
    throw new RevocationCheckError('CRL issued by another CA than the certificate’s issuer');
  }
  if (
    !crl.tbsCertListRaw ||
    signedWith(new Uint8Array(crl.tbsCertListRaw), crl.signatureAlgorithm, crl.signature, issuer.spki) !== true
  ) {
    throw new RevocationCheckError('CRL signature does not verify with the issuer’s key');
  }
  const revoked = new Map<string, { revokedAt: string; reason: string | null }>();
  for (const entry of tbs.revokedCertificates ?? []) {
    const reasonExtension = entry.crlEntryExtensions?.find((extension) => extension.extnID === id_ce_cRLReasons);
    const reason = reasonExtension ? AsnConvert.parse(reasonExtension.extnValue, CRLReason).reason : undefined;
    revoked.set(serialKey(new Uint8Array(entry.userCertificate)), {
      revokedAt: entry.revocationDate.getTime().toISOString(),
      reason: reason === undefined ? null : reasonName(reason),
    });
  }
  return {
    thisUpdate: tbs.thisUpdate.getTime().toISOString(),
    nextUpdate: tbs.nextUpdate?.getTime().toISOString() ?? null,
    revoked,
  };
}

function derOf(bytes: Uint8Array): Uint8Array {
  if (bytes[0] === 0x30) return bytes;
  const block = pemBlocks(Buffer.from(bytes).toString('latin1')).find((found) => found.label === 'X509 CRL');
  return (block?.body !== undefined && decodeBase64(block.body)) || bytes;
}
