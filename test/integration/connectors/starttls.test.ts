import {
  configuredTargets,
  scanEndpoint,
  TlsEndpointSource,
  type ScopedTarget,
} from '../../../lib/connectors/tls-endpoint';
import { CertwardenConfig } from '../../../lib/domain/config';
import { endpointIdOf, type StarttlsProtocol } from '../../../lib/domain/tls-endpoints';
import { TrustAnchors } from '../../../lib/x509/chain';
import { collect } from '../../support/inventory';
import {
  ConnectionCounter,
  starttlsServer,
  tcpServer,
  testPki,
  type LocalServer,
  type StarttlsBehaviour,
  type TestPki,
} from '../../support/tls-servers';

/** STARTTLS against local servers speaking each protocol's plaintext prelude, then TLS with a test PKI's chain. */
const now = new Date();
const NAME = 'mail.example.test';
let pki: TestPki;
let anchors: TrustAnchors;
const servers: LocalServer[] = [];

beforeAll(async () => {
  pki = await testPki(now);
  anchors = TrustAnchors.of({ publicRoots: false, pem: pki.root.pem });
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function serve(protocol: StarttlsProtocol, behaviour: StarttlsBehaviour = 'upgrade', chain?: 'wrong-order') {
  const leaf = await pki.leaf([NAME]);
  const server = await starttlsServer(protocol, chain ? [leaf, pki.root, pki.intermediate] : [leaf, pki.intermediate], {
    behaviour,
  });
  servers.push(server);
  const target: ScopedTarget = {
    host: '127.0.0.1',
    port: server.port,
    serverName: NAME,
    starttls: protocol,
    scope: 's',
  };
  return { server, target };
}

const scan = (target: ScopedTarget, timeoutMs = 3000) =>
  scanEndpoint(target, { anchors, timeoutMs, clock: { now: () => now } });

const PROTOCOLS: StarttlsProtocol[] = ['smtp', 'imap', 'pop3', 'ftp', 'ldap', 'postgres'];

describe.each(PROTOCOLS)('%s STARTTLS', (protocol) => {
  it('reads the served chain after the prelude and judges it, at a place of its own', async () => {
    const { server, target } = await serve(protocol);
    const result = await scan(target);
    expect(result.error).toBeUndefined();
    expect(result.endpoint).toBe(`${protocol}://${NAME}@127.0.0.1:${server.port}`);
    expect(result.served?.chain.map((certificate) => certificate.record.subjectCommonName)).toEqual([
      NAME,
      'Test Intermediate',
    ]);
    expect(result.served?.protocol).toBe('TLSv1.3');
    expect(result.served?.verdict).toMatchObject({ trusted: true, issues: [] });
  });
});

describe('what is sent', () => {
  it.each([
    ['smtp', ['EHLO certwarden.invalid', 'STARTTLS']],
    ['imap', ['a STARTTLS']],
    ['pop3', ['STLS']],
    ['ftp', ['AUTH TLS']],
    ['ldap', ['301d02010177188016312e332e362e312e342e312e313436362e3230303337']],
    ['postgres', ['0000000804d2162f']],
  ] as const)('%s: the prelude alone, then TLS (no login, no query), on each connection', async (protocol, sent) => {
    const { server, target } = await serve(protocol);
    await scan(target);
    // Two connections: the scan's handshake and the TLS 1.2 one that reads the chain's order.
    expect(server.requests()).toEqual([sent, sent]);
  });
});

describe('a server that refuses TLS', () => {
  it.each([
    ['smtp', 'the SMTP server refused STARTTLS: 454 4.7.0 TLS not available', 'QUIT'],
    ['imap', 'the IMAP server refused STARTTLS: NO TLS not available', 'b LOGOUT'],
    ['pop3', 'the POP3 server refused STLS: -ERR TLS not available', 'QUIT'],
    ['ftp', 'the FTP server refused AUTH TLS: 534 TLS not available', 'QUIT'],
    ['ldap', 'the LDAP server refused StartTLS: resultCode 52 (unavailable, TLS not configured)', '30050201024200'],
    ['postgres', 'the PostgreSQL server refused SSL: it answered N (ssl is off)', undefined],
  ] as const)('%s: the refusal in words, the session ended in plaintext', async (protocol, error, goodbye) => {
    const { server, target } = await serve(protocol, 'refuse');
    const result = await scan(target);
    expect(result.error).toBe(error);
    expect(server.requests()).toHaveLength(1);
    expect(server.requests()[0].at(-1)).toBe(goodbye ?? '0000000804d2162f');
  });

  it('IMAP: a BAD answer is a refusal too', async () => {
    const server = await tcpServer((socket) => {
      socket.on('error', () => {});
      socket.on('data', (line) => socket.write(`${line.toString().split(' ')[0]} BAD command unknown\r\n`));
      socket.write('* OK ready\r\n');
    });
    servers.push(server);
    const result = await scan({ host: '127.0.0.1', port: server.port, serverName: NAME, starttls: 'imap', scope: 's' });
    expect(result.error).toBe('the IMAP server refused STARTTLS: BAD command unknown');
  });
});

describe('a server that is not what the endpoint says', () => {
  it('speaks another protocol: its reply in words', async () => {
    const { server } = await serve('pop3');
    const result = await scan({ host: '127.0.0.1', port: server.port, serverName: NAME, starttls: 'smtp', scope: 's' });
    expect(result.error).toBe("the SMTP server's reply is not SMTP: +OK POP3 ready");
  });

  it('answers the LDAP StartTLS request in text: refused at its first byte, not waited for', async () => {
    const { server } = await serve('pop3');
    const result = await scan({ host: '127.0.0.1', port: server.port, serverName: NAME, starttls: 'ldap', scope: 's' });
    expect(result.error).toBe("the LDAP server's reply is not LDAP: it starts +OK POP3 ready??");
  });

  it('hangs up in the prelude: said so, not taken for a handshake failure', async () => {
    const server = await tcpServer((socket) => socket.end('220 closing\r\n'));
    servers.push(server);
    const result = await scan({ host: '127.0.0.1', port: server.port, serverName: NAME, starttls: 'smtp', scope: 's' });
    expect(result.error).toBe('the SMTP server closed the connection before TLS');
  });

  it('talks on without end: stopped at 64 KiB, said so', async () => {
    const server = await tcpServer((socket) => {
      socket.on('error', () => {});
      socket.write(`220-${'x'.repeat(70_000)}`);
    });
    servers.push(server);
    const result = await scan({ host: '127.0.0.1', port: server.port, serverName: NAME, starttls: 'smtp', scope: 's' });
    expect(result.error).toBe('the SMTP server sent more than 65536 bytes before TLS');
  });
});

describe('a server that hangs in the prelude', () => {
  it.each([
    ['smtp', 'SMTP'],
    ['postgres', 'PostgreSQL'],
  ] as const)('%s: timed out, within the target timeout', async (protocol, name) => {
    const { target } = await serve(protocol, 'hang');
    expect((await scan(target, 500)).error).toBe(`timed out after 500 ms in the ${name} prelude`);
  });
});

describe('the chain order over STARTTLS', () => {
  it('judges a chain sent out of order as served: read off the wire after the prelude', async () => {
    const { target } = await serve('smtp', 'upgrade', 'wrong-order');
    const result = await scan(target);
    expect(result.served?.chain.map((certificate) => certificate.record.subjectCommonName)).toEqual([
      NAME,
      'Test Root',
      'Test Intermediate',
    ]);
    expect(result.served?.verdict.issues.map((issue) => issue.code)).toEqual(['wrong-order']);
  });
});

describe('the concurrency bound over STARTTLS', () => {
  it('holds no more connections open than its concurrency, counted by the servers', async () => {
    const counter = new ConnectionCounter();
    const many = await Promise.all(
      Array.from({ length: 12 }, async (_, i) =>
        starttlsServer(PROTOCOLS[i % PROTOCOLS.length], [await pki.leaf([NAME]), pki.intermediate], { counter }),
      ),
    );
    servers.push(...many);
    const scanned = await collect(
      new TlsEndpointSource({
        name: 'mail',
        targets: () =>
          many.map((server, i) => ({
            host: '127.0.0.1',
            port: server.port,
            serverName: NAME,
            starttls: PROTOCOLS[i % PROTOCOLS.length],
            scope: 'mail',
          })),
        anchors,
        concurrency: 3,
      }).list(),
    );
    expect(scanned).toHaveLength(24);
    expect(counter.accepted).toBe(24);
    expect(counter.high).toBeLessThanOrEqual(3);
  });
});

describe('configured STARTTLS targets', () => {
  it('takes the protocol from the endpoint, else from its group, and the protocol port when none is given', async () => {
    const [config] = CertwardenConfig.parse({
      sources: [
        {
          kind: 'tls-endpoint',
          name: 'mail',
          endpoints: ['smtp://mx.example.com:587', 'www.example.com'],
          groups: [
            {
              name: 'mailboxes',
              starttls: 'imap',
              endpoints: [
                'imap.example.com',
                'pop3://pop.example.com',
                { host: 'db.example.com', starttls: 'postgres' },
              ],
            },
          ],
        },
      ],
    }).sources;
    if (config.kind !== 'tls-endpoint') throw new Error('parsed as another kind');
    const targets = await collect(configuredTargets(config, undefined));
    expect(targets.map((target) => `${target.scope} ${endpointIdOf(target)}`)).toEqual([
      'endpoints smtp://mx.example.com:587',
      'endpoints www.example.com:443',
      'mailboxes imap://imap.example.com:143',
      'mailboxes pop3://pop.example.com:110',
      'mailboxes postgres://db.example.com:5432',
    ]);
  });
});
