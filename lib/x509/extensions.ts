import type { SubjectAltNames } from '../domain/certificate';
import { expectTlv, latin1, malformed, readOid, readTlv, TAG, type Tlv } from './der';
import { shortName } from './oid-names';

/** The extensions the record reads. Everything else in a certificate is skipped. */
export interface ExtensionFacts {
  sans: SubjectAltNames;
  isCA: boolean;
  keyUsage: string[];
  extendedKeyUsage: string[];
  /** URIs of the authorityInformationAccess entries whose method is id-ad-ocsp. */
  ocspUrls: string[];
  /** URIs of the authorityInformationAccess entries whose method is id-ad-caIssuers (where the issuer is served). */
  caIssuersUrls: string[];
  /** URIs in the fullName of every cRLDistributionPoints entry. */
  crlUrls: string[];
  /** Entries of the embedded SCT list (RFC 6962 §3.3); 0 when the extension is absent or unreadable. */
  sctCount: number;
  /** Carries the CT poison extension (RFC 6962 §3.1): a precertificate, not a certificate to deploy. */
  precertificate: boolean;
}

const SUBJECT_ALT_NAME = '2.5.29.17';
const BASIC_CONSTRAINTS = '2.5.29.19';
const KEY_USAGE = '2.5.29.15';
const EXTENDED_KEY_USAGE = '2.5.29.37';
const AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1';
const CRL_DISTRIBUTION_POINTS = '2.5.29.31';
const SCT_LIST = '1.3.6.1.4.1.11129.2.4.2';
const CT_POISON = '1.3.6.1.4.1.11129.2.4.3';
const ID_AD_OCSP = '1.3.6.1.5.5.7.48.1';
const ID_AD_CA_ISSUERS = '1.3.6.1.5.5.7.48.2';
/** GeneralName uniformResourceIdentifier, [6] IMPLICIT IA5String. */
const URI_TAG = 0x86;

/** RFC 5280 §4.2.1.3 bit order. */
const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

/**
 * Reads the extensions element ([3] EXPLICIT SEQUENCE OF Extension).
 *
 * The Extension wrappers must be well formed (OpenSSL refuses the certificate otherwise), but a value
 * that does not decode is read as if the extension were absent: OpenSSL too keeps such a certificate and
 * only prints the raw bytes, and one bad extension should not hide the rest of the certificate.
 * When an extension occurs twice (RFC 5280 forbids it), the first occurrence counts.
 */
export function readExtensions(buf: Uint8Array, wrapper: Tlv | undefined): ExtensionFacts {
  const facts: ExtensionFacts = {
    sans: { dns: [], ip: [], email: [], uri: [] },
    isCA: false,
    keyUsage: [],
    extendedKeyUsage: [],
    ocspUrls: [],
    caIssuersUrls: [],
    crlUrls: [],
    sctCount: 0,
    precertificate: false,
  };
  if (!wrapper) return facts;
  const seen = new Set<string>();
  const list = expectTlv(buf, wrapper.body, wrapper.bodyEnd, TAG.SEQUENCE, 'extensions');
  for (let p = list.body; p < list.bodyEnd;) {
    const ext = expectTlv(buf, p, list.bodyEnd, TAG.SEQUENCE, 'extension');
    const oid = readOid(buf, expectTlv(buf, ext.body, ext.bodyEnd, TAG.OID, 'extension id'));
    let q = readTlv(buf, ext.body, ext.bodyEnd).end;
    let value = readTlv(buf, q, ext.bodyEnd);
    if (value.tag === TAG.BOOLEAN) {
      q = value.end;
      value = readTlv(buf, q, ext.bodyEnd);
    }
    if (value.tag !== TAG.OCTET_STRING) throw malformed(value.start, 'extension value is not an OCTET STRING');
    p = ext.end;
    if (seen.has(oid)) continue;
    seen.add(oid);
    try {
      switch (oid) {
        case SUBJECT_ALT_NAME:
          facts.sans = readSubjectAltNames(buf, value);
          break;
        case BASIC_CONSTRAINTS:
          facts.isCA = readCaFlag(buf, value);
          break;
        case KEY_USAGE:
          facts.keyUsage = readKeyUsage(buf, value);
          break;
        case EXTENDED_KEY_USAGE:
          facts.extendedKeyUsage = readExtendedKeyUsage(buf, value);
          break;
        case AUTHORITY_INFO_ACCESS:
          ({ ocsp: facts.ocspUrls, caIssuers: facts.caIssuersUrls } = readAccessUrls(buf, value));
          break;
        case CRL_DISTRIBUTION_POINTS:
          facts.crlUrls = readCrlUrls(buf, value);
          break;
        case SCT_LIST:
          facts.sctCount = readSctCount(buf, value);
          break;
        case CT_POISON:
          facts.precertificate = true;
          break;
      }
    } catch {
      // An undecodable value counts as absent (see above).
    }
  }
  return facts;
}

/** The one element an OCTET STRING extension value must hold, with nothing after it. */
function inner(buf: Uint8Array, value: Tlv, tag: number, what: string): Tlv {
  const tlv = expectTlv(buf, value.body, value.bodyEnd, tag, what);
  if (tlv.end !== value.bodyEnd) throw malformed(tlv.end, `${what}: trailing bytes`);
  return tlv;
}

function readSubjectAltNames(buf: Uint8Array, value: Tlv): SubjectAltNames {
  const sans: SubjectAltNames = { dns: [], ip: [], email: [], uri: [] };
  const names = inner(buf, value, TAG.SEQUENCE, 'subjectAltName');
  for (let p = names.body; p < names.bodyEnd;) {
    const name = readTlv(buf, p, names.bodyEnd);
    p = name.end;
    // IA5String content is ASCII by definition; stray high bytes are kept one char per byte, as OpenSSL prints them.
    switch (name.tag) {
      case 0x81:
        sans.email.push(latin1(buf, name.body, name.bodyEnd));
        break;
      case 0x82:
        sans.dns.push(latin1(buf, name.body, name.bodyEnd));
        break;
      case 0x86:
        sans.uri.push(latin1(buf, name.body, name.bodyEnd));
        break;
      case 0x87: {
        const ip = formatIp(buf, name.body, name.bodyEnd);
        if (ip !== null) sans.ip.push(ip);
        break;
      }
    }
  }
  return sans;
}

/**
 * Dotted quad for 4 octets, RFC 5952 text for 16; null for any other length, which is no address
 * (OpenSSL prints `<invalid length=N>` for those) and so cannot match a connection.
 */
export function formatIp(buf: Uint8Array, from: number, to: number): string | null {
  if (to - from === 4) return `${buf[from]}.${buf[from + 1]}.${buf[from + 2]}.${buf[from + 3]}`;
  if (to - from !== 16) return null;
  const groups: number[] = [];
  for (let i = from; i < to; i += 2) groups.push((buf[i] << 8) | buf[i + 1]);
  // RFC 5952: compress the longest run (the first of equals) of two or more zero groups.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const text = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return text(groups);
  return `${text(groups.slice(0, bestStart))}::${text(groups.slice(bestStart + bestLength))}`;
}

function readCaFlag(buf: Uint8Array, value: Tlv): boolean {
  const constraints = inner(buf, value, TAG.SEQUENCE, 'basicConstraints');
  if (constraints.body === constraints.bodyEnd) return false;
  const first = readTlv(buf, constraints.body, constraints.bodyEnd);
  if (first.tag !== TAG.BOOLEAN) return false;
  if (first.bodyEnd - first.body !== 1) throw malformed(first.start, 'basicConstraints: BOOLEAN of wrong length');
  // BER reads any non-zero octet as TRUE, and so does OpenSSL.
  return buf[first.body] !== 0;
}

function readKeyUsage(buf: Uint8Array, value: Tlv): string[] {
  const bits = inner(buf, value, TAG.BIT_STRING, 'keyUsage');
  if (bits.body === bits.bodyEnd) throw malformed(bits.start, 'keyUsage: empty BIT STRING');
  const unused = buf[bits.body];
  if (unused > 7) throw malformed(bits.start, 'keyUsage: bad unused-bits count');
  const usages: string[] = [];
  const last = bits.bodyEnd - 1;
  for (let bit = 0; bit < KEY_USAGE_BITS.length; bit++) {
    const at = bits.body + 1 + (bit >> 3);
    if (at > last) break;
    // Bits past the declared length are ignored, as OpenSSL clears them on decoding.
    const octet = at === last ? buf[at] & ((0xff << unused) & 0xff) : buf[at];
    if (octet & (0x80 >> (bit & 7))) usages.push(KEY_USAGE_BITS[bit]);
  }
  return usages;
}

function readExtendedKeyUsage(buf: Uint8Array, value: Tlv): string[] {
  const seq = inner(buf, value, TAG.SEQUENCE, 'extendedKeyUsage');
  const usages: string[] = [];
  for (let p = seq.body; p < seq.bodyEnd;) {
    const oidTlv = expectTlv(buf, p, seq.bodyEnd, TAG.OID, 'key purpose');
    const oid = readOid(buf, oidTlv);
    usages.push(shortName(oid) ?? oid);
    p = oidTlv.end;
  }
  return usages;
}

/** AuthorityInfoAccessSyntax: SEQUENCE OF { accessMethod OID, accessLocation GeneralName }; the OCSP and caIssuers URIs. */
function readAccessUrls(buf: Uint8Array, value: Tlv): { ocsp: string[]; caIssuers: string[] } {
  const list = inner(buf, value, TAG.SEQUENCE, 'authorityInformationAccess');
  const urls = { ocsp: [] as string[], caIssuers: [] as string[] };
  for (let p = list.body; p < list.bodyEnd;) {
    const description = expectTlv(buf, p, list.bodyEnd, TAG.SEQUENCE, 'access description');
    p = description.end;
    const method = expectTlv(buf, description.body, description.bodyEnd, TAG.OID, 'access method');
    const location = readTlv(buf, method.end, description.bodyEnd);
    if (location.tag !== URI_TAG) continue;
    const oid = readOid(buf, method);
    if (oid === ID_AD_OCSP) urls.ocsp.push(latin1(buf, location.body, location.bodyEnd));
    else if (oid === ID_AD_CA_ISSUERS) urls.caIssuers.push(latin1(buf, location.body, location.bodyEnd));
  }
  return urls;
}

/**
 * CRLDistributionPoints: SEQUENCE OF DistributionPoint { [0] distributionPoint { [0] fullName GeneralNames | [1]
 * nameRelativeToCRLIssuer }, [1] reasons, [2] cRLIssuer }; the URIs of the full names.
 */
function readCrlUrls(buf: Uint8Array, value: Tlv): string[] {
  const list = inner(buf, value, TAG.SEQUENCE, 'cRLDistributionPoints');
  const urls: string[] = [];
  for (let p = list.body; p < list.bodyEnd;) {
    const point = expectTlv(buf, p, list.bodyEnd, TAG.SEQUENCE, 'distribution point');
    p = point.end;
    if (point.body === point.bodyEnd) continue;
    const name = readTlv(buf, point.body, point.bodyEnd);
    if (name.tag !== 0xa0 || name.body === name.bodyEnd) continue;
    const fullName = readTlv(buf, name.body, name.bodyEnd);
    if (fullName.tag !== 0xa0) continue;
    for (let q = fullName.body; q < fullName.bodyEnd;) {
      const general = readTlv(buf, q, fullName.bodyEnd);
      q = general.end;
      if (general.tag === URI_TAG) urls.push(latin1(buf, general.body, general.bodyEnd));
    }
  }
  return urls;
}

/**
 * The embedded SCT list is an OCTET STRING holding a TLS-encoded SignedCertificateTimestampList: a two-octet
 * length, then SCTs each behind their own two-octet length. A list whose lengths do not add up counts as none.
 */
function readSctCount(buf: Uint8Array, value: Tlv): number {
  const octets = inner(buf, value, TAG.OCTET_STRING, 'SCT list');
  if (octets.bodyEnd - octets.body < 2) return 0;
  const end = octets.body + 2 + ((buf[octets.body] << 8) | buf[octets.body + 1]);
  if (end !== octets.bodyEnd) return 0;
  let count = 0;
  for (let p = octets.body + 2; p < end; count++) {
    if (p + 2 > end) return 0;
    const length = (buf[p] << 8) | buf[p + 1];
    if (length === 0) return 0;
    p += 2 + length;
    if (p > end) return 0;
  }
  return count;
}
