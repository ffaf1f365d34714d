import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer } from 'node:tls';
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
