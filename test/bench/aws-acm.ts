import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { DynamoDbMeter } from '../../lib/adapters/dynamodb-meter';
import { ensureInventoryTable, startEmbeddedDynamoDb } from '../../lib/adapters/embedded-dynamodb';
import { AwsAcmSource } from '../../lib/connectors/aws-acm';
import { AwsClientFactory, type AwsAccount } from '../../lib/connectors/aws-clients';
import { systemClock } from '../../lib/ports/clock';
import { syncSource } from '../../lib/use-cases/sync';
import { movedClock, RESYNC_HOURS_LATER } from './moved-clock';
import { CertificateMill, FakeAcm, type AcmKeyAlgorithm } from '../support/fakes/acm-server';
import { startFakeAws } from '../support/fakes/aws-json-server';

export interface BenchRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

const HOME = '111111111111';
const MEMBER = '222222222222';
/**
 * Each account × region has ACM's own quotas (10 detail calls a second per operation), so the estate is spread as
 * a real one is: 2 accounts × 8 regions, 16 scopes listed at once, 625 certificates each at 10,000.
 */
const REGIONS = [
  'eu-west-1',
  'us-east-1',
  'eu-central-1',
  'us-west-2',
  'ap-southeast-2',
  'eu-north-1',
  'ca-central-1',
  'sa-east-1',
];
const SCOPE_CONCURRENCY = 16;
const ROLE = { roleName: 'certwarden-reader', externalId: 'bench' };
const KEY_MIX: AcmKeyAlgorithm[] = ['RSA_2048', 'RSA_2048', 'EC_prime256v1', 'EC_secp384r1'];

/** ACM's maximum MaxItems, and the connector's default page size. */
const PAGE_SIZE = 1000;

/**
 * Syncs 10,000 ACM certificates (2 accounts, one through AssumeRole, × 8 regions) from the fake ACM, through
 * the real ACM client in its production retry configuration, into an in-memory dynalite; then resyncs the
 * unchanged estate. Reports API calls by operation, wall time and DynamoDB write requests of each. Then
 * `faultedCount` (2,000) through ACM throttling by rate and 5xx: what the integration test proves on 24
 * certificates in virtual time, at volume and in real time.
 */
export async function benchAwsAcm(count = 10_000, faultedCount = Math.min(count, 2_000)): Promise<BenchRow[]> {
  const at = new Date();
  const acm = new FakeAcm(await CertificateMill.create(at));
  for (let index = 0; index < count; index++) {
    acm.add({
      accountId: index % 2 === 0 ? HOME : MEMBER,
      region: REGIONS[Math.floor(index / 2) % REGIONS.length],
      domainName: `host-${index}.example.com`,
      keyAlgorithm: KEY_MIX[index % KEY_MIX.length],
      inUseBy: index % 3 === 0 ? [`arn:aws:elasticloadbalancing:eu-west-1:${HOME}:loadbalancer/app/lb-${index}/1`] : [],
      tags: { owner: `team-${index % 20}` },
    });
  }
  const perScope = new Map<string, number>();
  for (const certificate of acm.all()) {
    const scope = `${certificate.accountId}/${certificate.region}`;
    perScope.set(scope, (perScope.get(scope) ?? 0) + 1);
  }
  const listPages = [...perScope.values()].reduce((sum, n) => sum + Math.ceil(n / PAGE_SIZE), 0);

  const aws = await startFakeAws({ services: [acm.service] });
  aws.grantRole({ accountId: MEMBER, ...ROLE });
  const dynamo = await startEmbeddedDynamoDb();
  const documents = createDocumentClient({ endpoint: dynamo.endpoint });
  const clients = new AwsClientFactory({ credentials: aws.callerCredentials(HOME), endpoint: aws.endpoint });
  try {
    const table = 'bench-aws-acm';
    await ensureInventoryTable(documents, table);
    const meter = new DynamoDbMeter().attach(documents);
    const store = new DynamoInventoryStore(documents, table);
    const accounts: AwsAccount[] = [{ accountId: HOME }, { accountId: MEMBER, ...ROLE }];
    const source = new AwsAcmSource({
      name: 'bench-acm',
      clients,
      accounts,
      regions: REGIONS,
      scopeConcurrency: SCOPE_CONCURRENCY,
    });

    const measure = async (hoursLater = 0) => {
      aws.resetCalls();
      meter.reset();
      const started = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      const report = await syncSource({ source, store, clock: movedClock(hoursLater) });
      const used = process.cpuUsage(cpu);
      return {
        report,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        // The fake ACM and dynalite run in this process too: CPU seconds tell a busy machine from a slow sync.
        cpuSeconds: (used.user + used.system) / 1e6,
        calls: aws.callCounts(),
        writes: meter.writeRequests,
        // What a change costs (places, history, certificates), without the hourly note of when scopes were read.
        itemWrites: meter.itemsWrittenExcept('scope-note'),
        notes: meter.itemsWritten.get('scope-note') ?? 0,
      };
    };
    const first = await measure();
    const resync = await measure();
    // On a real clock: an hour later the scopes' read notes are due; a day later every certificate's re-check.
    const laterResyncs = [];
    for (const hours of RESYNC_HOURS_LATER) laterResyncs.push({ hours, result: await measure(hours) });

    const callList = (calls: Record<string, number>) =>
      Object.entries(calls)
        .map(([operation, n]) => `${operation} ${n}`)
        .join(', ');
    const listOnly =
      Object.keys(resync.calls).length === 1 &&
      resync.calls.ListCertificates === listPages &&
      resync.report.counts.unchanged === count;
    const faulted = await faultedSync(faultedCount, documents);
    const throttled = await throttledRatio(
      Number(process.env.BENCH_ACM_THROTTLED_COUNT ?? Math.min(count, 200)),
      documents,
    );
    return [
      { figure: `ACM ${count}: first sync API calls`, value: callList(first.calls) },
      {
        figure: `ACM ${count}: first sync wall time`,
        value: `${first.seconds.toFixed(1)} s, ${first.cpuSeconds.toFixed(1)} s CPU (${(count / first.seconds).toFixed(0)} certificates/s, ${first.report.counts.discovered} discovered, ${first.report.counts.errors} errors)`,
      },
      { figure: `ACM ${count}: first sync DynamoDB write requests`, value: String(first.writes) },
      {
        figure: `ACM ${count}: unchanged resync API calls`,
        value: callList(resync.calls),
        target: `ListCertificates pages only (${listPages})`,
        met: listOnly,
      },
      {
        figure: `ACM ${count}: unchanged resync wall time`,
        value: `${resync.seconds.toFixed(1)} s, ${resync.cpuSeconds.toFixed(1)} s CPU`,
      },
      {
        figure: `ACM ${count}: unchanged resync DynamoDB write requests`,
        value: String(resync.writes),
        target: '0',
        met: resync.writes === 0,
      },
      ...laterResyncs.flatMap(({ hours, result }) => [
        {
          figure: `ACM ${count}: unchanged resync +${hours} h, API calls`,
          value: callList(result.calls),
          // Each certificate is re-checked once a day, spread: ~1/24 of them an hour later, all of them a day later.
          target: hours === 25 ? `list pages + a re-check of every certificate` : `list pages + ~1/24 re-checked`,
          met:
            result.calls.ListCertificates === listPages &&
            (hours === 25
              ? result.calls.DescribeCertificate === count
              : (result.calls.DescribeCertificate ?? 0) < (count / 24) * 1.5),
        },
        {
          figure: `ACM ${count}: unchanged resync +${hours} h, items written (scope notes apart)`,
          value: `${result.itemWrites} (+ ${result.notes} scope notes in ${result.writes} requests; ${result.report.counts.unchanged} unchanged, ${result.seconds.toFixed(1)} s)`,
          target: '0',
          met: result.itemWrites === 0 && result.report.counts.unchanged === count,
        },
      ]),
      ...faulted,
      ...throttled,
    ];
  } finally {
    clients.destroy();
    documents.destroy();
    await dynamo.close();
    await aws.close();
  }
}

/** Requests per second each account × region takes before ACM throttles, in the faulted run. */
const FAULTED_RATE = 50;
/** Share of calls answered 500/503 in the faulted run. */
const FAULTED_5XX = 0.03;

/**
 * `count` certificates synced through ACM throttling as AWS does it (a token bucket of FAULTED_RATE requests a
 * second per account × region) and 3 % 5xx, in certwarden's retry configuration (adaptive, AWS_MAX_ATTEMPTS):
 * the inventory must end equal to ACM, with no error.
 */
async function faultedSync(count: number, documents: DynamoDBDocumentClient): Promise<BenchRow[]> {
  const at = new Date();
  const acm = new FakeAcm(await CertificateMill.create(at));
  for (let index = 0; index < count; index++) {
    acm.add({
      accountId: index % 2 === 0 ? HOME : MEMBER,
      region: REGIONS[Math.floor(index / 2) % REGIONS.length],
      domainName: `faulted-${index}.example.com`,
      keyAlgorithm: KEY_MIX[index % KEY_MIX.length],
    });
  }
  const aws = await startFakeAws({ services: [acm.service], seed: 3 });
  aws.grantRole({ accountId: MEMBER, ...ROLE });
  aws.faults.ratePerScope = FAULTED_RATE;
  aws.faults.serverErrorRate = FAULTED_5XX;
  const clients = new AwsClientFactory({ credentials: aws.callerCredentials(HOME), endpoint: aws.endpoint });
  try {
    const table = 'bench-aws-acm-faulted';
    await ensureInventoryTable(documents, table);
    const store = new DynamoInventoryStore(documents, table);
    const accounts: AwsAccount[] = [{ accountId: HOME }, { accountId: MEMBER, ...ROLE }];
    const source = new AwsAcmSource({
      name: 'bench-acm-faulted',
      clients,
      accounts,
      regions: REGIONS,
      scopeConcurrency: SCOPE_CONCURRENCY,
    });
    const started = process.hrtime.bigint();
    const report = await syncSource({ source, store, clock: systemClock });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;

    const live = new Set<string>();
    for await (const place of store.bySource('bench-acm-faulted', 'live'))
      live.add(`${place.nativeId} ${place.fingerprint ?? 'none'}`);
    const expected = acm.all().map((certificate) => `${certificate.arn} ${certificate.issued?.fingerprint ?? 'none'}`);
    const exact = live.size === expected.length && expected.every((entry) => live.has(entry));
    const label = `ACM ${count} through throttling at ${FAULTED_RATE} requests/s per account × region and ${FAULTED_5XX * 100} % 5xx`;
    return [
      {
        figure: `${label}: inventory after the first sync`,
        value:
          `${exact ? 'equal to ACM' : 'DIFFERENT from ACM'} (${report.counts.discovered} discovered, ${report.counts.errors} errors, ${report.failedScopes.length} failed scopes)` +
          (report.errors.length > 0 ? `; first error: ${JSON.stringify(report.errors[0])}` : ''),
        target: 'equal, 0 errors',
        met: exact && report.counts.errors === 0 && report.failedScopes.length === 0,
      },
      {
        figure: `${label}: faults answered, wall time`,
        value: `${aws.injected.throttled} throttled, ${aws.injected.serverErrors} × 5xx; ${seconds.toFixed(1)} s`,
      },
    ];
  } finally {
    clients.destroy();
    await aws.close();
  }
}

/** ACM's published requests-per-second quotas per account × region, as the fake enforces them here. */
const ACM_QUOTAS = { ListCertificates: 1, DescribeCertificate: 10, GetCertificate: 10, ListTagsForCertificate: 10 };
/** Share of calls throttled at random (not for our rate) in the throttled run. */
const RANDOM_THROTTLING = 0.3;

/**
 * `count` certificates of one account × region synced twice in real time at ACM's quotas, in the production
 * client configuration: calm, then with 30 % of calls throttled at random. What throttling costs: the issue
 * measured 486 certificates at 1,062 s against 26.6 s when the SDK's adaptive mode cut its rate to ~1.5/s.
 */
async function throttledRatio(count: number, documents: DynamoDBDocumentClient): Promise<BenchRow[]> {
  const run = async (region: string, throttleRate: number) => {
    const acm = new FakeAcm(await CertificateMill.create(new Date()));
    for (let index = 0; index < count; index++) {
      acm.add({ accountId: HOME, region, domainName: `throttled-${index}.example.com`, keyAlgorithm: 'EC_prime256v1' });
    }
    const aws = await startFakeAws({ services: [acm.service], seed: 5 });
    aws.faults.ratePerOperation = ACM_QUOTAS;
    aws.faults.throttleRate = throttleRate;
    const clients = new AwsClientFactory({ credentials: aws.callerCredentials(HOME), endpoint: aws.endpoint });
    try {
      const table = `bench-aws-acm-throttled-${throttleRate * 100}`;
      await ensureInventoryTable(documents, table);
      const store = new DynamoInventoryStore(documents, table);
      const source = new AwsAcmSource({
        name: 'bench-acm',
        clients,
        accounts: [{ accountId: HOME }],
        regions: [region],
      });
      const started = process.hrtime.bigint();
      const report = await syncSource({ source, store, clock: systemClock });
      return {
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        complete: report.counts.discovered === count && report.counts.errors === 0,
        throttled: aws.injected.throttled,
        calls: aws.log.length,
      };
    } finally {
      clients.destroy();
      await aws.close();
    }
  };
  const calm = await run('eu-west-1', 0);
  const throttled = await run('eu-west-2', RANDOM_THROTTLING);
  const ratio = throttled.seconds / calm.seconds;
  const label = `ACM ${count} in one account × region at ACM's quotas, production client`;
  return [
    {
      figure: `${label}: unthrottled / ${RANDOM_THROTTLING * 100} % random throttling, wall time`,
      value:
        `${calm.seconds.toFixed(1)} s (${calm.calls} calls, ${calm.throttled} throttled) / ` +
        `${throttled.seconds.toFixed(1)} s (${throttled.calls} calls, ${throttled.throttled} throttled)` +
        (calm.complete && throttled.complete ? '' : ' INCOMPLETE'),
    },
    {
      figure: `${label}: throttled / unthrottled time`,
      value: `${ratio.toFixed(2)}×`,
      target: '≤ 2×',
      met: ratio <= 2 && calm.complete && throttled.complete,
    },
  ];
}

// Run alone: `node lib/cli/bin/run-ts.js test/bench/aws-acm.ts` (run-ts.js is then the main module).
if (require.main === module || module.parent === require.main) {
  void benchAwsAcm(Number(process.env.BENCH_ACM_COUNT ?? 10_000)).then((rows) => {
    for (const row of rows) {
      process.stdout.write(
        `${row.figure}: ${row.value}${row.target ? ` (target ${row.target}: ${row.met ? 'met' : 'MISSED'})` : ''}\n`,
      );
    }
  });
}
