import { createHash, createPublicKey, verify } from 'node:crypto';
import type { CertificateRecord } from '../domain/certificate';
import { CertificateParseError } from '../domain/errors';
import { certificateParts } from './certificate-parts';
import { expectTlv, readTlv, TAG } from './der';
import { normalize } from './normalize';

/**
 * One entry of a Certificate Transparency log (RFC 6962 §3.4 MerkleTreeLeaf and §4.6 extra_data), read with
 * lib/x509: an `x509` entry is a whole certificate; a `precert` entry is the TBSCertificate a CA promised to
 * issue (its poison extension already removed by the log), with the hash of the real issuer's key.
 */
export interface CtLogEntry {
  entryType: 'x509' | 'precert';
  /** The log's timestamp of the entry (milliseconds since the epoch). */
  timestamp: number;
  /**
   * The certificate's fields. For a precert they are those of its TBSCertificate, which the final certificate
   * shares but for the SCT list; its `fingerprintSha256` is of a wrapper made to read it, so use `fingerprint`.
   */
  record: CertificateRecord;
  /** SHA-256 of the certificate's DER (the inventory's identity); null for a precert, which has none. */
  fingerprint: string | null;
  /** SHA-256 of the issuer's SubjectPublicKeyInfo: the precert's issuer_key_hash, else the chain's first; null if none. */
  issuerKeySha256: string | null;
}

const LEAF_VERSION_V1 = 0;
const TIMESTAMPED_ENTRY = 0;
const X509_ENTRY = 0;
const PRECERT_ENTRY = 1;
/** An empty BIT STRING: the signature of the wrapper that lets `normalize` read a bare TBSCertificate. */
const EMPTY_SIGNATURE = Uint8Array.of(TAG.BIT_STRING, 1, 0);

/** Reads the TLS-encoded (RFC 5246 §4) vectors and integers of a CT structure, refusing to run past its end. */
class TlsReader {
  private pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  uint(size: number): number {
    this.need(size);
    let value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + this.bytes[this.pos++];
    return value;
  }

  fixed(size: number): Uint8Array {
    this.need(size);
    const slice = this.bytes.subarray(this.pos, this.pos + size);
    this.pos += size;
    return slice;
  }

  /** `opaque <0..2^(8·lengthSize)-1>`. */
  vector(lengthSize: number): Uint8Array {
    return this.fixed(this.uint(lengthSize));
  }

  get done(): boolean {
    return this.pos === this.bytes.length;
  }

  private need(size: number): void {
    if (this.pos + size > this.bytes.length)
      throw new CertificateParseError(`${this.what}: ends at byte ${this.bytes.length}, ${size} more expected`);
  }
}

/**
 * Reads a get-entries entry: `leafInput` (a MerkleTreeLeaf) and `extraData` (the chain the log was given).
 * @throws CertificateParseError naming what could not be read.
 */
export function readCtEntry(leafInput: Uint8Array, extraData: Uint8Array): CtLogEntry {
  const leaf = new TlsReader(leafInput, 'MerkleTreeLeaf');
  const version = leaf.uint(1);
  const leafType = leaf.uint(1);
  if (version !== LEAF_VERSION_V1 || leafType !== TIMESTAMPED_ENTRY)
    throw new CertificateParseError(`MerkleTreeLeaf: version ${version}, leaf type ${leafType}; only v1 entries read`);
  const timestamp = leaf.uint(8);
  const entryType = leaf.uint(2);
  if (entryType === X509_ENTRY) {
    const der = leaf.vector(3);
    leaf.vector(2); // CtExtensions: none defined
    const record = normalize(der);
    return {
      entryType: 'x509',
      timestamp,
      record,
      fingerprint: record.fingerprintSha256,
      issuerKeySha256: chainIssuerKey(extraData),
    };
  }
  if (entryType === PRECERT_ENTRY) {
    const issuerKeyHash = leaf.fixed(32);
    const tbs = leaf.vector(3);
    leaf.vector(2);
    return {
      entryType: 'precert',
      timestamp,
      record: readTbsCertificate(tbs),
      fingerprint: null,
      issuerKeySha256: Buffer.from(issuerKeyHash).toString('hex'),
    };
  }
  throw new CertificateParseError(`MerkleTreeLeaf: unknown entry type ${entryType}`);
}

/** A TBSCertificate read by `normalize`, wrapped as a Certificate with its own algorithm and no signature. */
function readTbsCertificate(tbs: Uint8Array): CertificateRecord {
  const outer = expectTlv(tbs, 0, tbs.length, TAG.SEQUENCE, 'tbsCertificate');
  if (outer.end !== tbs.length) throw new CertificateParseError('tbsCertificate: trailing bytes');
  const first = readTlv(tbs, outer.body, outer.bodyEnd);
  const serial = expectTlv(tbs, first.tag === 0xa0 ? first.end : outer.body, outer.bodyEnd, TAG.INTEGER, 'serial');
  const algorithm = expectTlv(tbs, serial.end, outer.bodyEnd, TAG.SEQUENCE, 'signature');
  return normalize(derSequence([tbs, tbs.subarray(algorithm.start, algorithm.end), EMPTY_SIGNATURE]));
}

/** The SHA-256 of the SPKI of the chain's first certificate (the issuer); null when there is none or it is unreadable. */
function chainIssuerKey(extraData: Uint8Array): string | null {
  try {
    const chain = new TlsReader(new TlsReader(extraData, 'certificate_chain').vector(3), 'certificate_chain');
    if (chain.done) return null;
    return createHash('sha256')
      .update(certificateParts(chain.vector(3)).spki)
      .digest('hex');
  } catch {
    // The chain only helps the allowlist by issuer key: an entry whose chain cannot be read is still checked.
    return null;
  }
}

function derSequence(parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const lengthBytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) lengthBytes.unshift(rest % 256);
  const header = length < 0x80 ? [TAG.SEQUENCE, length] : [TAG.SEQUENCE, 0x80 | lengthBytes.length, ...lengthBytes];
  return Buffer.concat([Uint8Array.from(header), ...parts]);
}

/** RFC 5246 §7.4.1.4.1 SignatureAndHashAlgorithm codes a log's DigitallySigned may carry (RFC 6962 §2.1.4). */
const SHA256 = 4;
const SIGNATURE_ALGORITHMS: Record<number, string> = { 1: 'RSA', 3: 'ECDSA' };

/**
 * Whether a signed tree head's `tree_head_signature` (a TLS DigitallySigned) was made by the log key `spki` (DER
 * SubjectPublicKeyInfo, as log lists publish it) over the RFC 6962 §3.5 TreeHeadSignature: version 0, type
 * tree_hash, timestamp, tree size and root hash. False for anything else, a malformed signature included.
 */
export function treeHeadSignedBy(
  sth: { treeSize: number; timestamp: number; rootHash: Uint8Array; signature: Uint8Array },
  spki: Uint8Array,
): boolean {
  try {
    const signed = new TlsReader(sth.signature, 'tree_head_signature');
    const hash = signed.uint(1);
    const algorithm = SIGNATURE_ALGORITHMS[signed.uint(1)];
    const signature = signed.vector(2);
    if (hash !== SHA256 || !algorithm || !signed.done || sth.rootHash.length !== 32) return false;
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== algorithm.toLowerCase().replace('ecdsa', 'ec')) return false;
    const treeHead = Buffer.concat([
      Uint8Array.of(0, 1),
      bigEndian(sth.timestamp, 8),
      bigEndian(sth.treeSize, 8),
      sth.rootHash,
    ]);
    return verify('sha256', treeHead, key, signature);
  } catch {
    return false;
  }
}

function bigEndian(value: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = size - 1, rest = value; i >= 0; i--, rest = Math.floor(rest / 256)) bytes[i] = rest % 256;
  return bytes;
}
