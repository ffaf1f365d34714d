import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { writeHtmlReport } from '../../lib/adapters/html-report';
import { DAY_MS } from '../../lib/domain/expiry';
import type { Report, ReportRow } from '../../lib/domain/report';

const READ_AT = '2026-06-01T00:00:00.000Z';
const SOURCES = ['aws-acm', 'azure-key-vault', 'google-certificate-manager', 'aws-iot', 'local-files'];
const KEY_ALGORITHMS = ['RSA 2048', 'RSA 4096', 'EC P-256', 'EC P-384'];

/** An inventory report's rows as the producer streams them: one at a time, never an array. */
async function* inventoryRows(count: number): AsyncGenerator<ReportRow> {
  for (let index = 0; index < count; index++) {
    const daysLeft = ((index * 7919) % 420) - 20;
    yield {
      location: `arn:aws:acm:us-east-1:${String(111111111111 + (index % 40))}:certificate/${index.toString(16).padStart(8, '0')}-4b1e-9d2c-0a7f3e5b${String(index % 10_000).padStart(4, '0')}`,
      commonName: `service-${index}.internal.example.com`,
      issuer: index % 3 === 0 ? 'Amazon RSA 2048 M02' : 'Example Issuing CA G2',
      owner: index % 17 === 0 ? null : `team-${index % 60}`,
      application: `app-${index % 250}`,
      source: SOURCES[index % SOURCES.length],
      keyAlgorithm: KEY_ALGORITHMS[index % KEY_ALGORITHMS.length],
      notAfter: new Date(Date.parse(READ_AT) + daysLeft * DAY_MS).toISOString(),
      daysLeft,
      renewalMethod: index % 2 === 0 ? 'managed' : 'manual',
      isCA: index % 1000 === 0,
    };
  }
}

function benchInventoryReport(count: number): Report {
  return {
    name: 'inventory',
    title: 'Certificate inventory',
    description: 'Every live location with its certificate, key, validity, owner and source.',
    controls: [{ framework: 'PCI DSS v4.0', id: '4.2.1.1', title: 'Inventory of trusted keys and certificates' }],
    readAt: READ_AT,
    parameters: {},
    columns: [
      { key: 'location', title: 'Location', type: 'text' },
      { key: 'commonName', title: 'Common name', type: 'text' },
      { key: 'issuer', title: 'Issuer', type: 'text' },
      { key: 'owner', title: 'Owner', type: 'text' },
      { key: 'application', title: 'Application', type: 'text' },
      { key: 'source', title: 'Source', type: 'text' },
      { key: 'keyAlgorithm', title: 'Key algorithm', type: 'text' },
      { key: 'notAfter', title: 'Not after', type: 'date' },
      { key: 'daysLeft', title: 'Days left', type: 'number' },
      { key: 'renewalMethod', title: 'Renewal', type: 'text' },
      { key: 'isCA', title: 'CA', type: 'boolean' },
    ],
    rows: inventoryRows(count),
  };
}

/**
 * The HTML writer in a process of its own (`run-ts.js test/bench/html-report-writer.ts <file> <rows>`), so its
 * peak RSS is the writer's and not the bench's: writes that many inventory rows to the file and prints the wall
 * time, the file's size and the process's peak RSS as JSON.
 */
void (async () => {
  const [file, size] = process.argv.slice(2);
  const started = process.hrtime.bigint();
  const out = createWriteStream(file);
  await writeHtmlReport(benchInventoryReport(Number(size)), out);
  out.end();
  await once(out, 'finish');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const bytes = (await stat(file)).size;
  process.stdout.write(JSON.stringify({ seconds, bytes, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
})();
