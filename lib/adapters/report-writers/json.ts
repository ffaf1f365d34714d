import type { Report } from '../../domain/report';
import { write, type ReportWriter } from './writer';

/**
 * One JSON object: the report's header (name, title, description, controls, readAt, parameters, columns), then
 * `rows`, an array written one row per line as the rows stream.
 */
export const writeJson: ReportWriter = async (report: Report, out) => {
  const { rows, ...header } = report;
  const head = JSON.stringify(header, null, 2);
  await write(out, `${head.slice(0, head.lastIndexOf('}')).trimEnd()},\n  "rows": [`);
  let first = true;
  for await (const row of rows) {
    await write(out, `${first ? '' : ','}\n    ${JSON.stringify(row)}`);
    first = false;
  }
  await write(out, `${first ? '' : '\n  '}]\n}\n`);
};
