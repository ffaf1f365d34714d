import { createHash, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DAY_MS } from '../../lib/domain/expiry';
import { readTlv } from '../../lib/x509/der';
import { generateKeys, issueCertificate, type IssuedCertificate } from '../../lib/x509/factory';

export interface EstateOptions {
  /**
   * The certificates' keys: one for the whole estate (the key-reuse rule then judges each against a sample of all
   * the others), one each as in a real estate, or that many taken in turns by unrelated names. @default 'one'
   */
  keys?: 'one' | 'each' | number;
  /** The middle label of every name, `host-00000042.<label>.bench.example`. @default 'estate' */
  label?: string;
  /** The folder, under the root, of the `index`th file. @default 1,000 files a folder, `d0`, `d1`… */
  folderOf?: (index: number) => string;
  /** Their issuer. @default a CA made for the estate */
  ca?: IssuedCertificate;
}

/**
 * Writes `count` real, signed certificates, one PEM file each (`host-<index>.pem`), with expiry dates spread
 * evenly from 30 days ago to 365 days ahead, so "expiring within 30 days" selects about 15% of them; each was
 * valid 398 days. Made from a template (below): 20,000 files in about a second a thousand, where issuing each
 * through the generator took 3 ms.
 */
export async function generateEstate(
  root: string,
  count: number,
  now: Date,
  options: EstateOptions = {},
): Promise<void> {
  const { keys = 'one', label = 'estate', folderOf = (index: number) => `d${Math.floor(index / 1000)}` } = options;
  const ca =
    options.ca ??
    (await issueCertificate({
      subject: 'CN=Bench CA',
      ca: true,
      notBefore: new Date(now.getTime() - 400 * DAY_MS),
      notAfter: new Date(now.getTime() + 4000 * DAY_MS),
    }));
  const template = await leafTemplate(label, ca);
  const caKey = KeyObject.from(ca.keys.privateKey);
  const pool = typeof keys === 'number' ? Array.from({ length: keys }, leafKey) : [];
  const folders = new Set<string>();
  let pending: Array<Promise<void>> = [];
  for (let index = 0; index < count; index++) {
    const folder = join(root, folderOf(index));
    if (!folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      folders.add(folder);
    }
    const daysLeft = -30 + ((index * 7919) % 395);
    const notAfter = new Date(now.getTime() + daysLeft * DAY_MS);
    const notBefore = new Date(notAfter.getTime() - 398 * DAY_MS);
    const key = keys === 'one' ? template.key : keys === 'each' ? leafKey() : pool[index % keys];
    pending.push(
      writeFile(join(folder, `host-${index}.pem`), signedLeaf(template, caKey, key, index, notBefore, notAfter)),
    );
    if (pending.length >= 256) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
}

/**
 * A leaf certificate made once by @peculiar/x509, whose varying fields are all of fixed length: each certificate
 * of an estate is a copy with those bytes replaced, signed by node:crypto. About 30 µs a certificate against
 * 3 ms through the generator.
 */
interface LeafTemplate {
  tbs: Buffer;
  signatureAlgorithm: Buffer;
  /** Its own key, which the copies keep unless given another. */
  key: LeafKey;
  /** Where each replaceable field starts in `tbs`. */
  at: { serial: number; names: number[]; notBefore: number; notAfter: number; spki: number; keyId: number };
}

interface LeafKey {
  spki: Buffer;
  keyId: Buffer;
}

const NAME_DIGITS = 8;
const TEMPLATE_SERIAL = Buffer.from('7e'.repeat(16), 'hex');
const TEMPLATE_NOT_BEFORE = new Date(Date.UTC(2001, 0, 1));
const TEMPLATE_NOT_AFTER = new Date(Date.UTC(2002, 0, 1));

const hostName = (label: string, index: number) =>
  `host-${String(index).padStart(NAME_DIGITS, '0')}.${label}.bench.example`;

/** UTCTime text, as DER has it for the years 1950–2049. */
const utcTime = (date: Date) => date.toISOString().replace(/^\d\d|[-:T]|\.\d+/g, '');

function indexOfOnce(haystack: Buffer, needle: Buffer | string, what: string, from = 0): number {
  const at = haystack.indexOf(needle, from);
  if (at < 0) throw new Error(`bench certificate template: ${what} not found`);
  return at;
}

/** Subject key identifier as the template's generator computes it: SHA-1 of the key, or of the whole SPKI. */
function keyIdCandidates(spki: Buffer): Buffer[] {
  const bitString = readTlv(spki, readTlv(spki, 0, spki.length).body, spki.length);
  const key = spki.subarray(readTlv(spki, bitString.end, spki.length).body + 1);
  return [key, spki].map((bytes) => createHash('sha1').update(bytes).digest());
}

async function leafTemplate(label: string, ca: IssuedCertificate): Promise<LeafTemplate> {
  const keys = await generateKeys();
  const name = hostName(label, 0);
  const issued = await issueCertificate({
    subject: `CN=${name}`,
    dns: [name],
    issuer: ca,
    keys,
    serialNumber: TEMPLATE_SERIAL.toString('hex'),
    notBefore: TEMPLATE_NOT_BEFORE,
    notAfter: TEMPLATE_NOT_AFTER,
  });
  const der = Buffer.from(issued.der);
  const outer = readTlv(der, 0, der.length);
  const tbsTlv = readTlv(der, outer.body, outer.end);
  const algorithmTlv = readTlv(der, tbsTlv.end, outer.end);
  const tbs = der.subarray(tbsTlv.start, tbsTlv.end);
  const spki = KeyObject.from(keys.publicKey).export({ type: 'spki', format: 'der' });
  const keyId = keyIdCandidates(spki).find((id) => tbs.includes(id));
  if (!keyId) throw new Error('bench certificate template: subject key identifier not found');
  const names: number[] = [];
  for (let at = tbs.indexOf(name); at >= 0; at = tbs.indexOf(name, at + 1)) names.push(at + 'host-'.length);
  if (names.length !== 2)
    throw new Error(`bench certificate template: subject and SAN expected, ${names.length} found`);
  return {
    tbs,
    signatureAlgorithm: der.subarray(algorithmTlv.start, algorithmTlv.end),
    key: { spki, keyId },
    at: {
      serial: indexOfOnce(tbs, TEMPLATE_SERIAL, 'serial'),
      names,
      notBefore: indexOfOnce(tbs, utcTime(TEMPLATE_NOT_BEFORE), 'notBefore'),
      notAfter: indexOfOnce(tbs, utcTime(TEMPLATE_NOT_AFTER), 'notAfter'),
      spki: indexOfOnce(tbs, spki, 'public key'),
      keyId: indexOfOnce(tbs, keyId, 'subject key identifier'),
    },
  };
}

const derLength = (length: number): Buffer =>
  length < 0x80
    ? Buffer.from([length])
    : length < 0x100
      ? Buffer.from([0x81, length])
      : Buffer.from([0x82, length >> 8, length & 0xff]);

function leafKey(): LeafKey {
  const spki = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  return { spki, keyId: keyIdCandidates(spki)[0] };
}

function signedLeaf(
  template: LeafTemplate,
  caKey: KeyObject,
  key: LeafKey,
  index: number,
  notBefore: Date,
  notAfter: Date,
): string {
  const tbs = Buffer.from(template.tbs);
  const serial = createHash('sha256').update(`${index}`).digest().subarray(0, TEMPLATE_SERIAL.length);
  serial[0] = (serial[0] & 0x7f) | 0x01; // positive, no leading zero: the serial's length stays the template's
  serial.copy(tbs, template.at.serial);
  const digits = String(index).padStart(NAME_DIGITS, '0');
  for (const at of template.at.names) tbs.write(digits, at, 'latin1');
  tbs.write(utcTime(notBefore), template.at.notBefore, 'latin1');
  tbs.write(utcTime(notAfter), template.at.notAfter, 'latin1');
  // The template's own key is the same length (a P-256 SPKI, a SHA-1 key id): replaced, the TBS keeps its shape.
  key.spki.copy(tbs, template.at.spki);
  key.keyId.copy(tbs, template.at.keyId);
  const signature = Buffer.concat([Buffer.from([0]), sign('sha256', tbs, caKey)]);
  const bitString = Buffer.concat([Buffer.from([0x03]), derLength(signature.length), signature]);
  const body = Buffer.concat([tbs, template.signatureAlgorithm, bitString]);
  const der = Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
  const base64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${base64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}
