import type { SubjectAltNames } from '../domain/certificate';
import { expectTlv, latin1, malformed, readOid, readTlv, TAG, type Tlv } from './der';
import { shortName } from './oid-names';

/** The four extensions the record reads. Everything else in a certificate is skipped. */
export interface ExtensionFacts {
  sans: SubjectAltNames;
  isCA: boolean;
  keyUsage: string[];
  extendedKeyUsage: string[];
}

const SUBJECT_ALT_NAME = '2.5.29.17';
const BASIC_CONSTRAINTS = '2.5.29.19';
const KEY_USAGE = '2.5.29.15';
const EXTENDED_KEY_USAGE = '2.5.29.37';

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
