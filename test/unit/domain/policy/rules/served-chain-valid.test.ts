import { servedChainValid, servedChainValidRule } from '../../../../../lib/domain/policy/rules/served-chain-valid';
import { context, record, subject } from '../fixtures';

const params = servedChainValidRule.defaults;
const endpoint = (issues: Array<{ code: string; message: string }>, trusted = issues.length === 0) => ({
  sourceKind: 'tls-endpoint',
  inUseBy: ['api.example.com:443'],
  details: { trusted, issues },
});

describe('served-chain-valid', () => {
  describe('Compliant', () => {
    it('a chain that builds to a trusted root for the name asked', () => {
      expect(servedChainValid(subject(record(), endpoint([])), params, context())).toEqual({ outcome: 'compliant' });
    });
    it('an expired leaf: expired-or-revoked-in-use says so, not this rule as well', () => {
      const expired = endpoint([{ code: 'expired', message: 'api expired 2026-01-01' }], true);
      expect(servedChainValid(subject(record(), expired), params, context())).toEqual({ outcome: 'compliant' });
    });
  });

  describe('Noncompliant', () => {
    it('a missing intermediate and a hostname mismatch, in one finding naming both', () => {
      const place = endpoint([
        { code: 'missing-intermediate', message: 'api is issued by CN=Sub, which the server does not send' },
        { code: 'hostname-mismatch', message: 'serves a certificate for www, not api' },
      ]);
      expect(servedChainValid(subject(record(), place), params, context())).toEqual({
        outcome: 'violation',
        message: 'api is issued by CN=Sub, which the server does not send; serves a certificate for www, not api',
        details: { issues: ['missing-intermediate', 'hostname-mismatch'], trusted: false },
      });
    });
  });

  describe('NotApplicable', () => {
    it('a place of another source', () => {
      expect(servedChainValid(subject(record(), { sourceKind: 'aws-acm' }), params, context()).outcome).toBe(
        'not-applicable',
      );
    });
  });
});
