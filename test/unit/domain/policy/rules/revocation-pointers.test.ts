import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { revocationPointers, revocationPointersRule } from '../../../../../lib/domain/policy/rules/revocation-pointers';
import { craftRecord, testCa } from '../../../../support/crafted-certificates';
import { normalize } from '../../../../../lib/x509/parse';
import { context, subject } from '../fixtures';

const params = revocationPointersRule.defaults;
const ocsp = () => new x509.AuthorityInfoAccessExtension({ ocsp: ['http://ocsp.example.com'] });
const crl = () => new x509.CRLDistributionPointsExtension(['http://crl.example.com/ca.crl']);
const at = (iso: string) => new Date(iso);

describe('revocation-pointers', () => {
  describe('Compliant', () => {
    it.each([
      ['an OCSP responder', [ocsp()]],
      ['a CRL distribution point', [crl()]],
      ['both', [ocsp(), crl()]],
    ])('a public leaf naming %s', async (_name, extensions) => {
      const certificate = await craftRecord({ extensions });
      expect(revocationPointers(subject(certificate), params, context())).toEqual({ outcome: 'compliant' });
    });

    it('a subordinate CA with a CRL distribution point', async () => {
      const certificate = await craftRecord({ ca: true, subject: 'CN=Issuing CA', dns: [], extensions: [crl()] });
      expect(revocationPointers(subject(certificate), params, context())).toEqual({ outcome: 'compliant' });
    });
  });

  describe('Noncompliant', () => {
    it('a public leaf with neither', async () => {
      const result = revocationPointers(subject(await craftRecord()), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { ocspUrls: [], crlUrls: [] } });
      expect(result.outcome === 'violation' && result.message).toContain('neither an OCSP responder');
    });

    it('a subordinate CA with only an OCSP responder', async () => {
      const certificate = await craftRecord({ ca: true, subject: 'CN=Issuing CA', dns: [], extensions: [ocsp()] });
      expect(revocationPointers(subject(certificate), params, context())).toMatchObject({
        outcome: 'violation',
        message: expect.stringContaining('subordinate CA'),
      });
    });

    it('a private leaf with neither, when the policy includes private ones', async () => {
      const result = revocationPointers(
        subject(await craftRecord()),
        { includePrivate: true },
        context({ issuerType: 'private' }),
      );
      expect(result.outcome).toBe('violation');
    });

    // Validity counts both ends (BR §6.3.2): notAfter exactly N days after notBefore is N days and 1 second.
    it.each([
      ['7 days and 1 second, issued after 2026-03-15', '2026-05-01T00:00:00Z', '2026-05-08T00:00:00Z'],
      ['10 days and 1 second, issued before 2026-03-15', '2026-03-01T00:00:00Z', '2026-03-11T00:00:00Z'],
    ])('a leaf of %s: not short-lived', async (_name, notBefore, notAfter) => {
      const certificate = await craftRecord({ notBefore: at(notBefore), notAfter: at(notAfter) });
      expect(revocationPointers(subject(certificate), params, context()).outcome).toBe('violation');
    });
  });

  describe('not applicable', () => {
    it.each([
      ['7 days issued after 2026-03-15', '2026-05-01T00:00:00Z', '2026-05-07T23:59:59Z'],
      ['10 days issued before 2026-03-15', '2026-03-01T00:00:00Z', '2026-03-10T23:59:59Z'],
    ])('a short-lived leaf: %s', async (_name, notBefore, notAfter) => {
      const certificate = await craftRecord({ notBefore: at(notBefore), notAfter: at(notAfter) });
      expect(revocationPointers(subject(certificate), params, context())).toMatchObject({
        outcome: 'not-applicable',
        reason: expect.stringContaining('short-lived'),
      });
    });

    it('a privately issued certificate, by default', async () => {
      expect(revocationPointers(subject(await craftRecord()), params, context({ issuerType: 'private' })).outcome).toBe(
        'not-applicable',
      );
    });

    it('a root (self-signed)', async () => {
      const root = normalize((await testCa()).der);
      expect(revocationPointers(subject(root), params, context()).outcome).toBe('not-applicable');
    });
  });
});
