import { createHash, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { CertificateRecord } from '../../../lib/domain/certificate';
import { CertificateParseError } from '../../../lib/domain/errors';
import { parseCertificates, type ParseResult } from '../../../lib/x509/parse';
import { opensslEachCached, opensslSync } from '../../support/openssl';

/**
 * Fidelity of the normalizer against OpenSSL on zlint's 1,380 test certificates, most of them broken on
 * purpose. For every file: parseCertificates may only ever throw CertificateParseError; and where
 * `openssl x509` reads the file, every field of the record must equal what OpenSSL prints for it.
 *
 * OpenSSL is asked once per file, all fields in one run. Fields OpenSSL has no opinion on are skipped only
 * where it has none (each case says why). `selfSigned` is checked against OpenSSL's own X509_verify, through
 * node:crypto's X509Certificate, since the CLI has no clean way to ask; `kind` has no OpenSSL counterpart and
 * is specified by the unit tests.
 */

const REPO = resolve(__dirname, '../../..');
const CORPUS = resolve(REPO, '../shared/corpus/zlint');

const FIELDS = [
  '-serial',
  '-subject',
  '-issuer',
  '-fingerprint',
  '-sha256',
  '-dates',
  '-ext',
  'subjectAltName,basicConstraints,keyUsage,extendedKeyUsage',
  '-text',
];
const BASE = ['x509', '-noout', '-nameopt', 'RFC2253,-esc_msb', '-dateopt', 'iso_8601'];

interface Outcome {
  file: string;
  parsed?: ParseResult;
  /** Whatever parseCertificates threw that is not a CertificateParseError. */
  escaped?: unknown;
  openssl?: OpensslView;
}

/** What `openssl x509` printed for a file, sliced into the parts the comparison needs. */
interface OpensslView {
  lines: Map<string, string>;
  extensions: Map<string, string>;
  text: string;
  publicKeyDer?: Buffer;
}

const outcomes: Outcome[] = [];
/** OpenSSL's own long name → short name and OID table, from `openssl list -objects`. */
const objects = new Map<string, { short: string; oid: string }>();

function corpusFiles(): string[] {
  return readdirSync(CORPUS, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.pem'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

beforeAll(async () => {
  for (const line of opensslSync(['list', '-objects']).toString('utf8').split('\n')) {
    const m = /^(.*?) = (?:(.*), )?([0-9.]+)$/.exec(line);
    if (m) objects.set(m[2] ?? m[1], { short: m[1], oid: m[3] });
  }
  const files = corpusFiles();
  // OpenSSL 3.0 prints nothing at all when -pubkey cannot decode the key, so such files are asked again without it.
  // Its outputs are kept on disk, keyed by the OpenSSL build, the arguments and every file's bytes: the first run
  // pays a process per file (about a minute of CPU), later ones read them back.
  const printed = await opensslEachCached(
    'zlint-corpus',
    files,
    [...BASE, ...FIELDS, '-pubkey'],
    [...BASE, ...FIELDS],
    Math.max(2, availableParallelism()),
  );
  files.forEach((path, i) => {
    const outcome: Outcome = { file: relative(CORPUS, path) };
    try {
      outcome.parsed = parseCertificates(readFileSync(path), outcome.file);
    } catch (error) {
      if (!(error instanceof CertificateParseError)) outcome.escaped = error;
    }
    // No certificate section: OpenSSL reads no certificate in the file.
    if (printed[i].includes('\nCertificate:\n')) outcome.openssl = sliceOutput(printed[i]);
    outcomes.push(outcome);
  });
}, 300_000);

function sliceOutput(stdout: Buffer): OpensslView {
  const split = stdout.indexOf('\nCertificate:\n');
  const head = stdout.subarray(0, split + 1);
  const tail = stdout.subarray(split + 1).toString('latin1');
  const lines = new Map<string, string>();
  const extensions = new Map<string, string>();
  let extension: string | undefined;
  let start = 0;
  for (let end = head.indexOf(0x0a); end >= 0; start = end + 1, end = head.indexOf(0x0a, start)) {
    const raw = head.subarray(start, end);
    // Names are UTF-8 (-esc_msb off); extension values are raw IA5String bytes, one char per byte.
    const line = raw.toString(raw.subarray(0, 8).includes('=') ? 'utf8' : 'latin1');
    const header = /^(?:X509v3 )?([A-Za-z ]+): ?(?:critical)?\s*$/.exec(line);
    const field = /^([A-Za-z0-9 ]+)=(.*)$/.exec(line);
    if (header && !line.startsWith(' ')) {
      extension = extensions.has(header[1]) ? undefined : header[1]; // first occurrence counts
      if (extension) extensions.set(extension, '');
    } else if (extension !== undefined) {
      const previous = extensions.get(extension)!;
      extensions.set(extension, previous === '' ? line.replace(/^ {4}/, '') : `${previous}\n${line}`);
    } else if (field) {
      lines.set(field[1], field[2]);
    }
  }
  const pem = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/.exec(tail);
  return {
    lines,
    extensions,
    text: pem ? tail.slice(0, pem.index) : tail,
    publicKeyDer: pem ? Buffer.from(pem[1].replace(/\s+/g, ''), 'base64') : undefined,
  };
}

describe('the zlint corpus', () => {
  it('has the certificates the fidelity check depends on', () => {
    expect(outcomes.length).toBeGreaterThanOrEqual(1380);
    expect(outcomes.filter((o) => o.openssl).length).toBeGreaterThanOrEqual(1300);
  });

  it('never makes parseCertificates throw anything but CertificateParseError', () => {
    const escaped = outcomes.filter((o) => o.escaped !== undefined).map((o) => `${o.file}: ${String(o.escaped)}`);
    expect(escaped.join('\n')).toBe('');
  });

  it('yields, for every certificate OpenSSL reads, a record that agrees with OpenSSL on every field', () => {
    const mismatches: string[] = [];
    const compared = new Map<string, number>();
    for (const outcome of outcomes) {
      if (!outcome.openssl) continue; // OpenSSL reads no certificate here (CRLs, broken encodings): nothing to agree with.
      const ours = outcome.parsed?.certificates[0]?.record;
      if (!ours) {
        mismatches.push(
          `${outcome.file}: OpenSSL reads a certificate, we do not (${outcome.parsed?.problems.join('; ') ?? 'threw'})`,
        );
        continue;
      }
      const expected = expectedFields(outcome.openssl);
      const selfSigned = selfSignedByOpenssl(outcome.openssl, outcome.parsed!.certificates[0].der);
      if (selfSigned !== undefined) expected.selfSigned = selfSigned;
      for (const [field, theirs] of Object.entries(expected)) {
        compared.set(field, (compared.get(field) ?? 0) + 1);
        const mine = ours[field as keyof CertificateRecord];
        if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
          mismatches.push(
            `${outcome.file}: ${field}: ours ${JSON.stringify(mine)} vs openssl ${JSON.stringify(theirs)}`,
          );
        }
      }
    }
    expect(mismatches.join('\n')).toBe('');
    // The skips above are for OpenSSL's rare silences; a field it speaks to on few certificates would mean a
    // broken oracle, not agreement.
    const fields = Object.fromEntries([...compared].filter(([, n]) => n < 1250));
    expect(fields).toEqual({});
  });
});

/** The record fields OpenSSL has an opinion on, in our representation. */
function expectedFields(view: OpensslView): Partial<CertificateRecord> {
  const { lines, extensions, text } = view;
  const expected: Partial<CertificateRecord> = {
    fingerprintSha256: lines.get('sha256 Fingerprint')!.replace(/:/g, '').toLowerCase(),
    serialNumber: lines.get('serial')!,
    subject: lines.get('subject')!,
    issuer: lines.get('issuer')!,
    subjectCommonName: lastCommonName(lines.get('subject')!),
    notBefore: isoFromOpenssl(lines.get('notBefore')!),
    notAfter: isoFromOpenssl(lines.get('notAfter')!),
  };

  const signatureLines = [...text.matchAll(/^ {4}Signature Algorithm: (.*?)\s*$/gm)];
  const outerSignature = signatureLines[signatureLines.length - 1];
  expected.signatureAlgorithm = outerSignature[1];
  const pssHash = /^ {8}Hash Algorithm: (.*)$/m.exec(text.slice(outerSignature.index));
  const hash = hashFromOpensslName(outerSignature[1] === 'rsassaPss' ? (pssHash?.[1] ?? '') : outerSignature[1]);
  if (hash !== undefined) expected.signatureHash = hash; // undefined: a name that names no digest we can tell

  const keyAlgorithm = /Public Key Algorithm: (.*)/.exec(text)![1];
  expected.keyAlgorithm = keyAlgorithmFromOpenssl(keyAlgorithm);
  // "Unable to load Public Key": OpenSSL cannot decode the key, so it states no size, curve or key bytes.
  if (!text.includes('Unable to load Public Key')) {
    const bits = /Public-Key: \((\d+) bit\)/.exec(text);
    if (bits) expected.keySize = Number(bits[1]);
    else if (/ED25519 Public-Key:/.test(text)) expected.keySize = 256;
    else if (/ED448 Public-Key:/.test(text)) expected.keySize = 456;
    const curve = /NIST CURVE: (.*)/.exec(text) ?? /ASN1 OID: (.*)/.exec(text);
    expected.keyCurve = curve ? curve[1] : null;
  }
  if (view.publicKeyDer) expected.publicKeySha256 = createHash('sha256').update(view.publicKeyDer).digest('hex');

  const sans = sansFromOpenssl(extensions.get('Subject Alternative Name'));
  if (sans) expected.sans = sans;
  const basic = extensions.get('Basic Constraints');
  if (basic === undefined) expected.isCA = false;
  else if (/^CA:(TRUE|FALSE)/.test(basic)) expected.isCA = basic.startsWith('CA:TRUE');
  const keyUsage = keyUsageFromOpenssl(extensions.get('Key Usage'));
  if (keyUsage) expected.keyUsage = keyUsage;
  const extendedKeyUsage = extendedKeyUsageFromOpenssl(extensions.get('Extended Key Usage'));
  if (extendedKeyUsage) expected.extendedKeyUsage = extendedKeyUsage;
  return expected;
}

/**
 * OpenSSL's view of "self-signed": issued to itself (the names it prints are equal) and X509_verify accepts
 * the signature under the certificate's own key. Undefined where it cannot load the key or the algorithm.
 */
function selfSignedByOpenssl(view: OpensslView, der: Uint8Array): boolean | undefined {
  try {
    const certificate = new X509Certificate(der);
    return view.lines.get('subject') === view.lines.get('issuer') && certificate.verify(certificate.publicKey);
  } catch {
    return undefined;
  }
}

/**
 * `-dateopt iso_8601` prints `   1-01-01 00:00:00Z`, with any fraction of a second as encoded; the record
 * keeps milliseconds (toISOString), so the fraction is cut to three digits.
 */
function isoFromOpenssl(value: string): string {
  const m = /^\s*(\d+)-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z?$/.exec(value);
  if (!m) throw new Error(`unexpected OpenSSL date: ${value}`);
  const millis = ((m[7] ?? '') + '000').slice(0, 3);
  return `${m[1].padStart(4, '0')}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${millis}Z`;
}

/** The first CN in OpenSSL's (most specific first) RFC 2253 string that is text rather than `#hex`, unescaped. */
function lastCommonName(dn: string): string | null {
  for (const [type, value] of splitDn(dn)) {
    if (type === 'CN' && !value.startsWith('#')) return unescapeDnValue(value);
  }
  return null;
}

/** Splits an RFC 2253 string at unescaped `,` and `+` into [type, still-escaped value] pairs. */
function splitDn(dn: string): [string, string][] {
  const pairs: [string, string][] = [];
  let current = '';
  for (let i = 0; i <= dn.length; i++) {
    const c = dn[i];
    if (i === dn.length || c === ',' || c === '+') {
      const eq = current.indexOf('=');
      if (eq > 0) pairs.push([current.slice(0, eq), current.slice(eq + 1)]);
      current = '';
    } else if (c === '\\') {
      current += c + dn[++i];
    } else {
      current += c;
    }
  }
  return pairs;
}

function unescapeDnValue(value: string): string {
  return value.replace(/\\([0-9A-F]{2}|.)/g, (_, escaped: string) =>
    escaped.length === 2 ? String.fromCharCode(parseInt(escaped, 16)) : escaped,
  );
}

function hashFromOpensslName(name: string): string | null | undefined {
  const n = name.toLowerCase();
  if (n === 'ed25519' || n === 'ed448') return null;
  const sha3 = /sha3-(\d+)/.exec(n);
  if (sha3) return `SHA3-${sha3[1]}`;
  const truncated = /sha512-(224|256)/.exec(n);
  if (truncated) return `SHA-512/${truncated[1]}`;
  const sha2 = /sha-?(224|256|384|512)/.exec(n);
  if (sha2) return `SHA-${sha2[1]}`;
  if (/sha-?1/.test(n)) return 'SHA-1';
  const md = /md([245])/.exec(n);
  if (md) return `MD${md[1]}`;
  if (/sm3/.test(n)) return 'SM3';
  if (/gost r 34\.11-94/.test(n)) return 'GOST R 34.11-94';
  const streebog = /gost r 34\.11-2012 \((256|512) bit\)/.exec(n);
  if (streebog) return `Streebog-${streebog[1]}`;
  return undefined;
}

const KEY_ALGORITHMS: Record<string, string> = {
  rsaEncryption: 'RSA',
  rsassaPss: 'RSA',
  'id-ecPublicKey': 'EC',
  ED25519: 'Ed25519',
  ED448: 'Ed448',
  dsaEncryption: 'DSA',
  // OpenSSL 3.0 prints post-quantum keys as OIDs; records name them as FIPS 203/204 (and OpenSSL 3.5) do.
  '2.16.840.1.101.3.4.3.17': 'ML-DSA-44',
  '2.16.840.1.101.3.4.3.18': 'ML-DSA-65',
  '2.16.840.1.101.3.4.3.19': 'ML-DSA-87',
  '2.16.840.1.101.3.4.4.1': 'ML-KEM-512',
  '2.16.840.1.101.3.4.4.2': 'ML-KEM-768',
  '2.16.840.1.101.3.4.4.3': 'ML-KEM-1024',
};

function keyAlgorithmFromOpenssl(name: string): string {
  if (KEY_ALGORITHMS[name]) return KEY_ALGORITHMS[name];
  if (/^[0-9.]+$/.test(name)) return name;
  return objects.get(name)?.oid ?? name;
}

const SAN_ITEM = /, (?=(?:DNS|IP Address|email|URI|othername|DirName|Registered ID|EdiPartyName|X400Name):)/;

/**
 * OpenSSL's SAN line in the record's shape; undefined when OpenSSL could not decode the extension and
 * dumped its raw bytes instead (a NUL inside a name, a broken encoding): it states no names then.
 * `<invalid length=N>` addresses are not addresses, and the record leaves them out.
 */
function sansFromOpenssl(value: string | undefined): CertificateRecord['sans'] | undefined {
  const sans = { dns: [] as string[], ip: [] as string[], email: [] as string[], uri: [] as string[] };
  if (value === undefined || value === '<EMPTY>') return sans;
  for (const item of value.split(SAN_ITEM)) {
    const m = /^(DNS|IP Address|email|URI|othername|DirName|Registered ID|EdiPartyName|X400Name):(.*)$/s.exec(item);
    if (!m) return undefined;
    if (m[1] === 'DNS') sans.dns.push(m[2]);
    else if (m[1] === 'email') sans.email.push(m[2]);
    else if (m[1] === 'URI') sans.uri.push(m[2]);
    else if (m[1] === 'IP Address' && !m[2].startsWith('<invalid')) sans.ip.push(ipFromOpenssl(m[2]));
  }
  return sans;
}

/**
 * OpenSSL writes IPv6 as eight uncompressed uppercase groups; the record uses RFC 5952 text, which the
 * WHATWG URL parser (an independent implementation) produces from any valid form.
 */
function ipFromOpenssl(address: string): string {
  return address.includes(':') ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

const KEY_USAGE_NAMES: Record<string, string> = {
  'Digital Signature': 'digitalSignature',
  'Non Repudiation': 'nonRepudiation',
  'Key Encipherment': 'keyEncipherment',
  'Data Encipherment': 'dataEncipherment',
  'Key Agreement': 'keyAgreement',
  'Certificate Sign': 'keyCertSign',
  'CRL Sign': 'cRLSign',
  'Encipher Only': 'encipherOnly',
  'Decipher Only': 'decipherOnly',
};

/** Undefined when the line is not a list of usage names, i.e. OpenSSL dumped undecodable bytes. */
function keyUsageFromOpenssl(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return [];
  const names = value.split(', ').map((name) => KEY_USAGE_NAMES[name]);
  return names.every(Boolean) ? names : undefined;
}

function extendedKeyUsageFromOpenssl(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return [];
  const usages = value.split(', ').map((name) => (/^\d+(\.\d+)+$/.test(name) ? name : objects.get(name)?.short));
  return usages.every((u) => u !== undefined) ? (usages as string[]) : undefined;
}
