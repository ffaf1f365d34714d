import type { Report, ReportCell, ReportRow } from '../../domain/report';
import { write, type ReportWriter } from './writer';

/** Rows read before the column widths are fixed: a table streams after them, so a large report never waits. */
const WIDTH_SAMPLE = 200;
/** No column wider, so a table stays readable; longer cells are shortened in the middle. */
const MAX_WIDTH = 48;

const text = (value: ReportCell): string => (value === null ? '' : String(value).replace(/[\r\n\t]+/g, ' '));

/** Shortened in the middle: a location's start (its kind) and end (its name) tell most. */
function fit(value: string, width: number): string {
  if (value.length <= width) return value.padEnd(width);
  const head = Math.ceil((width - 1) / 2);
  return `${value.slice(0, head)}…${value.slice(value.length - (width - 1 - head))}`;
}

/** No column narrower when a table is fitted to a terminal: shortened further, a cell says nothing. */
const MIN_WIDTH = 8;

/** The width of the terminal `out` is, if it is one (piped, rows stay whole). */
const terminalColumns = (out: NodeJS.WritableStream): number | undefined => {
  const tty = out as Partial<NodeJS.WriteStream>;
  return tty.isTTY && tty.columns ? tty.columns : undefined;
};

/** Narrows the widest columns, one character at a time, until the line (two spaces apart) fits `columns`. */
function fitTo(columns: number | undefined, widths: number[]): number[] {
  if (!columns) return widths;
  const fitted = [...widths];
  const lineWidth = () => fitted.reduce((sum, width) => sum + width, 0) + 2 * (fitted.length - 1);
  while (lineWidth() > columns) {
    const widest = fitted.indexOf(Math.max(...fitted));
    if (fitted[widest] <= MIN_WIDTH) break;
    fitted[widest]--;
  }
  return fitted;
}

/**
 * A terminal table under a header naming the report, the controls it evidences, its parameters and the read time.
 * Widths come from the first rows; later rows are shortened to them, and on a terminal the widest columns are
 * narrowed until a line fits it.
 */
export const writeTable: ReportWriter = async (report: Report, out) => {
  const parameters = Object.entries(report.parameters).filter(([, value]) => value !== null);
  const controls = report.controls.map((control) => `${control.framework} ${control.id}`).join(', ');
  await write(
    out,
    [
      report.title,
      report.description,
      `Controls: ${controls}`,
      `Read at: ${report.readAt}${parameters.length > 0 ? `   ${parameters.map(([k, v]) => `${k}: ${v}`).join(', ')}` : ''}`,
      '',
      '',
    ].join('\n'),
  );
  const iterator = report.rows[Symbol.asyncIterator]();
  const sample: ReportRow[] = [];
  let next = await iterator.next();
  while (!next.done && sample.length < WIDTH_SAMPLE) {
    sample.push(next.value);
    next = await iterator.next();
  }
  const widths = fitTo(
    terminalColumns(out),
    report.columns.map((column) =>
      Math.min(MAX_WIDTH, Math.max(column.title.length, ...sample.map((row) => text(row[column.key] ?? null).length))),
    ),
  );
  const line = (cells: string[]) =>
    `${cells
      .map((cell, index) =>
        report.columns[index].type === 'number' && cell.length <= widths[index]
          ? cell.padStart(widths[index])
          : fit(cell, widths[index]),
      )
      .join('  ')
      .trimEnd()}\n`;
  await write(out, line(report.columns.map((column) => column.title)));
  await write(out, line(widths.map((width) => '-'.repeat(width))));
  let count = 0;
  const rowLine = (row: ReportRow) => line(report.columns.map((column) => text(row[column.key] ?? null)));
  for (const row of sample) {
    await write(out, rowLine(row));
    count++;
  }
  for (; !next.done; next = await iterator.next()) {
    await write(out, rowLine(next.value));
    count++;
  }
  await write(out, `\n${count} ${count === 1 ? 'row' : 'rows'}\n`);
};
