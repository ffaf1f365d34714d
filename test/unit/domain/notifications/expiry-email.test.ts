import { describeTimeLeft, renderExpiryEmail, snsSubject } from '../../../../lib/domain/notifications/expiry-email';
import { acmAlert, expiredFileAlert } from './fixtures';

describe('renderExpiryEmail', () => {
  it('names severity, certificate, time left, source kind and source in the subject', () => {
    expect(renderExpiryEmail(acmAlert).subject).toBe(
      '[certwarden] CRITICAL: api.example.com expires in 1 day (ACM, prod-eu-west-1)',
    );
  });

  it('says how long ago an expired certificate expired', () => {
    expect(renderExpiryEmail(expiredFileAlert).subject).toBe(
      '[certwarden] CRITICAL: old.example.com expired 3 days ago (file, web-servers)',
    );
  });

  it('carries severity, source, owner and account as message attributes', () => {
    expect(renderExpiryEmail(acmAlert).attributes).toEqual({
      severity: 'critical',
      source: 'prod-eu-west-1',
      owner: 'payments',
      account: '111111111111',
      audience: 'all',
    });
    expect(renderExpiryEmail(expiredFileAlert).attributes.account).toBe('none');
  });

  it('keeps the subject within SNS limits: 100 printable ASCII characters', () => {
    const subject = renderExpiryEmail({ ...acmAlert, subjectCommonName: `${'ü'.repeat(150)}.example.com` }).subject;
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });

  it.each([
    [5, '30d', 'expires in 5 days'],
    [1, '1d', 'expires in 1 day'],
    [0, '1d', 'expires in less than a day'],
    [0, 'expired', 'expired today'],
    [-1, 'expired', 'expired 1 day ago'],
    [-5, 'expired', 'expired 5 days ago'],
  ])('daysLeft %i at %s reads "%s"', (daysLeft, thresholdId, text) => {
    expect(describeTimeLeft({ daysLeft, thresholdId })).toBe(text);
  });

  it('renders the ACM alert body (what, where, owner, in use by, how to renew)', () => {
    expect(renderExpiryEmail(acmAlert).body).toMatchSnapshot();
  });

  it('renders the expired file alert body', () => {
    expect(renderExpiryEmail(expiredFileAlert).body).toMatchSnapshot();
  });
});

describe('snsSubject', () => {
  it.each([
    ['[certwarden] plain', '[certwarden] plain'],
    ['line\nbreak and ü', 'line?break and ?'],
    ['x'.repeat(100), 'x'.repeat(100)],
    ['x'.repeat(101), `${'x'.repeat(99)}~`],
  ])('makes %j a valid SNS subject', (subject, expected) => {
    expect(snsSubject(subject)).toBe(expected);
  });
});
