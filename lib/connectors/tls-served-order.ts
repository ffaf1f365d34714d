import { connect as connectTcp } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as connectTls, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import type { TlsTarget } from '../domain/tls-endpoints';
import { starttls } from './starttls';

/** TLS record content type of handshake messages, and the handshake type of the server's Certificate. */
const HANDSHAKE_RECORD = 22;
const CERTIFICATE_MESSAGE = 11;

/**
 * No CA store (node:tls adds nothing to what the server sent) and TLS 1.2 at most: the protocol bounds belong to the
 * context, which the connection's own `maxVersion` does not override.
 */
let context: SecureContext | undefined;
const tls12Context = () => (context ??= createSecureContext({ ca: [], maxVersion: 'TLSv1.2' }));

const uint24 = (bytes: Buffer, at: number) => (bytes[at] << 16) | (bytes[at + 1] << 8) | bytes[at + 2];

/**
 * The certificates of the server's Certificate message in the order they were sent, from the bytes a TLS 1.2 server
 * sent so far (plaintext records): `undefined` while the message is not complete yet, `null` when the server's
 * handshake went past it without one (or sent something that is not TLS).
 */
export function certificatesOfServerFlight(received: Buffer): Buffer[] | null | undefined {
  const handshake: Buffer[] = [];
  let at = 0;
  while (at + 5 <= received.length) {
    const type = received[at];
    const length = received.readUInt16BE(at + 3);
    if (at + 5 + length > received.length) break;
    if (type !== HANDSHAKE_RECORD) return null;
    handshake.push(received.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  const messages = Buffer.concat(handshake);
  for (let offset = 0; offset + 4 <= messages.length;) {
    const length = uint24(messages, offset + 1);
    if (offset + 4 + length > messages.length) return undefined;
    if (messages[offset] === CERTIFICATE_MESSAGE) {
      const certificates: Buffer[] = [];
      const end = offset + 4 + length;
      for (let cursor = offset + 7; cursor + 3 <= end;) {
        const size = uint24(messages, cursor);
        certificates.push(Buffer.from(messages.subarray(cursor + 3, cursor + 3 + size)));
        cursor += 3 + size;
      }
      return certificates;
    }
    offset += 4 + length;
  }
  return undefined;
}

/**
 * The certificates a server sends, in its order. node:tls hands the peer's chain back relinked by issuer (and
 * without what links to nothing), and a TLS 1.3 server encrypts its Certificate message, so this is a second
 * handshake offering TLS 1.2 at most, whose Certificate message is read off the wire through a stream that copies
 * what the server sends; the connection is dropped as soon as the message is read (no application data, no
 * handshake completed); a STARTTLS target's prelude (lib/connectors/starttls.ts) is spoken on the TCP socket first.
 * Null when the server will not speak TLS 1.2, or anything goes wrong: the order is then unknown, never guessed.
 */
export function servedInOrder(target: TlsTarget, timeoutMs: number): Promise<Buffer[] | null> {
  return new Promise((resolve) => {
    const tcp = connectTcp({ host: target.host, port: target.port });
    let received = Buffer.alloc(0);
    let settled = false;
    let tls: TLSSocket | undefined;
    let result: Buffer[] | null = null;
    // Handed on once the socket is closed, as scanEndpoint's first handshake is, so that a caller's concurrency
    // bounds the sockets open: a destroyed socket is closed here before the server has seen it go, while a FIN is
    // answered by the server's own before the close.
    tcp.once('close', () => resolve(result));
    const finish = (certificates: Buffer[] | null, graceful = true) => {
      if (settled) return;
      settled = true;
      result = certificates;
      clearTimeout(timer);
      tls?.destroy();
      if (graceful) {
        tcp.end();
        // A server that never answers the FIN: do not wait for it.
        setTimeout(() => tcp.destroy(), 1000).unref();
      } else tcp.destroy();
    };
    const timer = setTimeout(() => finish(null, false), timeoutMs);
    /** The TLS 1.2 handshake, through a stream that copies what the server sends. */
    const handshake = () => {
      const wire = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          tcp.write(chunk, callback);
        },
        final(callback) {
          tcp.end();
          callback();
        },
      });
      tls = connectTls({
        socket: wire,
        ...(target.serverName !== null && { servername: target.serverName }),
        secureContext: tls12Context(),
        rejectUnauthorized: false,
      });
      tcp.on('data', (chunk: Buffer) => {
        if (settled) return;
        received = Buffer.concat([received, chunk]);
        const certificates = certificatesOfServerFlight(received);
        if (certificates !== undefined) finish(certificates);
        else wire.push(chunk);
      });
      tls.on('error', () => finish(null));
    };
    const { starttls: protocol } = target;
    if (protocol)
      tcp.once('connect', () =>
        starttls(tcp, protocol).then(
          () => settled || handshake(),
          () => finish(null),
        ),
      );
    else handshake();
    tcp.on('end', () => finish(null));
    tcp.on('error', () => finish(null, false));
  });
}
