import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { CertificateParseError, Pkcs12PasswordError } from '../../../lib/domain/errors';
import { readTlv, type Tlv } from '../../../lib/x509/der';
import { issueCertificate, privateKeyPem, type IssuedCertificate } from '../../../lib/x509/factory';
import { parseCertificates, type ParseOptions } from '../../../lib/x509/parse';
import { opensslWithFiles } from '../../support/openssl';

const notBefore = new Date('2026-01-01T00:00:00.000Z');
const notAfter = new Date('2027-01-01T00:00:00.000Z');

let root: IssuedCertificate;
let intermediate: IssuedCertificate;
let leaf: IssuedCertificate;
let keyPem: string;

beforeAll(async () => {
  root = await issueCertificate({ subject: 'CN=P12 Root', ca: true, notBefore, notAfter });
  intermediate = await issueCertificate({
    subject: 'CN=P12 Intermediate',
    ca: true,
    issuer: root,
    notBefore,
    notAfter,
  });
  leaf = await issueCertificate({
    subject: 'CN=p12.example.com',
    dns: ['p12.example.com'],
    issuer: intermediate,
    notBefore,
    notAfter,
  });
  keyPem = await privateKeyPem(leaf.keys);
});

/** `openssl pkcs12 -export` of the leaf, its key and its chain (intermediate, root), with `args` added. */
function exportPkcs12(args: string[], { key = true } = {}): Uint8Array {
  const files = { 'leaf.pem': leaf.pem, 'key.pem': keyPem, 'chain.pem': `${intermediate.pem}\n${root.pem}` };
  return opensslWithFiles(files, (path) => [
    'pkcs12',
    '-export',
    '-in',
    path['leaf.pem'],
    ...(key ? ['-inkey', path['key.pem']] : ['-nokeys']),
    '-certfile',
    path['chain.pem'],
    ...args,
  ]);
}

const fingerprintsOf = (input: Uint8Array | string, options?: ParseOptions) =>
  parseCertificates(input, 'bundle.p12', options).certificates.map((c) => c.record.fingerprintSha256);

/** The fingerprints of the leaf, intermediate and root, as our PEM reading gives them. */
const chainFingerprints = () => fingerprintsOf(`${leaf.pem}\n${intermediate.pem}\n${root.pem}`);

function thrown(read: () => unknown): Error {
  try {
    read();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('parseCertificates on PKCS#12', () => {
  it('reads every certificate of a password-less PKCS#12 in OpenSSL 3 encryption, and drops the key', () => {
    const p12 = exportPkcs12(['-passout', 'pass:']);

    const result = parseCertificates(p12, 'bundle.p12');

    expect(result.certificates.map((c) => c.record.fingerprintSha256)).toEqual(chainFingerprints());
    expect(result.certificates[0].der).toEqual(leaf.der);
    expect(result.privateKeysDropped).toBe(1);
    expect(result.problems).toEqual([]);
  });

  it('reads a -legacy PKCS#12 (RC2-40 and 3DES, SHA-1 MAC) with its password', () => {
    const p12 = exportPkcs12(['-legacy', '-passout', 'pass:secret']);

    expect(fingerprintsOf(p12, { pkcs12Passwords: ['secret'] })).toEqual(chainFingerprints());
  });

  it('opens a password-protected PKCS#12 with the given password that fits, tried in order', () => {
    const p12 = exportPkcs12(['-passout', 'pass:secret']);

    const result = parseCertificates(p12, 'bundle.p12', { pkcs12Passwords: ['not this one', 'secret'] });

    expect(result.certificates.map((c) => c.record.fingerprintSha256)).toEqual(chainFingerprints());
    expect(result.privateKeysDropped).toBe(1);
  });

  it('takes the password as UTF-8, as OpenSSL does', () => {
    const p12 = exportPkcs12(['-passout', 'pass:pässwört€']);

    expect(fingerprintsOf(p12, { pkcs12Passwords: ['pässwört€'] })).toEqual(chainFingerprints());
  });

  it('says "PKCS#12, password needed" for a password-protected PKCS#12 when no password is given', () => {
    const p12 = exportPkcs12(['-passout', 'pass:secret']);

    const error = thrown(() => parseCertificates(p12, 'locked.p12'));

    expect(error).toBeInstanceOf(Pkcs12PasswordError);
    expect(error).toBeInstanceOf(CertificateParseError);
    expect(error.message).toBe('locked.p12: PKCS#12, password needed');
    expect((error as Pkcs12PasswordError).reason).toBe('password needed');
  });

  it('says "PKCS#12, wrong password" when none of the given passwords opens it', () => {
    const p12 = exportPkcs12(['-passout', 'pass:secret']);

    const error = thrown(() => parseCertificates(p12, 'locked.p12', { pkcs12Passwords: ['guess', 'another'] }));

    expect(error).toBeInstanceOf(Pkcs12PasswordError);
    expect(error.message).toBe('locked.p12: PKCS#12, wrong password');
  });

  it('says "wrong password" also for a PKCS#12 without a MAC, whose encryption alone tells', () => {
    const p12 = exportPkcs12(['-nomac', '-certpbe', 'AES-256-CBC', '-passout', 'pass:secret']);

    expect(thrown(() => parseCertificates(p12, 'locked.p12', { pkcs12Passwords: ['guess'] })).message).toBe(
      'locked.p12: PKCS#12, wrong password',
    );
    expect(fingerprintsOf(p12, { pkcs12Passwords: ['secret'] })).toEqual(chainFingerprints());
  });

  it('gives a one-line CertificateParseError naming the file for a truncated PKCS#12', () => {
    const p12 = exportPkcs12(['-passout', 'pass:']);

    const error = thrown(() => parseCertificates(p12.subarray(0, p12.length - 100), 'cut.p12'));

    expect(error).toBeInstanceOf(CertificateParseError);
    expect(error).not.toBeInstanceOf(Pkcs12PasswordError);
    expect(error.message).toMatch(/^cut\.p12: PKCS#12, unreadable \(.+\)$/);
  });

  it('reads a -nokeys PKCS#12: the certificates, no key dropped', () => {
    const p12 = exportPkcs12(['-passout', 'pass:'], { key: false });

    const result = parseCertificates(p12, 'bundle.p12');

    expect(result.certificates.map((c) => c.record.fingerprintSha256)).toEqual(chainFingerprints());
    expect(result.privateKeysDropped).toBe(0);
  });

  it('reports a PKCS#12 holding only a key as no certificate found, the key dropped', () => {
    const p12 = opensslWithFiles({ 'leaf.pem': leaf.pem, 'key.pem': keyPem }, (path) => [
      'pkcs12',
      '-export',
      '-nocerts',
      '-inkey',
      path['key.pem'],
      '-passout',
      'pass:',
    ]);

    expect(thrown(() => parseCertificates(p12, 'key-only.p12')).message).toBe(
      'key-only.p12: no certificate found (1 private key(s) dropped; PKCS#12 holds no certificate)',
    );
  });

  it("puts the key's certificate first even when the file lists the chain before it", () => {
    const p12 = reverseCertificateBags(
      exportPkcs12(['-nomac', '-certpbe', 'NONE', '-keypbe', 'NONE', '-passout', 'pass:']),
    );

    expect(fingerprintsOf(p12)).toEqual([leaf, root, intermediate].map((c) => fingerprintsOf(c.pem)[0]));
  });

  it('throws nothing but one-line CertificateParseErrors naming the file, for damaged PKCS#12 files', () => {
    const seeds = [
      exportPkcs12(['-passout', 'pass:secret']),
      exportPkcs12(['-legacy', '-passout', 'pass:']),
      exportPkcs12(['-nomac', '-certpbe', 'NONE', '-keypbe', 'NONE', '-passout', 'pass:']),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat()),
        (seed, writes, cut) => {
          const bytes = Uint8Array.from(seed);
          for (const [at, value] of writes) bytes[at % bytes.length] = value;
          const damaged = cut === null ? bytes : bytes.subarray(0, cut % bytes.length);
          try {
            parseCertificates(damaged, 'damaged.p12', { pkcs12Passwords: ['secret'] });
          } catch (error) {
            if (!(error instanceof CertificateParseError)) throw error;
            expect(error.message).toMatch(/^damaged\.p12: [^\n]+$/);
          }
        },
      ),
      { numRuns: 300, interruptAfterTimeLimit: 20_000 },
    );
  });

  it('loads node-forge only when a PKCS#12 is met', () => {
    const dir = mkdtempSync(join(tmpdir(), 'certwarden-p12-'));
    try {
      writeFileSync(join(dir, 'bundle.p12'), exportPkcs12(['-passout', 'pass:']));
      writeFileSync(join(dir, 'leaf.pem'), leaf.pem);
      const script = `
        const { readFileSync } = require('node:fs');
        const { parseCertificates } = require(${JSON.stringify(resolve(__dirname, '../../../lib/x509/parse'))});
        const forgeLoaded = () => Object.keys(require.cache).some((path) => path.includes('/node-forge/'));
        parseCertificates(readFileSync(process.argv[1] + '/leaf.pem'), 'leaf.pem');
        const before = forgeLoaded();
        parseCertificates(readFileSync(process.argv[1] + '/bundle.p12'), 'bundle.p12');
        console.log(JSON.stringify({ before, after: forgeLoaded() }));`;

      const output = execFileSync(process.execPath, ['-r', 'tsx/cjs', '-e', script, dir], { encoding: 'utf8' });

      expect(JSON.parse(output)).toEqual({ before: false, after: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The same PKCS#12 with the bags of its first SafeContents (OpenSSL's certificates: leaf, intermediate, root) in
 * reverse order; only for a file whose contents are in the clear and without a MAC.
 */
function reverseCertificateBags(p12: Uint8Array): Uint8Array {
  const out = Uint8Array.from(p12);
  const children = (tlv: Tlv) => {
    const list: Tlv[] = [];
    for (let p = tlv.body; p < tlv.bodyEnd; p = list[list.length - 1].end) list.push(readTlv(out, p, tlv.bodyEnd));
    return list;
  };
  // ContentInfo { OID data, [0] { OCTET STRING { DER } } }: the DER inside.
  const contentOf = (contentInfo: Tlv) => {
    const octets = children(children(contentInfo)[1])[0];
    return readTlv(out, octets.body, octets.bodyEnd);
  };
  const authenticatedSafe = contentOf(children(readTlv(out, 0, out.length))[1]);
  const safeContents = contentOf(children(authenticatedSafe)[0]);
  const bags = children(safeContents).map((bag) => out.slice(bag.start, bag.end));
  expect(bags).toHaveLength(3);
  out.set(Buffer.concat(bags.reverse()), safeContents.body);
  return out;
}
