import 'reflect-metadata';
import { createPublicKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { CertificateRecord } from '../../lib/domain/certificate';
import { issueCertificate, type IssuedCertificate, type IssueOptions } from '../../lib/x509/factory';
import { normalize } from '../../lib/x509/parse';

/**
 * Certificates for the policy rules' tests, made at test time: a leaf from a test CA with any extra extension,
 * a certificate whose outer signature algorithm differs from the signed one, an RSA key of a chosen modulus.
 */

const NOT_BEFORE = new Date('2026-05-01T00:00:00Z');
const NOT_AFTER = new Date('2026-07-29T23:59:59Z');

let ca: Promise<IssuedCertificate> | undefined;

/** One test CA per test file: issuing from it costs a signature, not a key generation. */
export const testCa = (): Promise<IssuedCertificate> =>
  (ca ??= issueCertificate({
    subject: 'CN=Crafted Test CA, O=Example Trust',
    ca: true,
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2031-01-01T00:00:00Z'),
  }));

/** A TLS server leaf from the test CA (90 days, 128-bit serial); `options` override any of it. */
export async function craftLeaf(options: Partial<IssueOptions> = {}): Promise<IssuedCertificate> {
  return issueCertificate({
    subject: 'CN=api.example.com',
    dns: ['api.example.com'],
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    issuer: await testCa(),
    ...options,
  });
}

/** The record certwarden reads from `craftLeaf(options)`. */
export const craftRecord = async (options: Partial<IssueOptions> = {}): Promise<CertificateRecord> =>
  normalize((await craftLeaf(options)).der);

/** The embedded SCT list extension holding `count` SCT-shaped entries (a TLS list of two-octet-length items). */
export function sctListExtension(count: number): x509.Extension {
  const sct = Uint8Array.from({ length: 40 }, (_, i) => i); // version 0 (v1), then filler
  const items = Array.from({ length: count }, () => [0, sct.length, ...sct]).flat();
  const list = [items.length >> 8, items.length & 0xff, ...items];
  return new x509.Extension('1.3.6.1.4.1.11129.2.4.2', false, derTlv(0x04, Uint8Array.from(list)));
}

/** The CT poison extension (RFC 6962 §3.1): critical, value NULL. */
export const ctPoisonExtension = (): x509.Extension =>
  new x509.Extension('1.3.6.1.4.1.11129.2.4.3', true, Uint8Array.of(0x05, 0x00));

/** An AlgorithmIdentifier (DER) without its parameters: `{ sha256WithRSAEncryption }` for `{ …, NULL }`. */
export function withoutParameters(algorithm: Uint8Array): Uint8Array {
  const body = readElement(algorithm, 0).body;
  return derTlv(0x30, algorithm.subarray(body, readElement(algorithm, body).end));
}

/** An AlgorithmIdentifier (DER) whose OID's last octet is changed: sha384WithRSAEncryption for sha256…, etc. */
export function withLastOidOctet(algorithm: Uint8Array, octet: number): Uint8Array {
  const copy = Uint8Array.from(algorithm);
  const oid = readElement(copy, readElement(copy, 0).body);
  copy[oid.end - 1] = octet;
  return copy;
}

/**
 * The same certificate with its outer signatureAlgorithm replaced (the signed TBSCertificate untouched): what a
 * CA that signs one algorithm and announces another produces.
 */
export function withOuterSignatureAlgorithm(der: Uint8Array, algorithm: Uint8Array): Uint8Array {
  const body = readElement(der, 0).body;
  const tbs = readElement(der, body);
  const outer = readElement(der, tbs.end);
  const signature = der.subarray(outer.end, readElement(der, outer.end).end);
  return derTlv(0x30, concat(der.subarray(body, tbs.end), algorithm, signature));
}

/** The outer signatureAlgorithm of a certificate, as DER. */
export function outerSignatureAlgorithm(der: Uint8Array): Uint8Array {
  const tbs = readElement(der, readElement(der, 0).body);
  return der.subarray(tbs.end, readElement(der, tbs.end).end);
}

/** An RSA public key (exponent 65537) with the given modulus, whether or not it is a product of two primes. */
export async function rsaPublicKey(modulus: bigint): Promise<CryptoKey> {
  const n = Buffer.from(modulus.toString(16).padStart(Math.ceil(modulus.toString(16).length / 2) * 2, '0'), 'hex');
  const spki = createPublicKey({
    key: { kty: 'RSA', n: n.toString('base64url'), e: 'AQAB' },
    format: 'jwk',
  }).export({ type: 'spki', format: 'der' });
  return webcrypto.subtle.importKey('spki', spki, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']);
}

/** A public key alone, in the key-pair shape issueCertificate takes: the CA signs, so no private half is needed. */
export const publicOnly = (publicKey: CryptoKey): CryptoKeyPair => ({ publicKey }) as CryptoKeyPair;

const PRIMES_TO_167 = [
  2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109,
  113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
];

/** M, the product of the primes up to 167: the modulus of the ROCA construction used here. */
export const ROCA_M = PRIMES_TO_167.reduce((product, p) => product * BigInt(p), 1n);

export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

/**
 * A number of `bits` bits shaped like a ROCA modulus, k·M + (65537^a mod M): modulo every prime up to 167 it is a
 * power of 65537, which is all the fingerprint looks at. It need not be a product of two primes to be tested.
 */
export function rocaShapedModulus(bits: number, a: bigint, k: bigint): bigint {
  const top = 1n << BigInt(bits - 1);
  const multiplier = top / ROCA_M + k;
  const n = multiplier * ROCA_M + modPow(65537n, a, ROCA_M);
  if (n >> BigInt(bits) !== 0n || n < top) throw new Error('k too large for the bit length');
  return n;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

function derTlv(tag: number, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const length =
    body.length < 0x80
      ? [body.length]
      : body.length < 0x100
        ? [0x81, body.length]
        : [0x82, body.length >> 8, body.length & 0xff];
  return concat(Uint8Array.of(tag, ...length), body);
}

function readElement(der: Uint8Array, at: number): { body: number; end: number } {
  const first = der[at + 1];
  if (first < 0x80) return { body: at + 2, end: at + 2 + first };
  const octets = first & 0x7f;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + der[at + 2 + i];
  return { body: at + 2 + octets, end: at + 2 + octets + length };
}
