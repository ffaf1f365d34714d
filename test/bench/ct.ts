import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoAlertLedger } from '../../lib/adapters/dynamodb-alert-ledger';
import { DynamoCtPositions } from '../../lib/adapters/dynamodb-ct-positions';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { ensureInventoryTable, startEmbeddedDynamoDb } from '../../lib/adapters/embedded-dynamodb';
import { HttpCtLog } from '../../lib/adapters/http-ct-log';
import { systemClock } from '../../lib/ports/clock';
import { monitorCt } from '../../lib/use-cases/monitor-ct';
import { readCtEntry } from '../../lib/x509/ct-entry';
import { generateKeys, issueCertificate } from '../../lib/x509/factory';
import { FakeCtLog, poisonExtension, precertEntry, x509Entry, type FakeCtEntry } from '../support/fakes/ct-log-server';

export interface CtBenchRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

const ENTRIES = Number(process.env.BENCH_CT_ENTRIES ?? 5000);
/** One entry in OURS_EVERY is for a monitored domain (and unknown); the rest are other names, as in a real log. */
const OURS_EVERY = 100;
/** What a real log caps a page at, below the 1,000 the monitor asks for. */
const PAGE_LIMIT = 256;

/**
 * Issue #18's rows: a local RFC 6962 log of ENTRIES real entries (half certificates, half precertificates, one in
 * a hundred for the monitored domain) read by monitorCt into an embedded DynamoDB: the entries parsed per second
 * by the reader alone, and the whole poll's wall time and rate through short pages, with every entry served once.
 */
export async function benchCt(count = ENTRIES): Promise<CtBenchRow[]> {
  const notBefore = new Date(Date.now() - 86_400_000);
  const notAfter = new Date(Date.now() + 90 * 86_400_000);
  const ca = await issueCertificate({ subject: 'CN=Bench CA', ca: true, notBefore, notAfter });
  const keys = await generateKeys();
  const entries: FakeCtEntry[] = [];
  for (let i = 0; i < count; i++) {
    const name = i % OURS_EVERY === 0 ? `host-${i}.example.com` : `host-${i}.other.org`;
    const precert = i % 2 === 1;
    const certificate = await issueCertificate({
      subject: `CN=${name}`,
      dns: [name, `www.${name}`],
      issuer: ca,
      keys,
      notBefore,
      notAfter,
      extensions: precert ? [poisonExtension()] : [],
    });
    entries.push(precert ? precertEntry(certificate, [ca], i) : x509Entry(certificate, [ca], i));
  }

  const parseStarted = process.hrtime.bigint();
  for (const entry of entries) readCtEntry(entry.leafInput, entry.extraData);
  const parseMs = Number(process.hrtime.bigint() - parseStarted) / 1e6;

  const log = new FakeCtLog();
  log.maxPageSize = PAGE_LIMIT;
  log.add(...entries);
  await log.start();
  const dynamo = await startEmbeddedDynamoDb();
  const client = createDocumentClient({ endpoint: dynamo.endpoint });
  try {
    await ensureInventoryTable(client, 'ct-bench');
    const started = process.hrtime.bigint();
    const report = await monitorCt({
      logs: [new HttpCtLog({ name: 'bench', url: log.url, batchSize: 1000 })],
      positions: new DynamoCtPositions(client, 'ct-bench', systemClock),
      ledger: new DynamoAlertLedger(client, 'ct-bench', systemClock),
      store: new DynamoInventoryStore(client, 'ct-bench'),
      clock: systemClock,
      domains: ['example.com'],
      startAt: 'first',
      maxEntriesPerPoll: count,
    });
    const pollMs = Number(process.hrtime.bigint() - started) / 1e6;
    const expected = Math.ceil(count / OURS_EVERY);
    const twice = log.servedTwice().length;
    return [
      {
        figure: `CT entries parsed per second (MerkleTreeLeaf → record, ${count} entries)`,
        value: (count / (parseMs / 1000)).toFixed(0),
      },
      {
        figure: `poll of ${count} entries from a local RFC 6962 log, pages of ${PAGE_LIMIT} (wall time)`,
        value: `${(pollMs / 1000).toFixed(2)} s`,
      },
      {
        figure: 'entries polled per second (fetch, parse, lookups, findings, positions)',
        value: (count / (pollMs / 1000)).toFixed(0),
      },
      {
        figure: 'get-entries requests',
        value: String(log.requests.length),
        target: `${Math.ceil(count / PAGE_LIMIT)}`,
        met: log.requests.length === Math.ceil(count / PAGE_LIMIT),
      },
      { figure: 'entries served twice', value: String(twice), target: '0', met: twice === 0 },
      {
        figure: 'unknown certificates raised',
        value: String(report.findings.length),
        target: String(expected),
        met: report.findings.length === expected,
      },
    ];
  } finally {
    client.destroy();
    await dynamo.close();
    await log.stop();
  }
}
