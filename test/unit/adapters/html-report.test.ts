import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { escapeHtml, ROWS_TYPE, scriptJson, writeHtmlReport } from '../../../lib/adapters/html-report';
import type { Report, ReportRow } from '../../../lib/domain/report';

/** Text gzip cannot shrink much, so the output grows with the rows. */
const digest = (n: number) => createHash('sha256').update(String(n)).digest('hex');
const HOSTILE = ['</script><script>alert(1)</script>', '<!--', "=cmd|' /C calc'!A0", '\u2028&\u2029', '<img src=x>'];

/** A stream that takes each chunk a tick later, with a small buffer: the writer has to wait for `drain`. */
class SlowSink extends Writable {
  text = '';
  constructor() {
    super({ highWaterMark: 1024, decodeStrings: false });
  }
  override _write(chunk: string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk;
    setImmediate(done);
  }
}

function report(rows: AsyncIterable<ReportRow>): Report {
  return {
    name: 'inventory',
    title: 'Inventory',
    description: 'Every place',
    controls: [],
    readAt: '2026-06-01T00:00:00.000Z',
    parameters: {},
    columns: [
      { key: 'location', title: 'Location', type: 'text' },
      { key: 'n', title: 'N', type: 'number' },
    ],
    rows,
  };
}
/** The rows as the page reads them: the element's base64, gunzipped, a JSON array per line. */
const writtenRows = (html: string) => {
  const open = `<script type="${ROWS_TYPE}" id="report-rows">`;
  const start = html.indexOf(open) + open.length;
  const base64 = html.slice(start, html.indexOf('</script>', start));
  const lines = gunzipSync(Buffer.from(base64, 'base64')).toString('utf8').split('\n');
  expect(lines.pop()).toBe('');
  return lines.map((line) => JSON.parse(line));
};

describe('scriptJson', () => {
  it('reads back unchanged and can neither close its script element nor open a comment', () => {
    const json = scriptJson(HOSTILE);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(HOSTILE);
  });
});

describe('escapeHtml', () => {
  it('leaves no markup character in text or a quoted attribute', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('writeHtmlReport', () => {
  it('writes rows while they are still coming, waiting for a slow stream, and every row arrives', async () => {
    const sink = new SlowSink();
    const count = 20_000;
    let writtenByHalfway = 0;
    async function* rows(): AsyncGenerator<ReportRow> {
      for (let n = 0; n < count; n++) {
        if (n === count / 2) writtenByHalfway = sink.text.length;
        yield { location: `${HOSTILE[n % HOSTILE.length]} ${digest(n)}`, n };
      }
    }
    await writeHtmlReport(report(rows()), sink);
    expect(writtenByHalfway).toBeGreaterThan(100_000);
    expect(sink.writableLength).toBe(0);
    const written = writtenRows(sink.text);
    expect(written).toHaveLength(count);
    expect(written[count - 1]).toEqual([`${HOSTILE[(count - 1) % HOSTILE.length]} ${digest(count - 1)}`, count - 1]);
    expect(sink.text).toContain(`id="summary-rows" data-count="${count}"`);
    expect(sink.text.endsWith('</html>\n')).toBe(true);
  });

  it('writes an empty report as a page with no rows', async () => {
    const sink = new SlowSink();
    await writeHtmlReport(report((async function* () {})()), sink);
    expect(writtenRows(sink.text)).toEqual([]);
  });

  it("fails with the rows' own error when they fail midway", async () => {
    async function* rows(): AsyncGenerator<ReportRow> {
      yield { location: 'a', n: 1 };
      throw new Error('inventory read failed');
    }
    await expect(writeHtmlReport(report(rows()), new SlowSink())).rejects.toThrow('inventory read failed');
  });

  it.each([0, 1.5])('refuses a page size of %d, naming it', async (pageSize) => {
    await expect(writeHtmlReport(report((async function* () {})()), new SlowSink(), { pageSize })).rejects.toThrow(
      `pageSize must be a positive integer: ${pageSize}`,
    );
  });
});
