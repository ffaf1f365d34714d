import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { ensureInventoryTable } from '../../lib/adapters/embedded-dynamodb';
import { SourceConfig } from '../../lib/domain/config';
import { CertificateMill, FakeAcm } from '../support/fakes/acm-server';
import { startFakeAws } from '../support/fakes/aws-json-server';
import { lambdaContext, startFakeEventBridge } from './local-aws';
import { moveProcessClock } from './moved-clock';

/**
 * The ACM sync worker's memory, in a process of its own (`node lib/cli/bin/run-ts.js test/bench/worker-memory.ts
 * <dynamodb endpoint> <certificates>`): the real handler syncs one scope of that many certificates (ACM's default
 * quota per account and region is 2,500) from the ACM wire fake, first whole, then unchanged an hour later, and
 * prints the process's peak RSS after each, and the first sync's CPU time, as JSON. The fakes share the process: an upper bound of the worker's.
 * The rates are raised so that memory, not ACM's pace, is what takes the time.
 */
void (async () => {
  const [endpoint, size] = process.argv.slice(2);
  const count = Number(size);
  const account = '111111111111';
  const region = 'us-east-1';
  const acm = new FakeAcm(await CertificateMill.create(new Date()));
  for (let index = 0; index < count; index++) {
    acm.add({
      accountId: account,
      region,
      domainName: `host-${index}.example.com`,
      keyAlgorithm: index % 4 === 3 ? 'EC_secp384r1' : 'EC_prime256v1',
      inUseBy:
        index % 3 === 0 ? [`arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/lb-${index}/1`] : [],
      tags: { owner: `team-${index % 20}` },
      daysLeft: 60 + (index % 128),
      ownKey: true,
    });
  }
  const aws = await startFakeAws({ services: [acm.service] });
  const eventBridge = await startFakeEventBridge();
  const table = 'certwarden-worker-memory';
  const documents = createDocumentClient({ endpoint });
  await ensureInventoryTable(documents, table);
  documents.destroy();
  const work = mkdtempSync(join(tmpdir(), 'certwarden-worker-memory-'));
  const fast = { ListCertificates: 100, DescribeCertificate: 1000, GetCertificate: 1000, ListTagsForCertificate: 1000 };
  const source = SourceConfig.parse({
    kind: 'aws-acm',
    name: 'acm',
    accounts: [{ accountId: account }],
    regions: [region],
    requestsPerSecond: fast,
  });
  writeFileSync(join(work, 'deployment.json'), JSON.stringify({ sources: [source] }));
  const caller = aws.callerCredentials(account);
  Object.assign(process.env, {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: caller.accessKeyId,
    AWS_SECRET_ACCESS_KEY: caller.secretAccessKey,
    AWS_ENDPOINT_URL_ACM: aws.endpoint,
    AWS_ENDPOINT_URL_STS: aws.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
    CERTWARDEN_TABLE: table,
    CERTWARDEN_EVENT_BUS: 'certwarden',
    CERTWARDEN_SOURCE_KIND: 'aws-acm',
    CERTWARDEN_DEPLOYMENT: join(work, 'deployment.json'),
    POWERTOOLS_SERVICE_NAME: 'certwarden-sync-worker',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
  });
  // The handler reads its environment as it loads: after the fakes are up.
  const { handler } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../functions/sync-worker/handler') as typeof import('../../functions/sync-worker/handler');
  const scope = `${account}/${region}`;
  const event = {
    Records: [{ messageId: 'm', body: JSON.stringify({ source, scope }), attributes: {}, eventSource: 'aws:sqs' }],
  } as unknown as SQSEvent;
  const context = lambdaContext(`arn:aws:lambda:${region}:${account}:function:sync`, 'memory');
  const peakMb = () => process.resourceUsage().maxRSS / 1024;
  const cpu = process.cpuUsage();
  const first = await handler(event, context);
  const used = process.cpuUsage(cpu);
  const firstSyncMb = peakMb();
  const restore = moveProcessClock(3_600_000);
  const resync = await handler(event, context);
  restore();
  process.stdout.write(
    `${JSON.stringify({
      firstSyncMb,
      firstSyncCpuSeconds: (used.user + used.system) / 1e6,
      resyncMb: peakMb(),
      failures: [first, resync].flatMap((response) => response.batchItemFailures),
    })}\n`,
  );
  await aws.close();
  await eventBridge.close();
  rmSync(work, { recursive: true, force: true });
  process.exit(0);
})();
