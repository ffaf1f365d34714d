import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { DynamoDbMeter } from '../../lib/adapters/dynamodb-meter';
import { ensureInventoryTable, startEmbeddedDynamoDb } from '../../lib/adapters/embedded-dynamodb';
import type { ParsedCertificate } from '../../lib/domain/certificate';
import { compilePolicy } from '../../lib/domain/policy';
import type { CertificateSource, SourceItem } from '../../lib/ports/certificate-source';
import { systemClock } from '../../lib/ports/clock';
import { syncSource } from '../../lib/use-cases/sync';
import { generateKeys, issueCertificate } from '../../lib/x509/factory';
import { parseCertificates } from '../../lib/x509/parse';
import type { BenchRow } from './policy';

const DAY = 86_400_000;

/** What the issue measured on the quadratic rule it replaced (same shape: N certificates, one key, unrelated names). */
const BEFORE = '200 sharers: 40,400 items read, 20 s; 400: 160,800, 80 s; 1,000: dynalite died';

/**
 * `sharers` certificates for unrelated names sharing one public key, synced with the key-reuse rule on, into
 * dynalite: the first sync (every place judged and flagged), then one certificate renewed among them (what a
 * change costs). Items read, time, and the largest violation record (DynamoDB refuses items over 400 KB).
 */
export async function benchKeyReuse(sharers = 1_000): Promise<BenchRow[]> {
  const keys = await generateKeys();
  const now = Date.now();
  const ca = await issueCertificate({
    subject: 'CN=Bench Key Reuse CA',
    ca: true,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 365 * DAY),
  });
  const certificate = async (index: number, renewal = 0): Promise<ParsedCertificate> => {
    const issued = await issueCertificate({
      subject: `CN=host-${index}.team-${index}.example`,
      dns: [`host-${index}.team-${index}.example`],
      issuer: ca,
      keys,
      notBefore: new Date(now - DAY - renewal),
      notAfter: new Date(now + 90 * DAY + renewal),
    });
    return parseCertificates(issued.pem, `host-${index}`).certificates[0];
  };
  const held = new Map<string, ParsedCertificate>();
  for (let index = 0; index < sharers; index++) held.set(`cert-${index}`, await certificate(index));
  const source: CertificateSource = {
    kind: 'local-files',
    name: 'bench-key-reuse',
    async *list(): AsyncIterable<SourceItem> {
      for (const [nativeId, parsed] of held) {
        yield { nativeId, scope: 'bench', role: 'leaf', certificate: parsed, metadata: { owner: 'bench', tags: {} } };
      }
    },
  };

  const dynamo = await startEmbeddedDynamoDb();
  const documents = createDocumentClient({ endpoint: dynamo.endpoint });
  try {
    await ensureInventoryTable(documents, 'bench-key-reuse');
    const meter = new DynamoDbMeter().attach(documents);
    const store = new DynamoInventoryStore(documents, 'bench-key-reuse');
    const policy = compilePolicy({ rules: { 'key-reuse': { enabled: true } } });
    const measure = async () => {
      meter.reset();
      const started = process.hrtime.bigint();
      const report = await syncSource({ source, store, clock: systemClock, policy });
      return { report, seconds: Number(process.hrtime.bigint() - started) / 1e9, itemsRead: meter.itemsRead };
    };
    const first = await measure();
    held.set('cert-0', await certificate(0, DAY));
    const renewal = await measure();

    let largest = 0;
    let flagged = 0;
    for await (const violation of store.violationsByRule('key-reuse')) {
      flagged++;
      largest = Math.max(largest, Buffer.byteLength(JSON.stringify(violation)));
    }
    return [
      {
        figure: `key reuse, ${sharers} certificates sharing a key: first sync`,
        value: `${first.seconds.toFixed(1)} s, ${first.itemsRead} items read by queries, ${flagged} places flagged (before: ${BEFORE})`,
        target: `seconds, every place flagged`,
        met: first.seconds < 60 && flagged === sharers,
      },
      {
        figure: `key reuse, ${sharers} sharers: one certificate renewed`,
        // The removal pass of a whole-source sync reads the source's places once, whatever the rule does.
        value: `${renewal.seconds.toFixed(1)} s, ${renewal.itemsRead} items read by queries: ${sharers} by the removal pass, ${renewal.itemsRead - sharers} for the change (${renewal.report.counts.renewed} renewed)`,
        target: 'items read for the change independent of the sharers (≤ 100)',
        met: renewal.itemsRead - sharers <= 100 && renewal.report.counts.renewed === 1,
      },
      {
        figure: `key reuse, ${sharers} sharers: largest violation record`,
        value: `${(largest / 1024).toFixed(1)} KB`,
        target: '≤ 8 KB (DynamoDB refuses 400 KB)',
        met: largest <= 8 * 1024,
      },
    ];
  } finally {
    documents.destroy();
    await dynamo.close();
  }
}

// Run directly (`node lib/cli/bin/run-ts.js test/bench/key-reuse.ts [sharers]`).
if (require.main === module || require.main?.children.includes(module)) {
  void benchKeyReuse(Number(process.argv[2] ?? 1000)).then((rows) => {
    for (const row of rows)
      process.stdout.write(`${row.figure}: ${row.value} (target ${row.target}: ${row.met ? 'met' : 'MISSED'})\n`);
  });
}
