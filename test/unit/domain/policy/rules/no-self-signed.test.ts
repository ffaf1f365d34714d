import { noSelfSigned, noSelfSignedRule } from '../../../../../lib/domain/policy/rules/no-self-signed';
import { context, record, subject } from '../fixtures';

const params = noSelfSignedRule.defaults;

describe('no-self-signed', () => {
  describe('Compliant', () => {
    it('a CA-issued leaf', () => {
      expect(noSelfSigned(subject(record()), params, context())).toEqual({ outcome: 'compliant' });
    });
    it('a self-signed root, by default', () => {
      const root = record({ selfSigned: true, isCA: true, kind: 'ca' });
      expect(noSelfSigned(subject(root), params, context())).toEqual({ outcome: 'compliant' });
    });
  });

  describe('Noncompliant', () => {
    it('a self-signed leaf', () => {
      const leaf = record({ selfSigned: true, subject: 'CN=dev.local', issuer: 'CN=dev.local' });
      const result = noSelfSigned(subject(leaf), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { subject: 'CN=dev.local' } });
      expect(result.outcome === 'violation' && result.message).toContain('CN=dev.local');
    });
    it('a self-signed root when CAs are not allowed either', () => {
      const root = record({ selfSigned: true, isCA: true, kind: 'ca' });
      expect(noSelfSigned(subject(root), { allowCA: false }, context())).toMatchObject({ outcome: 'violation' });
    });
  });
});
