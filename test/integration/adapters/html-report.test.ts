import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { writeHtmlReport } from '../../../lib/adapters/html-report';
import { DAY_MS } from '../../../lib/domain/expiry';
import type { Report, ReportColumn, ReportRow } from '../../../lib/domain/report';
import { expirySeverity } from '../../../lib/domain/severity';
import { launchChromium, type HeadlessChromium } from '../../support/chromium';

const READ_AT = '2026-03-02T09:00:00.000Z';
const ROWS = 1234;
const PAGE_SIZE = 50;
const SOURCES = ['aws-acm', 'azure-key-vault', 'google-certificate-manager', 'local-files'];
const KEY_ALGORITHMS = ['RSA 2048', 'EC P-256', 'EC P-384'];
const HOSTILE = {
  markup: '<img src=x onerror=alert(1)>',
  scriptEnd: '</script><script>alert(2)</script><!--',
  formula: "=cmd|' /C calc'!A0",
};

const COLUMNS: ReportColumn[] = [
  { key: 'location', title: 'Location', type: 'text' },
  { key: 'commonName', title: 'Common name', type: 'text' },
  { key: 'owner', title: 'Owner', type: 'text' },
  { key: 'source', title: 'Source', type: 'text' },
  { key: 'keyAlgorithm', title: 'Key algorithm', type: 'text' },
  { key: 'notAfter', title: 'Not after', type: 'date' },
  { key: 'daysLeft', title: 'Days left', type: 'number' },
  { key: 'isCA', title: 'CA', type: 'boolean' },
];

/** A seeded inventory: expiries spread from 10 days ago to ~8 months ahead, a few CAs, three hostile rows. */
function seededRows(): ReportRow[] {
  return Array.from({ length: ROWS }, (_, index) => {
    const daysLeft = ((index * 37) % 250) - 10;
    return {
      location:
        index === 7
          ? HOSTILE.formula
          : `arn:aws:acm:us-east-1:111111111111:certificate/c-${String(index).padStart(5, '0')}`,
      commonName: index === 3 ? HOSTILE.markup : `host-${index}.example.com`,
      owner: index === 5 ? HOSTILE.scriptEnd : index % 10 === 0 ? null : `team-${index % 7}`,
      source: SOURCES[index % SOURCES.length],
      keyAlgorithm: KEY_ALGORITHMS[index % KEY_ALGORITHMS.length],
      notAfter: new Date(Date.parse(READ_AT) + daysLeft * DAY_MS + 3_600_000).toISOString(),
      daysLeft,
      isCA: index % 50 === 0,
    };
  });
}

function report(rows: ReportRow[]): Report {
  return {
    name: 'inventory',
    title: 'Certificate inventory',
    description: `Every live location ${HOSTILE.markup}`,
    controls: [{ framework: 'PCI DSS v4.0', id: '4.2.1.1', title: 'Inventory of trusted keys and certificates' }],
    readAt: READ_AT,
    parameters: { owner: HOSTILE.scriptEnd, days: null },
    columns: COLUMNS,
    rows: (async function* () {
      yield* rows;
    })(),
  };
}

/** What the timeline must show, counted here by hand: (week, severity) → certificates. */
function expectedSegments(rows: ReportRow[]): Map<string, number> {
  const segments = new Map<string, number>();
  for (const row of rows) {
    const week = Math.floor((Date.parse(row.notAfter as string) - Date.parse(READ_AT)) / (7 * DAY_MS));
    if (week < 0 || week >= 26) continue;
    const severity = expirySeverity({ notAfter: row.notAfter as string, isCA: row.isCA === true }, new Date(READ_AT));
    const key = `${week}/${severity}`;
    segments.set(key, (segments.get(key) ?? 0) + 1);
  }
  return segments;
}

const column = (key: string) => COLUMNS.findIndex((c) => c.key === key);
const visibleColumn = (page: Page, key: string) =>
  page.$$eval(`#rows tbody tr td:nth-child(${column(key) + 1})`, (cells) => cells.map((cell) => cell.textContent));
/** Types `text` into the filter and waits until the table shows what it filtered (it runs once typing pauses). */
async function filter(page: Page, text: string): Promise<void> {
  await page.fill('#filter', text);
  await page.waitForFunction(
    (needle) => document.getElementById('row-count')!.dataset.filter === needle,
    text.trim().toLowerCase(),
  );
}
const shownCount = (page: Page) =>
  page.$eval('#row-count', (element) => Number((element as HTMLElement).dataset.count));

describe('the HTML report in Chromium', () => {
  const rows = seededRows();
  let work: string;
  let file: string;
  let html: string;
  let browser: HeadlessChromium;
  let page: Page;
  const requests: string[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'certwarden-html-report-'));
    file = join(work, 'inventory.html');
    const out = createWriteStream(file);
    await writeHtmlReport(report(rows), out, { pageSize: PAGE_SIZE });
    out.end();
    await once(out, 'finish');
    html = await readFile(file, 'utf8');
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('request', (request) => requests.push(request.url()));
    page.on('dialog', (dialog) => problems.push(`dialog: ${dialog.message()}`));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => problems.push(`console ${message.type()}: ${message.text()}`));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('html[data-loaded-ms]');
  }, 60_000);

  afterAll(async () => {
    if (page) {
      const screenshot = join(tmpdir(), `certwarden-html-report-${process.pid}.png`);
      await page.screenshot({ path: screenshot, fullPage: true });
      process.stdout.write(`HTML report screenshot: ${screenshot}\n`);
    }
    await browser?.close();
    await rm(work, { recursive: true, force: true });
  });

  it('draws the expiry timeline: one stacked segment per week and severity, with its count', async () => {
    const drawn = await page.$$eval('#chart-expiry svg rect.segment', (rects) =>
      rects.map((rect) => [
        `${rect.getAttribute('data-week')}/${rect.getAttribute('data-severity')}`,
        Number(rect.getAttribute('data-count')),
      ]),
    );
    const expected = expectedSegments(rows);
    expect(expected.size).toBeGreaterThan(26);
    expect(new Map(drawn as [string, number][])).toEqual(expected);
    const heights = await page.$$eval('#chart-expiry svg rect.segment', (rects) =>
      rects.map((rect) => (rect as SVGRectElement).getBBox().height),
    );
    expect(Math.min(...heights)).toBeGreaterThan(0);
  });

  it.each([
    ['source', SOURCES],
    ['keyAlgorithm', KEY_ALGORITHMS],
  ])('draws a bar per %s value with its count', async (key, values) => {
    const drawn = await page.$$eval(`#chart-${key} svg rect.bar`, (rects) =>
      rects.map((rect) => [rect.getAttribute('data-value'), Number(rect.getAttribute('data-count'))]),
    );
    const expected = values.map((value) => [value, rows.filter((row) => row[key] === value).length]);
    expect(new Map(drawn as [string, number][])).toEqual(new Map(expected as [string, number][]));
  });

  it('reports as many rows as the inventory has, and puts one page of them in the DOM', async () => {
    expect(await shownCount(page)).toBe(ROWS);
    expect(await page.textContent('#row-count')).toBe(`${ROWS.toLocaleString('en-US')} rows`);
    expect(await page.textContent('#summary-rows')).toBe(`${ROWS.toLocaleString('en-US')} rows`);
    expect(await page.locator('#rows tbody tr').count()).toBe(PAGE_SIZE);
  });

  it('pages through the rows in their order', async () => {
    await page.click('#page-next');
    expect(await visibleColumn(page, 'commonName')).toEqual(
      rows.slice(PAGE_SIZE, 2 * PAGE_SIZE).map((row) => row.commonName),
    );
    await page.click('#page-last');
    const lastPage = rows.slice(Math.floor((ROWS - 1) / PAGE_SIZE) * PAGE_SIZE);
    expect(await visibleColumn(page, 'commonName')).toEqual(lastPage.map((row) => row.commonName));
    expect(await page.isDisabled('#page-next')).toBe(true);
    await page.click('#page-first');
  });

  it('sorts by a number column, ascending then descending', async () => {
    const days = rows.map((row) => row.daysLeft as number);
    await page.click('#rows th[data-key="daysLeft"] button');
    expect(await page.getAttribute('#rows th[data-key="daysLeft"]', 'aria-sort')).toBe('ascending');
    const ascending = [...days].sort((a, b) => a - b).slice(0, PAGE_SIZE);
    expect((await visibleColumn(page, 'daysLeft')).map(Number)).toEqual(ascending);
    await page.click('#rows th[data-key="daysLeft"] button');
    const descending = [...days].sort((a, b) => b - a).slice(0, PAGE_SIZE);
    expect((await visibleColumn(page, 'daysLeft')).map(Number)).toEqual(descending);
  });

  it('sorts a text column with the empty cells last', async () => {
    await page.click('#rows th[data-key="owner"] button');
    await page.click('#page-last');
    const owners = await visibleColumn(page, 'owner');
    expect(owners.at(-1)).toBe('');
    await page.click('#page-first');
    const sorted = rows
      .map((row) => row.owner)
      .filter((owner): owner is string => owner !== null)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(await visibleColumn(page, 'owner')).toEqual(sorted.slice(0, PAGE_SIZE));
  });

  it('filters on any column and counts what is left', async () => {
    await filter(page, 'AZURE');
    const expected = rows.filter((row) =>
      Object.values(row).some((cell) => String(cell).toLowerCase().includes('azure')),
    );
    expect(await shownCount(page)).toBe(expected.length);
    expect(await page.textContent('#row-count')).toBe(`${expected.length} of ${ROWS.toLocaleString('en-US')} rows`);
    expect(new Set(await visibleColumn(page, 'source'))).toEqual(new Set(['azure-key-vault']));
    await filter(page, '');
    expect(await shownCount(page)).toBe(ROWS);
  });

  it.each(Object.entries(HOSTILE))('shows the hostile value %s as text and runs nothing', async (_, value) => {
    await filter(page, value);
    expect(await shownCount(page)).toBe(1);
    const cells = await page.$$eval('#rows tbody td', (tds) => tds.map((td) => td.textContent));
    expect(cells).toContain(value);
    expect(await page.locator('img, #rows tbody script').count()).toBe(0);
    await filter(page, '');
  });

  it('escapes the static header: hostile text is shown, never parsed', async () => {
    expect(html).not.toContain(HOSTILE.markup);
    expect(html).not.toContain('</script><script>alert(2)');
    expect(await page.textContent('header.summary')).toContain(HOSTILE.markup);
    expect(await page.textContent('header.summary')).toContain(HOSTILE.scriptEnd);
  });

  it('forbids every load in its Content-Security-Policy', async () => {
    const policy = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    expect(policy).toMatch(/^default-src 'none'; script-src 'sha256-[^']+'; style-src 'sha256-[^']+'; img-src 'none'/);
  });

  // Last: what every interaction above did (or did not) cause.
  it('made no request but the file itself, and no dialog, error or console message', () => {
    expect(requests).toEqual([pathToFileURL(file).href]);
    expect(problems).toEqual([]);
  });
});
