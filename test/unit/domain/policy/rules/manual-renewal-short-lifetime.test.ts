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

    // record() lasts 90 days; these last 397.
    const long = (overrides: Parameters<typeof record>[0] = {}) =>
      record({ notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2027-02-01T00:00:00.000Z', ...overrides });

    it.each([
      ['a private certificate', long(), 'private' as const],
      ['a client certificate', long({ kind: 'tls-client' }), 'public' as const],
    ])('has nothing to say about %s that lasts longer than maxLifetimeDays', (_name, certificate, issuerType) => {
      expect(
        manualRenewalShortLifetime(subject(certificate, { renewal: 'manual' }), params, context({ issuerType })),
      ).toEqual({ outcome: 'compliant' });
    });

    it('a short-lived private certificate renewed by the provider or by automation', () => {
      for (const place of [{ renewal: 'acm-private-ca', managed: false }, { renewal: 'key-vault-auto' }]) {
        expect(
          manualRenewalShortLifetime(subject(record(), place), params, context({ issuerType: 'private' })),
        ).toEqual({ outcome: 'compliant' });
      }
    });

    it('a private certificate of 120 days with maxLifetimeDays 100, but not with 120', () => {
      const certificate = record({ notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-04-30T23:59:59.000Z' });
      const at = (maxLifetimeDays: number) =>
        manualRenewalShortLifetime(
          subject(certificate, { renewal: 'manual' }),
          { ...params, maxLifetimeDays },
          context({ issuerType: 'private' }),
        ).outcome;
      expect([at(100), at(120)]).toEqual(['compliant', 'violation']);
    });

    it('is not applicable without a place', () => {
      expect(manualRenewalShortLifetime(subject(record()), params, context())).toMatchObject({
        outcome: 'not-applicable',
      });
    });
  });

  describe('Noncompliant', () => {
    it.each([
      ['a private certificate', record(), 'private' as const],
      ['a public client certificate', record({ kind: 'tls-client' }), 'public' as const],
      ['a CA certificate', record({ isCA: true, kind: 'ca' }), 'private' as const],
    ])('%s of 90 days (91 CA/B days) renewed by hand, whatever its issuer', (_name, certificate, issuerType) => {
      const result = manualRenewalShortLifetime(
        subject(certificate, { renewal: 'manual' }),
        params,
        context({ issuerType }),
      );
      expect(result).toMatchObject({ outcome: 'violation', details: { lifetimeDays: 91, nextMaxDays: null } });
      expect(result.outcome === 'violation' && result.message).toBe(
        'renewed manually (manual); it lasts 91 days (100 or fewer): automate its renewal',
      );
    });

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
