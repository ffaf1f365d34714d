import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer } from 'node:tls';
import { issueCertificate, privateKeyPem, type IssuedCertificate } from '../../lib/x509/factory';

/** A server on 127.0.0.1 and what it saw. */
export interface LocalServer {
  port: number;
  /** The most TCP connections it held open at once. */
  highWater(): number;
  /** TCP connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

/**
 * Counts a server's connections as the server sees them: one is open from its accept until the client's FIN (or
 * the socket's close), the moment the client's side is done with it.
 */
function counting(server: Server): Omit<LocalServer, 'port' | 'close'> & { sockets: Set<Socket> } {
  let open = 0;
  let high = 0;
  let accepted = 0;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    accepted++;
    high = Math.max(high, ++open);
    sockets.add(socket);
    let counted = true;
    const done = () => {
      if (counted) open--;
      counted = false;
    };
    socket.once('end', done);
    socket.once('close', () => {
      done();
      sockets.delete(socket);
    });
  });
  return { highWater: () => high, accepted: () => accepted, sockets };
}

async function listen(server: Server): Promise<LocalServer> {
  const counts = counting(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    highWater: counts.highWater,
    accepted: counts.accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of counts.sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A TLS server on 127.0.0.1 serving `chain` (leaf first, in that order) with the leaf's key. */
export async function tlsServer(chain: IssuedCertificate[]): Promise<LocalServer> {
  const server = createServer({
    key: await privateKeyPem(chain[0].keys),
    cert: chain.map((certificate) => certificate.pem.trim()).join('\n'),
  });
  // A client that resets or times out is its business, not the server's.
  server.on('tlsClientError', () => {});
  return listen(server);
}

/** A TCP server that accepts and never answers: a client's handshake hangs until its own timeout. */
export async function silentServer(): Promise<LocalServer> {
  return listen(createTcpServer(() => {}));
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
  };
}
