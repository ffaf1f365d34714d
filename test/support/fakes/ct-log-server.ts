import { createHash, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { certificateParts } from '../../../lib/x509/certificate-parts';
import type { IssuedCertificate } from '../../../lib/x509/factory';

/** One entry as an RFC 6962 log stores it: a MerkleTreeLeaf and the chain it came with. */
export interface FakeCtEntry {
  leafInput: Buffer;
  extraData: Buffer;
}

const CT_POISON = '1.3.6.1.4.1.11129.2.4.3';

/** The CT poison extension (RFC 6962 §3.1): critical, an ASN.1 NULL. What makes a certificate a precertificate. */
export const poisonExtension = (): x509.Extension => new x509.Extension(CT_POISON, true, Uint8Array.of(0x05, 0x00));

const uint = (value: number, size: number): Buffer => {
  const bytes = Buffer.alloc(size);
  for (let i = size - 1, rest = value; i >= 0; i--, rest = Math.floor(rest / 256)) bytes[i] = rest % 256;
  return bytes;
};
/** A TLS `opaque <…>` vector with a length of `lengthSize` bytes. */
const vector = (body: Uint8Array, lengthSize: number): Buffer => Buffer.concat([uint(body.length, lengthSize), body]);
const chainOf = (chain: IssuedCertificate[]): Buffer =>
  vector(Buffer.concat(chain.map((certificate) => vector(certificate.der, 3))), 3);

/** RFC 6962 §3.4: a v1 timestamped_entry leaf. */
function merkleTreeLeaf(timestamp: number, entryType: 0 | 1, signedEntry: Buffer): Buffer {
  return Buffer.concat([Buffer.of(0, 0), uint(timestamp, 8), uint(entryType, 2), signedEntry, uint(0, 2)]);
}

/** An x509_entry for a certificate, with its issuing chain. */
export function x509Entry(certificate: IssuedCertificate, chain: IssuedCertificate[], timestamp: number): FakeCtEntry {
  return {
    leafInput: merkleTreeLeaf(timestamp, 0, vector(certificate.der, 3)),
    extraData: chainOf(chain),
  };
}

/**
 * A precert_entry for a precertificate (issued with the poison extension): the leaf holds its TBSCertificate with
 * the poison removed and the issuer's key hash (RFC 6962 §3.2); the extra data the precertificate and its chain.
 */
export function precertEntry(
  precertificate: IssuedCertificate,
  chain: IssuedCertificate[],
  timestamp: number,
): FakeCtEntry {
  const parsed = AsnConvert.parse(precertificate.der, Certificate);
  const tbs = parsed.tbsCertificate;
  tbs.extensions = tbs.extensions?.filter((extension) => extension.extnID !== CT_POISON) as typeof tbs.extensions;
  const issuerKeyHash = createHash('sha256').update(certificateParts(chain[0].der).spki).digest();
  return {
    leafInput: merkleTreeLeaf(
      timestamp,
      1,
      Buffer.concat([issuerKeyHash, vector(new Uint8Array(AsnConvert.serialize(tbs)), 3)]),
    ),
    extraData: Buffer.concat([vector(precertificate.der, 3), chainOf(chain)]),
  };
}

/** RFC 6962 §2.1: the Merkle Tree Hash of the leaves. */
export function merkleTreeHash(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return createHash('sha256').update(Buffer.of(0)).update(leaves[0]).digest();
  let split = 1;
  while (split * 2 < leaves.length) split *= 2;
  return createHash('sha256')
    .update(Buffer.of(1))
    .update(merkleTreeHash(leaves.slice(0, split)))
    .update(merkleTreeHash(leaves.slice(split)))
    .digest();
}

/**
 * A Certificate Transparency log on 127.0.0.1 speaking RFC 6962's get-sth and get-entries over real HTTP, with a
 * signed tree head (ECDSA P-256, as real logs sign) and the defects a monitor must survive: pages shorter than asked
 * (`maxPageSize`), a failure injected at an entry, a log that is down. It counts how often each entry is served.
 */
export class FakeCtLog {
  readonly entries: FakeCtEntry[] = [];
  /** Entries served per get-entries at most, whatever the request asks. */
  maxPageSize = 1000;
  /** get-entries starting at or beyond this index answer 503 (once each time it is set); undefined: none. */
  failAtIndex: number | undefined;
  /** Every get-entries range asked for, as `start-end`. */
  readonly requests: string[] = [];
  /** How many times each entry was served. */
  readonly served = new Map<number, number>();
  url = '';
  readonly publicKeyDer: Buffer;
  private readonly privateKey: KeyObject;
  private server: Server | undefined;

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    this.publicKeyDer = publicKey.export({ type: 'spki', format: 'der' });
  }

  add(...entries: FakeCtEntry[]): void {
    this.entries.push(...entries);
  }

  /** Entries served more than once: what a monitor that reads each entry once never causes. */
  servedTwice(): number[] {
    return [...this.served].filter(([, count]) => count > 1).map(([index]) => index);
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const answer = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (url.pathname === '/log/ct/v1/get-sth') return answer(200, this.treeHead());
      if (url.pathname !== '/log/ct/v1/get-entries') return answer(404, { error: 'not found' });
      const start = Number(url.searchParams.get('start'));
      const end = Number(url.searchParams.get('end'));
      this.requests.push(`${start}-${end}`);
      if (
        !Number.isInteger(start) ||
        !Number.isInteger(end) ||
        start < 0 ||
        end < start ||
        start >= this.entries.length
      )
        return answer(400, { error: 'bad range' });
      if (this.failAtIndex !== undefined && end >= this.failAtIndex) {
        this.failAtIndex = undefined;
        return answer(503, { error: 'injected failure' });
      }
      const last = Math.min(end, this.entries.length - 1, start + this.maxPageSize - 1);
      const page = this.entries.slice(start, last + 1);
      page.forEach((_, offset) => this.served.set(start + offset, (this.served.get(start + offset) ?? 0) + 1));
      answer(200, {
        entries: page.map((entry) => ({
          leaf_input: entry.leafInput.toString('base64'),
          extra_data: entry.extraData.toString('base64'),
        })),
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/log/`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** RFC 6962 §3.5: the tree head, signed as a TLS DigitallySigned (SHA-256, ECDSA). */
  private treeHead() {
    const timestamp = Date.now();
    const rootHash = merkleTreeHash(this.entries.map((entry) => entry.leafInput));
    const signed = Buffer.concat([Buffer.of(0, 1), uint(timestamp, 8), uint(this.entries.length, 8), rootHash]);
    const signature = createSign('sha256').update(signed).sign(this.privateKey);
    return {
      tree_size: this.entries.length,
      timestamp,
      sha256_root_hash: rootHash.toString('base64'),
      tree_head_signature: Buffer.concat([Buffer.of(4, 3), uint(signature.length, 2), signature]).toString('base64'),
    };
  }
}
