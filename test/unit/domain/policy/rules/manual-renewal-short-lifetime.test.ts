import {
  manualRenewalShortLifetime,
  manualRenewalShortLifetimeRule,
} from '../../../../../lib/domain/policy/rules/manual-renewal-short-lifetime';
import { context, record, subject } from '../fixtures';

const params = manualRenewalShortLifetimeRule.defaults;

describe('manual-renewal-short-lifetime', () => {
  it('is informational by default', () => {
    expect(manualRenewalShortLifetimeRule).toMatchObject({ informational: true, defaultSeverity: 'info' });
  });

  describe('Compliant', () => {
    it.each([
      ['renewed by the provider', { renewal: 'acm-managed', managed: true }],
      ['renewed by automation', { renewal: 'cert-manager' }],
    ])('a public TLS certificate %s', (_name, place) => {
      expect(manualRenewalShortLifetime(subject(record(), place), params, context())).toEqual({ outcome: 'compliant' });
    });

    it.each([
      ['a private certificate', record(), 'private' as const],
      ['a client certificate', record({ kind: 'tls-client' }), 'public' as const],
    ])('has nothing to say about %s', (_name, certificate, issuerType) => {
      expect(
        manualRenewalShortLifetime(subject(certificate, { renewal: 'manual' }), params, context({ issuerType })),
      ).toMatchObject({ outcome: 'not-applicable' });
    });
  });

  describe('Noncompliant', () => {
    it('a public TLS certificate renewed by hand', () => {
      // Expires 2026-07-31: its replacement falls under the 200-day step.
      const result = manualRenewalShortLifetime(subject(record(), { renewal: 'manual' }), params, context());
      expect(result).toMatchObject({ outcome: 'violation', details: { renewal: 'manual', nextMaxDays: 200 } });
      expect(result.outcome === 'violation' && result.message).toContain('47 days from 2029-03-15');
    });

    it('an unmanaged place with no renewal word', () => {
      const late = record({ notAfter: '2029-06-01T00:00:00.000Z' });
      expect(manualRenewalShortLifetime(subject(late, { managed: false }), params, context())).toMatchObject({
        outcome: 'violation',
        details: { nextMaxDays: 47 },
      });
    });
  });
});
