import type { WeakKey } from '../domain/certificate';
import { postQuantumByOid } from '../domain/post-quantum';
import { equalBytes, expectTlv, readOid, readTlv, TAG, type Tlv } from './der';
import { hasRocaFingerprint } from './roca';

/**
 * What the record says about algorithms: hash names for signature OIDs, and key algorithm, size and curve
 * read from a SubjectPublicKeyInfo, with the sizes OpenSSL reports (`Public-Key: (N bit)`).
 */

export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  dsa: '1.2.840.10040.4.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
} as const;

/** Signature algorithm OID → the digest it signs with, named as in CertificateRecord.signatureHash. */
const SIGNATURE_HASH: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'MD2',
  '1.2.840.113549.1.1.3': 'MD4',
  '1.2.840.113549.1.1.4': 'MD5',
  '1.2.840.113549.1.1.5': 'SHA-1',
  '1.2.840.113549.1.1.14': 'SHA-224',
  '1.2.840.113549.1.1.11': 'SHA-256',
  '1.2.840.113549.1.1.12': 'SHA-384',
  '1.2.840.113549.1.1.13': 'SHA-512',
  '1.2.840.113549.1.1.15': 'SHA-512/224',
  '1.2.840.113549.1.1.16': 'SHA-512/256',
  '1.3.14.3.2.3': 'MD5',
  '1.3.14.3.2.29': 'SHA-1',
  '1.3.14.3.2.27': 'SHA-1',
  '1.2.840.10040.4.3': 'SHA-1',
  '2.16.840.1.101.3.4.3.1': 'SHA-224',
  '2.16.840.1.101.3.4.3.2': 'SHA-256',
  '2.16.840.1.101.3.4.3.3': 'SHA-384',
  '2.16.840.1.101.3.4.3.4': 'SHA-512',
  '2.16.840.1.101.3.4.3.5': 'SHA3-224',
  '2.16.840.1.101.3.4.3.6': 'SHA3-256',
  '2.16.840.1.101.3.4.3.7': 'SHA3-384',
  '2.16.840.1.101.3.4.3.8': 'SHA3-512',
  '2.16.840.1.101.3.4.3.9': 'SHA3-224',
  '2.16.840.1.101.3.4.3.10': 'SHA3-256',
  '2.16.840.1.101.3.4.3.11': 'SHA3-384',
  '2.16.840.1.101.3.4.3.12': 'SHA3-512',
  '2.16.840.1.101.3.4.3.13': 'SHA3-224',
  '2.16.840.1.101.3.4.3.14': 'SHA3-256',
  '2.16.840.1.101.3.4.3.15': 'SHA3-384',
  '2.16.840.1.101.3.4.3.16': 'SHA3-512',
  '1.2.840.10045.4.1': 'SHA-1',
  '1.2.840.10045.4.3.1': 'SHA-224',
  '1.2.840.10045.4.3.2': 'SHA-256',
  '1.2.840.10045.4.3.3': 'SHA-384',
  '1.2.840.10045.4.3.4': 'SHA-512',
  '1.2.156.10197.1.501': 'SM3',
  '1.2.643.2.2.3': 'GOST R 34.11-94',
  '1.2.643.2.2.4': 'GOST R 34.11-94',
  '1.2.643.7.1.1.3.2': 'Streebog-256',
  '1.2.643.7.1.1.3.3': 'Streebog-512',
};

/** Digest algorithm OID → name, for RSASSA-PSS parameters. */
const DIGEST: Record<string, string> = {
  '1.2.840.113549.2.5': 'MD5',
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
  '2.16.840.1.101.3.4.2.5': 'SHA-512/224',
  '2.16.840.1.101.3.4.2.6': 'SHA-512/256',
  '2.16.840.1.101.3.4.2.7': 'SHA3-224',
  '2.16.840.1.101.3.4.2.8': 'SHA3-256',
  '2.16.840.1.101.3.4.2.9': 'SHA3-384',
  '2.16.840.1.101.3.4.2.10': 'SHA3-512',
};

const MGF1 = '1.2.840.113549.1.1.8';

/** RSASSA-PSS parameters with RFC 4055 defaults filled in; undefined members could not be read. */
export interface PssParams {
  hash: string | undefined;
  mgfHash: string | undefined;
  saltLength: number;
}

/**
 * The digest a signature algorithm uses; for RSASSA-PSS the one its parameters name (SHA-1 when absent).
 * Null for EdDSA, which hashes internally, and for algorithms not listed.
 */
export function signatureHash(oid: string, pss: PssParams | undefined): string | null {
  if (oid === OID.rsassaPss) return pss?.hash ?? null;
  return SIGNATURE_HASH[oid] ?? null;
}

/** Reads RSASSA-PSS-params (RFC 4055) from the body of an AlgorithmIdentifier after its OID. */
export function readPssParams(buf: Uint8Array, from: number, to: number): PssParams {
  const params: PssParams = { hash: 'SHA-1', mgfHash: 'SHA-1', saltLength: 20 };
  if (from >= to) return params;
  const seq = readTlv(buf, from, to);
  if (seq.tag === TAG.NULL) return params;
  if (seq.tag !== TAG.SEQUENCE) return { hash: undefined, mgfHash: undefined, saltLength: 20 };
  for (let p = seq.body; p < seq.bodyEnd;) {
    const field = readTlv(buf, p, seq.bodyEnd);
    if (field.tag === 0xa0) {
      params.hash = DIGEST[algorithmOid(buf, field)];
    } else if (field.tag === 0xa1) {
      const mgf = expectTlv(buf, field.body, field.bodyEnd, TAG.SEQUENCE, 'mask generation function');
      const mgfOid = expectTlv(buf, mgf.body, mgf.bodyEnd, TAG.OID, 'mask generation function');
      params.mgfHash =
        readOid(buf, mgfOid) === MGF1 && mgfOid.end < mgf.bodyEnd
          ? DIGEST[algorithmOid(buf, readTlv(buf, mgfOid.end, mgf.bodyEnd), false)]
          : undefined;
    } else if (field.tag === 0xa2) {
      const salt = expectTlv(buf, field.body, field.bodyEnd, TAG.INTEGER, 'salt length');
      params.saltLength = smallInteger(buf, salt);
    }
    p = field.end;
  }
  return params;
}

/** The OID of an AlgorithmIdentifier, given it directly or wrapped in an explicit tag. */
function algorithmOid(buf: Uint8Array, tlv: Tlv, wrapped = true): string {
  const alg = wrapped ? expectTlv(buf, tlv.body, tlv.bodyEnd, TAG.SEQUENCE, 'algorithm') : tlv;
  if (alg.tag !== TAG.SEQUENCE) return '';
  return readOid(buf, expectTlv(buf, alg.body, alg.bodyEnd, TAG.OID, 'algorithm'));
}

function smallInteger(buf: Uint8Array, tlv: Tlv): number {
  let n = 0;
  for (let i = tlv.body; i < tlv.bodyEnd && n < 2 ** 32; i++) n = n * 256 + buf[i];
  return n;
}

/** Named curve OID → [the name used in CertificateRecord.keyCurve (NIST name if any, else OpenSSL's), order bits]. */
const CURVES = new Map<string, [string, number]>(
  (
    [
      ['1.3.132.0.6', 'secp112r1', 112],
      ['1.3.132.0.7', 'secp112r2', 110],
      ['1.3.132.0.28', 'secp128r1', 128],
      ['1.3.132.0.29', 'secp128r2', 126],
      ['1.3.132.0.9', 'secp160k1', 161],
      ['1.3.132.0.8', 'secp160r1', 161],
      ['1.3.132.0.30', 'secp160r2', 161],
      ['1.3.132.0.31', 'secp192k1', 192],
      ['1.3.132.0.32', 'secp224k1', 225],
      ['1.3.132.0.33', 'P-224', 224],
      ['1.3.132.0.10', 'secp256k1', 256],
      ['1.3.132.0.34', 'P-384', 384],
      ['1.3.132.0.35', 'P-521', 521],
      ['1.2.840.10045.3.1.1', 'P-192', 192],
      ['1.2.840.10045.3.1.2', 'prime192v2', 192],
      ['1.2.840.10045.3.1.3', 'prime192v3', 192],
      ['1.2.840.10045.3.1.4', 'prime239v1', 239],
      ['1.2.840.10045.3.1.5', 'prime239v2', 239],
      ['1.2.840.10045.3.1.6', 'prime239v3', 239],
      ['1.2.840.10045.3.1.7', 'P-256', 256],
      ['1.3.132.0.4', 'sect113r1', 113],
      ['1.3.132.0.5', 'sect113r2', 113],
      ['1.3.132.0.22', 'sect131r1', 131],
      ['1.3.132.0.23', 'sect131r2', 131],
      ['1.3.132.0.1', 'K-163', 163],
      ['1.3.132.0.2', 'sect163r1', 162],
      ['1.3.132.0.15', 'B-163', 163],
      ['1.3.132.0.24', 'sect193r1', 193],
      ['1.3.132.0.25', 'sect193r2', 193],
      ['1.3.132.0.26', 'K-233', 232],
      ['1.3.132.0.27', 'B-233', 233],
      ['1.3.132.0.3', 'sect239k1', 238],
      ['1.3.132.0.16', 'K-283', 281],
      ['1.3.132.0.17', 'B-283', 282],
      ['1.3.132.0.36', 'K-409', 407],
      ['1.3.132.0.37', 'B-409', 409],
      ['1.3.132.0.38', 'K-571', 570],
      ['1.3.132.0.39', 'B-571', 570],
      ['1.2.840.10045.3.0.1', 'c2pnb163v1', 163],
      ['1.2.840.10045.3.0.2', 'c2pnb163v2', 162],
      ['1.2.840.10045.3.0.3', 'c2pnb163v3', 162],
      ['1.2.840.10045.3.0.4', 'c2pnb176v1', 161],
      ['1.2.840.10045.3.0.5', 'c2tnb191v1', 191],
      ['1.2.840.10045.3.0.6', 'c2tnb191v2', 190],
      ['1.2.840.10045.3.0.7', 'c2tnb191v3', 189],
      ['1.2.840.10045.3.0.10', 'c2pnb208w1', 193],
      ['1.2.840.10045.3.0.11', 'c2tnb239v1', 238],
      ['1.2.840.10045.3.0.12', 'c2tnb239v2', 237],
      ['1.2.840.10045.3.0.13', 'c2tnb239v3', 236],
      ['1.2.840.10045.3.0.16', 'c2pnb272w1', 257],
      ['1.2.840.10045.3.0.17', 'c2pnb304w1', 289],
      ['1.2.840.10045.3.0.18', 'c2tnb359v1', 353],
      ['1.2.840.10045.3.0.19', 'c2pnb368w1', 353],
      ['1.2.840.10045.3.0.20', 'c2tnb431r1', 418],
      ['2.23.43.1.4.1', 'wap-wsg-idm-ecid-wtls1', 112],
      ['2.23.43.1.4.3', 'wap-wsg-idm-ecid-wtls3', 163],
      ['2.23.43.1.4.4', 'wap-wsg-idm-ecid-wtls4', 113],
      ['2.23.43.1.4.5', 'wap-wsg-idm-ecid-wtls5', 163],
      ['2.23.43.1.4.6', 'wap-wsg-idm-ecid-wtls6', 112],
      ['2.23.43.1.4.7', 'wap-wsg-idm-ecid-wtls7', 161],
      ['2.23.43.1.4.8', 'wap-wsg-idm-ecid-wtls8', 113],
      ['2.23.43.1.4.9', 'wap-wsg-idm-ecid-wtls9', 161],
      ['2.23.43.1.4.10', 'wap-wsg-idm-ecid-wtls10', 232],
      ['2.23.43.1.4.11', 'wap-wsg-idm-ecid-wtls11', 233],
      ['2.23.43.1.4.12', 'wap-wsg-idm-ecid-wtls12', 224],
      ['1.3.36.3.3.2.8.1.1.1', 'brainpoolP160r1', 160],
      ['1.3.36.3.3.2.8.1.1.2', 'brainpoolP160t1', 160],
      ['1.3.36.3.3.2.8.1.1.3', 'brainpoolP192r1', 192],
      ['1.3.36.3.3.2.8.1.1.4', 'brainpoolP192t1', 192],
      ['1.3.36.3.3.2.8.1.1.5', 'brainpoolP224r1', 224],
      ['1.3.36.3.3.2.8.1.1.6', 'brainpoolP224t1', 224],
      ['1.3.36.3.3.2.8.1.1.7', 'brainpoolP256r1', 256],
      ['1.3.36.3.3.2.8.1.1.8', 'brainpoolP256t1', 256],
      ['1.3.36.3.3.2.8.1.1.9', 'brainpoolP320r1', 320],
      ['1.3.36.3.3.2.8.1.1.10', 'brainpoolP320t1', 320],
      ['1.3.36.3.3.2.8.1.1.11', 'brainpoolP384r1', 384],
      ['1.3.36.3.3.2.8.1.1.12', 'brainpoolP384t1', 384],
      ['1.3.36.3.3.2.8.1.1.13', 'brainpoolP512r1', 512],
      ['1.3.36.3.3.2.8.1.1.14', 'brainpoolP512t1', 512],
      ['1.2.156.10197.1.301', 'SM2', 256],
    ] as [string, string, number][]
  ).map(([oid, name, bits]) => [oid, [name, bits]]),
);

export interface KeyInfo {
  algorithm: string;
  size: number | null;
  curve: string | null;
  /** A known weakness of this very key (see CertificateRecord.weakKey); null when none is known. */
  weakKey: WeakKey | null;
}

/**
 * Algorithm, size and curve of a SubjectPublicKeyInfo. RSASSA-PSS keys are RSA keys (the OID only limits
 * how they may sign). Sizes follow OpenSSL: RSA modulus bits, EC group order bits, DSA p bits.
 * A key whose parameters cannot be read keeps its algorithm with a null size rather than failing the
 * certificate: the rest of the record is still worth having.
 */
export function readKey(buf: Uint8Array, spki: Tlv): KeyInfo {
  const alg = expectTlv(buf, spki.body, spki.bodyEnd, TAG.SEQUENCE, 'public key algorithm');
  const oidTlv = expectTlv(buf, alg.body, alg.bodyEnd, TAG.OID, 'public key algorithm');
  const oid = readOid(buf, oidTlv);
  const key = expectTlv(buf, alg.end, spki.bodyEnd, TAG.BIT_STRING, 'public key');
  switch (oid) {
    case OID.rsaEncryption:
    case OID.rsassaPss:
      return {
        algorithm: 'RSA',
        size: attempt(() => integerBits(buf, rsaModulus(buf, key))),
        curve: null,
        weakKey: rsaWeakness(buf, key),
      };
    case OID.ecPublicKey: {
      const params = oidTlv.end < alg.bodyEnd ? readTlv(buf, oidTlv.end, alg.bodyEnd) : undefined;
      if (params?.tag === TAG.OID) {
        const curveOid = readOid(buf, params);
        const curve = CURVES.get(curveOid);
        return { algorithm: 'EC', size: curve ? curve[1] : null, curve: curve ? curve[0] : curveOid, weakKey: null };
      }
      // Explicit parameters name no curve; their group order still gives the size.
      const order = params?.tag === TAG.SEQUENCE ? attempt(() => explicitCurveOrderBits(buf, params)) : null;
      return { algorithm: 'EC', size: order, curve: null, weakKey: null };
    }
    case OID.dsa: {
      const params = oidTlv.end < alg.bodyEnd ? readTlv(buf, oidTlv.end, alg.bodyEnd) : undefined;
      const size = params?.tag === TAG.SEQUENCE ? attempt(() => integerBits(buf, firstInteger(buf, params))) : null;
      return { algorithm: 'DSA', size, curve: null, weakKey: null };
    }
    case OID.ed25519:
      return { algorithm: 'Ed25519', size: 256, curve: null, weakKey: null };
    case OID.ed448:
      return { algorithm: 'Ed448', size: 456, curve: null, weakKey: null };
    default:
      // Post-quantum keys are named by their parameter set (ML-DSA-65), which says what a size would.
      return { algorithm: postQuantumByOid(oid)?.name ?? oid, size: null, curve: null, weakKey: null };
  }
}

function attempt(read: () => number): number | null {
  try {
    return read();
  } catch {
    return null;
  }
}

function rsaModulus(buf: Uint8Array, key: Tlv): Tlv {
  // The BIT STRING's first octet counts unused bits; the RSAPublicKey SEQUENCE follows it.
  const rsa = expectTlv(buf, key.body + 1, key.bodyEnd, TAG.SEQUENCE, 'RSA public key');
  return firstInteger(buf, rsa);
}

/** ROCA (CVE-2017-15361) is the one weakness read from an RSA modulus so far; an unreadable one has none known. */
function rsaWeakness(buf: Uint8Array, key: Tlv): WeakKey | null {
  try {
    const modulus = rsaModulus(buf, key);
    return hasRocaFingerprint(buf.subarray(modulus.body, modulus.bodyEnd)) ? 'roca' : null;
  } catch {
    return null;
  }
}

function explicitCurveOrderBits(buf: Uint8Array, params: Tlv): number {
  // ECParameters ::= SEQUENCE { version, fieldID, curve, base, order, cofactor OPTIONAL }
  let p = params.body;
  for (let i = 0; i < 4; i++) p = readTlv(buf, p, params.bodyEnd).end;
  return integerBits(buf, expectTlv(buf, p, params.bodyEnd, TAG.INTEGER, 'curve order'));
}

function firstInteger(buf: Uint8Array, seq: Tlv): Tlv {
  return expectTlv(buf, seq.body, seq.bodyEnd, TAG.INTEGER, 'integer');
}

/** Bits in the magnitude of an INTEGER, as BN_num_bits counts them. */
export function integerBits(buf: Uint8Array, int: Tlv): number {
  let from = int.body;
  const negative = from < int.bodyEnd && buf[from] & 0x80;
  if (negative) {
    // Two's complement: the magnitude's bit length is that of ~x + 1; compute it on a copy.
    const magnitude = twosComplementMagnitude(buf.subarray(int.body, int.bodyEnd));
    return bitLength(magnitude, 0, magnitude.length);
  }
  while (from < int.bodyEnd && buf[from] === 0) from++;
  return bitLength(buf, from, int.bodyEnd);
}

function bitLength(bytes: Uint8Array, from: number, to: number): number {
  while (from < to && bytes[from] === 0) from++;
  if (from === to) return 0;
  return (to - from - 1) * 8 + (32 - Math.clz32(bytes[from]));
}

/** Magnitude of a negative two's-complement big-endian integer. */
export function twosComplementMagnitude(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let carry = 1;
  for (let i = bytes.length - 1; i >= 0; i--) {
    const v = (~bytes[i] & 0xff) + carry;
    out[i] = v & 0xff;
    carry = v >> 8;
  }
  return out;
}

/** AlgorithmIdentifier { rsaEncryption, NULL }, the only form RFC 3279 allows for an RSA key. */
const RSA_ALGORITHM_ID = Uint8Array.from([
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
]);

/**
 * The SubjectPublicKeyInfo bytes whose hash identifies the key. Usually the certificate's own bytes; for
 * an rsaEncryption key whose encoding strays from DER/RFC 3279 (parameters missing or not NULL, integers
 * with redundant leading zeros) the canonical re-encoding instead, which is what OpenSSL writes for that
 * key (`openssl x509 -pubkey`) and what another certificate for the same key most likely carries.
 */
export function publicKeyInfoBytes(buf: Uint8Array, spki: Tlv): Uint8Array {
  const raw = buf.subarray(spki.start, spki.end);
  try {
    const alg = expectTlv(buf, spki.body, spki.bodyEnd, TAG.SEQUENCE, 'public key algorithm');
    const oid = expectTlv(buf, alg.body, alg.bodyEnd, TAG.OID, 'public key algorithm');
    if (readOid(buf, oid) !== OID.rsaEncryption) return raw;
    const key = expectTlv(buf, alg.end, spki.bodyEnd, TAG.BIT_STRING, 'public key');
    const rsa = expectTlv(buf, key.body + 1, key.bodyEnd, TAG.SEQUENCE, 'RSA public key');
    const modulus = expectTlv(buf, rsa.body, rsa.bodyEnd, TAG.INTEGER, 'modulus');
    const exponent = expectTlv(buf, modulus.end, rsa.bodyEnd, TAG.INTEGER, 'exponent');
    const n = minimalInteger(buf.subarray(modulus.body, modulus.bodyEnd));
    const e = minimalInteger(buf.subarray(exponent.body, exponent.bodyEnd));
    const canonical =
      equalBytes(buf.subarray(alg.start, alg.end), RSA_ALGORITHM_ID) &&
      buf[key.body] === 0 &&
      rsa.end === key.bodyEnd &&
      exponent.end === rsa.bodyEnd &&
      n.length === modulus.bodyEnd - modulus.body &&
      e.length === exponent.bodyEnd - exponent.body &&
      spki.end === key.end;
    if (canonical) return raw;
    const rsaKey = encodeTlv(TAG.SEQUENCE, [encodeTlv(TAG.INTEGER, [n]), encodeTlv(TAG.INTEGER, [e])]);
    return encodeTlv(TAG.SEQUENCE, [RSA_ALGORITHM_ID, encodeTlv(TAG.BIT_STRING, [Uint8Array.of(0), rsaKey])]);
  } catch {
    return raw;
  }
}

/** An INTEGER's content without the leading octets DER forbids. */
function minimalInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0 && bytes[i + 1] < 0x80) i++;
  return bytes.subarray(i);
}

function encodeTlv(tag: number, parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const header: number[] = [tag];
  if (length < 0x80) header.push(length);
  else {
    const octets: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
    header.push(0x80 | octets.length, ...octets);
  }
  const out = new Uint8Array(header.length + length);
  out.set(header, 0);
  let at = header.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
