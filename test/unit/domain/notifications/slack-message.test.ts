import { expiryAlertEvent, policyViolationEvent, syncFailedEvent } from '../../../../lib/domain/events';
import { renderSlackMessage } from '../../../../lib/domain/notifications/slack-message';
import { acmAlert, expiredFileAlert, violation } from './fixtures';

describe('renderSlackMessage', () => {
  it('renders an expiry alert as Block Kit: header, facts, where, in use by, how to renew', () => {
    expect(renderSlackMessage(expiryAlertEvent(acmAlert))).toMatchSnapshot();
  });

  it('uses the same headline as the email for the notification text', () => {
    expect(renderSlackMessage(expiryAlertEvent(expiredFileAlert)).text).toBe(
      'CRITICAL: old.example.com expired 3 days ago (file, web-servers)',
    );
  });

  it('escapes mrkdwn control characters from certificate fields', () => {
    const message = renderSlackMessage(expiryAlertEvent({ ...acmAlert, owner: '<!channel> & co' }));
    expect(JSON.stringify(message.blocks)).toContain('&lt;!channel&gt; &amp; co');
    expect(JSON.stringify(message.blocks)).not.toContain('<!channel>');
  });

  it('renders any other event as a short message', () => {
    const message = renderSlackMessage(
      syncFailedEvent({
        schemaVersion: 1,
        source: 'prod',
        sourceKind: 'aws-acm',
        complete: false,
        errors: [],
        at: acmAlert.at,
      }),
    );
    expect(message.text).toBe('Sync Failed: prod');
    expect(message.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '*Sync Failed*' } });
  });

  it('says which rule a violation breaks and why', () => {
    const message = renderSlackMessage(
      policyViolationEvent({ ...violation, message: 'RSA key of 1024 bits < 2048' }, 'open'),
    );
    expect(message.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '`rsa-min-key-size` (high): RSA key of 1024 bits &lt; 2048' },
    });
  });

  it("lists a failed sync's errors, and counts those that do not fit", () => {
    const errors = Array.from({ length: 500 }, (_, i) => ({ nativeId: `cert-${i}`, message: 'AccessDenied' }));
    const message = renderSlackMessage(
      syncFailedEvent({
        schemaVersion: 1,
        source: 'prod',
        sourceKind: 'aws-acm',
        complete: true,
        errors,
        at: acmAlert.at,
      }),
    );
    const text = (message.blocks[1] as { text: { text: string } }).text.text;
    expect(text.startsWith('• `cert-0`: AccessDenied\n• `cert-1`: AccessDenied')).toBe(true);
    const listed = text.split('\n').length - 1;
    expect(text.endsWith(`… and ${500 - listed} more`)).toBe(true);
  });
});
