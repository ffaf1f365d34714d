import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer, TLSSocket } from 'node:tls';
import type { StarttlsProtocol } from '../../lib/domain/tls-endpoints';
import { issueCertificate, privateKeyPem, type IssuedCertificate } from '../../lib/x509/factory';

/** A server on 127.0.0.1 and what it saw. */
export interface LocalServer {
  port: number;
  /** The most TCP connections it (and the servers sharing its counter) held open at once. */
  highWater(): number;
  /** TCP connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

/** A TLS server whose certificate can be replaced, as a reload after a deployment does. */
export interface LocalTlsServer extends LocalServer {
  /** Serves `chain` to new connections from now on. */
  deploy(chain: IssuedCertificate[]): Promise<void>;
}

/**
 * Counts connections as servers see them, one counter shared by any number of servers: one is open from its accept
 * until the client's FIN (or the socket's close), the moment the client's side is done with it.
 */
export class ConnectionCounter {
  open = 0;
  high = 0;
  accepted = 0;

  watch(server: Server): Set<Socket> {
    const sockets = new Set<Socket>();
    server.on('connection', (socket: Socket) => {
      this.accepted++;
      this.high = Math.max(this.high, ++this.open);
      sockets.add(socket);
      let counted = true;
      const done = () => {
        if (counted) this.open--;
        counted = false;
      };
      socket.once('end', done);
      socket.once('close', () => {
        done();
        sockets.delete(socket);
      });
    });
    return sockets;
  }
}

async function listen(server: Server, counter = new ConnectionCounter()): Promise<LocalServer> {
  const sockets = counter.watch(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    highWater: () => counter.high,
    accepted: () => counter.accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const contextOf = async (chain: IssuedCertificate[]) => ({
  key: await privateKeyPem(chain[0].keys),
  cert: chain.map((certificate) => certificate.pem.trim()).join('\n'),
});

/** A TLS server on 127.0.0.1 serving `chain` (leaf first, in that order) with the leaf's key. */
export async function tlsServer(chain: IssuedCertificate[], counter?: ConnectionCounter): Promise<LocalTlsServer> {
  const server = createServer(await contextOf(chain));
  // A client that resets or times out is its business, not the server's.
  server.on('tlsClientError', () => {});
  return {
    ...(await listen(server, counter)),
    deploy: async (next) => server.setSecureContext(await contextOf(next)),
  };
}

/** A TCP server on 127.0.0.1 handing each connection to `onConnection`. */
export async function tcpServer(onConnection: (socket: Socket) => void): Promise<LocalServer> {
  return listen(createTcpServer(onConnection));
}

/** A TCP server that accepts and never answers: a client's handshake hangs until its own timeout. */
export async function silentServer(): Promise<LocalServer> {
  return tcpServer(() => {});
}

/** A port that refuses connections: one a server had, closed again. */
export async function refusedPort(): Promise<number> {
  const server = await listen(createTcpServer());
  await server.close();
  return server.port;
}

/** A private PKI: a root, an intermediate under it, and leaves issued by the intermediate. */
export interface TestPki {
  root: IssuedCertificate;
  intermediate: IssuedCertificate;
  leaf(names: string[], options?: { notBefore?: Date; notAfter?: Date }): Promise<IssuedCertificate>;
  /** A leaf for an IP address (an IP SAN, no DNS name): what a target without SNI is checked against. */
  ipLeaf(ip: string): Promise<IssuedCertificate>;
}

export async function testPki(now: Date): Promise<TestPki> {
  const days = (n: number) => new Date(now.getTime() + n * 86_400_000);
  const root = await issueCertificate({
    subject: 'CN=Test Root',
    ca: true,
    notBefore: days(-30),
    notAfter: days(3650),
  });
  const intermediate = await issueCertificate({
    subject: 'CN=Test Intermediate',
    ca: true,
    issuer: root,
    notBefore: days(-30),
    notAfter: days(1800),
  });
  return {
    root,
    intermediate,
    leaf: (names, options = {}) =>
      issueCertificate({
        subject: `CN=${names[0]}`,
        dns: names,
        issuer: intermediate,
        notBefore: options.notBefore ?? days(-10),
        notAfter: options.notAfter ?? days(80),
      }),
    ipLeaf: (ip) =>
      issueCertificate({
        subject: 'CN=local',
        ip: [ip],
        issuer: intermediate,
        notBefore: days(-1),
        notAfter: days(30),
      }),
  };
}

/** How a STARTTLS server behaves at the client's request for TLS. */
export type StarttlsBehaviour = 'upgrade' | 'refuse' | 'hang';

type Reply = string | Buffer;

/** A protocol's plaintext side as a server speaks it: its greeting, and how it answers each request. */
interface Dialect {
  greeting?: string;
  /** Requests are CRLF lines (else each chunk read is one request: the client writes each in one go). */
  lines: boolean;
  /** The answers to a request for TLS (ready or refused), to the end of the session (bye), or to anything else. */
  answer(request: Buffer): { ready: Reply; refused: Reply } | { bye: Reply } | { other: Reply };
}

const ldapResponse = (code: number, diagnostic: string) => {
  const message = Buffer.from(diagnostic, 'latin1');
  const result = Buffer.concat([Buffer.from([0x0a, 0x01, code, 0x04, 0x00, 0x04, message.length]), message]);
  const response = Buffer.concat([Buffer.from([0x78, result.length]), result]);
  return Buffer.concat([Buffer.from([0x30, response.length + 3, 0x02, 0x01, 0x01]), response]);
};

const DIALECTS: Record<StarttlsProtocol, Dialect> = {
  smtp: {
    greeting: '220 mail.test ESMTP\r\n',
    lines: true,
    answer: (request) => {
      const line = request.toString();
      if (line.startsWith('EHLO ')) return { other: '250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n' };
      if (line === 'QUIT') return { bye: '221 2.0.0 Bye\r\n' };
      if (line !== 'STARTTLS') return { other: '500 5.5.2 Error: command not recognized\r\n' };
      return { ready: '220 2.0.0 Ready to start TLS\r\n', refused: '454 4.7.0 TLS not available\r\n' };
    },
  },
  imap: {
    greeting: '* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n',
    lines: true,
    answer: (request) => {
      const [tag, command] = request.toString().split(' ');
      if (command === 'LOGOUT') return { bye: `* BYE\r\n${tag} OK LOGOUT completed\r\n` };
      if (command !== 'STARTTLS') return { other: `${tag} BAD unknown command\r\n` };
      return {
        ready: `${tag} OK Begin TLS negotiation now\r\n`,
        refused: `* CAPABILITY IMAP4rev1\r\n${tag} NO TLS not available\r\n`,
      };
    },
  },
  pop3: {
    greeting: '+OK POP3 ready\r\n',
    lines: true,
    answer: (request) => {
      const line = request.toString();
      if (line === 'QUIT') return { bye: '+OK bye\r\n' };
      if (line !== 'STLS') return { other: '-ERR unknown command\r\n' };
      return { ready: '+OK Begin TLS negotiation\r\n', refused: '-ERR TLS not available\r\n' };
    },
  },
  ftp: {
    greeting: '220-Welcome to the test FTP server\r\n220 ready\r\n',
    lines: true,
    answer: (request) => {
      const line = request.toString();
      if (line === 'QUIT') return { bye: '221 Goodbye\r\n' };
      if (line !== 'AUTH TLS') return { other: '500 unknown command\r\n' };
      return { ready: '234 AUTH TLS successful\r\n', refused: '534 TLS not available\r\n' };
    },
  },
  ldap: {
    lines: false,
    answer: (request) => {
      // UnbindRequest [APPLICATION 2], then the ExtendedRequest [APPLICATION 23].
      if (request[5] === 0x42) return { bye: Buffer.alloc(0) };
      if (request[5] !== 0x77) return { other: ldapResponse(2, 'unexpected request') };
      return { ready: ldapResponse(0, ''), refused: ldapResponse(52, 'TLS not configured') };
    },
  },
  postgres: {
    lines: false,
    answer: (request) => (request.readUInt32BE(4) === 80_877_103 ? { ready: 'S', refused: 'N' } : { bye: 'E' }),
  },
};

/** A STARTTLS server and the plaintext requests it was sent. */
export interface LocalStarttlsServer extends LocalServer {
  /** Each connection's plaintext requests, in order: CRLF lines, or hex for binary protocols. */
  requests(): string[][];
}

/**
 * A server on 127.0.0.1 speaking `protocol`'s plaintext prelude, then TLS serving `chain` (leaf first, in that order)
 * when asked for it (`upgrade`), or refusing (`refuse`: SMTP 454, IMAP NO, POP3 -ERR, FTP 534, LDAP resultCode 52
 * unavailable, PostgreSQL N), or never answering the request (`hang`).
 */
export async function starttlsServer(
  protocol: StarttlsProtocol,
  chain: IssuedCertificate[],
  { behaviour = 'upgrade', counter }: { behaviour?: StarttlsBehaviour; counter?: ConnectionCounter } = {},
): Promise<LocalStarttlsServer> {
  const dialect = DIALECTS[protocol];
  const secureContext = createSecureContext(await contextOf(chain));
  const requests: string[][] = [];
  const server = createTcpServer((socket) => {
    const seen: string[] = [];
    requests.push(seen);
    let buffered = Buffer.alloc(0);
    socket.on('error', () => {});
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = dialect.lines ? buffered.indexOf('\r\n') : buffered.length > 0 ? buffered.length : -1;
        if (end < 0) return;
        const request = buffered.subarray(0, end);
        buffered = buffered.subarray(dialect.lines ? end + 2 : end);
        seen.push(dialect.lines ? request.toString() : request.toString('hex'));
        const answer = dialect.answer(request);
        if ('other' in answer) socket.write(answer.other);
        else if ('bye' in answer) socket.end(answer.bye);
        else if (behaviour === 'refuse') socket.write(answer.refused);
        else if (behaviour === 'hang') return;
        else {
          socket.write(answer.ready);
          socket.off('data', onData);
          new TLSSocket(socket, { isServer: true, secureContext }).on('error', () => {});
          return;
        }
      }
    };
    socket.on('data', onData);
    if (dialect.greeting) socket.write(dialect.greeting);
  });
  return { ...(await listen(server, counter)), requests: () => requests };
}
