import { renewalDecision, renewalMethodOf, type RenewablePlace } from '../../../lib/domain/renewal';

const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
const CA = 'CN=Issuing CA';

/** A place whose 90-day certificate was issued `age` days before NOW. */
const place = (overrides: Partial<RenewablePlace>, age = 10): RenewablePlace => ({
  sourceKind: 'aws-acm',
  certificate: {
    issuer: 'CN=Other',
    notBefore: new Date(NOW.getTime() - age * DAY).toISOString(),
    notAfter: new Date(NOW.getTime() + (90 - age) * DAY).toISOString(),
  },
  ...overrides,
});

describe('renewalMethodOf', () => {
  it.each([
    ['an ACM private certificate', place({ details: { type: 'PRIVATE' } }), 'acm-private-ca'],
    ['an Amazon-issued one', place({ details: { type: 'AMAZON_ISSUED' } }), 'acm-managed'],
    [
      'an imported one of a configured CA',
      place({ details: { type: 'IMPORTED' }, certificate: { ...place({}).certificate!, issuer: CA } }),
      'pca-reissue',
    ],
    ['an imported one of another CA', place({ details: { type: 'IMPORTED' } }), 'manual'],
    ['a Key Vault certificate', place({ sourceKind: 'azure-key-vault' }), 'key-vault-version'],
    [
      'a Google-managed certificate',
      place({ sourceKind: 'google-certificate-manager', managed: true }),
      'google-managed',
    ],
    [
      'a self-managed Google certificate',
      place({ sourceKind: 'google-certificate-manager', managed: false }),
      'manual',
    ],
    ['a file', place({ sourceKind: 'local-files' }), 'manual'],
  ])('%s: %s', (_case, given, method) => {
    expect(renewalMethodOf(given, { reissuingIssuers: new Set([CA]) })).toBe(method);
  });
});

describe('renewalDecision', () => {
  it.each([
    ['two thirds of the lifetime gone', 60, true],
    ['just before two thirds', 59, false],
    ['expired', 95, true],
    ['new', 0, false],
  ])('%s (%i days of 90): due %s', (_case, age, due) => {
    expect(renewalDecision(place({ details: { type: 'PRIVATE' } }, age), NOW).due).toBe(due);
  });

  it('says when renewal becomes due', () => {
    expect(renewalDecision(place({}, 10), NOW).dueAt).toBe(new Date(NOW.getTime() + 50 * DAY).toISOString());
  });

  it('is never due for a place without a certificate', () => {
    expect(renewalDecision(place({ certificate: null }), NOW)).toEqual({ method: 'manual', due: false, dueAt: null });
  });
});
