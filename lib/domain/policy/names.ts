import type { CertificateRecord } from '../certificate';

/** Lower case, without a trailing dot: the form names are compared in. */
export const foldDnsName = (name: string): string => {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
};

const HOSTNAME = /^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}$/i;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Whether a common name reads as a host name or IP address (so browsers would once have matched it). */
export const looksLikeHostname = (value: string): boolean =>
  HOSTNAME.test(foldDnsName(value)) || IPV4.test(value) || (value.includes(':') && /^[0-9a-f:.]+$/i.test(value));

/** The names a certificate is for: DNS and IP SANs, or its common name when it has neither. */
export function certificateNames(certificate: Pick<CertificateRecord, 'sans' | 'subjectCommonName'>): string[] {
  const { dns, ip } = certificate.sans;
  if (dns.length === 0 && ip.length === 0) {
    return certificate.subjectCommonName ? [foldDnsName(certificate.subjectCommonName)] : [];
  }
  return [...dns.map(foldDnsName), ...ip];
}

/**
 * A domain pattern of a policy, matched against a DNS name (both case-insensitive, trailing dot ignored):
 *
 * - `example.com` matches that name only;
 * - `*.example.com` matches one label under it (`api.example.com`, and the wildcard name `*.example.com` itself);
 * - `**.example.com` matches any name under it, at any depth (not `example.com` itself).
 */
export function domainPatternMatches(pattern: string, name: string): boolean {
  const p = foldDnsName(pattern);
  const n = foldDnsName(name);
  if (p.startsWith('**.')) {
    const suffix = p.slice(2);
    return n.length > suffix.length && n.endsWith(suffix);
  }
  if (p.startsWith('*.')) {
    const suffix = p.slice(1);
    if (!n.endsWith(suffix)) return false;
    const label = n.slice(0, n.length - suffix.length);
    return label.length > 0 && !label.includes('.');
  }
  return p === n;
}

/** Validates a domain pattern's form; returns a problem or undefined. */
export function domainPatternProblem(pattern: string): string | undefined {
  const body = pattern.replace(/^\*\*?\./, '');
  if (body.includes('*')) return `"${pattern}": a wildcard may only be the first label (* or **)`;
  if (!HOSTNAME.test(foldDnsName(body)) && !/^[a-z0-9-]{1,63}$/i.test(body)) return `"${pattern}": not a domain name`;
  return undefined;
}
