/**
 * The charts a report can carry, decided by its columns alone: a report with a `notAfter` date column gets the
 * expiry timeline, one with a `source` or `keyAlgorithm` column a breakdown by it. No report declares charts, so a
 * new report gets the charts its columns allow without touching a writer. The aggregates are counted row by row
 * while a writer streams the rows, so a chart of 100,000 certificates costs a few counters, never the rows.
 */

import { DAY_MS } from './expiry';
import type { ReportCell, ReportColumn, ReportRow } from './report';
import { EXPIRY_SEVERITIES, expirySeverity, type ExpirySeverity } from './severity';

/** The columns a breakdown chart counts by, with the chart's title. */
export const BREAKDOWN_COLUMNS = [
  { key: 'source', title: 'Certificates by source' },
  { key: 'keyAlgorithm', title: 'Certificates by key algorithm' },
] as const;

/** The expiry timeline's date column; `isCA` (boolean), where present, raises a CA's severity as alerts do. */
export const TIMELINE_COLUMN = 'notAfter';
const CA_COLUMN = 'isCA';

/** Weeks on the expiry timeline. @default 26 */
export const DEFAULT_TIMELINE_WEEKS = 26;
/** Distinct values a breakdown counts one by one; the rest are counted together as {@link OTHER_VALUE}. */
export const BREAKDOWN_DISTINCT_LIMIT = 1_000;
/** Bars a breakdown shows: the largest values, the rest summed into {@link OTHER_VALUE}. */
export const BREAKDOWN_BARS = 12;
export const OTHER_VALUE = '(other)';
export const NO_VALUE = '(none)';

export interface TimelineWeek {
  /** The week's first instant (ISO 8601): `readAt` plus 7 × its index days. */
  start: string;
  /** Certificates whose notAfter falls in the week, by the severity they have at `readAt`. */
  bySeverity: Record<ExpirySeverity, number>;
}

export interface ExpiryTimeline {
  title: string;
  severities: readonly ExpirySeverity[];
  weeks: TimelineWeek[];
  /** Rows whose certificate had expired at `readAt`: not on the timeline, counted here. */
  expired: number;
  /** Rows expiring after the last week. */
  later: number;
  /** Rows without a readable notAfter. */
  undated: number;
}

export interface Breakdown {
  column: string;
  title: string;
  /** Largest first, at most {@link BREAKDOWN_BARS} bars, ties by value. */
  bars: { value: string; count: number }[];
}

export interface ReportAggregates {
  rows: number;
  timeline: ExpiryTimeline | null;
  breakdowns: Breakdown[];
}

const emptySeverities = (): Record<ExpirySeverity, number> =>
  Object.fromEntries(EXPIRY_SEVERITIES.map((severity) => [severity, 0])) as Record<ExpirySeverity, number>;

const label = (cell: ReportCell | undefined): string =>
  cell === null || cell === undefined || cell === '' ? NO_VALUE : String(cell);

/**
 * Counts a report's chart data as its rows stream past: `add` each row, then `result()`. Severity is the one alerts
 * use ({@link expirySeverity}), at the report's `readAt`, so the chart agrees with the alerts of that moment.
 */
export class ReportChartAggregator {
  private readonly now: Date;
  private readonly timeline: ExpiryTimeline | null;
  private readonly counts: { column: string; title: string; byValue: Map<string, number> }[];
  private rows = 0;

  constructor(columns: readonly ReportColumn[], readAt: string, weeks = DEFAULT_TIMELINE_WEEKS) {
    this.now = new Date(readAt);
    if (Number.isNaN(this.now.getTime()))
      throw new RangeError(`report readAt is not a date: ${JSON.stringify(readAt)}`);
    const has = (key: string) => columns.some((column) => column.key === key);
    this.timeline = has(TIMELINE_COLUMN)
      ? {
          title: `Certificates expiring per week, next ${weeks} weeks, by severity`,
          severities: EXPIRY_SEVERITIES,
          weeks: Array.from({ length: weeks }, (_, index) => ({
            start: new Date(this.now.getTime() + index * 7 * DAY_MS).toISOString(),
            bySeverity: emptySeverities(),
          })),
          expired: 0,
          later: 0,
          undated: 0,
        }
      : null;
    this.counts = BREAKDOWN_COLUMNS.filter(({ key }) => has(key)).map(({ key, title }) => ({
      column: key,
      title,
      byValue: new Map(),
    }));
  }

  add(row: ReportRow): void {
    this.rows++;
    if (this.timeline) this.addToTimeline(this.timeline, row);
    for (const { column, byValue } of this.counts) {
      let value = label(row[column]);
      if (!byValue.has(value) && byValue.size >= BREAKDOWN_DISTINCT_LIMIT) value = OTHER_VALUE;
      byValue.set(value, (byValue.get(value) ?? 0) + 1);
    }
  }

  result(): ReportAggregates {
    return {
      rows: this.rows,
      timeline: this.timeline,
      breakdowns: this.counts.map(({ column, title, byValue }) => ({ column, title, bars: topBars(byValue) })),
    };
  }

  private addToTimeline(timeline: ExpiryTimeline, row: ReportRow): void {
    const notAfter = row[TIMELINE_COLUMN];
    const time = typeof notAfter === 'string' ? Date.parse(notAfter) : Number.NaN;
    if (Number.isNaN(time)) {
      timeline.undated++;
      return;
    }
    const sinceRead = time - this.now.getTime();
    if (sinceRead < 0) {
      timeline.expired++;
      return;
    }
    const week = timeline.weeks[Math.floor(sinceRead / (7 * DAY_MS))];
    if (!week) {
      timeline.later++;
      return;
    }
    week.bySeverity[expirySeverity({ notAfter: notAfter as string, isCA: row[CA_COLUMN] === true }, this.now)]++;
  }
}

function topBars(byValue: Map<string, number>): Breakdown['bars'] {
  const sorted = [...byValue]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  if (sorted.length <= BREAKDOWN_BARS) return sorted;
  const shown = sorted.filter(({ value }) => value !== OTHER_VALUE).slice(0, BREAKDOWN_BARS - 1);
  const rest = sorted.reduce((sum, { count }) => sum + count, 0) - shown.reduce((sum, { count }) => sum + count, 0);
  return [...shown, { value: OTHER_VALUE, count: rest }];
}
