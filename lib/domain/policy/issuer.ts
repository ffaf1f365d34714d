import type { IssuerType, PolicySubject } from './types';

/**
 * How certwarden tells a public issuer from a private one. Nothing in a certificate says whether its CA is in a
 * browser trust store, so the decision is, in order:
 *
 * 1. the subject's own `issuerType`, when the caller knows (ACM says `AMAZON_ISSUED` or `PRIVATE`; a source that
 *    is a private CA knows its certificates are private);
 * 2. a self-signed leaf is private (no trust store holds leaves);
 * 3. the issuing CA's SPKI SHA-256 in `spkiSha256` (exact; needs the chain: `PolicySubject.issuerSpkiSha256`);
 * 4. the issuer's distinguished name in `subjects` (exact, case- and space-insensitive);
 * 5. the issuer's organization (`O=`) in `organizations` (case-insensitive). This is a heuristic: a private CA
 *    can call itself anything. The default list names the organizations of the CAs that issue most publicly
 *    trusted TLS certificates; set the list to replace it.
 * 6. otherwise private.
 */
export interface PublicIssuerSettings {
  organizations: readonly string[];
  subjects: readonly string[];
  spkiSha256: readonly string[];
}

/** Issuer organizations taken as public by default (CAs in the Mozilla, Apple, Chrome and Microsoft stores). */
export const DEFAULT_PUBLIC_ISSUER_ORGANIZATIONS: readonly string[] = Object.freeze([
  "Let's Encrypt",
  'ISRG',
  'DigiCert Inc',
  'DigiCert, Inc.',
  'Sectigo Limited',
  'COMODO CA Limited',
  'GlobalSign nv-sa',
  'Google Trust Services',
  'Google Trust Services LLC',
  'Amazon',
  'Entrust, Inc.',
  'GoDaddy.com, Inc.',
  'Starfield Technologies, Inc.',
  'IdenTrust',
  'Microsoft Corporation',
  'ZeroSSL',
  'Buypass AS-983163327',
  'SSL Corporation',
  'Actalis S.p.A.',
  'Asseco Data Systems S.A.',
  'Certainly',
  'HARICA',
  'QuoVadis Limited',
  'SECOM Trust Systems CO.,LTD.',
  'Telia Company AB',
]);

/** Attribute values of a distinguished name as certwarden writes them (RFC 4514), by upper-case type. */
export function dnAttributes(dn: string): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  let type = '';
  let value = '';
  let inValue = false;
  for (let i = 0; i < dn.length; i++) {
    const char = dn[i];
    if (char === '\\' && i + 1 < dn.length) {
      const next = dn[i + 1];
      const hex = dn.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        value += String.fromCharCode(parseInt(hex, 16));
        i += 2;
      } else {
        value += next;
        i += 1;
      }
    } else if (!inValue && char === '=') {
      inValue = true;
    } else if (char === ',' || char === '+') {
      if (inValue) result.push([type.trim().toUpperCase(), value.trim()]);
      type = '';
      value = '';
      inValue = false;
    } else if (inValue) {
      value += char;
    } else {
      type += char;
    }
  }
  if (inValue) result.push([type.trim().toUpperCase(), value.trim()]);
  return result;
}

/** Case- and space-insensitive form of a name, for comparing configured names with certificate ones. */
export const foldName = (name: string): string =>
  name
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*([,=+])\s*/g, '$1')
    .trim();

/** Decides whether the subject's issuer is public, per the rules above; pure and cheap enough to call per record. */
export class IssuerClassifier {
  private readonly organizations: Set<string>;
  private readonly subjects: Set<string>;
  private readonly spki: Set<string>;
  /** Issuer DN → answer of steps 4 and 5, which depend on the DN alone. */
  private readonly byIssuer = new Map<string, IssuerType>();

  constructor(settings: PublicIssuerSettings) {
    this.organizations = new Set(settings.organizations.map((name) => name.trim().toLowerCase()));
    this.subjects = new Set(settings.subjects.map(foldName));
    this.spki = new Set(settings.spkiSha256.map((hash) => hash.toLowerCase()));
  }

  classify(subject: PolicySubject): IssuerType {
    if (subject.issuerType) return subject.issuerType;
    const certificate = subject.certificate;
    if (certificate.selfSigned && !certificate.isCA) return 'private';
    if (subject.issuerSpkiSha256 && this.spki.has(subject.issuerSpkiSha256.toLowerCase())) return 'public';
    const issuer = certificate.issuer;
    let known = this.byIssuer.get(issuer);
    if (known === undefined) {
      known = this.byName(issuer);
      if (this.byIssuer.size > 50_000) this.byIssuer.clear();
      this.byIssuer.set(issuer, known);
    }
    return known;
  }

  /** The same decision as `classify`, with the reason, for `policy explain`. */
  explain(subject: PolicySubject): { issuerType: IssuerType; reason: string } {
    const certificate = subject.certificate;
    if (subject.issuerType) return { issuerType: subject.issuerType, reason: 'given by the source' };
    if (certificate.selfSigned && !certificate.isCA)
      return { issuerType: 'private', reason: 'a self-signed end-entity certificate' };
    if (subject.issuerSpkiSha256 && this.spki.has(subject.issuerSpkiSha256.toLowerCase()))
      return { issuerType: 'public', reason: 'issuer key in publicIssuers.spkiSha256' };
    if (this.subjects.has(foldName(certificate.issuer)))
      return { issuerType: 'public', reason: 'issuer name in publicIssuers.subjects' };
    const organization = this.publicOrganization(certificate.issuer);
    if (organization !== undefined)
      return { issuerType: 'public', reason: `issuer organization "${organization}" in publicIssuers.organizations` };
    return { issuerType: 'private', reason: 'issuer in none of the publicIssuers lists' };
  }

  private byName(issuer: string): IssuerType {
    if (this.subjects.has(foldName(issuer))) return 'public';
    return this.publicOrganization(issuer) === undefined ? 'private' : 'public';
  }

  private publicOrganization(issuer: string): string | undefined {
    for (const [type, value] of dnAttributes(issuer)) {
      if ((type === 'O' || type === '2.5.4.10') && this.organizations.has(value.toLowerCase())) return value;
    }
    return undefined;
  }
}
