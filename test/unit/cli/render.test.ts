import { clip, renderTable, renderUndelivered } from '../../../lib/cli/render';
import type { UndeliveredRecord } from '../../../lib/ports/delivery-ledger';

const widest = (table: string) => Math.max(...table.split('\n').map((line) => line.length));

describe('renderTable', () => {
  const head = ['expires', 'name', 'location'];
  const rows = [
    ['2027-01-01', 'api.example.com', '/srv/certificates/payments/production/eu-west-1/api.example.com.pem'],
    ['2027-02-01', 'a-rather-long-name-for-a-certificate.internal.example.com', '/etc/ssl/short.pem'],
  ];

  it('keeps whole rows when no width is given (stdout is not a terminal)', () => {
    const table = renderTable(head, rows);
    expect(table).toContain(rows[0][2]);
    expect(table).toContain(rows[1][1]);
  });

  it.each([60, 80, 100])('fits %i columns, shortening paths in the middle and other text at the end', (width) => {
    const table = renderTable(head, rows, { width, middle: [2] });
    expect(widest(table)).toBeLessThanOrEqual(width);
    const [, , first] = table.split('\n');
    expect(first).toMatch(/│ \/srv\/.*….*\.pem +│$/);
    expect(first).toContain('2027-01-01');
  });

  it('never squeezes a column below its heading or 8 characters', () => {
    const table = renderTable(head, rows, { width: 10, middle: [2] });
    const heading = table.split('\n')[1];
    expect(heading).toContain('expires');
    expect(heading).toContain('location');
  });

  it('draws the same box as before: heading, rows, no rule between rows', () => {
    expect(renderTable(['a', 'bb'], [['1', '2']])).toBe(
      ['┌───┬────┐', '│ a │ bb │', '│ 1 │ 2  │', '└───┴────┘'].join('\n'),
    );
  });
});

describe('clip', () => {
  it.each([
    ['short', 10, 'end', 'short'],
    ['abcdefghij', 5, 'end', 'abcd…'],
    ['/a/b/c/d/e/file.pem', 9, 'middle', '/a/b….pem'],
  ] as const)('%s in %i (%s) → %s', (text, width, where, expected) => {
    expect(clip(text, width, where)).toBe(expected);
  });

  it('keeps both ends of a path', () => {
    expect(clip('/srv/certificates/payments/api.pem', 15, 'middle')).toBe('/srv/ce…api.pem');
  });
});

describe('renderUndelivered', () => {
  const dead: UndeliveredRecord = {
    deliveryId: 'alert:local-files:/etc/ssl/old.pem#ab#expired',
    target: 'Slack (hooks.slack.com)',
    detailType: 'Certificate Expired',
    alertId: 'local-files:/etc/ssl/old.pem#ab#expired',
    locationId: 'local-files:/etc/ssl/old.pem',
    subjectCommonName: 'old.example.com',
    owner: 'platform',
    severity: 'critical',
    reason: 'HTTP 400 invalid_blocks',
    permanent: true,
    attempts: 1,
    deadAt: '2026-06-01T10:20:30.000Z',
  };

  it('shows each dead letter with its target, event, name, owner and reason; attempts when it failed too often', () => {
    const table = renderUndelivered([
      dead,
      { ...dead, target: 'SIEM json (siem)', reason: 'HTTP 503', permanent: false, attempts: 5 },
    ]);

    expect(table).toMatch(
      /2026-06-01 10:20 .*Slack \(hooks\.slack\.com\) .*Certificate Expired .*critical .*old\.example\.com .*platform .*HTTP 400 invalid_blocks/,
    );
    expect(table).toContain('HTTP 503 (5 attempts)');
  });

  it('says so when there is none', () => {
    expect(renderUndelivered([])).toBe('No undelivered alerts.\n');
  });
});
