import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { parseCsv } from '../../support/report-output';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { HOSTILE_CN, seedReportEstate } from '../../support/report-estate';
import { PACK_REPORTS } from '../../../lib/use-cases/reports';

/**
 * The report-pack Lambda run in process as Lambda would run it: the inventory on dynalite, S3 and SNS as local
 * servers that speak their wire protocols (S3's REST PUT, SNS's query Publish), reached through the SDK's
 * AWS_ENDPOINT_URL_* variables.
 */
const dynamo = useEmbeddedDynamoDb();
let inventory: TestInventory;
let server: Server;
/** Objects as S3 stored them, by `<bucket>/<key>`, with their content type. */
const objects = new Map<string, { body: Buffer; contentType: string | undefined }>();
const published: URLSearchParams[] = [];
/** S3 refuses every PUT while set (a 500, which the SDK retries, then gives up on). */
let refusePuts = false;
let handler: typeof import('../../../functions/report-pack/handler').handler;

beforeAll(async () => {
  inventory = await dynamo.inventory();
  await seedReportEstate(inventory);
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      if (request.method === 'PUT' && refusePuts) {
        response
          .writeHead(500, { 'content-type': 'application/xml' })
          .end('<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>');
        return;
      }
      if (request.method === 'PUT') {
        const path = decodeURIComponent(new URL(request.url!, 'http://s3').pathname.slice(1));
        objects.set(path, { body, contentType: request.headers['content-type'] });
        response.writeHead(200, { ETag: '"etag"' }).end();
        return;
      }
      const form = new URLSearchParams(body.toString());
      if (form.get('Action') === 'Publish') {
        published.push(form);
        response
          .writeHead(200, { 'content-type': 'text/xml' })
          .end(
            '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>',
          );
        return;
      }
      response.writeHead(400).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_ENDPOINT_URL_DYNAMODB: inventory.endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ENDPOINT_URL_SNS: endpoint,
    CERTWARDEN_TABLE: inventory.tableName,
    CERTWARDEN_REPORT_BUCKET: 'certwarden-reports',
    CERTWARDEN_ALERTS_TOPIC: 'arn:aws:sns:eu-west-1:111111111111:certwarden-alerts',
    POWERTOOLS_SERVICE_NAME: 'certwarden-test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  ({ handler } = await import('../../../functions/report-pack/handler'));
}, 60_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('the report-pack function', () => {
  it('writes every report of the pack as CSV and HTML under packs/<date>/ and tells the reports audience the keys', async () => {
    const result = await handler({}, { getRemainingTimeInMillis: () => 900_000 } as Context);

    const date = new Date().toISOString().slice(0, 10);
    const expected = PACK_REPORTS.flatMap((name) => [`packs/${date}/${name}.csv`, `packs/${date}/${name}.html`]);
    expect(result.keys).toEqual(expected);
    expect([...objects.keys()].sort()).toEqual(expected.map((key) => `certwarden-reports/${key}`).sort());
    const inventoryCsv = objects.get(`certwarden-reports/packs/${date}/inventory.csv`)!;
    expect(inventoryCsv.contentType).toBe('text/csv; charset=utf-8');
    const rows = parseCsv(inventoryCsv.body.toString('utf8'));
    expect(rows[0]).toContain('Renewal method');
    expect(rows.flat()).toContain(`'${HOSTILE_CN}`);
    const html = objects.get(`certwarden-reports/packs/${date}/inventory.html`)!;
    expect(html.contentType).toBe('text/html; charset=utf-8');
    expect(html.body.toString('utf8')).toMatch(/^<!DOCTYPE html>/i);

    expect(published).toHaveLength(1);
    const message = published[0];
    expect(message.get('TopicArn')).toBe('arn:aws:sns:eu-west-1:111111111111:certwarden-alerts');
    expect(message.get('MessageAttributes.entry.1.Name')).toBe('audience');
    expect(message.get('MessageAttributes.entry.1.Value.StringValue')).toBe('reports');
    for (const key of expected) expect(message.get('Message')).toContain(key);
  });

  it('fails the invocation when S3 refuses the pack, and tells nobody of keys that were not written', async () => {
    refusePuts = true;
    published.length = 0;
    try {
      await expect(handler({}, { getRemainingTimeInMillis: () => 900_000 } as Context)).rejects.toThrow();
    } finally {
      refusePuts = false;
    }
    expect(published).toEqual([]);
  }, 60_000);
});
