import { CertificateParseError } from '../domain/errors';

/**
 * One tag-length-value element located inside a byte array; nothing is copied.
 * `end` is where the next sibling starts; `bodyEnd` differs from it only for BER indefinite lengths,
 * whose body is followed by an end-of-contents marker.
 */
export interface Tlv {
  /** The identifier octet (class, constructed bit, tag number); HIGH_TAG for multi-octet tag numbers. */
  tag: number;
  start: number;
  body: number;
  bodyEnd: number;
  end: number;
}

/** Stands for every multi-octet tag: no X.509 structure we read uses one, so they only need skipping. */
export const HIGH_TAG = 0x100;

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
} as const;

/** Nesting deeper than this is refused: no certificate needs it and hostile input could exhaust the stack. */
const MAX_DEPTH = 64;

/**
 * Reads the element starting at `pos`, which must end at or before `limit`.
 * Long-form lengths with leading zero octets are accepted (as OpenSSL does); indefinite lengths only
 * where `allowIndefinite` says so, since a certificate's signed bytes must be DER.
 */
export function readTlv(buf: Uint8Array, pos: number, limit: number, allowIndefinite = false, depth = 0): Tlv {
  const start = pos;
  if (pos >= limit) throw malformed(pos, 'element expected, input ends');
  let tag = buf[pos++];
  if ((tag & 0x1f) === 0x1f) {
    // Multi-octet tag number: skip its octets (high bit set on all but the last).
    let n = 0;
    while (pos < limit && buf[pos] & 0x80) {
      if (++n > 4) throw malformed(start, 'tag number too long');
      pos++;
    }
    if (pos >= limit) throw malformed(start, 'tag runs past the end of input');
    pos++;
    tag = HIGH_TAG | (tag & 0xe0);
  }
  if (pos >= limit) throw malformed(start, 'length expected, input ends');
  const first = buf[pos++];
  if (first < 0x80) return checkEnd(start, pos, pos + first, limit, tag);
  if (first === 0x80) {
    if (!allowIndefinite || (tag & 0x20) === 0) throw malformed(start, 'indefinite length not allowed here');
    if (depth > MAX_DEPTH) throw malformed(start, 'nesting too deep');
    let p = pos;
    for (;;) {
      if (p + 1 < limit && buf[p] === 0 && buf[p + 1] === 0) {
        return { tag, start, body: pos, bodyEnd: p, end: p + 2 };
      }
      p = readTlv(buf, p, limit, true, depth + 1).end;
    }
  }
  let octets = first & 0x7f;
  if (pos + octets > limit) throw malformed(start, 'length runs past the end of input');
  while (octets > 0 && buf[pos] === 0) {
    pos++;
    octets--;
  }
  if (octets > 4) throw malformed(start, 'length too large');
  let len = 0;
  while (octets-- > 0) len = len * 256 + buf[pos++];
  return checkEnd(start, pos, pos + len, limit, tag);
}

function checkEnd(start: number, body: number, end: number, limit: number, tag: number): Tlv {
  if (end > limit) throw malformed(start, 'element runs past the end of its container');
  return { tag, start, body, bodyEnd: end, end };
}

/** Reads the element at `pos` and insists on its identifier octet. */
export function expectTlv(buf: Uint8Array, pos: number, limit: number, tag: number, what: string): Tlv {
  const tlv = readTlv(buf, pos, limit);
  if (tlv.tag !== tag) {
    throw malformed(pos, `${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(tlv.tag)}`);
  }
  return tlv;
}

export function malformed(offset: number, reason: string): CertificateParseError {
  return new CertificateParseError(`malformed DER at offset ${offset}: ${reason}`);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

const oidCache = new Map<string, string>();

/** Dotted form of an OBJECT IDENTIFIER body. Memoized: certificates repeat a few dozen OIDs endlessly. */
export function readOid(buf: Uint8Array, tlv: Tlv): string {
  if (tlv.bodyEnd - tlv.body > 64) return decodeOid(buf, tlv.body, tlv.bodyEnd); // no real OID; keep it out of the cache
  const key = latin1(buf, tlv.body, tlv.bodyEnd);
  const known = oidCache.get(key);
  if (known !== undefined) return known;
  const dotted = decodeOid(buf, tlv.body, tlv.bodyEnd);
  if (oidCache.size < 4096) oidCache.set(key, dotted);
  return dotted;
}

/** Octets one arc may take: room for UUID arcs (2.25.<128 bits>), not for quadratic big-number work. */
const MAX_ARC_OCTETS = 32;

function decodeOid(buf: Uint8Array, from: number, to: number): string {
  if (from === to) throw malformed(from, 'empty OBJECT IDENTIFIER');
  const arcs: string[] = [];
  let value = 0n;
  let small = 0;
  let big = false;
  let arcStart = from;
  for (let i = from; i < to; i++) {
    const b = buf[i];
    if (i - arcStart >= MAX_ARC_OCTETS) throw malformed(arcStart, 'OBJECT IDENTIFIER arc too large');
    if (!big && small > 0x00ffffff) {
      big = true;
      value = BigInt(small);
    }
    if (big) value = (value << 7n) | BigInt(b & 0x7f);
    else small = small * 128 + (b & 0x7f);
    if (b & 0x80) {
      if (i === to - 1) throw malformed(i, 'OBJECT IDENTIFIER ends inside an arc');
      continue;
    }
    const arc = big ? value : BigInt(small);
    if (arcs.length === 0) {
      // The first subidentifier packs two arcs: 40 * first + second, first being at most 2.
      const first = arc < 40n ? 0n : arc < 80n ? 1n : 2n;
      arcs.push(first.toString(), (arc - first * 40n).toString());
    } else {
      arcs.push(arc.toString());
    }
    small = 0;
    value = 0n;
    big = false;
    arcStart = i + 1;
  }
  return arcs.join('.');
}

/** Bytes as a string of the same length, one char per byte. */
export function latin1(buf: Uint8Array, from: number, to: number): string {
  if (to - from < 64) {
    let s = '';
    for (let i = from; i < to; i++) s += String.fromCharCode(buf[i]);
    return s;
  }
  return Buffer.from(buf.buffer, buf.byteOffset + from, to - from).toString('latin1');
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of a byte range. */
export function hex(buf: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += HEX[buf[i]];
  return s;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
