import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { launchChromium } from '../support/chromium';

const run = promisify(execFile);
const RUN_TS = resolve(__dirname, '../../lib/cli/bin/run-ts.js');
const ROWS = Number(process.env.BENCH_HTML_ROWS ?? 100_000);
const PAGE_SIZE = 50;
/**
 * A heap this small holds no report of 10 × ROWS rows (240 MB of HTML at 100,000): writing one under it proves the
 * rows stream. Peak RSS alone does not, as V8 lets its heap grow with the allocation rate before it collects.
 */
const CAPPED_HEAP_MB = 24;

export interface HtmlReportBenchRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

interface WriterFigures {
  seconds: number;
  bytes: number;
  peakRssMb: number;
}

/** Runs html-report-writer.ts in a process of its own, with `nodeOptions` before the script. */
async function writeReport(file: string, rows: number, nodeOptions: string[] = []): Promise<WriterFigures> {
  const { stdout } = await run(process.execPath, [
    ...nodeOptions,
    RUN_TS,
    join(__dirname, 'html-report-writer.ts'),
    file,
    String(rows),
  ]);
  return JSON.parse(stdout) as WriterFigures;
}

const ms = (value: number) => `${value.toFixed(0)} ms`;

/**
 * Issue #17's HTML row: the inventory report of 100,000 rows (BENCH_HTML_ROWS) written by writeHtmlReport in a
 * process of its own (size, wall time, peak RSS against the same process writing no row: memory must not follow
 * the rows), then opened in headless Debian Chromium: time until the first page of rows and the charts are drawn,
 * the rows in the DOM, and a sort and a filter over all rows.
 */
export async function benchHtmlReport(): Promise<HtmlReportBenchRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'certwarden-bench-html-'));
  const browser = await launchChromium();
  try {
    const file = join(work, 'inventory.html');
    const floor = await writeReport(join(work, 'empty.html'), 0);
    const full = await writeReport(file, ROWS);
    const capped = await writeReport(join(work, 'capped.html'), ROWS * 10, [`--max-old-space-size=${CAPPED_HEAP_MB}`])
      .catch((error: Error) => error)
      .finally(() => rm(join(work, 'capped.html'), { force: true }));

    const page = await browser.context.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    const started = Date.now();
    await page.goto(pathToFileURL(file).href, { timeout: 120_000 });
    await page.waitForSelector('html[data-rendered-ms]', { timeout: 120_000 });
    const firstPageMs = Date.now() - started;
    await page.waitForSelector('html[data-loaded-ms]', { timeout: 120_000 });
    const loadedMs = Date.now() - started;
    const drawn = await page.evaluate(() => ({
      renderedMs: Number(document.documentElement.dataset.renderedMs),
      loadedMs: Number(document.documentElement.dataset.loadedMs),
      rowsInDom: document.querySelectorAll('#rows tbody tr').length,
      segments: document.querySelectorAll('#chart-expiry rect.segment').length,
      bars: document.querySelectorAll('#charts rect.bar').length,
      count: Number(document.getElementById('row-count')!.dataset.count),
    }));
    const sortStarted = Date.now();
    await page.click('#rows th[data-key="daysLeft"] button');
    await page.waitForSelector('#rows th[data-key="daysLeft"][aria-sort="ascending"]');
    const sortMs = Date.now() - sortStarted;
    const filterStarted = Date.now();
    await page.fill('#filter', 'team-42');
    await page.waitForFunction(() => document.getElementById('row-count')!.dataset.filter === 'team-42', undefined, {
      timeout: 60_000,
    });
    // Less the filter's debounce: the time the filter itself took.
    const filterMs = Date.now() - filterStarted - 150;
    const { heapMb } = await page.evaluate(() => ({
      heapMb:
        ((performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0) / 2 ** 20,
    }));

    return [
      { figure: `inventory of ${ROWS} rows: file size`, value: `${(full.bytes / 2 ** 20).toFixed(1)} MiB` },
      { figure: 'write time', value: `${full.seconds.toFixed(2)} s` },
      {
        figure: 'writer peak RSS (its own process; the same process writing no row)',
        value: `${full.peakRssMb.toFixed(0)} MB (${floor.peakRssMb.toFixed(0)} MB)`,
      },
      {
        figure: `writer: ${ROWS * 10} rows with V8's old space capped at ${CAPPED_HEAP_MB} MB`,
        value:
          capped instanceof Error
            ? `failed: ${capped.message.split('\n')[0]}`
            : `written, ${(capped.bytes / 2 ** 20).toFixed(0)} MiB in ${capped.seconds.toFixed(1)} s, peak RSS ${capped.peakRssMb.toFixed(0)} MB`,
        target: 'written',
        met: !(capped instanceof Error),
      },
      {
        figure: 'Chromium: open to first page of rows and charts drawn',
        value: `${ms(firstPageMs)} (drawn ${ms(drawn.renderedMs)} after navigation start)`,
      },
      {
        figure: 'Chromium: open to every row read (sorting and filtering on)',
        value: `${ms(loadedMs)} (${ms(drawn.loadedMs)} after navigation start)`,
      },
      {
        figure: 'Chromium: rows in the DOM / rows counted',
        value: `${drawn.rowsInDom} / ${drawn.count}`,
        target: `${PAGE_SIZE} / ${ROWS}`,
        met: drawn.rowsInDom === PAGE_SIZE && drawn.count === ROWS,
      },
      { figure: 'Chromium: chart segments / bars drawn', value: `${drawn.segments} / ${drawn.bars}` },
      { figure: `Chromium: sort all ${ROWS} rows by days left`, value: ms(sortMs) },
      { figure: `Chromium: filter all ${ROWS} rows (first filter, builds the index)`, value: ms(filterMs) },
      { figure: 'Chromium: JS heap after sort and filter', value: `${heapMb.toFixed(0)} MB` },
      {
        figure: 'Chromium: requests besides the file',
        value: String(requests.length - 1),
        target: '0',
        met: requests.length === 1,
      },
    ];
  } finally {
    await browser.close();
    await rm(work, { recursive: true, force: true });
  }
}
