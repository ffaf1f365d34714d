import type * as Forge from 'node-forge';
import { CertificateParseError, Pkcs12PasswordError } from '../domain/errors';
import { hex, latin1, readOid, readTlv, TAG, type Tlv } from './der';

/**
 * PKCS#12 (.p12/.pfx, RFC 7292) files: the certificate bags, in file order, for `normalize` to read like any
 * other DER certificate. Our DER reader walks the structure; node-forge only derives keys, checks the MAC and
 * decrypts the encrypted contents (PKCS#12 PBE with 3DES or RC2-40 as `openssl pkcs12 -legacy` writes, PBES2
 * with PBKDF2 and AES as OpenSSL 3 writes by default). Key bags are counted and never decrypted.
 */

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  /** The arc of PKCS#12's own password-based encryptions (3DES, RC2, RC4). */
  pkcs12Pbe: '1.2.840.113549.1.12.1.',
  pbes2: '1.2.840.113549.1.5.13',
  pbmac1: '1.2.840.113549.1.5.14',
} as const;

type MacDigest = 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'md5';

/** The MAC digests forge's PKCS#12 key derivation supports. */
const MAC_DIGESTS: Record<string, MacDigest> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.2.840.113549.2.5': 'md5',
};

/**
 * Key derivation iterations refused beyond this: OpenSSL writes 2048, Java 10,000, and forge's PBKDF2 runs
 * about 100,000 a second, so a hostile file can stall a scan for seconds per password at most.
 */
export const MAX_PKCS12_ITERATIONS = 1_000_000;

/** safeContentsBag nesting deeper than this is refused; real files do not nest at all. */
const MAX_BAG_DEPTH = 8;

export interface Pkcs12Contents {
  /**
   * The DER of each X.509 certificate bag, in file order, except that the certificates of the file's keys (the
   * bags whose localKeyId a key bag shares) come first: the leaf leads, whichever order the tool wrote.
   */
  certificates: Uint8Array[];
  /** keyBag and pkcs8ShroudedKeyBag bags seen: counted only, never decrypted or kept. */
  privateKeys: number;
  /** One line per part that was skipped (a CRL or secret bag is not one: it is ignored silently). */
  problems: string[];
}

/**
 * Whether bytes start like a PFX, SEQUENCE { INTEGER 3, … }: a certificate starts with a SEQUENCE, a PKCS#7
 * ContentInfo with an OID, a private key with INTEGER 0 or 1. Only the header is read, so that a truncated
 * PKCS#12 is still named as one.
 */
export function looksLikePkcs12(buf: Uint8Array): boolean {
  if (buf.length < 5 || buf[0] !== TAG.SEQUENCE) return false;
  const first = buf[1];
  const header = first <= 0x80 ? 2 : 2 + (first & 0x7f);
  return buf[header] === TAG.INTEGER && buf[header + 1] === 1 && buf[header + 2] === 3;
}

/**
 * Opens a PKCS#12 file with the first password that verifies its MAC (or, without a MAC, decrypts it): no
 * password, the empty one, then each of `passwords` in order.
 *
 * @param label names the file in messages.
 * @throws Pkcs12PasswordError `<label>: PKCS#12, password needed` when only the empty password and none were
 *   tried, `<label>: PKCS#12, wrong password` when the given ones failed too.
 * @throws CertificateParseError `<label>: PKCS#12, unreadable (<reason>)`, one line, for anything else.
 */
export function readPkcs12(buf: Uint8Array, label: string, passwords: readonly string[] = []): Pkcs12Contents {
  let pfx: Pfx;
  try {
    pfx = readPfx(buf);
  } catch (error) {
    throw unreadable(label, error);
  }
  const candidates = [...new Set<string | undefined>([undefined, '', ...passwords])];
  let macVerifiedButUndecryptable = false;
  for (const password of candidates) {
    try {
      if (pfx.mac !== undefined && !macMatches(pfx.authSafe, pfx.mac, password)) continue;
      return readAuthenticatedSafe(pfx.authSafe, password, pfx.mac !== undefined);
    } catch (error) {
      if (!(error instanceof WrongPasswordError)) throw unreadable(label, error);
      if (pfx.mac !== undefined) macVerifiedButUndecryptable = true;
    }
  }
  if (macVerifiedButUndecryptable) {
    throw unreadable(label, 'its contents do not decrypt with the password that verifies its MAC');
  }
  const reason = passwords.some((password) => password !== '') ? 'wrong password' : 'password needed';
  throw new Pkcs12PasswordError(`${label}: PKCS#12, ${reason}`, reason);
}

/** A decryption that failed the way a wrong password fails (bad padding, garbage out); caught in readPkcs12. */
class WrongPasswordError extends Error {}

interface MacData {
  digest: MacDigest;
  expected: Uint8Array;
  salt: Uint8Array;
  iterations: number;
}

interface Pfx {
  /** The content octets of the authSafe: the DER AuthenticatedSafe the MAC covers. */
  authSafe: Uint8Array;
  mac: MacData | undefined;
}

/** PFX ::= SEQUENCE { version INTEGER, authSafe ContentInfo, macData MacData OPTIONAL } */
function readPfx(buf: Uint8Array): Pfx {
  const pfx = readTlv(buf, 0, buf.length, true);
  if (pfx.tag !== TAG.SEQUENCE) throw problem('not a SEQUENCE');
  const version = child(buf, pfx.body, pfx.bodyEnd, TAG.INTEGER, 'version');
  if (smallInteger(buf, version, 'version') !== 3) throw problem('version is not 3');
  const authSafe = child(buf, version.end, pfx.bodyEnd, TAG.SEQUENCE, 'authSafe');
  const { type, content } = readContentInfo(buf, authSafe);
  if (type === OID.signedData) throw problem('public-key integrity mode (signedData) is not supported');
  if (type !== OID.data) throw problem(`authSafe content type ${type} is not data`);
  if (content === undefined) throw problem('authSafe has no content');
  const authSafeOctets = octets(buf, content, TAG.OCTET_STRING, 'authSafe content');
  if (authSafe.end >= pfx.bodyEnd) return { authSafe: authSafeOctets, mac: undefined };
  return {
    authSafe: authSafeOctets,
    mac: readMacData(buf, child(buf, authSafe.end, pfx.bodyEnd, TAG.SEQUENCE, 'macData')),
  };
}

/** MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 } */
function readMacData(buf: Uint8Array, macData: Tlv): MacData {
  const digestInfo = child(buf, macData.body, macData.bodyEnd, TAG.SEQUENCE, 'MAC');
  const algorithm = child(buf, digestInfo.body, digestInfo.bodyEnd, TAG.SEQUENCE, 'MAC algorithm');
  const oid = readOid(buf, child(buf, algorithm.body, algorithm.bodyEnd, TAG.OID, 'MAC algorithm'));
  const digest = MAC_DIGESTS[oid];
  if (digest === undefined) {
    throw problem(`MAC algorithm ${oid === OID.pbmac1 ? 'PBMAC1' : oid} is not supported`);
  }
  const expected = child(buf, algorithm.end, digestInfo.bodyEnd, TAG.OCTET_STRING, 'MAC digest');
  const salt = child(buf, digestInfo.end, macData.bodyEnd, TAG.OCTET_STRING, 'MAC salt');
  const iterations =
    salt.end < macData.bodyEnd
      ? smallInteger(buf, child(buf, salt.end, macData.bodyEnd, TAG.INTEGER, 'MAC iterations'), 'MAC iterations')
      : 1;
  checkIterations(iterations, 'MAC');
  return {
    digest,
    expected: buf.subarray(expected.body, expected.bodyEnd),
    salt: buf.subarray(salt.body, salt.bodyEnd),
    iterations,
  };
}

/** RFC 7292 appendix B's key derivation with the password, then the HMAC of the AuthenticatedSafe. */
function macMatches(authSafe: Uint8Array, mac: MacData, password: string | undefined): boolean {
  return withForge('MAC', (forge) => {
    const digests: Record<MacDigest, () => Forge.md.MessageDigest> = {
      sha1: () => forge.md.sha1.create(),
      sha256: () => forge.md.sha256.create(),
      sha384: () => forge.md.sha384.create(),
      sha512: () => forge.md.sha512.create(),
      md5: () => forge.md.md5.create(),
    };
    const md = digests[mac.digest]();
    const salt = forge.util.createBuffer(binary(mac.salt));
    const key = forge.pkcs12.generateKey(password, salt, 3, mac.iterations, md.digestLength, md);
    const hmac = forge.hmac.create();
    hmac.start(digests[mac.digest](), key);
    hmac.update(binary(authSafe));
    return hmac.digest().getBytes() === binary(mac.expected);
  });
}

/** AuthenticatedSafe ::= SEQUENCE OF ContentInfo, each data (clear) or encryptedData (with the password). */
function readAuthenticatedSafe(authSafe: Uint8Array, password: string | undefined, macVerified: boolean) {
  const result: Collected = { certificates: [], keyIds: new Set(), privateKeys: 0, problems: [] };
  const sequence = readTlv(authSafe, 0, authSafe.length, true);
  if (sequence.tag !== TAG.SEQUENCE) throw problem('AuthenticatedSafe is not a SEQUENCE');
  let index = 0;
  for (let p = sequence.body; p < sequence.bodyEnd;) {
    const contentInfo = child(authSafe, p, sequence.bodyEnd, TAG.SEQUENCE, 'ContentInfo');
    p = contentInfo.end;
    index++;
    const { type, content } = readContentInfo(authSafe, contentInfo);
    if (content === undefined) continue;
    if (type === OID.data) {
      const safeContents = octets(authSafe, content, TAG.OCTET_STRING, 'SafeContents');
      readSafeContents(safeContents, readTlv(safeContents, 0, safeContents.length, true), result, 0);
    } else if (type === OID.encryptedData) {
      const safeContents = decryptContents(authSafe, content, password);
      if (safeContents === undefined) {
        result.problems.push(`PKCS#12 contents ${index}: encrypted content is missing`);
        continue;
      }
      try {
        readSafeContents(safeContents, readTlv(safeContents, 0, safeContents.length, true), result, 0);
      } catch (error) {
        // Without a MAC, garbage out of the decryption is how a wrong password shows (its padding may pass).
        if (!macVerified && error instanceof CertificateParseError) throw new WrongPasswordError();
        throw error;
      }
    } else if (type === OID.envelopedData) {
      result.problems.push(`PKCS#12 contents ${index}: public-key encrypted (envelopedData), not read`);
    } else {
      result.problems.push(`PKCS#12 contents ${index}: content type ${type}, not read`);
    }
  }
  const ofKeys = result.certificates.filter((bag) => bag.keyId !== undefined && result.keyIds.has(bag.keyId));
  return {
    certificates: [...ofKeys, ...result.certificates.filter((bag) => !ofKeys.includes(bag))].map((bag) => bag.der),
    privateKeys: result.privateKeys,
    problems: result.problems,
  };
}

/** What the bags of a file hold, while they are read. */
interface Collected {
  certificates: { der: Uint8Array; keyId: string | undefined }[];
  /** The localKeyId attributes of the key bags. */
  keyIds: Set<string>;
  privateKeys: number;
  problems: string[];
}

/**
 * EncryptedData ::= SEQUENCE { version INTEGER, EncryptedContentInfo SEQUENCE { contentType OID,
 * contentEncryptionAlgorithm AlgorithmIdentifier, encryptedContent [0] IMPLICIT OCTET STRING OPTIONAL } }
 * decrypted by forge. undefined if the encrypted content is absent (detached).
 */
function decryptContents(buf: Uint8Array, encryptedData: Tlv, password: string | undefined): Uint8Array | undefined {
  if (encryptedData.tag !== TAG.SEQUENCE) throw problem('EncryptedData is not a SEQUENCE');
  const version = child(buf, encryptedData.body, encryptedData.bodyEnd, TAG.INTEGER, 'EncryptedData version');
  const info = child(buf, version.end, encryptedData.bodyEnd, TAG.SEQUENCE, 'EncryptedContentInfo');
  const contentType = child(buf, info.body, info.bodyEnd, TAG.OID, 'encrypted content type');
  const algorithm = child(buf, contentType.end, info.bodyEnd, TAG.SEQUENCE, 'encryption algorithm');
  if (algorithm.end >= info.bodyEnd) return undefined;
  const encrypted = readTlv(buf, algorithm.end, info.bodyEnd, true);
  if ((encrypted.tag & 0xdf) !== 0x80) throw problem('encrypted content: expected tag [0]');
  const ciphertext = octets(buf, encrypted, encrypted.tag, 'encrypted content');

  const algorithmOidTlv = child(buf, algorithm.body, algorithm.bodyEnd, TAG.OID, 'encryption algorithm');
  const algorithmOid = readOid(buf, algorithmOidTlv);
  const paramsTlv = child(buf, algorithmOidTlv.end, algorithm.bodyEnd, TAG.SEQUENCE, 'encryption parameters');
  const iterations = pbeIterations(buf, algorithmOid, paramsTlv);
  if (iterations !== undefined) checkIterations(iterations, 'encryption');

  const plaintext = withForge(`decryption (${algorithmOid})`, (forge) => {
    const pbe = (forge.pki as unknown as { pbe: ForgePbe }).pbe;
    const params = forge.asn1.fromDer(binary(buf.subarray(paramsTlv.start, paramsTlv.end)));
    // PBKDF2 takes the password as UTF-8 bytes, as OpenSSL does; the PKCS#12 derivation as BMPString, which
    // forge makes of the JavaScript string itself (undefined: no password at all, '' the empty one).
    const cipher =
      algorithmOid === OID.pbes2
        ? pbe.getCipherForPBES2(algorithmOid, params, Buffer.from(password ?? '', 'utf8').toString('latin1'))
        : pbe.getCipher(algorithmOid, params, password);
    cipher.update(forge.util.createBuffer(binary(ciphertext)));
    return cipher.finish() ? Buffer.from(cipher.output.getBytes(), 'latin1') : undefined;
  });
  if (plaintext === undefined) throw new WrongPasswordError();
  return plaintext;
}

/** The parts of forge's password-based encryption that its type declarations leave out. */
interface ForgePbe {
  getCipher(oid: string, params: Forge.asn1.Asn1, password: string | undefined): Forge.cipher.BlockCipher;
  getCipherForPBES2(oid: string, params: Forge.asn1.Asn1, password: string): Forge.cipher.BlockCipher;
}

/**
 * The iteration count of PKCS#12 PBE parameters (SEQUENCE { salt, iterations }) or of PBES2's PBKDF2
 * (SEQUENCE { SEQUENCE { OID, SEQUENCE { salt, iterations, … } }, … }), read before forge runs them.
 */
function pbeIterations(buf: Uint8Array, algorithmOid: string, params: Tlv): number | undefined {
  let pbkdfParams = params;
  if (algorithmOid === OID.pbes2) {
    const kdf = child(buf, params.body, params.bodyEnd, TAG.SEQUENCE, 'PBES2 key derivation');
    const kdfOid = child(buf, kdf.body, kdf.bodyEnd, TAG.OID, 'PBES2 key derivation');
    pbkdfParams = child(buf, kdfOid.end, kdf.bodyEnd, TAG.SEQUENCE, 'PBKDF2 parameters');
  } else if (!algorithmOid.startsWith(OID.pkcs12Pbe)) {
    return undefined; // forge names it as not supported
  }
  const salt = child(buf, pbkdfParams.body, pbkdfParams.bodyEnd, TAG.OCTET_STRING, 'salt');
  const count = child(buf, salt.end, pbkdfParams.bodyEnd, TAG.INTEGER, 'iteration count');
  return smallInteger(buf, count, 'iteration count');
}

/** SafeContents ::= SEQUENCE OF SafeBag; SafeBag ::= SEQUENCE { bagId OID, bagValue [0] EXPLICIT ANY, … } */
function readSafeContents(buf: Uint8Array, sequence: Tlv, result: Collected, depth: number): void {
  if (sequence.tag !== TAG.SEQUENCE) throw problem('SafeContents is not a SEQUENCE');
  for (let p = sequence.body; p < sequence.bodyEnd;) {
    const bag = child(buf, p, sequence.bodyEnd, TAG.SEQUENCE, 'SafeBag');
    p = bag.end;
    const bagId = child(buf, bag.body, bag.bodyEnd, TAG.OID, 'SafeBag type');
    const explicit = child(buf, bagId.end, bag.bodyEnd, 0xa0, 'SafeBag value');
    const value = readTlv(buf, explicit.body, explicit.bodyEnd, true);
    const keyId =
      explicit.end < bag.bodyEnd ? localKeyId(buf, readTlv(buf, explicit.end, bag.bodyEnd, true)) : undefined;
    switch (readOid(buf, bagId)) {
      case OID.keyBag:
      case OID.pkcs8ShroudedKeyBag:
        result.privateKeys++;
        if (keyId !== undefined) result.keyIds.add(keyId);
        break;
      case OID.certBag:
        readCertBag(buf, value, keyId, result);
        break;
      case OID.safeContentsBag:
        if (depth >= MAX_BAG_DEPTH) throw problem('safeContentsBag nesting too deep');
        readSafeContents(buf, value, result, depth + 1);
        break;
      // CRL, secret and unknown bags hold no certificate.
    }
  }
}

/** CertBag ::= SEQUENCE { certId OID, certValue [0] EXPLICIT OCTET STRING (the DER certificate) } */
function readCertBag(buf: Uint8Array, certBag: Tlv, keyId: string | undefined, result: Collected): void {
  if (certBag.tag !== TAG.SEQUENCE) throw problem('CertBag is not a SEQUENCE');
  const certId = child(buf, certBag.body, certBag.bodyEnd, TAG.OID, 'CertBag type');
  const type = readOid(buf, certId);
  if (type !== OID.x509Certificate) {
    result.problems.push(`PKCS#12 certificate bag of type ${type}, not X.509: not read`);
    return;
  }
  const explicit = child(buf, certId.end, certBag.bodyEnd, 0xa0, 'CertBag value');
  const value = readTlv(buf, explicit.body, explicit.bodyEnd, true);
  result.certificates.push({ der: octets(buf, value, TAG.OCTET_STRING, 'CertBag value'), keyId });
}

/** The localKeyId among bag attributes (SET OF SEQUENCE { OID, SET OF ANY }), as hex of its values. */
function localKeyId(buf: Uint8Array, attributes: Tlv): string | undefined {
  if (attributes.tag !== TAG.SET) return undefined;
  for (let p = attributes.body; p < attributes.bodyEnd;) {
    const attribute = child(buf, p, attributes.bodyEnd, TAG.SEQUENCE, 'bag attribute');
    p = attribute.end;
    const oid = child(buf, attribute.body, attribute.bodyEnd, TAG.OID, 'bag attribute type');
    if (readOid(buf, oid) !== OID.localKeyId) continue;
    const values = child(buf, oid.end, attribute.bodyEnd, TAG.SET, 'localKeyId');
    return hex(buf, values.body, values.bodyEnd);
  }
  return undefined;
}

/** ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY OPTIONAL } */
function readContentInfo(buf: Uint8Array, contentInfo: Tlv): { type: string; content: Tlv | undefined } {
  const oid = child(buf, contentInfo.body, contentInfo.bodyEnd, TAG.OID, 'ContentInfo type');
  const type = readOid(buf, oid);
  if (oid.end >= contentInfo.bodyEnd) return { type, content: undefined };
  const explicit = child(buf, oid.end, contentInfo.bodyEnd, 0xa0, 'ContentInfo content');
  return { type, content: readTlv(buf, explicit.body, explicit.bodyEnd, true) };
}

/**
 * The octets of an OCTET STRING with identifier `tag`, primitive or, as BER allows and Java and Windows write,
 * constructed of primitive chunks.
 */
function octets(buf: Uint8Array, tlv: Tlv, tag: number, what: string, depth = 0): Uint8Array {
  if ((tlv.tag & 0xdf) !== (tag & 0xdf)) throw problem(`${what}: expected an OCTET STRING`);
  if ((tlv.tag & 0x20) === 0) return buf.subarray(tlv.body, tlv.bodyEnd);
  if (depth > 8) throw problem(`${what}: nesting too deep`);
  const chunks: Uint8Array[] = [];
  for (let p = tlv.body; p < tlv.bodyEnd;) {
    const chunk = readTlv(buf, p, tlv.bodyEnd, true);
    chunks.push(octets(buf, chunk, TAG.OCTET_STRING, what, depth + 1));
    p = chunk.end;
  }
  return Buffer.concat(chunks);
}

/** The element at `pos` (BER lengths allowed), which must have identifier `tag`. */
function child(buf: Uint8Array, pos: number, limit: number, tag: number, what: string): Tlv {
  if (pos >= limit) throw problem(`${what} is missing`);
  const tlv = readTlv(buf, pos, limit, true);
  if (tlv.tag !== tag) throw problem(`${what}: expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** A non-negative INTEGER that fits in 32 bits. */
function smallInteger(buf: Uint8Array, tlv: Tlv, what: string): number {
  let length = tlv.bodyEnd - tlv.body;
  if (length === 0 || buf[tlv.body] & 0x80) throw problem(`${what} is not a non-negative INTEGER`);
  let p = tlv.body;
  while (length > 1 && buf[p] === 0) {
    p++;
    length--;
  }
  if (length > 4) throw problem(`${what} is too large`);
  let value = 0;
  for (; p < tlv.bodyEnd; p++) value = value * 256 + buf[p];
  return value;
}

function checkIterations(iterations: number, what: string): void {
  if (iterations < 1) throw problem(`${what} iteration count is 0`);
  if (iterations > MAX_PKCS12_ITERATIONS) {
    throw problem(`${what} iteration count ${iterations} is over the limit of ${MAX_PKCS12_ITERATIONS}`);
  }
}

function problem(reason: string): CertificateParseError {
  return new CertificateParseError(reason);
}

function unreadable(label: string, error: unknown): CertificateParseError {
  const reason =
    typeof error === 'string'
      ? error
      : error instanceof CertificateParseError
        ? error.message
        : `unexpected error: ${String(error)}`;
  return new CertificateParseError(`${label}: PKCS#12, unreadable (${reason})`.replace(/\s*[\r\n]+\s*/g, ' '), {
    cause: error,
  });
}

/** A byte array as the binary string forge works on. */
function binary(bytes: Uint8Array): string {
  return latin1(bytes, 0, bytes.length);
}

let forgeModule: typeof Forge | undefined;

/** node-forge, or a parse error where it is not installed (the deployed functions' bundles leave it out). */
function loadForge(what: string): typeof Forge {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazily, see withForge
    return require('node-forge') as typeof Forge;
  } catch (error) {
    throw problem(
      `${what}: PKCS#12 cannot be opened here (node-forge is not installed: ${(error as Error).message.split('\n')[0]})`,
    );
  }
}

/**
 * Runs `work` with node-forge, loaded on the first PKCS#12 met (the CLI's start-up time is measured); whatever
 * forge throws (it validates parameters with its own errors) becomes a CertificateParseError.
 */
function withForge<T>(what: string, work: (forge: typeof Forge) => T): T {
  forgeModule ??= loadForge(what);
  try {
    return work(forgeModule);
  } catch (error) {
    if (error instanceof CertificateParseError || error instanceof WrongPasswordError) throw error;
    throw problem(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
