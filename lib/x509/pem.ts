/** One `-----BEGIN label-----` … `-----END label-----` block of a PEM text, in order of appearance. */
export interface PemBlock {
  /** 1-based position among all BEGIN lines, so messages can point at the block a person sees. */
  index: number;
  label: string;
  /** The base64 text between the markers, header lines removed; undefined if the block never ends. */
  body: string | undefined;
  /** Why the block has no body, when it has none. */
  problem?: string;
}

const MARKER = /-----(BEGIN|END) ([^\r\n]*?)-----/g;

/**
 * Splits PEM text into blocks, ignoring whatever is around them (`openssl x509 -text` output, comments,
 * shell prompts). Tolerates CRLF and blank lines. A block whose END line is missing or names another label
 * is still returned, without a body, so that the caller can report it and, for a private key, still count it.
 */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let open: { label: string; bodyStart: number; index: number } | undefined;
  let index = 0;
  MARKER.lastIndex = 0;
  for (let match = MARKER.exec(text); match !== null; match = MARKER.exec(text)) {
    const [marker, kind, label] = match;
    if (kind === 'BEGIN') {
      if (open) blocks.push({ index: open.index, label: open.label, body: undefined, problem: 'no END line' });
      open = { label, bodyStart: match.index + marker.length, index: ++index };
    } else if (open) {
      if (label === open.label) {
        blocks.push({ index: open.index, label, body: stripHeaders(text.slice(open.bodyStart, match.index)) });
      } else {
        blocks.push({ index: open.index, label: open.label, body: undefined, problem: `ends with END ${label}` });
      }
      open = undefined;
    }
  }
  if (open) blocks.push({ index: open.index, label: open.label, body: undefined, problem: 'no END line' });
  return blocks;
}

/** Drops RFC 1421 header lines (`Name: value`), which precede the base64 in old-style encrypted blocks. */
function stripHeaders(body: string): string {
  return body.includes(':') ? body.replace(/^[^\r\n:]*:[^\r\n]*$/gm, '') : body;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes a block body; undefined if it is not base64 (node's decoder would silently skip bad characters). */
export function decodeBase64(body: string): Uint8Array | undefined {
  const compact = body.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}
