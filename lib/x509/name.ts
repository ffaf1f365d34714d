import { ByteSink } from './byte-sink';
import { expectTlv, malformed, readOid, readTlv, TAG, type Tlv } from './der';
import { shortName } from './oid-names';

/**
 * Distinguished names rendered as RFC 4514 strings, byte for byte what `openssl x509 -nameopt RFC2253,-esc_msb`
 * prints (OpenSSL 3.0 crypto/asn1/a_strex.c), because the record promises agreement with OpenSSL:
 *
 * - attributes most specific first (the encoded order reversed, including inside a multi-valued RDN), `,`
 *   between RDNs and `+` inside one;
 * - the attribute type by OpenSSL's short name, or the dotted OID when OpenSSL does not know it;
 * - string values converted to UTF-8: UTF8String bytes as they are, PrintableString/IA5String/T61String/
 *   NumericString/VisibleString and the time types one byte per character (Latin-1), BMPString as UCS-2 and
 *   UniversalString as UCS-4 (a code point UTF-8 cannot hold, e.g. a lone surrogate, is dropped as OpenSSL does);
 * - escaped with a backslash: `"+,;<>\`, a leading `#` or space, a trailing space; control characters as
 *   `\XX`; everything else, non-ASCII included, as is;
 * - any other value type, and every value of an unknown attribute type, as `#` and the hex of its DER.
 */

const CN_OID = '2.5.4.3';
const HEX_UPPER = '0123456789ABCDEF';

/** How OpenSSL reads a string type's content: 0 for UTF-8, else bytes per character; absent = dump as hex. */
const CHAR_WIDTH: Record<number, number> = {
  0x0c: 0, // UTF8String
  0x12: 1, // NumericString
  0x13: 1, // PrintableString
  0x14: 1, // T61String
  0x16: 1, // IA5String
  0x17: 1, // UTCTime
  0x18: 1, // GeneralizedTime
  0x1a: 1, // VisibleString
  0x1c: 4, // UniversalString
  0x1e: 2, // BMPString
};

/** Types that hold text for the common name; Go's crypto/x509 likewise skips a CN that is not a string. */
const TEXT_TYPES = new Set([0x0c, 0x12, 0x13, 0x14, 0x16, 0x1a, 0x1c, 0x1e]);

const sink = new ByteSink();

/** An attribute of a name: its RDN's position, its type and where its value lies. */
interface Attribute {
  rdn: number;
  oid: string;
  value: Tlv;
}

/** Reads a Name (the SEQUENCE element) into its attributes in encoded order. */
export function readName(buf: Uint8Array, name: Tlv): Attribute[] {
  const attributes: Attribute[] = [];
  let rdn = 0;
  for (let p = name.body; p < name.bodyEnd; rdn++) {
    const set = expectTlv(buf, p, name.bodyEnd, TAG.SET, 'relative distinguished name');
    for (let q = set.body; q < set.bodyEnd;) {
      const atv = expectTlv(buf, q, set.bodyEnd, TAG.SEQUENCE, 'attribute');
      const type = expectTlv(buf, atv.body, atv.bodyEnd, TAG.OID, 'attribute type');
      if (type.end >= atv.bodyEnd) throw malformed(atv.start, 'attribute without a value');
      const value = readTlv(buf, type.end, atv.bodyEnd);
      attributes.push({ rdn, oid: readOid(buf, type), value });
      q = atv.end;
    }
    p = set.end;
  }
  return attributes;
}

/** The RFC 4514 string of a name, as OpenSSL prints it. */
export function formatName(buf: Uint8Array, attributes: Attribute[]): string {
  sink.reset();
  for (let i = attributes.length - 1; i >= 0; i--) {
    const attribute = attributes[i];
    if (i < attributes.length - 1) sink.push(attributes[i + 1].rdn === attribute.rdn ? 0x2b : 0x2c);
    const type = shortName(attribute.oid);
    sink.pushAscii(type ?? attribute.oid);
    sink.push(0x3d);
    if (type === undefined || !writeText(buf, attribute.value, true)) writeDump(buf, attribute.value);
  }
  return sink.text();
}

/** The value of the last CN attribute that holds text, unescaped; null if there is none. */
export function commonName(buf: Uint8Array, attributes: Attribute[]): string | null {
  for (let i = attributes.length - 1; i >= 0; i--) {
    const { oid, value } = attributes[i];
    if (oid !== CN_OID || !TEXT_TYPES.has(value.tag)) continue;
    sink.reset();
    if (writeText(buf, value, false)) return sink.text();
  }
  return null;
}

/** Writes a string value; false if it is not a string OpenSSL would print as text (then it is dumped). */
function writeText(buf: Uint8Array, value: Tlv, escape: boolean): boolean {
  const width = CHAR_WIDTH[value.tag];
  const { body, bodyEnd } = value;
  if (width === undefined || (width > 1 && (bodyEnd - body) % width !== 0)) return false;
  const step = width === 0 ? 1 : width;
  for (let p = body; p < bodyEnd; p += step) {
    let c = buf[p];
    if (width === 2) c = (c << 8) | buf[p + 1];
    else if (width === 4) c = ((c << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
    if (c >= 0x80) {
      // UTF8String bytes pass through unchanged; other types are converted to UTF-8. Neither is escaped.
      if (width === 0) sink.push(c);
      else sink.pushCodePoint(c);
    } else if (escape) {
      writeEscaped(c, p === body, p + step === bodyEnd);
    } else {
      sink.push(c);
    }
  }
  return true;
}

function writeEscaped(c: number, first: boolean, last: boolean): void {
  if (c < 0x20 || c === 0x7f) {
    sink.push(0x5c);
    sink.push(HEX_UPPER.charCodeAt(c >> 4));
    sink.push(HEX_UPPER.charCodeAt(c & 0xf));
    return;
  }
  // OpenSSL flags the last character instead of (not as well as) the first, so a lone `#` stays bare.
  const special =
    c === 0x22 || c === 0x2b || c === 0x2c || c === 0x3b || c === 0x3c || c === 0x3e || c === 0x5c
      ? true
      : last
        ? c === 0x20
        : first && (c === 0x20 || c === 0x23);
  if (special) sink.push(0x5c);
  sink.push(c);
}

/**
 * `#` and the hex of the value's DER. OpenSSL re-encodes the value from its decoded form: a constructed
 * (SEQUENCE) value keeps its original bytes, a primitive one is tag, minimal length and content.
 */
function writeDump(buf: Uint8Array, value: Tlv): void {
  sink.push(0x23);
  const universalPrimitive = value.tag < 0x1f;
  if (!universalPrimitive) {
    writeHex(buf, value.start, value.end);
    return;
  }
  const length = value.bodyEnd - value.body;
  writeHexByte(value.tag);
  if (length < 0x80) {
    writeHexByte(length);
  } else {
    const octets: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
    writeHexByte(0x80 | octets.length);
    for (const o of octets) writeHexByte(o);
  }
  writeHex(buf, value.body, value.bodyEnd);
}

function writeHex(buf: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) writeHexByte(buf[i]);
}

function writeHexByte(b: number): void {
  sink.push(HEX_UPPER.charCodeAt(b >> 4));
  sink.push(HEX_UPPER.charCodeAt(b & 0xf));
}
