import { AwsAcmSource } from '../../../lib/connectors/aws-acm';
import { AwsClientFactory } from '../../../lib/connectors/aws-clients';
import { systemClock } from '../../../lib/ports/clock';
import { syncSource } from '../../../lib/use-cases/sync';
import { certwarden } from '../../support/cli';
import { CertificateMill, FakeAcm } from '../../support/fakes/acm-server';
import { startFakeAws, type FakeAwsServer } from '../../support/fakes/aws-json-server';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';

const dynamo = useEmbeddedDynamoDb();
const ACCOUNT = '111111111111';

let aws: FakeAwsServer;
let clients: AwsClientFactory;
let inventory: TestInventory;
let store: string[];
const arns: Record<'issued' | 'pending' | 'failed', string> = { issued: '', pending: '', failed: '' };

beforeAll(async () => {
  const acm = new FakeAcm(await CertificateMill.create(systemClock.now()));
  const place = (domainName: string, status?: 'PENDING_VALIDATION' | 'FAILED') =>
    acm.add({ accountId: ACCOUNT, region: 'eu-west-1', domainName, status, tags: { owner: 'web' } }).arn;
  arns.issued = place('issued.example.com');
  arns.pending = place('pending.example.com', 'PENDING_VALIDATION');
  arns.failed = place('failed.example.com', 'FAILED');
  aws = await startFakeAws({ services: [acm.service], seed: 3 });
  clients = new AwsClientFactory({ credentials: aws.callerCredentials(ACCOUNT), endpoint: aws.endpoint });
  inventory = await dynamo.inventory();
  const source = new AwsAcmSource({ name: 'acm', clients, accounts: [{ accountId: ACCOUNT }], regions: ['eu-west-1'] });
  const report = await syncSource({ source, store: inventory.store, clock: systemClock });
  expect(report).toMatchObject({ complete: true, errors: [] });
  store = ['--store', inventory.endpoint, '--table', inventory.tableName];
});
afterAll(async () => {
  clients.destroy();
  await aws.close();
});

describe('certwarden list, for places that hold no certificate', () => {
  it('shows them under the certificate table with their state, and the problem of a failed one', async () => {
    const run = await certwarden(['list', ...store]);

    expect(run.code).toBe(0);
    const [table, without] = run.stdout.split('Without a certificate (2):');
    expect(table).toContain('issued.example.com');
    expect(without).toMatch(/PENDING_VALIDATION .*web .*acm/);
    expect(without).toMatch(/FAILED .*web .*acm .*issuance FAILED \(CAA_ERROR\)/);
  });

  it('lists them in --json with no expiry, and in a listing by source or owner', async () => {
    const json = await certwarden(['list', '--json', ...store]);
    const rows = JSON.parse(json.stdout) as Array<{ nativeId: string; providerStatus: string; expiry: unknown }>;
    expect(rows.map((row) => [row.nativeId, row.providerStatus, row.expiry === null])).toEqual([
      [arns.issued, 'ISSUED', false],
      [arns.pending, 'PENDING_VALIDATION', true],
      [arns.failed, 'FAILED', true],
    ]);
    for (const narrowed of [
      ['--source', 'acm'],
      ['--owner', 'web'],
    ]) {
      const run = await certwarden(['list', ...narrowed, '--json', ...store]);
      expect((JSON.parse(run.stdout) as Array<{ nativeId: string }>).map((row) => row.nativeId).sort()).toEqual(
        Object.values(arns).sort(),
      );
    }
    const soon = await certwarden(['list', '--expiring', '30', '--json', ...store]);
    expect(JSON.parse(soon.stdout)).toEqual([]);
  });

  it('shows the failed one with its state and problem in --errors', async () => {
    const run = await certwarden(['list', '--errors', ...store]);
    expect(run.stdout).toMatch(/FAILED .*issuance FAILED \(CAA_ERROR\)/);
    expect(run.stdout).not.toContain('PENDING_VALIDATION');
  });
});
