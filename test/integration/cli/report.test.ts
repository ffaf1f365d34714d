import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPORT_NAMES } from '../../../lib/domain/report';
import { certwarden } from '../../support/cli';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { HOSTILE_CN, seedReportEstate } from '../../support/report-estate';
import { parseCsv } from '../../support/report-output';

const dynamo = useEmbeddedDynamoDb();
let inventory: TestInventory;
let store: string[];

beforeAll(async () => {
  inventory = await dynamo.inventory();
  await seedReportEstate(inventory);
  store = ['--store', inventory.endpoint, '--table', inventory.tableName];
}, 60_000);

describe('certwarden report', () => {
  it('writes a report as CSV to stdout, a formula CN as text', async () => {
    const run = await certwarden(['report', 'inventory', '--format', 'csv', ...store]);

    expect(run).toMatchObject({ code: 0, stderr: '' });
    const cells = parseCsv(run.stdout);
    expect(cells[0]).toContain('Renewal method');
    expect(cells).toHaveLength(10);
    expect(cells.flat()).toContain(`'${HOSTILE_CN}`);
  });

  it('writes a report as JSON to a file, leaving no partial file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'report-'));
    const out = join(dir, 'audit.json');

    const run = await certwarden(['report', 'audit', 'web.pem', '--format', 'json', '--out', out, ...store]);

    expect(run).toMatchObject({ code: 0, stdout: '' });
    const parsed = JSON.parse(await readFile(out, 'utf8')) as { parameters: unknown; rows: Array<{ event: string }> };
    expect(parsed.parameters).toEqual({ location: 'local-files:web.pem' });
    expect(parsed.rows.map((row) => row.event)).toEqual([
      'discovered',
      'renewal requested',
      'renewed',
      'renewal succeeded',
    ]);
    expect(await readdir(dir)).toEqual(['audit.json']);
  });

  it('prints a table with the report header', async () => {
    const run = await certwarden(['report', 'unowned', ...store]);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Unowned certificates\n/);
    expect(run.stdout).toContain('Controls: PCI DSS v4.0 4.2.1.1');
    expect(run.stdout).toContain('\n2 rows\n');
  });

  it('writes a report as one self-contained HTML file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'report-'));
    const out = join(dir, 'inventory.html');

    const run = await certwarden(['report', 'inventory', '--format', 'html', '--out', out, ...store]);

    expect(run).toMatchObject({ code: 0, stdout: '' });
    const html = await readFile(out, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain('Certificate inventory');
    expect(html).toContain('PCI DSS v4.0');
    expect(html).toMatch(/<\/html>\s*$/);
  });

  it('writes the pack: every report but the audit of one place, as CSV, JSON and HTML', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'pack-')), '2026-06');

    const run = await certwarden(['report', 'pack', '--out', dir, ...store]);

    expect(run.code).toBe(0);
    const expected = REPORT_NAMES.filter((name) => name !== 'audit').flatMap((name) => [
      `${name}.csv`,
      `${name}.json`,
      `${name}.html`,
    ]);
    expect((await readdir(dir)).sort()).toEqual(expected.sort());
  });

  it.each([
    [['report', 'certs'], /^certwarden: unknown report "certs": expected one of inventory, .*, pack\n$/],
    [['report', 'unowned', '--days', '10'], /^certwarden: --days does not apply to report unowned\n$/],
    [['report', 'expiring', '--format', 'xml'], /^certwarden: --format xml: expected one of table, csv, json, html\n$/],
    [['report', 'audit'], /^certwarden: report audit needs a location/],
    [['report', 'audit', 'nowhere.pem'], /^certwarden: no place nowhere.pem in the inventory/],
    [['report', 'renewals', '--since', 'last week'], /--since.*expected an ISO 8601 date or time/],
    [['report', 'pack'], /^certwarden: report pack needs --out <directory>\n$/],
  ])('refuses %j in one line, exit 2', async (args, message) => {
    const run = await certwarden([...args, ...store]);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });
});
