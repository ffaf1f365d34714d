import type { ParsedCertificate } from '../domain/certificate';
import { CertificateParseError } from '../domain/errors';
import { readTlv } from './der';
import { normalize } from './normalize';
import { decodeBase64, pemBlocks } from './pem';
import { isContentInfo, pkcs7Certificates } from './pkcs7';
import { looksLikePkcs12, readPkcs12 } from './pkcs12';

export { normalize } from './normalize';

export interface ParseResult {
  /** In input order; a certificate met twice (same fingerprint) is kept once, where first seen. */
  certificates: ParsedCertificate[];
  /**
   * PEM blocks labelled `… PRIVATE KEY` and PKCS#12 key bags that were seen and discarded; their content is never
   * decoded or kept.
   */
  privateKeysDropped: number;
  /** One line per block that could not be read, e.g. `block 3 (CERTIFICATE): <reason>`. */
  problems: string[];
}

const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'TRUSTED CERTIFICATE', 'X509 CERTIFICATE']);
const PKCS7_LABELS = new Set(['PKCS7', 'PKCS #7 SIGNED DATA', 'CMS']);
const BEGIN = '-----BEGIN ';

export interface ParseOptions {
  /**
   * Passwords to try on a PKCS#12 file, in order, after no password and the empty one.
   * @default [] (only no password and the empty one)
   */
  pkcs12Passwords?: readonly string[];
}

/**
 * Reads every certificate in a file's content: PEM with any number of blocks and any text around them
 * (CRLF or LF), DER, PKCS#7/CMS bundles in either, or PKCS#12 (.p12/.pfx). Private keys in a bundle are
 * dropped and counted. Blocks that cannot be read are reported in `problems` while the rest are still returned.
 *
 * @param label names the input in messages, e.g. the file path.
 * @throws Pkcs12PasswordError (a CertificateParseError) `<label>: PKCS#12, password needed` for a PKCS#12 that
 *   no password of `options.pkcs12Passwords` was given for, `<label>: PKCS#12, wrong password` when they fail.
 * @throws CertificateParseError (one line, naming `label`) when no certificate at all can be read.
 */
export function parseCertificates(input: Uint8Array | string, label: string, options: ParseOptions = {}): ParseResult {
  const result: ParseResult = { certificates: [], privateKeysDropped: 0, problems: [] };
  const seen = new Set<string>();
  const add = (der: Uint8Array, where: string): void => {
    try {
      const record = normalize(der);
      if (seen.has(record.fingerprintSha256)) return;
      seen.add(record.fingerprintSha256);
      result.certificates.push({ record, der: new Uint8Array(der) });
    } catch (error) {
      result.problems.push(`${where}: ${reason(error)}`);
    }
  };

  const skipped: string[] = [];
  const pkcs12 = typeof input !== 'string' && looksLikePkcs12(input);
  const text =
    typeof input === 'string' ? input : !pkcs12 && looksLikePem(input) ? asBuffer(input).toString('latin1') : undefined;
  if (pkcs12) {
    const contents = readPkcs12(input as Uint8Array, label, options.pkcs12Passwords);
    contents.certificates.forEach((der, i) => add(der, `PKCS#12 certificate ${i + 1}`));
    result.privateKeysDropped += contents.privateKeys;
    result.problems.push(...contents.problems);
    if (contents.certificates.length === 0) result.problems.push('PKCS#12 holds no certificate');
  } else if (text !== undefined) {
    for (const block of pemBlocks(text)) {
      const where = `block ${block.index} (${block.label})`;
      if (block.label.endsWith('PRIVATE KEY')) {
        result.privateKeysDropped++;
      } else if (!CERTIFICATE_LABELS.has(block.label) && !PKCS7_LABELS.has(block.label)) {
        skipped.push(block.label);
      } else if (block.body === undefined) {
        result.problems.push(`${where}: ${block.problem}`);
      } else {
        const der = decodeBase64(block.body);
        if (der === undefined) result.problems.push(`${where}: not valid base64`);
        else readDer(der, where, add, (problem) => result.problems.push(problem), false);
      }
    }
  } else if (input.length > 0 && input[0] !== 0x30) {
    result.problems.push('neither PEM nor DER');
  } else if (input.length > 0) {
    readDer(input as Uint8Array, 'DER', add, (problem) => result.problems.push(problem), true);
  }

  if (result.certificates.length === 0) {
    const message = `${label}: no certificate found (${summary(input, text, result, skipped)})`;
    throw new CertificateParseError(message.replace(/\s*[\r\n]+\s*/g, ' '));
  }
  return result;
}

/** PEM if the bytes contain a BEGIN line; binary DER could hold that text only by a freak accident. */
function looksLikePem(bytes: Uint8Array): boolean {
  return asBuffer(bytes).includes(BEGIN, 0, 'latin1');
}

/** A Buffer view of the same memory, for Buffer's search and decoding; nothing is copied. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Reads DER certificates or PKCS#7 bundles. From a PEM block only the first element counts (a TRUSTED
 * CERTIFICATE carries OpenSSL trust settings after it); raw DER may be several certificates back to back.
 */
function readDer(
  der: Uint8Array,
  where: string,
  add: (der: Uint8Array, where: string) => void,
  problem: (line: string) => void,
  concatenated: boolean,
): void {
  let element = 0;
  for (let p = 0; p < der.length;) {
    element++;
    const here = concatenated ? `${where} element ${element}` : where;
    try {
      const top = readTlv(der, p, der.length, true);
      if (isContentInfo(der, top)) {
        const certificates = pkcs7Certificates(der, top);
        if (certificates.length === 0) problem(`${here}: PKCS#7 bundle holds no certificate`);
        certificates.forEach((cert, i) => add(cert, `${here} certificate ${i + 1}`));
      } else {
        add(der.subarray(top.start, top.end), here);
      }
      p = top.end;
    } catch (error) {
      problem(`${here}: ${reason(error)}`);
      return;
    }
    if (!concatenated) return;
  }
}

function reason(error: unknown): string {
  const text = error instanceof CertificateParseError ? error.message : `unexpected error: ${String(error)}`;
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** What was found instead of a certificate, in one line. */
function summary(input: Uint8Array | string, text: string | undefined, result: ParseResult, skipped: string[]): string {
  if (input.length === 0) return 'input is empty';
  const parts: string[] = [];
  if (text !== undefined && !text.includes(BEGIN) && result.problems.length === 0) parts.push('no PEM block');
  if (result.privateKeysDropped > 0) parts.push(`${result.privateKeysDropped} private key(s) dropped`);
  if (skipped.length > 0) parts.push(`skipped ${skipped.join(', ')}`);
  parts.push(...result.problems);
  return parts.join('; ');
}
