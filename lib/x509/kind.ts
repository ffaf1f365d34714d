import type { CertificateKind, SubjectAltNames } from '../domain/certificate';

/**
 * What a certificate is for. The first rule that applies wins: a CA is a CA whatever its key purposes;
 * then the explicit purposes in order of how much is usually at stake; a leaf that names hosts but does
 * not restrict its purposes (no extended key usage, or anyExtendedKeyUsage) is taken for a TLS server,
 * since that is how browsers and TLS libraries will accept it.
 */
export function certificateKind(
  isCA: boolean,
  extendedKeyUsage: readonly string[],
  sans: SubjectAltNames,
): CertificateKind {
  if (isCA) return 'ca';
  if (extendedKeyUsage.includes('serverAuth')) return 'tls-server';
  if (extendedKeyUsage.includes('codeSigning')) return 'code-signing';
  if (extendedKeyUsage.includes('emailProtection')) return 'smime';
  if (extendedKeyUsage.includes('clientAuth')) return 'tls-client';
  const unrestricted = extendedKeyUsage.length === 0 || extendedKeyUsage.includes('anyExtendedKeyUsage');
  if (unrestricted && (sans.dns.length > 0 || sans.ip.length > 0)) return 'tls-server';
  return 'other';
}
