import { expiredOrRevokedInUse } from '../../../../../lib/domain/policy/rules/expired-or-revoked-in-use';
import { context, DAY_MS, NOW, record, subject } from '../fixtures';

const expired = record({ notAfter: new Date(NOW.getTime() - DAY_MS).toISOString() });
const notYetValid = record({ notBefore: new Date(NOW.getTime() + DAY_MS).toISOString() });
const lb = {
  locationId: 'aws-acm:arn:cert/1',
  inUseBy: ['arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/web/1'],
};

describe('expired-or-revoked-in-use', () => {
  describe('Compliant', () => {
    it('a valid certificate in use', () => {
      expect(expiredOrRevokedInUse(subject(record(), lb), {}, context({ inUse: true }))).toEqual({
        outcome: 'compliant',
      });
    });

    it('has nothing to say about an expired certificate nothing uses', () => {
      expect(expiredOrRevokedInUse(subject(expired, { locationId: 'x' }), {}, context({ inUse: false }))).toMatchObject(
        {
          outcome: 'not-applicable',
        },
      );
    });

    it('expiry is judged at the context clock: valid until notAfter', () => {
      const atExpiry = context({ inUse: true, now: new Date(expired.notAfter) });
      expect(expiredOrRevokedInUse(subject(expired, lb), {}, atExpiry)).toEqual({ outcome: 'compliant' });
    });

    it('valid from notBefore on', () => {
      const atStart = context({ inUse: true, now: new Date(notYetValid.notBefore) });
      expect(expiredOrRevokedInUse(subject(notYetValid, lb), {}, atStart)).toEqual({ outcome: 'compliant' });
    });

    it('a valid certificate about to be deployed', () => {
      expect(expiredOrRevokedInUse(subject(record()), {}, context({ inUse: true, deploying: true }))).toEqual({
        outcome: 'compliant',
      });
    });
  });

  describe('Noncompliant', () => {
    it('an expired certificate on a load balancer', () => {
      const result = expiredOrRevokedInUse(subject(expired, lb), {}, context({ inUse: true }));
      expect(result).toMatchObject({
        outcome: 'violation',
        details: { expired: true, revoked: false, inUseBy: lb.inUseBy },
      });
      expect(result.outcome === 'violation' && result.message).toContain('loadbalancer/app/web/1');
    });

    it('a certificate not yet valid on a load balancer', () => {
      const result = expiredOrRevokedInUse(subject(notYetValid, lb), {}, context({ inUse: true }));
      expect(result).toMatchObject({ outcome: 'violation', details: { expired: false, notYetValid: true } });
      expect(result.outcome === 'violation' && result.message).toBe(
        `not valid before ${notYetValid.notBefore} but already in use by ${lb.inUseBy[0]}`,
      );
    });

    it.each([
      ['an expired certificate', expired, `expired ${expired.notAfter}: clients refuse it once deployed`],
      [
        'a certificate not yet valid',
        notYetValid,
        `not valid before ${notYetValid.notBefore}: clients refuse it once deployed`,
      ],
    ])('%s about to be deployed, without a place', (_name, certificate, message) => {
      const result = expiredOrRevokedInUse(subject(certificate), {}, context({ inUse: true, deploying: true }));
      expect(result).toMatchObject({ outcome: 'violation', message, details: { deploying: true, inUseBy: [] } });
    });

    it('a revoked certificate a load balancer uses', () => {
      const served = {
        certificate: record(),
        location: {
          locationId: 'aws-acm:arn:api',
          sourceKind: 'aws-acm',
          inUseBy: ['arn:aws:elasticloadbalancing:lb/api'],
        },
        revocation: { status: 'revoked' as const, revokedAt: '2026-05-01T00:00:00Z', reason: 'keyCompromise' },
      };
      const result = expiredOrRevokedInUse(served, {}, context({ inUse: true }));
      expect(result).toMatchObject({
        outcome: 'violation',
        details: { revoked: true, revocationReason: 'keyCompromise' },
      });
      expect(result.outcome === 'violation' && result.message).toContain(
        'revoked 2026-05-01T00:00:00Z (keyCompromise)',
      );
    });
  });
});
