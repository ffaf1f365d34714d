import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DEFAULT_TIMELINE_WEEKS, ReportChartAggregator } from '../domain/report-charts';
import type { Report, ReportCell } from '../domain/report';
import { REPORT_PAGE_STYLE, renderReportPage } from './html-report-page';

export interface HtmlReportOptions {
  /** Rows the table shows at once: the only rows in the page's DOM. @default 50 */
  pageSize?: number;
  /** Weeks on the expiry timeline. @default 26 */
  timelineWeeks?: number;
}

/**
 * The page script is renderReportPage's source. esbuild's keepNames (tsx, which runs the bench and scripts) wraps
 * named inner functions in `__name(fn, "name")`, a helper of the enclosing module: the inlined copy gets a no-op one.
 */
const SCRIPT = `(() => { const __name = (target) => target; (${renderReportPage.toString()})(); })();`;
if (/<\/script|<!--/i.test(SCRIPT)) throw new Error('the report page script must not contain </script or <!--');

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
/**
 * Nothing loads from anywhere: no fetch, image, font or frame, and only the two inline blocks below (by their
 * hashes) run or style the page, so a value that somehow became markup could still neither run nor call out.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(REPORT_PAGE_STYLE)}`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Rows' JSON goes to gzip in pieces of about this many characters, not a write per row. */
const CHUNK = 64 * 1024;
/**
 * The rows' element: a script of a type no browser runs, holding base64 (which has no `<`, so no value can end the
 * element early). The page script reads it with the browser's own DecompressionStream.
 */
export const ROWS_TYPE = 'application/gzip+base64';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text for the static part of the page, in an element or a quoted attribute. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);

const JSON_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
/**
 * JSON that can sit inside `<script type="application/json">`: with `<` written as `\u003c`, no value can close the
 * element (`</script>`) or open a comment (`<!--`) that would swallow the rest of the page; JSON.parse reads it back
 * unchanged.
 */
export const scriptJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => JSON_ESCAPES[c]);

const cellHtml = (cell: ReportCell | undefined) => escapeHtml(cell === null || cell === undefined ? '—' : String(cell));

function header(report: Report): string {
  const controls = report.controls
    .map(({ framework, id, title }) => `<li>${escapeHtml(`${framework} ${id}`)}: ${escapeHtml(title)}</li>`)
    .join('');
  const parameters = Object.entries(report.parameters)
    .map(([name, value]) => `<li>${escapeHtml(name)}: ${cellHtml(value)}</li>`)
    .join('');
  return (
    `<header class="summary"><h1>${escapeHtml(report.title)}</h1><p>${escapeHtml(report.description)}</p><dl>` +
    `<dt>Controls evidenced</dt><dd>${controls ? `<ul>${controls}</ul>` : 'none stated'}</dd>` +
    `<dt>Data read at</dt><dd><time datetime="${escapeHtml(report.readAt)}">${escapeHtml(report.readAt)}</time></dd>` +
    `<dt>Parameters</dt><dd>${parameters ? `<ul>${parameters}</ul>` : 'none'}</dd>` +
    `<dt>Report</dt><dd>${escapeHtml(report.name)}</dd></dl></header>`
  );
}

function tableView(report: Report): string {
  const headings = report.columns
    .map(
      ({ key, title }) =>
        `<th scope="col" data-key="${escapeHtml(key)}"><button type="button">${escapeHtml(title)}</button></th>`,
    )
    .join('');
  return (
    '<section id="table-view" aria-label="Rows"><div class="controls">' +
    '<label>Filter <input id="filter" type="search" autocomplete="off" placeholder="any column contains…"></label>' +
    '<span id="row-count" role="status"></span>' +
    '<button type="button" id="page-first">First</button><button type="button" id="page-prev">Previous</button>' +
    '<span id="page-info"></span>' +
    '<button type="button" id="page-next">Next</button><button type="button" id="page-last">Last</button></div>' +
    `<table id="rows"><thead><tr>${headings}</tr></thead><tbody></tbody></table>` +
    "<noscript>The table and the charts need JavaScript; the rows are also in this report's CSV and JSON.</noscript>" +
    '</section>'
  );
}

/**
 * The rows as JSON lines (one array per row, in column order; JSON escapes every newline inside a value), text by
 * text as they stream in (about {@link CHUNK} characters a piece), counting the charts' aggregates on the way.
 * Lines, not one array, so the page can draw its first rows before it has inflated the last.
 */
async function* rowLines(report: Report, aggregator: ReportChartAggregator): AsyncGenerator<string> {
  let pending = '';
  for await (const row of report.rows) {
    aggregator.add(row);
    pending += `${JSON.stringify(report.columns.map(({ key }) => row[key] ?? null))}\n`;
    if (pending.length >= CHUNK) {
      yield pending;
      pending = '';
    }
  }
  yield pending;
}

/** Base64 of a byte stream, piece by piece: each piece ends on a 3-byte boundary, the remainder carried over. */
async function* base64(bytes: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of bytes) {
    const joined = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const whole = joined.length - (joined.length % 3);
    if (whole) yield joined.subarray(0, whole).toString('base64');
    carry = joined.subarray(whole);
  }
  if (carry.length) yield carry.toString('base64');
}

/**
 * Writes `report` as one self-contained HTML file to `out`: a summary header, the charts its columns allow
 * (lib/domain/report-charts.ts), and a sortable, filterable table that keeps one page of rows in the DOM. Nothing
 * in it loads from the network (inline CSS and script under a Content-Security-Policy that forbids every load), so it
 * opens from an email attachment. Rows stream: each is written as it comes, as a JSON line gzipped and base64'd
 * into an inert script element (a seventh of the plain JSON's size: 100,000 inventory rows are 3 MiB, not 23 MiB,
 * under mail attachment limits, and the browser reads them faster than it parses the longer page), with
 * backpressure from `out`; only the chart counters are kept, written after the rows. `out` is not ended.
 */
export async function writeHtmlReport(
  report: Report,
  out: NodeJS.WritableStream,
  options: HtmlReportOptions = {},
): Promise<void> {
  const pageSize = options.pageSize ?? 50;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new RangeError(`pageSize must be a positive integer: ${pageSize}`);
  const aggregator = new ReportChartAggregator(
    report.columns,
    report.readAt,
    options.timelineWeeks ?? DEFAULT_TIMELINE_WEEKS,
  );
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };

  await write(
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
      `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CONTENT_SECURITY_POLICY)}">` +
      '<meta name="viewport" content="width=device-width, initial-scale=1">' +
      `<meta name="generator" content="certwarden">` +
      `<title>${escapeHtml(report.title)}</title><style>${REPORT_PAGE_STYLE}</style></head>\n<body><main>` +
      header(report) +
      '<section id="charts" aria-label="Charts"></section>' +
      tableView(report) +
      `<script type="application/json" id="report-meta">${scriptJson({ columns: report.columns, pageSize })}</script>\n` +
      `<script type="${ROWS_TYPE}" id="report-rows">`,
  );
  await pipeline(
    Readable.from(rowLines(report, aggregator)),
    createGzip(),
    base64,
    async (text: AsyncIterable<string>) => {
      for await (const piece of text) await write(piece);
    },
  );
  const aggregates = aggregator.result();
  await write(
    '</script>\n' +
      `<p class="counts" id="summary-rows" data-count="${aggregates.rows}">${aggregates.rows.toLocaleString('en-US')} rows</p>` +
      `<script type="application/json" id="report-aggregates">${scriptJson(aggregates)}</script>\n` +
      `<script>${SCRIPT}</script></main></body></html>\n`,
  );
}
