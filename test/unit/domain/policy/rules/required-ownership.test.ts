import { requiredOwnership, requiredOwnershipRule } from '../../../../../lib/domain/policy/rules/required-ownership';
import { context, record, subject } from '../fixtures';

const params = { ...requiredOwnershipRule.defaults, requiredTags: ['application'] };

describe('required-ownership', () => {
  describe('Compliant', () => {
    it('an owner and the required tags (keys case-insensitive)', () => {
      const place = { owner: 'payments', tags: { Owner: 'payments', Application: 'checkout' } };
      expect(requiredOwnership(subject(record(), place), params, context())).toEqual({ outcome: 'compliant' });
    });

    it('has nothing to say about a certificate without a place', () => {
      expect(requiredOwnership(subject(record()), params, context())).toMatchObject({ outcome: 'not-applicable' });
    });
  });

  describe('Noncompliant', () => {
    it('an unowned place', () => {
      const result = requiredOwnership(
        subject(record(), { owner: 'unowned', tags: { application: 'x' } }),
        params,
        context(),
      );
      expect(result).toMatchObject({ outcome: 'violation', details: { owner: 'unowned', missingTags: [] } });
      expect(result.outcome === 'violation' && result.message).toContain('unowned');
    });

    it('a place without an owner at all', () => {
      expect(requiredOwnership(subject(record(), { tags: { application: 'x' } }), params, context())).toMatchObject({
        outcome: 'violation',
      });
    });

    it('a missing or empty required tag', () => {
      const result = requiredOwnership(
        subject(record(), { owner: 'team', tags: { application: ' ' } }),
        params,
        context(),
      );
      expect(result).toMatchObject({ outcome: 'violation', details: { missingTags: ['application'] } });
      expect(result.outcome === 'violation' && result.message).toContain('missing tag application');
    });
  });
});
