/* istanbul ignore file -- renderReportPage runs in the browser from its source text, where a coverage counter would be an undefined name */
/**
 * What runs inside a self-contained HTML report: the stylesheet and the page script the writer inlines
 * (lib/adapters/html-report.ts). The script is {@link renderReportPage}'s own source text, so it is type-checked
 * with the rest and tested in Chromium (test/integration/adapters/html-report.test.ts); it must therefore refer to
 * nothing outside its body (no import, no module constant) and use only what the browser has.
 */

export const REPORT_PAGE_STYLE = `
:root { font-family: system-ui, sans-serif; color: #1f2937; background: #fff; }
body { margin: 0; }
main { display: flex; flex-direction: column; gap: 1rem; max-width: 1200px; margin: 0 auto; padding: 1rem; }
.summary { order: 0; }
.counts { order: 1; margin: 0; }
#charts { order: 2; display: flex; flex-wrap: wrap; gap: 1.5rem; }
#table-view { order: 3; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1rem; margin: 0 0 .5rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .75rem 0 0; }
dt { font-weight: 600; }
dd { margin: 0; }
dd ul { margin: 0; padding-left: 1.1rem; }
figure { margin: 0; }
figcaption { font-size: .85rem; color: #4b5563; margin-top: .25rem; }
svg text { font-size: 10px; fill: #374151; }
svg .axis { stroke: #9ca3af; }
.bar { fill: #4f46e5; }
.sev-info { fill: #93c5fd; background: #93c5fd; }
.sev-warning { fill: #facc15; background: #facc15; }
.sev-high { fill: #f97316; background: #f97316; }
.sev-critical { fill: #dc2626; background: #dc2626; }
.legend { display: flex; gap: 1rem; list-style: none; padding: 0; margin: .25rem 0 0; font-size: .85rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
.controls { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; margin-bottom: .5rem; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { border-bottom: 1px solid #e5e7eb; padding: .3rem .5rem; text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0; cursor: pointer; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; }
th[aria-sort="descending"] button::after { content: " \\25BC"; }
td { word-break: break-word; }
`;

/**
 * Draws the charts, then reads the rows (gzip, base64: see writeHtmlReport) and draws the table's first page as
 * soon as it has its rows; every piece of data goes in as textContent. Marks the document `data-rendered-ms` (first
 * page drawn) and `data-loaded-ms` (every row read: sorting and filtering on), in ms since navigation start.
 */
export async function renderReportPage(): Promise<void> {
  type Cell = string | number | boolean | null;
  interface Column {
    key: string;
    title: string;
    type: string;
  }
  interface Meta {
    columns: Column[];
    pageSize: number;
  }
  interface Week {
    start: string;
    bySeverity: Record<string, number>;
  }
  interface Aggregates {
    rows: number;
    timeline: {
      title: string;
      severities: string[];
      weeks: Week[];
      expired: number;
      later: number;
      undated: number;
    } | null;
    breakdowns: { column: string; title: string; bars: { value: string; count: number }[] }[];
  }

  const SVG = 'http://www.w3.org/2000/svg';
  const json = <T>(id: string): T => JSON.parse(document.getElementById(id)!.textContent!) as T;
  const meta = json<Meta>('report-meta');
  const aggregates = json<Aggregates>('report-aggregates');
  const count = (n: number) => n.toLocaleString('en-US');

  const svgElement = (name: string, attributes: Record<string, string | number>, text?: string): SVGElement => {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  };
  const htmlElement = <K extends keyof HTMLElementTagNameMap>(name: K, text?: string): HTMLElementTagNameMap[K] => {
    const element = document.createElement(name);
    if (text !== undefined) element.textContent = text;
    return element;
  };
  const figure = (id: string, title: string, svg: SVGElement, caption?: string): HTMLElement => {
    const box = htmlElement('figure');
    box.id = id;
    box.append(htmlElement('h2', title), svg);
    if (caption) box.append(htmlElement('figcaption', caption));
    return box;
  };

  function timelineChart(timeline: NonNullable<Aggregates['timeline']>): HTMLElement {
    const width = 640;
    const height = 220;
    const left = 40;
    const bottom = 30;
    const plotHeight = height - bottom - 10;
    const totals = timeline.weeks.map((week) => timeline.severities.reduce((sum, s) => sum + week.bySeverity[s], 0));
    const max = Math.max(1, ...totals);
    const slot = (width - left) / timeline.weeks.length;
    const svg = svgElement('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img' });
    svg.append(svgElement('title', {}, timeline.title));
    svg.append(svgElement('line', { class: 'axis', x1: left, y1: height - bottom, x2: width, y2: height - bottom }));
    svg.append(svgElement('text', { x: left - 4, y: 14, 'text-anchor': 'end' }, count(max)));
    svg.append(svgElement('text', { x: left - 4, y: height - bottom, 'text-anchor': 'end' }, '0'));
    timeline.weeks.forEach((week, index) => {
      const x = left + index * slot + 1;
      let y = height - bottom;
      for (const severity of timeline.severities) {
        const n = week.bySeverity[severity];
        if (!n) continue;
        const h = (n / max) * plotHeight;
        y -= h;
        const rect = svgElement('rect', {
          class: `segment sev-${severity}`,
          x,
          y,
          width: Math.max(1, slot - 2),
          height: h,
          'data-week': index,
          'data-severity': severity,
          'data-count': n,
        });
        rect.append(svgElement('title', {}, `week of ${week.start.slice(0, 10)}: ${count(n)} ${severity}`));
        svg.append(rect);
      }
      if (index % 4 === 0)
        svg.append(
          svgElement(
            'text',
            { x: x + slot / 2, y: height - bottom + 14, 'text-anchor': 'middle' },
            week.start.slice(5, 10),
          ),
        );
    });
    const legend = htmlElement('ul');
    legend.className = 'legend';
    for (const severity of timeline.severities) {
      const item = htmlElement('li');
      const swatch = htmlElement('span');
      swatch.className = `swatch sev-${severity}`;
      item.append(swatch, severity);
      legend.append(item);
    }
    const box = figure(
      'chart-expiry',
      timeline.title,
      svg,
      `${count(timeline.expired)} already expired, ${count(timeline.later)} later, ${count(timeline.undated)} without an expiry date`,
    );
    box.insertBefore(legend, svg.nextSibling);
    return box;
  }

  function breakdownChart(breakdown: Aggregates['breakdowns'][number]): HTMLElement {
    const labelWidth = 170;
    const width = 480;
    const barHeight = 18;
    const height = Math.max(1, breakdown.bars.length) * (barHeight + 4) + 4;
    const max = Math.max(1, ...breakdown.bars.map((bar) => bar.count));
    const svg = svgElement('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img' });
    svg.append(svgElement('title', {}, breakdown.title));
    breakdown.bars.forEach((bar, index) => {
      const y = 4 + index * (barHeight + 4);
      const label = bar.value.length > 28 ? `${bar.value.slice(0, 27)}…` : bar.value;
      svg.append(svgElement('text', { x: labelWidth - 6, y: y + 13, 'text-anchor': 'end' }, label));
      const w = (bar.count / max) * (width - labelWidth - 60);
      const rect = svgElement('rect', {
        class: 'bar',
        x: labelWidth,
        y,
        width: Math.max(1, w),
        height: barHeight,
        'data-value': bar.value,
        'data-count': bar.count,
      });
      rect.append(svgElement('title', {}, `${bar.value}: ${count(bar.count)}`));
      svg.append(rect, svgElement('text', { x: labelWidth + w + 4, y: y + 13 }, count(bar.count)));
    });
    return figure(`chart-${breakdown.column}`, breakdown.title, svg);
  }

  const charts = document.getElementById('charts')!;
  if (aggregates.timeline) charts.append(timelineChart(aggregates.timeline));
  for (const breakdown of aggregates.breakdowns) charts.append(breakdownChart(breakdown));

  /** The rows, a batch per piece inflated: one JSON array per line (see writeHtmlReport). */
  async function* readRows(): AsyncGenerator<Cell[][]> {
    const binary = atob(document.getElementById('report-rows')!.textContent!.trim());
    const bytes = new Uint8Array(binary.length);
    for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
    const reader = new Blob([bytes])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'))
      .pipeThrough(new TextDecoderStream())
      .getReader();
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      const lines = (rest + (value ?? '')).split('\n');
      rest = done ? '' : lines.pop()!;
      yield lines.filter((line) => line).map((line) => JSON.parse(line) as Cell[]);
      if (done) return;
    }
  }

  // The table: a view (indices into rows) filtered and sorted, of which one page is in the DOM at a time.
  const columns = meta.columns;
  const tbody = document.querySelector('#rows tbody')!;
  const headers = Array.from(document.querySelectorAll<HTMLTableCellElement>('#rows thead th'));
  const filterInput = document.getElementById('filter') as HTMLInputElement;
  const rowCount = document.getElementById('row-count')!;
  const pageInfo = document.getElementById('page-info')!;
  const buttons = {
    first: document.getElementById('page-first') as HTMLButtonElement,
    prev: document.getElementById('page-prev') as HTMLButtonElement,
    next: document.getElementById('page-next') as HTMLButtonElement,
    last: document.getElementById('page-last') as HTMLButtonElement,
  };
  const rows: Cell[][] = [];
  let loaded = false;
  let view: number[] = [];
  let page = 0;
  let sort: { column: number; descending: boolean } | null = null;
  let haystacks: string[] | null = null;

  const cellText = (cell: Cell) => (cell === null ? '' : String(cell));
  const pages = () => Math.max(1, Math.ceil(view.length / meta.pageSize));

  function renderPage(): void {
    page = Math.min(Math.max(0, page), pages() - 1);
    const start = page * meta.pageSize;
    const fragment = document.createDocumentFragment();
    for (const index of view.slice(start, start + meta.pageSize)) {
      const tr = htmlElement('tr');
      rows[index].forEach((cell, column) => {
        const td = htmlElement('td', cellText(cell));
        if (columns[column].type === 'number') td.className = 'number';
        tr.append(td);
      });
      fragment.append(tr);
    }
    tbody.replaceChildren(fragment);
    renderStatus();
  }

  function renderStatus(): void {
    const start = page * meta.pageSize;
    const filtered = view.length !== rows.length;
    rowCount.dataset.count = String(view.length);
    rowCount.textContent = !loaded
      ? `reading rows… ${count(rows.length)}`
      : filtered
        ? `${count(view.length)} of ${count(rows.length)} rows`
        : `${count(rows.length)} rows`;
    pageInfo.dataset.page = String(page + 1);
    pageInfo.textContent = view.length
      ? `rows ${count(start + 1)}–${count(Math.min(start + meta.pageSize, view.length))}, page ${count(page + 1)} of ${count(pages())}`
      : 'no rows';
    buttons.first.disabled = buttons.prev.disabled = page === 0;
    buttons.next.disabled = buttons.last.disabled = page >= pages() - 1;
  }

  const compareCells = (a: Cell, b: Cell): number => {
    // Empty cells sort last whichever the direction, so the values a reviewer sorted for come first.
    if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    const x = String(a);
    const y = String(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };

  function applySort(): void {
    if (!sort) return;
    const { column, descending } = sort;
    view.sort((i, j) => {
      const a = rows[i][column];
      const b = rows[j][column];
      if (a === null || b === null) return compareCells(a, b);
      return (descending ? -1 : 1) * compareCells(a, b) || i - j;
    });
  }

  function applyFilter(): void {
    const needle = filterInput.value.trim().toLowerCase();
    // What the shown rows were filtered by, for whoever waits on the filter (it runs once typing pauses).
    rowCount.dataset.filter = needle;
    if (!needle) view = rows.map((_, index) => index);
    else {
      haystacks ??= rows.map((row) => row.map(cellText).join('\u0000').toLowerCase());
      const found = haystacks;
      view = [];
      for (let index = 0; index < found.length; index++) if (found[index].includes(needle)) view.push(index);
    }
    applySort();
    page = 0;
    renderPage();
  }

  headers.forEach((th, column) => {
    th.querySelector('button')!.addEventListener('click', () => {
      sort = { column, descending: sort?.column === column ? !sort.descending : false };
      for (const other of headers) other.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', sort.descending ? 'descending' : 'ascending');
      applySort();
      page = 0;
      renderPage();
    });
  });
  let filterTimer: number | undefined;
  filterInput.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = window.setTimeout(applyFilter, 150);
  });
  buttons.first.addEventListener('click', () => ((page = 0), renderPage()));
  buttons.prev.addEventListener('click', () => (page--, renderPage()));
  buttons.next.addEventListener('click', () => (page++, renderPage()));
  buttons.last.addEventListener('click', () => ((page = pages() - 1), renderPage()));

  // The first page is drawn as soon as its rows are read; sorting and filtering wait for all of them.
  const controls = [filterInput, ...headers.map((th) => th.querySelector('button')!)];
  for (const control of controls) control.disabled = true;
  // Inflating resolves promise after promise, which alone would hold the page until the last row: a task break
  // every 50 ms lets the browser paint (the first page, the count) and answer input meanwhile.
  const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
  let lastPause = performance.now();
  try {
    for await (const batch of readRows()) {
      for (const row of batch) view.push(rows.push(row) - 1);
      const firstPage = !document.documentElement.dataset.renderedMs;
      if (firstPage && rows.length >= meta.pageSize) {
        renderPage();
        document.documentElement.dataset.renderedMs = performance.now().toFixed(0);
        await pause();
      } else if (!firstPage) renderStatus();
      if (performance.now() - lastPause > 50) {
        await pause();
        lastPause = performance.now();
      }
    }
  } catch (error) {
    rowCount.textContent = `This browser could not read the rows (${(error as Error).message}): open the report in a current browser.`;
    return;
  }
  loaded = true;
  for (const control of controls) control.disabled = false;
  renderPage();
  document.documentElement.dataset.renderedMs ??= performance.now().toFixed(0);
  document.documentElement.dataset.loadedMs = performance.now().toFixed(0);
}
