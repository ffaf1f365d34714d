import type { Socket } from 'node:net';
import type { StarttlsProtocol } from '../domain/tls-endpoints';
import { readTlv, TAG, type Tlv } from '../x509/der';

/** The protocols' own names, for messages. */
export const STARTTLS_NAMES: Readonly<Record<StarttlsProtocol, string>> = {
  smtp: 'SMTP',
  imap: 'IMAP',
  pop3: 'POP3',
  ftp: 'FTP',
  ldap: 'LDAP',
  postgres: 'PostgreSQL',
};

/** A server's prelude is a few short replies; one that goes on past this is not the protocol asked for. */
const MAX_PRELUDE_BYTES = 64 * 1024;

/** The prelude did not end with the server ready for TLS: the server refused, hung up or spoke something else. */
export class StarttlsError extends Error {
  override readonly name = 'StarttlsError';
}

/**
 * Reads a server's replies off a plain TCP socket, a line or a count of bytes at a time; a read fails, in words, once
 * the server has hung up (or sent more than a prelude ever needs) without what it waits for.
 */
class Replies {
  private buffered = Buffer.alloc(0);
  private received = 0;
  private waiting?: () => void;
  private ended?: string;

  constructor(
    private readonly socket: Socket,
    private readonly name: string,
  ) {
    socket.on('data', this.onData);
    socket.once('end', this.onEnd);
    socket.once('close', this.onEnd);
  }

  private readonly onData = (chunk: Buffer) => {
    this.received += chunk.length;
    this.buffered = Buffer.concat([this.buffered, chunk]);
    if (this.received > MAX_PRELUDE_BYTES)
      this.stop(`the ${this.name} server sent more than ${MAX_PRELUDE_BYTES} bytes before TLS`);
    this.waiting?.();
  };

  private readonly onEnd = () => this.stop(`the ${this.name} server closed the connection before TLS`);

  private stop(reason: string) {
    this.ended ??= reason;
    this.waiting?.();
  }

  /** Waits until `take` finds what it needs in the bytes buffered, and consumes that. */
  private async next<T>(take: (bytes: Buffer) => { value: T; used: number } | undefined): Promise<T> {
    for (;;) {
      const found = take(this.buffered);
      if (found) {
        this.buffered = this.buffered.subarray(found.used);
        return found.value;
      }
      if (this.ended) throw new StarttlsError(this.ended);
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }

  /** The next line, without its CRLF (or bare LF). */
  line(): Promise<string> {
    return this.next((bytes) => {
      const end = bytes.indexOf(0x0a);
      return end < 0 ? undefined : { value: bytes.toString('latin1', 0, end).replace(/\r$/, ''), used: end + 1 };
    });
  }

  /** The next `count` bytes. */
  bytes(count: number): Promise<Buffer> {
    return this.next((bytes) =>
      bytes.length < count ? undefined : { value: Buffer.from(bytes.subarray(0, count)), used: count },
    );
  }

  /**
   * The next BER element, whole (an LDAP message: definite lengths only), read with lib/x509's DER reader. One that
   * does not start with `tag` is refused at its first byte, not waited for by the length its second would claim.
   */
  element(tag: number): Promise<{ bytes: Buffer; tlv: Tlv }> {
    return this.next((bytes) => {
      if (bytes.length > 0 && bytes[0] !== tag) throw new Error(`it starts ${shown(bytes.toString('latin1', 0, 40))}`);
      // The identifier, the length's first octet and the rest of the length: read only once all are here.
      if (bytes.length < 2 || bytes.length < 2 + (bytes[1] & 0x80 ? bytes[1] & 0x7f : 0)) return undefined;
      const tlv = readTlv(bytes, 0, Number.MAX_SAFE_INTEGER);
      if (tlv.end > bytes.length) return undefined;
      return { value: { bytes: Buffer.from(bytes.subarray(0, tlv.end)), tlv }, used: tlv.end };
    });
  }

  send(data: string | Buffer) {
    this.socket.write(data);
  }

  /** Stops reading: the socket is TLS's from here (the server sends nothing before the client's hello). */
  release() {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
  }
}

/** A reply line as shown in a message: printable, and short. */
const shown = (line: string) => line.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);

/**
 * An SMTP or FTP reply: its code and last line. Multi-line replies are `250-…` lines ended by `250 …` (FTP lets the
 * lines between be anything); 1xx replies (FTP's "ready in n minutes") are preliminary and skipped.
 */
async function codedReply(replies: Replies): Promise<{ code: number; line: string }> {
  for (;;) {
    let line = await replies.line();
    const code = line.slice(0, 3);
    if (!/^\d{3}$/.test(code)) throw new Error(shown(line));
    if (line[3] === '-') while (!(line.startsWith(`${code} `) || line === code)) line = await replies.line();
    if (code[0] !== '1') return { code: Number(code), line: shown(line) };
  }
}

type Prelude = (replies: Replies, name: string) => Promise<void>;

/** The command that ends the session while still in plaintext, sent before closing on a refusal. */
const QUIT: Readonly<Record<StarttlsProtocol, string | Buffer | null>> = {
  smtp: 'QUIT\r\n',
  imap: 'b LOGOUT\r\n',
  pop3: 'QUIT\r\n',
  ftp: 'QUIT\r\n',
  // UnbindRequest, message 2.
  ldap: Buffer.from('30050201024200', 'hex'),
  postgres: null,
};

/** SMTP (RFC 3207) and FTP (RFC 4217): greeting, then commands answered by coded replies. */
const coded =
  (commands: Array<{ send: string; expect: number; asked: string }>): Prelude =>
  async (replies, name) => {
    const greeting = await codedReply(replies);
    if (greeting.code !== 220) throw new StarttlsError(`the ${name} server refused the connection: ${greeting.line}`);
    for (const { send, expect, asked } of commands) {
      replies.send(`${send}\r\n`);
      const reply = await codedReply(replies);
      if (reply.code !== expect) throw new StarttlsError(`the ${name} server refused ${asked}: ${reply.line}`);
    }
  };

const LDAP_START_TLS_OID = '1.3.6.1.4.1.1466.20037';

/** LDAPMessage { messageID 1, ExtendedRequest [APPLICATION 23] { requestName [0] StartTLS's OID } } (RFC 4511). */
const LDAP_START_TLS = Buffer.concat([
  Buffer.from([0x30, 0x1d, 0x02, 0x01, 0x01, 0x77, 0x18, 0x80, 0x16]),
  Buffer.from(LDAP_START_TLS_OID, 'latin1'),
]);

/**
 * LDAP's result codes a StartTLS request may meet (RFC 4511 §4.14.2), by number, for the message.
 */
const LDAP_RESULTS: Readonly<Record<number, string>> = {
  1: 'operationsError',
  2: 'protocolError',
  3: 'timeLimitExceeded',
  51: 'busy',
  52: 'unavailable',
  53: 'unwillingToPerform',
};

const PRELUDES: Readonly<Record<StarttlsProtocol, Prelude>> = {
  smtp: coded([
    // The client's name is not checked before a message is sent; this one says who is asking, and resolves nowhere.
    { send: 'EHLO certwarden.invalid', expect: 250, asked: 'EHLO' },
    { send: 'STARTTLS', expect: 220, asked: 'STARTTLS' },
  ]),
  ftp: coded([{ send: 'AUTH TLS', expect: 234, asked: 'AUTH TLS' }]),
  // RFC 2595: `* OK` greeting, then the tagged answer to STARTTLS after any untagged lines.
  imap: async (replies, name) => {
    const greeting = await replies.line();
    if (!/^\* OK\b/i.test(greeting))
      throw new StarttlsError(`the ${name} server refused the connection: ${shown(greeting)}`);
    replies.send('a STARTTLS\r\n');
    let line: string;
    do line = await replies.line();
    while (!line.startsWith('a '));
    if (!/^a OK\b/i.test(line)) throw new StarttlsError(`the ${name} server refused STARTTLS: ${shown(line.slice(2))}`);
  },
  // RFC 2595: `+OK` greeting, then STLS answered `+OK`.
  pop3: async (replies, name) => {
    const greeting = await replies.line();
    if (!greeting.startsWith('+OK'))
      throw new StarttlsError(`the ${name} server refused the connection: ${shown(greeting)}`);
    replies.send('STLS\r\n');
    const answer = await replies.line();
    if (!answer.startsWith('+OK')) throw new StarttlsError(`the ${name} server refused STLS: ${shown(answer)}`);
  },
  // RFC 4511 §4.14: the ExtendedResponse's resultCode is 0 (success) when the server is ready for TLS.
  ldap: async (replies, name) => {
    replies.send(LDAP_START_TLS);
    const { bytes, tlv: message } = await replies.element(TAG.SEQUENCE);
    const id = readTlv(bytes, message.body, message.end);
    const response = readTlv(bytes, id.end, message.end);
    // [APPLICATION 24] ExtendedResponse, whose first element is the ENUMERATED resultCode.
    if (response.tag !== 0x78) throw new StarttlsError(`the ${name} server did not answer the StartTLS request`);
    const result = readTlv(bytes, response.body, response.end);
    const matched = readTlv(bytes, result.end, response.end);
    const diagnostic = readTlv(bytes, matched.end, response.end);
    const width = result.end - result.body;
    if (width < 1 || width > 4) throw new Error(`a resultCode of ${width} octets`);
    const code = bytes.readUIntBE(result.body, width);
    if (code !== 0) {
      const said = shown(bytes.toString('utf8', diagnostic.body, diagnostic.end));
      const words = [LDAP_RESULTS[code], said].filter(Boolean).join(', ');
      throw new StarttlsError(`the ${name} server refused StartTLS: resultCode ${code}${words ? ` (${words})` : ''}`);
    }
  },
  // SSLRequest (length 8, code 80877103) answered with one byte: S to go on with TLS, N for no.
  postgres: async (replies, name) => {
    replies.send(Buffer.from('0000000804d2162f', 'hex'));
    const [answer] = await replies.bytes(1);
    if (answer === 0x4e) throw new StarttlsError(`the ${name} server refused SSL: it answered N (ssl is off)`);
    if (answer !== 0x53)
      throw new StarttlsError(`the ${name} server refused SSL: it answered ${shown(String.fromCharCode(answer))}`);
  },
};

/**
 * The plaintext prelude of `protocol` on a connected TCP socket, up to the server's word that it is ready for TLS:
 * then the socket is the caller's to hand to `tls.connect({ socket })`. Nothing else is sent: no login, no query.
 * A refusal ends the plaintext session politely (QUIT, LOGOUT, Unbind) before rejecting; the caller closes the
 * socket. Bounded in time by the caller, whose timer destroys the socket (this then rejects).
 * @throws StarttlsError in words: `the SMTP server refused STARTTLS: 454 TLS not available`.
 */
export async function starttls(socket: Socket, protocol: StarttlsProtocol): Promise<void> {
  const name = STARTTLS_NAMES[protocol];
  const replies = new Replies(socket, name);
  try {
    await PRELUDES[protocol](replies, name);
  } catch (error) {
    const quit = QUIT[protocol];
    if (quit && socket.writable) replies.send(quit);
    if (error instanceof StarttlsError) throw error;
    throw new StarttlsError(`the ${name} server's reply is not ${name}: ${(error as Error).message}`, { cause: error });
  } finally {
    replies.release();
  }
}
