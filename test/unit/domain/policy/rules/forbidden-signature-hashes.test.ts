import {
  forbiddenSignatureHashes,
  forbiddenSignatureHashesRule,
} from '../../../../../lib/domain/policy/rules/forbidden-signature-hashes';
import { context, record, subject } from '../fixtures';

const params = forbiddenSignatureHashesRule.defaults;

describe('forbidden-signature-hashes', () => {
  describe('Compliant', () => {
    it.each([
      ['ecdsa-with-SHA256', 'SHA-256'],
      ['sha384WithRSAEncryption', 'SHA-384'],
      ['rsassaPss', 'SHA-512'],
    ])('signed with %s', (signatureAlgorithm, signatureHash) => {
      const certificate = record({ signatureAlgorithm, signatureHash });
      expect(forbiddenSignatureHashes(subject(certificate), params, context())).toEqual({ outcome: 'compliant' });
    });

    it('has nothing to say about EdDSA, which names no digest', () => {
      const certificate = record({ signatureAlgorithm: 'ED25519', signatureHash: null });
      expect(forbiddenSignatureHashes(subject(certificate), params, context())).toMatchObject({
        outcome: 'not-applicable',
      });
    });

    it('skips a self-signed SHA-1 root when told to', () => {
      const root = record({ signatureAlgorithm: 'sha1WithRSAEncryption', signatureHash: 'SHA-1', selfSigned: true });
      expect(forbiddenSignatureHashes(subject(root), { ...params, ignoreSelfSigned: true }, context())).toMatchObject({
        outcome: 'not-applicable',
      });
    });
  });

  describe('Noncompliant', () => {
    it.each([
      ['sha1WithRSAEncryption', 'SHA-1'],
      ['ecdsa-with-SHA1', 'SHA-1'],
      ['dsaWithSHA1', 'SHA-1'],
      ['md5WithRSAEncryption', 'MD5'],
      ['md2WithRSAEncryption', 'MD2'],
      ['rsassaPss', 'SHA-1'],
    ])('signed with %s', (signatureAlgorithm, signatureHash) => {
      const result = forbiddenSignatureHashes(
        subject(record({ signatureAlgorithm, signatureHash })),
        params,
        context(),
      );
      expect(result).toMatchObject({ outcome: 'violation', details: { signatureHash } });
      expect(result.outcome === 'violation' && result.message).toContain(signatureAlgorithm);
    });

    it('judges self-signed certificates by default', () => {
      const root = record({ signatureAlgorithm: 'sha1WithRSAEncryption', signatureHash: 'SHA-1', selfSigned: true });
      expect(forbiddenSignatureHashes(subject(root), params, context())).toMatchObject({ outcome: 'violation' });
    });
  });
});
