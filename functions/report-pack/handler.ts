import { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod/mini';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoDeliveryLedger } from '../../lib/adapters/dynamodb-delivery-ledger';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { DynamoRenewalLedger } from '../../lib/adapters/dynamodb-renewal-ledger';
import { writeHtmlReport } from '../../lib/adapters/html-report';
import { writeCsv } from '../../lib/adapters/report-writers/csv';
import { s3PackSaver } from '../../lib/adapters/s3-report-pack';
import { systemClock } from '../../lib/ports/clock';
import { writeReportPack } from '../../lib/use-cases/reports/pack';
import { loadEnv } from '../shared/env';
import { logger, withPowertools } from '../shared/powertools';

/**
 * Scheduler → report pack: every compliance report of the inventory (lib/use-cases/reports, `certwarden report
 * pack`) as CSV and HTML, written to the reports bucket under `packs/<date of the run>/`, then the object keys
 * on the alerts topic to the `reports` audience. A failed run is retried by Lambda and lands in its dead-letter
 * queue; a retry writes the same keys again (the bucket is versioned, nothing is lost).
 */
const env = loadEnv(
  z.object({
    CERTWARDEN_TABLE: z.string().check(z.minLength(3)),
    CERTWARDEN_REPORT_BUCKET: z.string().check(z.minLength(3)),
    CERTWARDEN_ALERTS_TOPIC: z.string().check(z.minLength(20)),
  }),
);

const documents = createDocumentClient();
const store = new DynamoInventoryStore(documents, env.CERTWARDEN_TABLE);
const s3 = new S3Client({});
const sns = new SNSClient({});

/** The monthly evidence is for people: CSV for spreadsheets and tools, HTML to read (JSON is the CLI's). */
const PACK_FORMATS = { csv: writeCsv, html: (report, out) => writeHtmlReport(report, out) } satisfies Parameters<
  typeof writeReportPack
>[1];

export const handler = withPowertools(async () => {
  const readAt = systemClock.now();
  const prefix = `packs/${readAt.toISOString().slice(0, 10)}/`;
  const keys = await writeReportPack(
    {
      store,
      renewals: new DynamoRenewalLedger(documents, env.CERTWARDEN_TABLE, systemClock),
      undelivered: () => new DynamoDeliveryLedger(documents, env.CERTWARDEN_TABLE, systemClock).undelivered(),
      clock: systemClock,
    },
    PACK_FORMATS,
    s3PackSaver(s3, env.CERTWARDEN_REPORT_BUCKET, prefix),
  );
  await sns.send(
    new PublishCommand({
      TopicArn: env.CERTWARDEN_ALERTS_TOPIC,
      Subject: `certwarden: compliance report pack ${prefix.slice(6, -1)}`,
      Message: [
        `The compliance report pack read at ${readAt.toISOString()} is in s3://${env.CERTWARDEN_REPORT_BUCKET}/${prefix}:`,
        ...keys.map((key) => `  ${key}`),
      ].join('\n'),
      MessageAttributes: { audience: { DataType: 'String', StringValue: 'reports' } },
    }),
  );
  logger.info('report pack written', { bucket: env.CERTWARDEN_REPORT_BUCKET, keys });
  return { bucket: env.CERTWARDEN_REPORT_BUCKET, keys };
});
