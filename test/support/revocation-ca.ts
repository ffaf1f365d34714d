import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslSync } from './openssl';

/**
 * A test CA run by `openssl ca` (index.txt, serials, CRLs) in a temporary directory, with what revocation checks
 * talk to: its CRL (and its certificate, for caIssuers) served over HTTP on 127.0.0.1, and `openssl ocsp`
 * responders on random high ports (OpenSSL 3.0's `-port` binds every interface and takes no address).
 * Everything is made at test time and removed by `close()`.
 */
export class RevocationCa {
  readonly dir = mkdtempSync(join(tmpdir(), 'certwarden-revocation-ca-'));
  private readonly responders: ChildProcess[] = [];
  private http: Server | undefined;
  private httpPort = 0;
  /** The OCSP port certificates name; a responder is started on it with `startResponder`. */
  readonly ocspPort: Promise<number> = freePort();
  private crl: Buffer = Buffer.alloc(0);
  /** How many OCSP/CRL/caIssuers requests the HTTP server answered, by path. */
  readonly served = new Map<string, number>();

  private constructor(readonly name: string) {}

  /** A CA with its HTTP server up (serving its CRL at /ca.crl and its certificate at /ca.der). */
  static async create(name = 'certwarden revocation test CA'): Promise<RevocationCa> {
    const ca = new RevocationCa(name);
    ca.writeConfig();
    ca.openssl(
      ['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
        .concat(['-keyout', ca.path('ca.key'), '-out', ca.path('ca.pem'), '-days', '30', '-subj', `/CN=${name}`])
        .concat(['-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']),
    );
    await ca.serve();
    ca.refreshCrl();
    return ca;
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  get caDer(): Buffer {
    return this.openssl(['x509', '-in', this.path('ca.pem'), '-outform', 'DER']);
  }

  get crlUrl(): string {
    return `http://127.0.0.1:${this.httpPort}/ca.crl`;
  }

  get caIssuersUrl(): string {
    return `http://127.0.0.1:${this.httpPort}/ca.der`;
  }

  async ocspUrl(): Promise<string> {
    return `http://127.0.0.1:${await this.ocspPort}/`;
  }

  /**
   * Issues a leaf with `openssl ca`; `pointers` say which of AIA OCSP, CDP and caIssuers it names. Returns its
   * PEM and DER.
   */
  async issue(
    cn: string,
    pointers: { ocsp?: boolean; crl?: boolean; caIssuers?: boolean; extra?: string } = { ocsp: true, crl: true },
  ): Promise<{ pem: string; der: Buffer; file: string }> {
    const aia = [
      ...(pointers.ocsp ? [`OCSP;URI:${await this.ocspUrl()}`] : []),
      ...(pointers.caIssuers ? [`caIssuers;URI:${this.caIssuersUrl}`] : []),
    ];
    const lines = [
      '[ext]',
      'basicConstraints=CA:false',
      ...(aia.length > 0 ? [`authorityInfoAccess=${aia.join(',')}`] : []),
      ...(pointers.crl ? [`crlDistributionPoints=URI:${this.crlUrl}`] : []),
      ...(pointers.extra ? [pointers.extra] : []),
    ];
    const file = this.sign(cn, lines);
    const pem = readFileSync(file, 'utf8');
    return { pem, der: this.openssl(['x509', '-in', file, '-outform', 'DER']), file };
  }

  /** Revokes a leaf issued here (`openssl ca -revoke`) and publishes a fresh CRL. */
  revoke(cn: string, reason = 'keyCompromise'): void {
    this.openssl(['ca', '-config', this.path('ca.cnf'), '-revoke', this.path(`${cn}.pem`), '-crl_reason', reason]);
    this.refreshCrl();
  }

  /** Publishes a CRL valid for `hours` (its nextUpdate). */
  refreshCrl(hours = 24): void {
    this.openssl([
      'ca',
      '-config',
      this.path('ca.cnf'),
      '-gencrl',
      '-crlhours',
      String(hours),
      '-out',
      this.path('ca.crl'),
    ]);
    this.crl = this.openssl(['crl', '-in', this.path('ca.crl'), '-outform', 'DER']);
  }

  /**
   * Starts `openssl ocsp` on `port` (the one the certificates name by default), signing with the CA's key or a
   * given signer, and waits until it accepts connections.
   */
  async startResponder(signer?: { cert: string; key: string }, port?: number): Promise<ChildProcess> {
    const listen = port ?? (await this.ocspPort);
    const child = spawn(
      'openssl',
      ['ocsp', '-index', this.path('index.txt'), '-port', String(listen), '-CA', this.path('ca.pem')]
        .concat(['-rsigner', signer?.cert ?? this.path('ca.pem'), '-rkey', signer?.key ?? this.path('ca.key')])
        .concat(['-nmin', '60', '-ignore_err']),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.responders.push(child);
    await waitForPort(listen, child);
    return child;
  }

  stopResponder(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill();
    });
  }

  /** A responder certificate the CA issues (with or without id-kp-OCSPSigning), its files named after `cn`. */
  responderCertificate(cn: string, ocspSigning: boolean): { cert: string; key: string } {
    this.sign(cn, [
      '[ext]',
      'basicConstraints=CA:false',
      'keyUsage=critical,digitalSignature',
      `extendedKeyUsage=${ocspSigning ? 'OCSPSigning' : 'serverAuth'}`,
    ]);
    return { cert: this.path(`${cn}.pem`), key: this.path(`${cn}.key`) };
  }

  /** A fresh P-256 key and CSR for `cn`, signed by `openssl ca` with the extensions section `ext`: its PEM file. */
  private sign(cn: string, ext: string[]): string {
    const file = this.path(`${cn}.pem`);
    writeFileSync(this.path('ext.cnf'), `${ext.join('\n')}\n`);
    this.openssl(
      ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
        '-keyout',
        this.path(`${cn}.key`),
        '-out',
        this.path(`${cn}.csr`),
        '-subj',
        `/CN=${cn}`,
      ]),
    );
    this.openssl(
      ['ca', '-batch', '-config', this.path('ca.cnf'), '-in', this.path(`${cn}.csr`), '-out', file].concat([
        '-extfile',
        this.path('ext.cnf'),
        '-extensions',
        'ext',
        '-days',
        '10',
        '-notext',
      ]),
    );
    return file;
  }

  /** A self-signed certificate bearing the CA's name with another key: a forger's stand-in for the CA. */
  impostor(): { cert: string; key: string } {
    this.openssl(
      ['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
        .concat(['-keyout', this.path('impostor.key'), '-out', this.path('impostor.pem'), '-days', '30'])
        .concat(['-subj', `/CN=${this.name}`]),
    );
    return { cert: this.path('impostor.pem'), key: this.path('impostor.key') };
  }

  async close(): Promise<void> {
    await Promise.all(this.responders.map((child) => this.stopResponder(child)));
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private openssl(args: string[]): Buffer {
    return opensslSync(args);
  }

  private writeConfig(): void {
    writeFileSync(this.path('index.txt'), '');
    writeFileSync(this.path('serial'), '1000\n');
    writeFileSync(this.path('crlnumber'), '1000\n');
    const dir = this.dir;
    writeFileSync(
      this.path('ca.cnf'),
      [
        '[ca]',
        'default_ca = test',
        '[test]',
        `dir = ${dir}`,
        `database = ${dir}/index.txt`,
        `serial = ${dir}/serial`,
        `crlnumber = ${dir}/crlnumber`,
        `new_certs_dir = ${dir}`,
        `certificate = ${dir}/ca.pem`,
        `private_key = ${dir}/ca.key`,
        'default_md = sha256',
        'default_days = 10',
        'policy = anything',
        'unique_subject = no',
        'copy_extensions = none',
        '[anything]',
        'commonName = supplied',
        '',
      ].join('\n'),
    );
  }

  private serve(): Promise<void> {
    this.http = createServer((request, response) => {
      this.served.set(request.url ?? '', (this.served.get(request.url ?? '') ?? 0) + 1);
      if (request.url === '/ca.crl') response.end(this.crl);
      else if (request.url === '/ca.der') response.end(this.caDer);
      else response.writeHead(404).end();
    });
    return new Promise((resolve) =>
      this.http!.listen(0, '127.0.0.1', () => {
        this.httpPort = (this.http!.address() as { port: number }).port;
        resolve();
      }),
    );
  }
}

/** A port nothing listens on now (taken from the kernel, then released for the responder to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Resolves once `openssl ocsp` says it waits for connections (on stderr); rejects if it exits
 * first or 10 s pass. Not probed by connecting: the single-process responder then waits on the probe's socket.
 */
function waitForPort(port: number, child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`openssl ocsp did not listen on ${port} within 10 s: ${stderr}`)),
      10_000,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/waiting for OCSP client connections/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`openssl ocsp exited: ${stderr}`));
    });
  });
}
