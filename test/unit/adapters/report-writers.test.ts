import { PassThrough } from 'node:stream';
import { csvCell, writeCsv } from '../../../lib/adapters/report-writers/csv';
import { writeJson } from '../../../lib/adapters/report-writers/json';
import { writeTable } from '../../../lib/adapters/report-writers/table';
import type { Report, ReportRow } from '../../../lib/domain/report';
import { parseCsv, written } from '../../support/report-output';

const reportOf = (rows: ReportRow[]): Report => ({
  name: 'inventory',
  title: 'Test report',
  description: 'Rows for the writers.',
  controls: [{ framework: 'PCI DSS v4.0', id: '4.2.1.1', title: 'Inventory' }],
  readAt: '2026-06-01T00:00:00.000Z',
  parameters: { days: 30, owner: null },
  columns: [
    { key: 'name', title: 'Name', type: 'text' },
    { key: 'days', title: 'Days', type: 'number' },
  ],
  rows: (async function* () {
    yield* rows;
  })(),
});

describe('csvCell', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tTAB', "'\tTAB"],
    ['\rCR', `"'\rCR"`],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
  ])('writes the text %j as %j', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it.each([
    [-5, '-5'],
    [12.5, '12.5'],
    [true, 'true'],
    [null, ''],
  ])('writes %j as %j: numbers are never formulas', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });
});

describe('the writers', () => {
  it('writes CSV as RFC 4180: a title line, then a line per row, CRLF line ends', async () => {
    const text = await written(writeCsv, reportOf([{ name: 'a,"b"', days: -1 }, { name: 'c' }]));
    expect(text).toBe('Name,Days\r\n"a,""b""",-1\r\nc,\r\n');
    expect(parseCsv(text)).toEqual([
      ['Name', 'Days'],
      ['a,"b"', '-1'],
      ['c', ''],
    ]);
  });

  it.each([0, 1, 3])('writes JSON of %i rows that parses to the header and the rows', async (count) => {
    const rows = Array.from({ length: count }, (_, index) => ({ name: `n${index}`, days: index }));
    const parsed = JSON.parse(await written(writeJson, reportOf(rows))) as Record<string, unknown>;
    const { rows: _rows, ...header } = reportOf([]);
    expect(parsed).toEqual({ ...header, rows });
  });

  it('writes a table under a header naming the controls and the read time, long cells shortened in the middle', async () => {
    const long = `local-files:/${'x'.repeat(80)}/end.pem`;
    const text = await written(writeTable, reportOf([{ name: long, days: 3 }]));
    expect(text).toContain('Controls: PCI DSS v4.0 4.2.1.1');
    expect(text).toContain('Read at: 2026-06-01T00:00:00.000Z   days: 30');
    expect(text).toMatch(/local-files:\/x+…x+\/end\.pem\s+3\n/);
    expect(text).toContain('\n1 row\n');
  });

  it('fits a table to the terminal it is written to, narrowing the widest column', async () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 40 });
    const long = `local-files:/${'x'.repeat(80)}/end.pem`;
    let text = '';
    terminal.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await writeTable(reportOf([{ name: long, days: 3 }]), terminal);
    const table = text.split('\n').slice(5, 8);
    expect(table.map((line) => line.length)).toEqual([40, 40, 40]);
    expect(table[2]).toMatch(/^local-files:\/x+…x+\/end\.pem +3$/);
  });

  it('waits for a slow reader: what it writes beyond the stream buffer waits for a drain', async () => {
    const out = new PassThrough({ highWaterMark: 64 });
    const rows = Array.from({ length: 500 }, (_, index) => ({ name: `row-${index}`, days: index }));
    let done = false;
    const writing = writeCsv(reportOf(rows), out).then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    expect(out.readableLength).toBeLessThan(1024);
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await writing;
    expect(text.split('\r\n')).toHaveLength(502);
  });
});
