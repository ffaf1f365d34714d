import { readFileSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { HttpRevocationChecker } from '../../../lib/adapters/http-revocation-checker';
import { fixedClock, systemClock, type Clock } from '../../../lib/ports/clock';
import { RevocationCa } from '../../support/revocation-ca';

/** OCSP and CRL checks against a CA run by real OpenSSL: `openssl ca`, its CRL over HTTP, `openssl ocsp`. */
describe('HttpRevocationChecker against OpenSSL', () => {
  let ca: RevocationCa;
  const leaves: Record<string, Buffer> = {};
  const checkers: HttpRevocationChecker[] = [];
  const check = (name: string, options: { issuer?: boolean; clock?: Clock } = {}) => {
    const checker = new HttpRevocationChecker({ clock: options.clock ?? systemClock, timeoutMs: 2000 });
    checkers.push(checker);
    return checker.check({ der: leaves[name], issuer: options.issuer === false ? undefined : ca.caDer });
  };

  beforeAll(async () => {
    ca = await RevocationCa.create();
    for (const name of ['good', 'revoked', 'unlisted']) leaves[name] = (await ca.issue(`${name}.example`)).der;
    leaves.aia = (await ca.issue('aia.example', { ocsp: true, caIssuers: true })).der;
    leaves.bare = (await ca.issue('bare.example', {})).der;
    ca.revoke('revoked.example', 'keyCompromise');
    // Out of the CA's database, the responder has never heard of it.
    const index = readFileSync(ca.path('index.txt'), 'utf8');
    writeFileSync(
      ca.path('index.txt'),
      index
        .split('\n')
        .filter((line) => !line.includes('CN=unlisted.example'))
        .join('\n'),
    );
  }, 60_000);
  afterEach(() => checkers.splice(0).forEach((checker) => checker.close()));
  afterAll(() => ca?.close());

  describe('with the CA answering OCSP itself', () => {
    let responder: ChildProcess;
    beforeAll(async () => void (responder = await ca.startResponder()), 15_000);
    afterAll(() => ca.stopResponder(responder));

    it('says good for a certificate the CA has not revoked', async () => {
      const answer = await check('good');
      expect(answer).toMatchObject({ status: 'good', via: 'ocsp', reason: null, revokedAt: null, final: false });
      expect(Date.parse(answer.nextUpdate!)).toBeGreaterThan(Date.now());
    });

    it('says revoked with the reason and time the CA recorded', async () => {
      const answer = await check('revoked');
      expect(answer).toMatchObject({ status: 'revoked', via: 'ocsp', reason: 'keyCompromise' });
      expect(Math.abs(Date.parse(answer.revokedAt!) - Date.now())).toBeLessThan(300_000);
    });

    it('says unknown for a certificate the responder does not know', async () => {
      const answer = await check('unlisted');
      expect(answer).toMatchObject({ status: 'unknown', via: 'ocsp' });
      expect(answer.reason).toMatch(/responder does not know/);
    });

    it('fetches the issuer from the caIssuers URL when the inventory does not hold it', async () => {
      const answer = await check('aia', { issuer: false });
      expect(answer).toMatchObject({ status: 'good', via: 'ocsp' });
      expect(ca.served.get('/ca.der')).toBeGreaterThan(0);
    });

    it('says unknown, with the reason, when nothing leads to the issuer', async () => {
      const answer = await check('good', { issuer: false });
      expect(answer).toMatchObject({ status: 'unknown', via: null });
      expect(answer.reason).toMatch(/issuer certificate not in the inventory/);
    });
  });

  it('says unknown with the reason, for good, when the certificate names no responder and no CRL', async () => {
    const answer = await check('bare');
    expect(answer).toEqual({
      status: 'unknown',
      reason: 'no OCSP responder or CRL distribution point in the certificate',
      revokedAt: null,
      via: null,
      nextUpdate: null,
      final: true,
    });
  });

  describe('with the responder down', () => {
    it('falls back to the CRL: good', async () => {
      expect(await check('good')).toMatchObject({ status: 'good', via: 'crl' });
    });

    it('falls back to the CRL: revoked with reason and time', async () => {
      const answer = await check('revoked');
      expect(answer).toMatchObject({ status: 'revoked', via: 'crl', reason: 'keyCompromise' });
      expect(answer.revokedAt).not.toBeNull();
    });

    it('reports a CRL past its nextUpdate as stale, not as good', async () => {
      const later = fixedClock(new Date(Date.now() + 3 * 24 * 3_600_000));
      const answer = await check('good', { clock: later });
      expect(answer.status).toBe('unknown');
      expect(answer.reason).toMatch(
        /OCSP http:\/\/127\.0\.0\.1:\d+\/: .*; CRL .*: stale CRL: its nextUpdate .* has passed/,
      );
    });

    it('still believes a revocation on a stale CRL', async () => {
      const later = fixedClock(new Date(Date.now() + 3 * 24 * 3_600_000));
      expect(await check('revoked', { clock: later })).toMatchObject({ status: 'revoked', via: 'crl' });
    });
  });

  describe('whoever signs the OCSP response', () => {
    let responder: ChildProcess | undefined;
    afterEach(async () => {
      if (responder) await ca.stopResponder(responder);
      responder = undefined;
    });

    it('accepts a delegated responder the CA certified for OCSP signing', async () => {
      responder = await ca.startResponder(ca.responderCertificate('delegated responder', true));
      expect(await check('revoked')).toMatchObject({ status: 'revoked', via: 'ocsp' });
    });

    it('refuses a responder certificate without the OCSPSigning EKU (and falls back to the CRL)', async () => {
      responder = await ca.startResponder(ca.responderCertificate('web server', false));
      const answer = await check('good');
      expect(answer).toMatchObject({ status: 'good', via: 'crl' });
      expect(answer.reason).toBeNull();
    });

    it('refuses a response signed by another key under the CA’s name', async () => {
      responder = await ca.startResponder(ca.impostor());
      const answer = await check('revoked');
      // The CRL still tells: the forged OCSP answer was not taken.
      expect(answer).toMatchObject({ status: 'revoked', via: 'crl' });
      const later = fixedClock(new Date(Date.now() + 3 * 24 * 3_600_000));
      const unsure = await check('good', { clock: later });
      expect(unsure.reason).toMatch(/OCSP response signature does not verify/);
    });

    it('names the missing EKU as the reason when no CRL is left to ask', async () => {
      responder = await ca.startResponder(ca.responderCertificate('web server 2', false));
      const later = fixedClock(new Date(Date.now() + 3 * 24 * 3_600_000));
      const answer = await check('good', { clock: later });
      expect(answer.reason).toMatch(/lacks the OCSPSigning extended key usage/);
    });
  });
});
