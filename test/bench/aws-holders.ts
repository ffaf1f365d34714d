import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { DynamoDbMeter } from '../../lib/adapters/dynamodb-meter';
import { ensureInventoryTable, startEmbeddedDynamoDb } from '../../lib/adapters/embedded-dynamodb';
import { AwsClientFactory, type AwsAccount } from '../../lib/connectors/aws-clients';
import { AwsIamSource } from '../../lib/connectors/aws-iam';
import { AwsIotSource } from '../../lib/connectors/aws-iot';
import type { CertificateSource } from '../../lib/ports/certificate-source';
import { syncSource } from '../../lib/use-cases/sync';
import { CertificateMill } from '../support/fakes/acm-server';
import { startFakeAws, type FakeAwsServer } from '../support/fakes/aws-json-server';
import { FakeIam } from '../support/fakes/iam-server';
import { FakeIot } from '../support/fakes/iot-server';
import type { BenchRow } from './aws-acm';
import { movedClock } from './moved-clock';

const HOME = '111111111111';
const MEMBER = '222222222222';
const ROLE = { roleName: 'certwarden-reader', externalId: 'bench' };
const ACCOUNTS: AwsAccount[] = [{ accountId: HOME }, { accountId: MEMBER, ...ROLE }];
const IOT_REGIONS = ['eu-west-1', 'us-east-1'];
/** The connectors' default (and the services' largest) pages: IAM's MaxItems, IoT's pageSize. */
const IAM_PAGE = 1000;
const IOT_PAGE = 250;

/**
 * The two AWS holders of issue #13 at volume, through the real SDK clients in their production configuration
 * (paced at PUBLISHED_RATES: IAM 5 requests/s per account, IoT 10 per account × region and operation) into an
 * in-memory dynalite: `iamCount` IAM server certificates over 2 accounts (one through AssumeRole) and `iotCount`
 * IoT device certificates (a fifth of them revoked or inactive) with a registered CA, over 2 accounts × 2 regions.
 * Each is synced, then resynced unchanged at once and 25 hours later: list pages only and nothing written but the
 * scopes' read notes (IAM re-reads its certificates' tags daily, as ACM does; IoT has nothing to re-read).
 */
export async function benchAwsHolders(iamCount = 200, iotCount = 2_000): Promise<BenchRow[]> {
  const mill = await CertificateMill.create(new Date());
  const iam = new FakeIam(mill);
  for (let index = 0; index < iamCount; index++) {
    iam.add({ accountId: ACCOUNTS[index % 2].accountId, name: `site-${index}`, tags: { owner: `team-${index % 5}` } });
  }
  const iot = new FakeIot(mill);
  for (const accountId of [HOME, MEMBER]) for (const region of IOT_REGIONS) await iot.addCa({ accountId, region });
  for (let index = 0; index < iotCount; index++) {
    iot.addDevice({
      accountId: ACCOUNTS[index % 2].accountId,
      region: IOT_REGIONS[Math.floor(index / 2) % 2],
      thingName: `thing-${index}`,
      status: index % 10 === 0 ? 'REVOKED' : index % 10 === 1 ? 'INACTIVE' : 'ACTIVE',
    });
  }
  const perScope = Math.ceil(iotCount / 4);

  const aws = await startFakeAws({ queryServices: [iam.service], restServices: [iot.service] });
  aws.grantRole({ accountId: MEMBER, ...ROLE });
  const dynamo = await startEmbeddedDynamoDb();
  const documents = createDocumentClient({ endpoint: dynamo.endpoint });
  const meter = new DynamoDbMeter().attach(documents);
  const clients = new AwsClientFactory({ credentials: aws.callerCredentials(HOME), endpoint: aws.endpoint });
  try {
    const iamRows = await measuredSyncs(`IAM ${iamCount} server certificates in 2 accounts`, {
      source: new AwsIamSource({ name: 'bench-iam', clients, accounts: ACCOUNTS }),
      aws,
      documents,
      meter,
      count: iamCount,
      listPages: { ListServerCertificates: 2 * Math.ceil(iamCount / 2 / IAM_PAGE) },
      recheck: 'GetServerCertificate',
    });
    const iotRows = await measuredSyncs(`IoT ${iotCount} device certificates (+ 4 CAs) in 2 accounts × 2 regions`, {
      source: new AwsIotSource({ name: 'bench-iot', clients, accounts: ACCOUNTS, regions: IOT_REGIONS }),
      aws,
      documents,
      meter,
      count: iotCount + 4,
      listPages: { ListCACertificates: 4, ListCertificates: 4 * Math.max(1, Math.ceil(perScope / IOT_PAGE)) },
    });
    return [...iamRows, ...iotRows];
  } finally {
    clients.destroy();
    documents.destroy();
    await dynamo.close();
    await aws.close();
  }
}

/** A first sync and unchanged resyncs (at once, then 25 hours later) of one source: its rows. */
async function measuredSyncs(
  label: string,
  run: {
    source: CertificateSource;
    aws: FakeAwsServer;
    documents: ReturnType<typeof createDocumentClient>;
    meter: DynamoDbMeter;
    count: number;
    /** The list calls an unchanged resync makes, by operation. */
    listPages: Record<string, number>;
    /** The detail call of a source that re-reads every place once a day: the +25 h resync makes it once each. */
    recheck?: string;
  },
): Promise<BenchRow[]> {
  const table = `bench-${run.source.name}`;
  await ensureInventoryTable(run.documents, table);
  const { meter } = run;
  const store = new DynamoInventoryStore(run.documents, table);
  const measure = async (hoursLater: number) => {
    run.aws.resetCalls();
    meter.reset();
    const started = process.hrtime.bigint();
    const report = await syncSource({ source: run.source, store, clock: movedClock(hoursLater) });
    return {
      report,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      calls: run.aws.callCounts(),
      writes: meter.writeRequests,
      itemWrites: meter.itemsWrittenExcept('scope-note'),
    };
  };
  const first = await measure(0);
  const resync = await measure(0);
  const dayLater = await measure(25);

  const callList = (calls: Record<string, number>) =>
    Object.entries(calls)
      .map(([operation, n]) => `${operation} ${n}`)
      .join(', ');
  const listOnly = (calls: Record<string, number>) =>
    Object.entries(run.listPages).every(([operation, n]) => calls[operation] === n) &&
    Object.entries(calls).every(([operation, n]) => n === 0 || operation in run.listPages);
  const pages = callList(run.listPages);
  return [
    { figure: `${label}: first sync API calls`, value: callList(first.calls) },
    {
      figure: `${label}: first sync wall time`,
      value: `${first.seconds.toFixed(1)} s (${first.report.counts.discovered} discovered, ${first.report.counts.errors} errors)`,
    },
    { figure: `${label}: first sync DynamoDB write requests`, value: String(first.writes) },
    {
      figure: `${label}: unchanged resync API calls`,
      value: callList(resync.calls),
      target: `list pages only (${pages})`,
      met: listOnly(resync.calls) && resync.report.counts.unchanged === run.count,
    },
    {
      figure: `${label}: unchanged resync wall time, DynamoDB write requests`,
      value: `${resync.seconds.toFixed(1)} s, ${resync.writes}`,
      target: '0 writes',
      met: resync.writes === 0,
    },
    {
      figure: `${label}: unchanged resync +25 h, API calls`,
      value: callList(dayLater.calls),
      target: run.recheck ? `list pages + ${run.recheck} of every certificate` : `list pages only (${pages})`,
      met: run.recheck
        ? listOnly({ ...dayLater.calls, [run.recheck]: 0 }) && dayLater.calls[run.recheck] === run.count
        : listOnly(dayLater.calls),
    },
    {
      figure: `${label}: unchanged resync +25 h, items written (scope notes apart)`,
      value: `${dayLater.itemWrites} (${dayLater.report.counts.unchanged} unchanged, ${dayLater.seconds.toFixed(1)} s)`,
      target: '0',
      met: dayLater.itemWrites === 0 && dayLater.report.counts.unchanged === run.count,
    },
  ];
}

// Run alone: `node lib/cli/bin/run-ts.js test/bench/aws-holders.ts` (run-ts.js is then the main module).
if (require.main === module || module.parent === require.main) {
  void benchAwsHolders(Number(process.env.BENCH_IAM_COUNT ?? 200), Number(process.env.BENCH_IOT_COUNT ?? 2_000)).then(
    (rows) => {
      for (const row of rows) {
        process.stdout.write(
          `${row.figure}: ${row.value}${row.target ? ` (target ${row.target}: ${row.met ? 'met' : 'MISSED'})` : ''}\n`,
        );
      }
    },
  );
}
