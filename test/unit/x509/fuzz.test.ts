import fc from 'fast-check';
import { CertificateParseError } from '../../../lib/domain/errors';
import { issueCertificate } from '../../../lib/x509/factory';
import { normalize, parseCertificates } from '../../../lib/x509/parse';
import { opensslSync, opensslWithFiles } from '../../support/openssl';

/**
 * Whatever bytes arrive, the parser either reads them or says why with a CertificateParseError: no
 * RangeError, TypeError or stack overflow may escape, whatever a damaged file or a hostile peer sends.
 */

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'set'; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  // Octets that mean something to a DER reader: lengths, long-form and indefinite markers, common tags.
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    value: fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x88, 0xff, 0x1f, 0x30, 0x31, 0xa0, 0xa3, 0x06),
  }),
);

function mutate(seed: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(seed);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    switch (m.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[at] ^= 1 << m.bit;
        break;
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'insert':
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
        break;
      case 'delete':
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + m.length)]);
        break;
      case 'set':
        if (bytes.length > 0) bytes[at] = m.value;
        break;
    }
  }
  return bytes;
}

function onlyParseErrors(read: () => unknown): void {
  try {
    read();
  } catch (error) {
    if (!(error instanceof CertificateParseError)) throw error;
  }
}

const seeds: Record<string, Uint8Array> = {};

beforeAll(async () => {
  const notBefore = new Date('2026-01-01T00:00:00.000Z');
  const notAfter = new Date('2027-01-01T00:00:00.000Z');
  const root = await issueCertificate({ subject: 'CN=Fuzz Root, O=Example', ca: true, notBefore, notAfter });
  const leaf = await issueCertificate({
    subject: 'CN=fuzz.example.com',
    dns: ['fuzz.example.com'],
    ip: ['192.0.2.1', '2001:db8::1'],
    email: ['a@example.com'],
    issuer: root,
    notBefore,
    notAfter,
  });
  const ed25519 = await issueCertificate({ subject: 'CN=Ed', key: { algorithm: 'Ed25519' }, notBefore, notAfter });
  const rsaPss = opensslSync([
    'req',
    '-x509',
    '-newkey',
    'rsa:1024',
    '-sigopt',
    'rsa_padding_mode:pss',
    '-nodes',
    '-keyout',
    '/dev/null',
    '-subj',
    '/CN=pss/O=Example+OU=Multi',
    '-days',
    '1',
    '-outform',
    'DER',
  ]);
  seeds.ecLeaf = leaf.der;
  seeds.selfSignedRoot = root.der;
  seeds.ed25519 = ed25519.der;
  seeds.rsaPss = rsaPss;
  seeds.pkcs7 = opensslWithFiles({ 'chain.pem': `${leaf.pem}\n${root.pem}` }, (path) => [
    'crl2pkcs7',
    '-nocrl',
    '-certfile',
    path['chain.pem'],
    '-outform',
    'DER',
  ]);
  seeds.pemWithText = Buffer.from(`subject and notes\n${leaf.pem}`);
});

describe('parsing damaged input', () => {
  it('throws nothing but CertificateParseError, for a thousand mutations of real certificates', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(seeds)),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (seed, mutations) => {
          const bytes = mutate(seeds[seed], mutations);
          onlyParseErrors(() => normalize(bytes));
          onlyParseErrors(() => parseCertificates(bytes, 'fuzzed'));
        },
      ),
      { numRuns: 1000, interruptAfterTimeLimit: 30_000 },
    );
  });

  it('throws nothing but CertificateParseError for arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        onlyParseErrors(() => normalize(bytes));
        onlyParseErrors(() => parseCertificates(bytes, 'random'));
      }),
      { numRuns: 500 },
    );
  });

  it('answers promptly for an object identifier with one enormous arc', () => {
    // A naive big-number decoding of this 300 KB arc takes minutes.
    const arc = new Uint8Array(300_000).fill(0xff);
    arc[arc.length - 1] = 0x01;
    const oid = Buffer.concat([Buffer.of(0x06, 0x83, 0x04, 0x93, 0xe0), arc]);
    const contentInfo = Buffer.concat([Buffer.of(0x30, 0x83, 0x04, 0x93, 0xe5), oid]);
    const started = performance.now();

    onlyParseErrors(() => parseCertificates(contentInfo, 'hostile'));

    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('survives nesting deep enough to exhaust a naive recursive reader', () => {
    const deep = new Uint8Array(200_000).map((_, i) => (i % 2 === 0 ? 0x30 : 0x80));

    onlyParseErrors(() => parseCertificates(deep, 'deep'));
    onlyParseErrors(() => normalize(deep));
  });
});
