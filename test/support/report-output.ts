import { Writable } from 'node:stream';
import type { ReportWriter } from '../../lib/adapters/report-writers';
import type { Report } from '../../lib/domain/report';

/** What `writer` writes of `report`, as text. */
export async function written(writer: ReportWriter, report: Report): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  await writer(report, out);
  return Buffer.concat(chunks).toString('utf8');
}

/** The cells of an RFC 4180 document, line by line (quoted cells unquoted). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        cell += '"';
        index++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      index++;
    } else cell += char;
  }
  return rows;
}
