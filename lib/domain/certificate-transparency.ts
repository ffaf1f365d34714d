import { createHash } from 'node:crypto';

/** A domain name as compared: lowercase, without a trailing dot. */
const canonicalName = (name: string): string => name.trim().toLowerCase().replace(/\.$/, '');

/**
 * The monitored domains that cover any of `names` (a certificate's DNS names and common name): a domain covers
 * itself and every name under it (`example.com` covers `example.com`, `*.example.com` and `a.b.example.com`).
 */
export function domainsCovering(names: readonly string[], domains: readonly string[]): string[] {
  const canonical = names.map((name) => canonicalName(name).replace(/^\*\./, ''));
  return domains.filter((domain) => {
    const wanted = canonicalName(domain);
    return canonical.some((name) => name === wanted || name.endsWith(`.${wanted}`));
  });
}

/** A distinguished name's RDNs as compared: split at unescaped commas, trimmed, lowercase. */
const rdnsOf = (dn: string): string[] => dn.split(/(?<!\\),/).map((rdn) => rdn.trim().toLowerCase());

/**
 * Whether two distinguished names are the same: RDN by RDN, case and spaces aside, in either order, since people
 * copy a name from tools that print it most specific first (RFC 4514, as certwarden does) or last (OpenSSL's default).
 */
export function sameDn(a: string, b: string): boolean {
  const left = rdnsOf(a);
  const right = rdnsOf(b);
  if (left.length !== right.length) return false;
  return left.every((rdn, i) => rdn === right[i]) || left.every((rdn, i) => rdn === right[right.length - 1 - i]);
}

/** What the CT monitor never reports: certificates of these issuers, or with these keys (theirs or their issuer's). */
export interface CtAllowlist {
  /** Issuer distinguished names, RFC 4514 (`CN=Example Issuing CA,O=Example,C=US`). */
  issuers: readonly string[];
  /** SHA-256 of a SubjectPublicKeyInfo (hex): the certificate's own key or its issuer's. */
  publicKeys: readonly string[];
}

/** Why an allowlist lets a certificate through (`issuer`, `public key`, `issuer key`); undefined when it does not. */
export function allowedBy(
  certificate: { issuer: string; publicKeySha256: string; issuerKeySha256: string | null },
  allowlist: CtAllowlist,
): 'issuer' | 'public key' | 'issuer key' | undefined {
  if (allowlist.issuers.some((allowed) => sameDn(allowed, certificate.issuer))) return 'issuer';
  const keys = new Set(allowlist.publicKeys.map((key) => key.toLowerCase()));
  if (keys.has(certificate.publicKeySha256)) return 'public key';
  if (certificate.issuerKeySha256 && keys.has(certificate.issuerKeySha256)) return 'issuer key';
  return undefined;
}

/**
 * The identity of an issued certificate across CT logs: its issuer and serial number, which a precertificate and
 * its final certificate share (RFC 6962 §3.1), so whichever of them is met first raises the finding, and once.
 */
export const issuedCertificateId = (issuer: string, serialNumber: string): string =>
  createHash('sha256').update(`${issuer}\n${serialNumber}`).digest('hex');
