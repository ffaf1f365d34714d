import { Writable } from 'node:stream';
import { escapeHtml, scriptJson, writeHtmlReport } from '../../../lib/adapters/html-report';
import type { Report, ReportRow } from '../../../lib/domain/report';

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
const rowsJson = (html: string) =>
  JSON.parse(/<script type="application\/json" id="report-rows">(.*?)<\/script>/s.exec(html)![1]);

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
        yield { location: HOSTILE[n % HOSTILE.length], n };
      }
    }
    await writeHtmlReport(report(rows()), sink);
    expect(writtenByHalfway).toBeGreaterThan(100_000);
    expect(sink.writableLength).toBe(0);
    const written = rowsJson(sink.text);
    expect(written).toHaveLength(count);
    expect(written[count - 1]).toEqual([HOSTILE[(count - 1) % HOSTILE.length], count - 1]);
    expect(sink.text).toContain(`id="summary-rows" data-count="${count}"`);
    expect(sink.text.endsWith('</html>\n')).toBe(true);
  });

  it('writes an empty report as a page with no rows', async () => {
    const sink = new SlowSink();
    await writeHtmlReport(report((async function* () {})()), sink);
    expect(rowsJson(sink.text)).toEqual([]);
  });

  it.each([0, 1.5])('refuses a page size of %d, naming it', async (pageSize) => {
    await expect(writeHtmlReport(report((async function* () {})()), new SlowSink(), { pageSize })).rejects.toThrow(
      `pageSize must be a positive integer: ${pageSize}`,
    );
  });
});
