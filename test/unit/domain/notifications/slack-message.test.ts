import { expiryAlertEvent, syncFailedEvent } from '../../../../lib/domain/events';
import { renderSlackMessage } from '../../../../lib/domain/notifications/slack-message';
import { acmAlert, expiredFileAlert } from './fixtures';

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
});
