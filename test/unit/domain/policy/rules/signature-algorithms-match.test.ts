import {
  signatureAlgorithmsMatch,
  signatureAlgorithmsMatchRule,
} from '../../../../../lib/domain/policy/rules/signature-algorithms-match';
import { issueCertificate } from '../../../../../lib/x509/factory';
import { normalize } from '../../../../../lib/x509/parse';
import {
  craftLeaf,
  outerSignatureAlgorithm,
  withLastOidOctet,
  withoutParameters,
  withOuterSignatureAlgorithm,
} from '../../../../support/crafted-certificates';
import { context, subject } from '../fixtures';

const params = signatureAlgorithmsMatchRule.defaults;
const judge = (der: Uint8Array) => signatureAlgorithmsMatch(subject(normalize(der)), params, context());

describe('signature-algorithms-match', () => {
  describe('Compliant', () => {
    it('a certificate whose two algorithm identifiers are the same bytes', async () => {
      expect(judge((await craftLeaf()).der)).toEqual({ outcome: 'compliant' });
    });
  });

  describe('Noncompliant', () => {
    it('another algorithm outside than inside', async () => {
      const { der } = await craftLeaf();
      const result = judge(withOuterSignatureAlgorithm(der, withLastOidOctet(outerSignatureAlgorithm(der), 0x03)));
      expect(result).toMatchObject({
        outcome: 'violation',
        message: 'signed as ecdsa-with-SHA384, but the TBSCertificate says ecdsa-with-SHA256',
        details: { signatureAlgorithm: 'ecdsa-with-SHA384', tbsSignatureAlgorithm: 'ecdsa-with-SHA256' },
      });
    });

    it('the same algorithm with other parameters (NULL inside, none outside)', async () => {
      const ca = await issueCertificate({
        subject: 'CN=RSA CA',
        ca: true,
        key: { algorithm: 'RSA', bits: 2048 },
        notBefore: new Date('2026-01-01T00:00:00Z'),
        notAfter: new Date('2027-01-01T00:00:00Z'),
      });
      const { der } = await craftLeaf({ issuer: ca });
      const result = judge(withOuterSignatureAlgorithm(der, withoutParameters(outerSignatureAlgorithm(der))));
      expect(result).toMatchObject({
        outcome: 'violation',
        message: expect.stringContaining('parameters that differ'),
      });
    });
  });

  it('is not applicable to a record stored before both were read', async () => {
    const { signatureAlgorithmsMatch: _match, ...older } = normalize((await craftLeaf()).der);
    expect(signatureAlgorithmsMatch(subject(older), params, context()).outcome).toBe('not-applicable');
  });
});
