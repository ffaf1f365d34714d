import { X509Certificate } from 'node:crypto';
import { judgeChain, TrustAnchors, type ServedCertificate } from '../../../lib/x509/chain';
import type { IssuedCertificate } from '../../../lib/x509/factory';
import { normalize } from '../../../lib/x509/parse';
import { testPki, type TestPki } from '../../support/tls-servers';

const now = new Date('2026-06-01T00:00:00.000Z');
let pki: TestPki;
let leaf: IssuedCertificate;
beforeAll(async () => {
  pki = await testPki(now);
  leaf = await pki.leaf(['api.example.test']);
});

const served = (...chain: IssuedCertificate[]): ServedCertificate[] =>
  chain.map((certificate) => ({ x509: new X509Certificate(certificate.der), record: normalize(certificate.der) }));
const judge = (chain: ServedCertificate[], serverName: string | null = 'api.example.test') =>
  judgeChain(chain, {
    anchors: new TrustAnchors([new X509Certificate(pki.root.der)]),
    serverName,
    address: '192.0.2.1',
    now,
  });

describe('judgeChain', () => {
  it('trusts a chain built leaf, intermediate, root in order, with nothing to say', () => {
    expect(judge(served(leaf, pki.intermediate, pki.root))).toEqual({ trusted: true, issues: [] });
  });

  it('says where a chain is out of order, and still builds it', () => {
    const verdict = judge(served(leaf, pki.root, pki.intermediate));
    expect(verdict.trusted).toBe(true);
    expect(verdict.issues.map((issue) => issue.code)).toEqual(['wrong-order']);
  });

  it('checks an IP address connected to without SNI against the IP SANs', () => {
    expect(judge(served(leaf, pki.intermediate), null).issues.map((issue) => issue.message)).toEqual([
      'serves a certificate for api.example.test, not 192.0.2.1',
    ]);
  });
});
