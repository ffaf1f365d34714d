import { DAY_MS } from '../../../lib/domain/expiry';
import type { ReportColumn, ReportRow } from '../../../lib/domain/report';
import {
  BREAKDOWN_BARS,
  NO_VALUE,
  OTHER_VALUE,
  ReportChartAggregator,
  type ReportAggregates,
} from '../../../lib/domain/report-charts';

const READ_AT = '2026-06-01T00:00:00.000Z';
const text = (key: string): ReportColumn => ({ key, title: key, type: 'text' });
const NOT_AFTER: ReportColumn = { key: 'notAfter', title: 'Not after', type: 'date' };
const inDays = (days: number) => new Date(Date.parse(READ_AT) + days * DAY_MS).toISOString();

function aggregate(columns: ReportColumn[], rows: ReportRow[], weeks?: number): ReportAggregates {
  const aggregator = new ReportChartAggregator(columns, READ_AT, weeks);
  for (const row of rows) aggregator.add(row);
  return aggregator.result();
}
const segments = (result: ReportAggregates) =>
  result.timeline!.weeks.flatMap((week, index) =>
    Object.entries(week.bySeverity)
      .filter(([, count]) => count > 0)
      .map(([severity, count]) => `${index}:${severity}=${count}`),
  );

describe('ReportChartAggregator', () => {
  it.each([
    [[text('location')], false, []],
    [[text('location'), NOT_AFTER], true, []],
    [[NOT_AFTER, text('source'), text('keyAlgorithm')], true, ['source', 'keyAlgorithm']],
    [[text('keyAlgorithm')], false, ['keyAlgorithm']],
  ])('gives a report with columns %j the charts its columns allow', (columns, timeline, breakdowns) => {
    const result = aggregate(columns, []);
    expect(result.timeline !== null).toBe(timeline);
    expect(result.breakdowns.map((breakdown) => breakdown.column)).toEqual(breakdowns);
  });

  it.each([
    [0.5, false, '0:critical=1'],
    [3, false, '0:high=1'],
    [6.99, false, '0:high=1'],
    [7, false, '1:high=1'],
    [20, false, '2:warning=1'],
    [20, true, '2:high=1'],
    [31, false, '4:info=1'],
    [181.9, false, '25:info=1'],
  ])('puts a certificate %d days from the read in its week, at its severity (CA: %s)', (days, isCA, expected) => {
    expect(segments(aggregate([NOT_AFTER], [{ notAfter: inDays(days), isCA }]))).toEqual([expected]);
  });

  it('counts the expired, those after the last week and the undated apart from the weeks', () => {
    const result = aggregate(
      [NOT_AFTER],
      [
        { notAfter: inDays(-1) },
        { notAfter: inDays(182) },
        { notAfter: null },
        { notAfter: 'soon' },
        { notAfter: inDays(2) },
      ],
    );
    expect(result.timeline).toMatchObject({ expired: 1, later: 1, undated: 2 });
    expect(segments(result)).toEqual(['0:high=1']);
    expect(result.rows).toBe(5);
  });

  it('starts each week at the read time, as many weeks as asked', () => {
    const weeks = aggregate([NOT_AFTER], [], 3).timeline!.weeks.map((week) => week.start);
    expect(weeks).toEqual([READ_AT, inDays(7), inDays(14)]);
  });

  it('counts a breakdown largest first, empty values as one, the smallest beyond the bars as other', () => {
    const rows: ReportRow[] = [
      ...Array.from({ length: 30 }, (_, index) => ({ source: `s${String(index).padStart(2, '0')}` })),
      ...Array.from({ length: 5 }, () => ({ source: 'big' })),
      { source: null },
      { source: '' },
    ];
    const [bars] = aggregate([text('source')], rows).breakdowns.map((breakdown) => breakdown.bars);
    expect(bars).toHaveLength(BREAKDOWN_BARS);
    expect(bars.slice(0, 3)).toEqual([
      { value: 'big', count: 5 },
      { value: NO_VALUE, count: 2 },
      { value: 's00', count: 1 },
    ]);
    expect(bars.at(-1)).toEqual({ value: OTHER_VALUE, count: rows.length - 5 - 2 - (BREAKDOWN_BARS - 3) });
  });

  it('refuses a read time that is not a date, naming it', () => {
    expect(() => new ReportChartAggregator([NOT_AFTER], 'yesterday')).toThrow(
      'report readAt is not a date: "yesterday"',
    );
  });
});
