import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import pLimit from 'p-limit';
import { RevocationCheckError } from '../domain/errors';
import { NOWHERE_TO_ASK } from '../domain/revocation';
import type { Clock } from '../ports/clock';
import type { RevocationAnswer, RevocationChecker, RevocationQuery } from '../ports/revocation-checker';
import {
  certificateParts,
  certificateSignedBy,
  revocationPointers,
  type CertificateParts,
  type RevocationPointers,
} from '../x509/certificate-parts';
import { readCrl, type CrlContents } from '../x509/crl';
import { ocspRequest, readOcspResponse, serialKey } from '../x509/ocsp';
import { parseCertificates } from '../x509/parse';

export interface HttpRevocationCheckerOptions {
  clock: Clock;
  /** Each HTTP exchange (OCSP, CRL, caIssuers) is abandoned after this long. @default 5000 */
  timeoutMs?: number;
  /** Requests in flight to one responder host (and sockets open to it) at most. @default 4 */
  perHostConcurrency?: number;
  /** A CRL larger than this is refused rather than held in memory. @default 32 MiB */
  maxCrlBytes?: number;
}

/** What the checker did, for the bench and the logs. */
export interface RevocationCheckerStats {
  requests: number;
  openSockets: number;
  maxOpenSockets: number;
}

const MAX_OCSP_BYTES = 1 << 20;

/**
 * Checks revocation over HTTP: OCSP first (each AIA responder in turn), then the CRL distribution points, each CRL
 * verified once and kept (per URL and issuer key) until its nextUpdate. Requests to one host are limited to
 * `perHostConcurrency` at once over as many kept-alive sockets, so a thousand certificates of one CA are a few
 * connections to its responder, not a thousand.
 */
export class HttpRevocationChecker implements RevocationChecker {
  readonly stats: RevocationCheckerStats = { requests: 0, openSockets: 0, maxOpenSockets: 0 };
  private readonly timeoutMs: number;
  private readonly perHost: number;
  private readonly maxCrlBytes: number;
  private readonly limits = new Map<string, ReturnType<typeof pLimit>>();
  private readonly crls = new Map<string, Promise<CrlContents>>();
  private readonly issuers = new Map<string, Promise<Uint8Array[]>>();
  private readonly sockets = new WeakSet<Socket>();
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;

  constructor(private readonly options: HttpRevocationCheckerOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.perHost = options.perHostConcurrency ?? 4;
    this.maxCrlBytes = options.maxCrlBytes ?? 32 << 20;
    this.httpAgent = new HttpAgent({ keepAlive: true, maxSockets: this.perHost });
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: this.perHost });
  }

  /** Closes the kept-alive sockets: a CLI run ends without waiting for their idle timeout. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  async check(query: RevocationQuery, signal?: AbortSignal): Promise<RevocationAnswer> {
    let parts: CertificateParts;
    let pointers: RevocationPointers;
    try {
      parts = certificateParts(query.der);
      pointers = revocationPointers(query.der);
    } catch (error) {
      return unknown(`unreadable certificate extensions (${describe(error)})`, true);
    }
    if (pointers.ocsp.length === 0 && pointers.crl.length === 0) {
      return unknown(NOWHERE_TO_ASK, true);
    }
    const issuerDer = await this.issuerOf(query, pointers, signal);
    if (typeof issuerDer === 'string') return unknown(issuerDer, false);
    const issuer = { der: issuerDer, parts: certificateParts(issuerDer) };
    const problems: string[] = [];
    for (const url of pointers.ocsp) {
      try {
        return await this.askResponder(url, parts, issuer, signal);
      } catch (error) {
        problems.push(`OCSP ${url}: ${describe(error)}`);
      }
    }
    for (const url of pointers.crl) {
      try {
        return await this.lookUpCrl(url, parts, issuer.parts, signal);
      } catch (error) {
        problems.push(`CRL ${url}: ${describe(error)}`);
      }
    }
    return unknown(problems.join('; '), false);
  }

  private async askResponder(
    url: string,
    certificate: CertificateParts,
    issuer: { der: Uint8Array; parts: CertificateParts },
    signal: AbortSignal | undefined,
  ): Promise<RevocationAnswer> {
    const query = ocspRequest(certificate, issuer.parts);
    const body = await this.exchange(url, signal, MAX_OCSP_BYTES, query.der);
    const answer = readOcspResponse(body, query, issuer, this.options.clock.now());
    return {
      status: answer.status,
      reason: answer.status === 'unknown' ? 'the OCSP responder does not know the certificate' : answer.reason,
      revokedAt: answer.revokedAt,
      via: 'ocsp',
      nextUpdate: answer.nextUpdate,
      final: false,
    };
  }

  /**
   * The certificate's status on the CRL at `url`. A CRL past its nextUpdate still proves a revocation (that is
   * final) but not that the certificate is good: then the answer is `unknown`, the CRL named stale.
   */
  private async lookUpCrl(
    url: string,
    certificate: CertificateParts,
    issuer: CertificateParts,
    signal: AbortSignal | undefined,
  ): Promise<RevocationAnswer> {
    const crl = await this.crl(url, issuer, signal);
    const entry = crl.revoked.get(serialKey(certificate.serial));
    if (entry) {
      return { status: 'revoked', ...entry, via: 'crl', nextUpdate: crl.nextUpdate, final: false };
    }
    if (crl.nextUpdate && Date.parse(crl.nextUpdate) < this.options.clock.now().getTime()) {
      throw new RevocationCheckError(`stale CRL: its nextUpdate ${crl.nextUpdate} has passed`);
    }
    return { status: 'good', reason: null, revokedAt: null, via: 'crl', nextUpdate: crl.nextUpdate, final: false };
  }

  /** A CRL verified against `issuer`: the kept one until its nextUpdate, else downloaded (once for many asking). */
  private crl(url: string, issuer: CertificateParts, signal: AbortSignal | undefined): Promise<CrlContents> {
    const key = `${url} ${createHash('sha256').update(issuer.spki).digest('hex')}`;
    const kept = this.crls.get(key);
    if (kept) return kept;
    const loading = this.exchange(url, signal, this.maxCrlBytes).then((bytes) => readCrl(bytes, issuer));
    this.crls.set(key, loading);
    const forget = () => {
      if (this.crls.get(key) === loading) this.crls.delete(key);
    };
    loading.then((crl) => {
      const until = crl.nextUpdate ? Date.parse(crl.nextUpdate) - this.options.clock.now().getTime() : 0;
      // Kept until its nextUpdate (a stale one is fetched again next time, in case a fresh one is out).
      if (until <= 0) forget();
      else setTimeout(forget, Math.min(until, 2 ** 31 - 1)).unref();
    }, forget);
    return loading;
  }

  /**
   * The issuer's certificate: the one given (from the inventory), else the first certificate at a caIssuers URL
   * (DER, PEM or PKCS#7) whose key signed this one. A message instead when there is none.
   */
  private async issuerOf(
    query: RevocationQuery,
    pointers: RevocationPointers,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array | string> {
    const signedIt = (der: Uint8Array) => {
      try {
        return certificateSignedBy(query.der, certificateParts(der).spki);
      } catch {
        return false;
      }
    };
    if (query.issuer && signedIt(query.issuer)) return query.issuer;
    const problems: string[] = [];
    for (const url of pointers.caIssuers) {
      let fetched = this.issuers.get(url);
      if (!fetched) {
        fetched = this.exchange(url, signal, MAX_OCSP_BYTES).then((bytes) =>
          parseCertificates(bytes, url).certificates.map((certificate) => certificate.der),
        );
        this.issuers.set(url, fetched);
        fetched.catch(() => this.issuers.delete(url));
      }
      try {
        const found = (await fetched).find(signedIt);
        if (found) return found;
        problems.push(`caIssuers ${url}: no certificate there signed it`);
      } catch (error) {
        problems.push(`caIssuers ${url}: ${describe(error)}`);
      }
    }
    if (problems.length === 0) {
      return 'issuer certificate not in the inventory and no caIssuers URL in the certificate';
    }
    return `issuer certificate not found (${problems.join('; ')})`;
  }

  /** One HTTP exchange (POST when there is a body), limited per host, timed out, its size capped. */
  private exchange(
    url: string,
    signal: AbortSignal | undefined,
    maxBytes: number,
    body?: Uint8Array,
  ): Promise<Uint8Array> {
    const target = new URL(url);
    let limit = this.limits.get(target.host);
    if (!limit) this.limits.set(target.host, (limit = pLimit(this.perHost)));
    return limit(() => this.send(target, signal, maxBytes, body));
  }

  private send(target: URL, signal: AbortSignal | undefined, maxBytes: number, body?: Uint8Array): Promise<Uint8Array> {
    this.stats.requests++;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const https = target.protocol === 'https:';
    return new Promise<Uint8Array>((resolve, reject) => {
      const request: ClientRequest = (https ? httpsRequest : httpRequest)(target, {
        method: body ? 'POST' : 'GET',
        agent: https ? this.httpsAgent : this.httpAgent,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        headers: body
          ? {
              'content-type': 'application/ocsp-request',
              // Without a length node sends the body chunked, which OpenSSL's responder does not read.
              'content-length': body.length,
              accept: 'application/ocsp-response',
            }
          : undefined,
      });
      request.on('socket', (socket: Socket) => this.track(socket));
      request.on('error', (error) =>
        reject(timeout.aborted ? new RevocationCheckError(`no answer within ${this.timeoutMs} ms`) : error),
      );
      request.on('response', (response: IncomingMessage) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new RevocationCheckError(`HTTP ${response.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            request.destroy(new RevocationCheckError(`answer larger than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
        response.on('error', reject);
      });
      request.end(body);
    });
  }

  /** Counts a socket the first time a request gets it (a kept-alive one is handed to many). */
  private track(socket: Socket): void {
    if (this.sockets.has(socket)) return;
    this.sockets.add(socket);
    this.stats.openSockets++;
    this.stats.maxOpenSockets = Math.max(this.stats.maxOpenSockets, this.stats.openSockets);
    socket.once('close', () => this.stats.openSockets--);
  }
}

const unknown = (reason: string, final: boolean): RevocationAnswer => ({
  status: 'unknown',
  reason,
  revokedAt: null,
  via: null,
  nextUpdate: null,
  final,
});

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
