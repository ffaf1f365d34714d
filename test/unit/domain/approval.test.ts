import {
  ApprovalConfig,
  approvalDeadlineOf,
  approvalReasonOf,
  type ApprovablePlace,
} from '../../../lib/domain/approval';

const DEFAULTS = ApprovalConfig.parse({});
const place = (kind: 'tls-server' | 'code-signing' | 'ca', isCA = false, tags: Record<string, string> = {}) =>
  ({ tags, certificate: { kind, isCA } }) satisfies ApprovablePlace;

describe('the approval scope', () => {
  it.each([
    ['a TLS server certificate', place('tls-server'), undefined],
    ['a place tagged approval=required', place('tls-server', false, { approval: 'required' }), 'tag approval=required'],
    ['a place tagged approval=optional', place('tls-server', false, { approval: 'optional' }), undefined],
    ['a code-signing certificate', place('code-signing'), 'code-signing certificate'],
    ['a CA certificate', place('ca', true), 'CA certificate'],
    [
      'a tagged code-signing certificate',
      place('code-signing', false, { approval: 'required' }),
      'tag approval=required, code-signing certificate',
    ],
    ['a place without a certificate', { certificate: null }, undefined],
  ])('by default, %s: %s', (_name, candidate, reason) => {
    expect(approvalReasonOf(candidate, DEFAULTS)).toBe(reason);
  });

  it('is configurable: other tags and kinds, CA certificates left out', () => {
    const scope = ApprovalConfig.parse({ tags: { tier: 'root' }, kinds: ['ca'], caCertificates: false });
    expect(approvalReasonOf(place('tls-server', false, { approval: 'required' }), scope)).toBeUndefined();
    expect(approvalReasonOf(place('ca', true, { tier: 'root' }), scope)).toBe('tag tier=root, ca certificate');
    expect(approvalReasonOf(place('code-signing'), scope)).toBeUndefined();
  });

  it('waits a day by default, and refuses a timeout outside 1 minute to 30 days', () => {
    expect(approvalDeadlineOf(new Date('2026-06-01T00:00:00Z'), DEFAULTS).toISOString()).toBe(
      '2026-06-02T00:00:00.000Z',
    );
    expect(ApprovalConfig.safeParse({ timeoutMinutes: 0 }).success).toBe(false);
    expect(ApprovalConfig.safeParse({ timeoutMinutes: 30 * 1440 + 1 }).success).toBe(false);
  });
});
