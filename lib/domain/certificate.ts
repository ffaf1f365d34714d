/** What a certificate is for, derived from basic constraints and extended key usage. */
export type CertificateKind = 'ca' | 'tls-server' | 'tls-client' | 'code-signing' | 'smime' | 'other';

/**
 * 'RSA' | 'EC' | 'Ed25519' | 'Ed448' | 'DSA', a post-quantum parameter set ('ML-DSA-65', 'SLH-DSA-SHA2-128s',
 * 'ML-KEM-768', composite 'MLDSA65-ECDSA-P256-SHA512': ./post-quantum.ts), or the dotted OID of any other algorithm.
 */
export type KeyAlgorithm = string;

/** A known weakness of a specific key: `roca`, an Infineon RSALib modulus (CVE-2017-15361), factorable. */
export type WeakKey = 'roca';

export interface SubjectAltNames {
  dns: string[];
  ip: string[];
  email: string[];
  uri: string[];
}

/**
 * One certificate, normalized so that every source yields the same record for the same bytes.
 * Fields are chosen to agree with `openssl x509` on the same certificate.
 */
export interface CertificateRecord {
  /** SHA-256 of the DER, lowercase hex without separators: the certificate's identity. */
  fingerprintSha256: string;
  /** As `openssl x509 -serial` prints it: {@link serialNumberHex}. */
  serialNumber: string;
  /** RFC 4514 string (most specific RDN first). */
  subject: string;
  issuer: string;
  /** The last CN attribute of the subject, as Go's crypto/x509 reads it; null if none. */
  subjectCommonName: string | null;
  sans: SubjectAltNames;
  /** ISO 8601 UTC (`toISOString()`). */
  notBefore: string;
  notAfter: string;
  keyAlgorithm: KeyAlgorithm;
  /** RSA modulus bits, EC curve bits, Ed25519 256, Ed448 456, DSA p bits; null if unknown or post-quantum. */
  keySize: number | null;
  /** 'P-256', 'P-384', 'P-521', 'secp256k1', … or the curve OID; null for non-EC keys. */
  keyCurve: string | null;
  /** OpenSSL's long name (e.g. 'sha256WithRSAEncryption', 'ecdsa-with-SHA256', 'ED25519'), else the OID. */
  signatureAlgorithm: string;
  /** 'MD5' | 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512' | …; null for EdDSA or unknown. */
  signatureHash: string | null;
  /** The basicConstraints cA flag as encoded, whatever the key usage says. */
  isCA: boolean;
  selfSigned: boolean;
  /** RFC 5280 names: digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, keyAgreement,
   * keyCertSign, cRLSign, encipherOnly, decipherOnly. */
  keyUsage: string[];
  /** OpenSSL short names (serverAuth, clientAuth, codeSigning, emailProtection, …), else the OID. */
  extendedKeyUsage: string[];
  /** SHA-256 of the DER SubjectPublicKeyInfo, lowercase hex: the same key in two certificates. */
  publicKeySha256: string;
  kind: CertificateKind;
  /*
   * The fields below came after the first stored records: a record read before them lacks them, and rules that
   * need one answer `not-applicable` until the certificate is read again.
   */
  /** The TBSCertificate's copy of the signature algorithm (OpenSSL's long name, else the OID); null if unreadable. */
  tbsSignatureAlgorithm?: string | null;
  /** The outer signatureAlgorithm and the signed TBSCertificate.signature are the same bytes, parameters included. */
  signatureAlgorithmsMatch?: boolean;
  /** OCSP responder URIs of authorityInformationAccess. */
  ocspUrls?: string[];
  /** URIs of cRLDistributionPoints. */
  crlUrls?: string[];
  /** Signed certificate timestamps embedded in the certificate (RFC 6962 SCT list); 0 when none. */
  sctCount?: number;
  /** Carries the CT poison extension: a precertificate, which no client should be given. */
  precertificate?: boolean;
  /** A known weakness of the key itself; null when none is known. */
  weakKey?: WeakKey | null;
}

/** A record together with the bytes it was read from. */
export interface ParsedCertificate {
  record: CertificateRecord;
  der: Uint8Array;
}

/**
 * A serial number as `openssl x509 -serial` prints it, the form people compare against: the magnitude in whole
 * octets of uppercase hex (`09734A3A…`, so a leading zero nibble stays), `-` before a negative, `00` for zero.
 * Takes any hex of the value (any case, any leading zeros, optional `-`), so a record stored before this form
 * (lowercase, leading zeros dropped: `9734a3a…`) reads the same as a new one.
 */
export function serialNumberHex(hex: string): string {
  const negative = hex.startsWith('-');
  const digits = hex
    .slice(negative ? 1 : 0)
    .replace(/^0+/, '')
    .toUpperCase();
  if (digits === '') return '00';
  return `${negative ? '-' : ''}${digits.length % 2 === 1 ? '0' : ''}${digits}`;
}
