import type { Report, ReportCell } from '../../domain/report';
import { write, type ReportWriter } from './writer';

/**
 * What a spreadsheet takes for the start of a formula (OWASP, CSV injection): a text cell beginning with one of
 * these is prefixed with `'`, so `=cmd|' /C calc'!A0` stays text. Number cells are never formulas.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell as RFC 4180 quotes it: in double quotes (doubled inside) when it holds a comma, quote, CR or LF. */
export function csvCell(value: ReportCell): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * RFC 4180: a header line of column titles, then one line per row, CRLF line ends. The report's header (controls,
 * read time, parameters) is not in the CSV, whose readers expect rows only: the JSON carries it.
 */
export const writeCsv: ReportWriter = async (report: Report, out) => {
  const line = (cells: ReportCell[]) => `${cells.map(csvCell).join(',')}\r\n`;
  await write(out, line(report.columns.map((column) => column.title)));
  for await (const row of report.rows) await write(out, line(report.columns.map((column) => row[column.key] ?? null)));
};
