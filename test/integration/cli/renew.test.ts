import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../../lib/adapters/dynamodb-client';
import { DynamoRenewalLedger } from '../../../lib/adapters/dynamodb-renewal-ledger';
import { AzureKeyVaultSource, createKeyVaultClient } from '../../../lib/connectors/azure-key-vault';
import { AzureKeyVaultRenewer } from '../../../lib/connectors/azure-key-vault-renewer';
import { locationIdOf } from '../../../lib/ports/certificate-source';
import { systemClock } from '../../../lib/ports/clock';
import { renew } from '../../../lib/use-cases/renew';
import { syncSource } from '../../../lib/use-cases/sync';
import { certwarden } from '../../support/cli';
import { FakeAcm, type FakeAcmCertificate } from '../../support/fakes/acm-server';
import { startFakeAws, type FakeAwsServer } from '../../support/fakes/aws-json-server';
import { startConfiguredKeyVault } from '../../support/fakes/configured-key-vault';
import { LeafFactory, StubTokenCredential } from '../../support/fakes/key-vault-server';
import { useEmbeddedDynamoDb } from '../../support/inventory';
import { RecordingPublisher } from '../evaluate/estate';

/** `certwarden renew` against the ACM wire fake, with the source's configured endpoints and the caller's keys. */
const dynamo = useEmbeddedDynamoDb();
const ACCOUNT = '111111111111';

let aws: FakeAwsServer;
let acm: FakeAcm;
let env: Record<string, string>;
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'certwarden-renew-'));
  acm = await FakeAcm.create(systemClock.now(), { renewalPolls: 1 });
  aws = await startFakeAws({ services: [acm.service], seed: 3 });
  const { accessKeyId, secretAccessKey } = aws.callerCredentials(ACCOUNT);
  env = { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_REGION: 'eu-west-1' };
});
afterAll(() => aws.close());

/** A config file with these sources and a fresh inventory. */
async function configWith(sources: Array<Record<string, unknown>>) {
  const inventory = await dynamo.inventory();
  const file = join(work, `${Math.random().toString(36).slice(2)}.json`);
  await writeFile(
    file,
    JSON.stringify({ inventory: { store: inventory.endpoint, table: inventory.tableName }, sources }),
  );
  return { file, inventory };
}

/** A config with one ACM source at the fake, and a fresh inventory synced from it. */
async function syncedConfig(): Promise<string> {
  const { file } = await configWith([
    {
      kind: 'aws-acm',
      name: 'acm',
      regions: ['eu-west-1'],
      accounts: [{ accountId: ACCOUNT }],
      endpoints: { acm: aws.endpoint, sts: aws.endpoint },
    },
  ]);
  const sync = await certwarden(['sync', '--config', file], env);
  expect(sync.code).toBe(0);
  return file;
}

const privateCertificate = (): FakeAcmCertificate =>
  acm.add({ accountId: ACCOUNT, region: 'eu-west-1', domainName: 'svc.internal', type: 'PRIVATE', daysLeft: 5 });

describe('certwarden renew', () => {
  it('with --dry-run says how it would renew and does nothing', async () => {
    const certificate = privateCertificate();
    const config = await syncedConfig();

    const run = await certwarden(['renew', certificate.arn, '--dry-run', '--config', config], env);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^method +acm-private-ca \(renewal due\)$/m);
    expect(run.stdout).toMatch(/^outcome +dry run: nothing done$/m);
    expect(acm.renewCalls).not.toContain(certificate.arn);
  });

  it('renews through the provider, prints the outcome and the events, and does not renew the same certificate twice', async () => {
    const certificate = privateCertificate();
    const config = await syncedConfig();

    const run = await certwarden(['renew', `aws-acm:${certificate.arn}`, '--config', config], env);
    const again = await certwarden(['renew', certificate.arn, '--config', config, '--json'], env);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^outcome +succeeded$/m);
    expect(run.stdout).toContain(`new certificate ${acm.get(certificate.arn).issued!.fingerprint}`);
    expect(run.stdout).toMatch(/^events +Renewal Requested, Renewal Succeeded \(not sent: no --event-bus\)$/m);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'duplicate', events: [] });
    expect(acm.renewCalls.filter((arn) => arn === certificate.arn)).toHaveLength(1);
  });

  it("fails, naming the source, when the place's source is not in the configuration given", async () => {
    const certificate = privateCertificate();
    const config = await syncedConfig();
    const elsewhere = JSON.parse(await readFile(config, 'utf8'));
    elsewhere.sources[0].name = 'elsewhere';
    const file = `${config}.elsewhere.json`;
    await writeFile(file, JSON.stringify(elsewhere));

    const run = await certwarden(['renew', certificate.arn, '--config', file], env);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^result +acm-private-ca needs source acm's configuration, which is not here: renew with its config$/m,
    );
    expect(acm.renewCalls).not.toContain(certificate.arn);
  });

  it('refuses a place the inventory does not hold in one line, exit 2', async () => {
    const config = await syncedConfig();

    const run = await certwarden(
      ['renew', 'arn:aws:acm:eu-west-1:111111111111:certificate/nope', '--config', config],
      env,
    );

    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'certwarden: no place arn:aws:acm:eu-west-1:111111111111:certificate/nope in the inventory (see certwarden list)\n',
    );
  });
});

describe('certwarden renew of a Key Vault certificate whose order is still in progress', () => {
  it('looks at that order again, saying it is still in progress, instead of ordering a second time', async () => {
    const kv = await startConfiguredKeyVault(work, ACCOUNT);
    try {
      const leaves = await LeafFactory.create();
      kv.vault.add('shop', { der: await leaves.issue('shop.example.com'), policy: { issuerName: 'DigiCert' } });
      const next = await leaves.issue('shop.example.com', new Date('2027-06-01T00:00:00Z'));
      kv.vault.issuances.set('shop', { polls: 3, der: next });
      const { file: config, inventory } = await configWith([kv.source('kv')]);
      // The deployed workflow synced the vault, ordered, looked once and left the attempt pending.
      const clientFor = (url: string) =>
        createKeyVaultClient(url, new StubTokenCredential('entra-issued-token'), {
          tlsOptions: { ca: kv.tls.caPem },
          disableChallengeResourceVerification: true,
        });
      const source = new AzureKeyVaultSource({
        name: 'kv',
        vaults: [{ url: kv.vault.url }],
        clientFor: (v) => clientFor(v.url),
      });
      await syncSource({ source, store: inventory.store, clock: systemClock });
      const locationId = locationIdOf('azure-key-vault', kv.vault.placeId('shop'));
      const started = await renew({
        locationId,
        store: inventory.store,
        ledger: new DynamoRenewalLedger(inventory.client, inventory.tableName, systemClock),
        renewerFor: () => new AzureKeyVaultRenewer({ clientFor, poll: { timeoutMs: 0 } }),
        events: new RecordingPublisher(),
        clock: systemClock,
        requestedBy: 'expiry-event',
      });

      const first = await certwarden(['renew', locationId, '--config', config], { ...env, ...kv.env });
      const second = await certwarden(['renew', locationId, '--config', config], { ...env, ...kv.env });

      expect(started.outcome).toBe('pending');
      expect(first.stderr).toBe('');
      expect(first.code).toBe(1);
      expect(first.stdout).toMatch(/^outcome +pending$/m);
      expect(first.stdout).toContain(
        `Key Vault's order for ${kv.vault.placeId('shop')} is still in progress at DigiCert (Pending issuance.); run renew again to check`,
      );
      expect(first.stdout).not.toMatch(/^events/m);
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/^outcome +succeeded$/m);
      expect(second.stdout).toContain(`new certificate ${createHash('sha256').update(next).digest('hex')}`);
      expect(second.stdout).toMatch(/^events +Renewal Succeeded /m);
      expect(kv.vault.requestCount('createCertificate')).toBe(1);
    } finally {
      await kv.close();
    }
  });
});

describe('certwarden renew approve|deny', () => {
  const tagged = (): FakeAcmCertificate =>
    acm.add({
      accountId: ACCOUNT,
      region: 'eu-west-1',
      domainName: 'signing.internal',
      type: 'PRIVATE',
      daysLeft: 5,
      tags: { approval: 'required' },
    });
  /** `renew` of a tagged place: the request id it printed. */
  async function requested(certificate: FakeAcmCertificate, config: string): Promise<string> {
    const run = await certwarden(['renew', certificate.arn, '--config', config, '--json'], env);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ outcome: 'awaiting-approval', events: ['Approval Required'] });
    return report.approvalRequest.requestId;
  }

  it('records a pending request for a place tagged approval=required and prints its id; approve renews it', async () => {
    const certificate = tagged();
    const config = await syncedConfig();

    const run = await certwarden(['renew', certificate.arn, '--config', config], env);
    const [, requestId] = /^approval +(\S+) \(tag approval=required; waits until /m.exec(run.stdout) ?? [];
    expect(requestId).toBeDefined();
    expect(acm.renewCalls).not.toContain(certificate.arn);
    const approved = await certwarden(['renew', 'approve', requestId, '--reason', 'CHG-7', '--config', config], env);

    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/^outcome +succeeded$/m);
    expect(approved.stdout).toMatch(new RegExp(`^approval +${requestId} approved by cli:\\S+ at \\S+: CHG-7$`, 'm'));
    expect(acm.renewCalls.filter((arn) => arn === certificate.arn)).toHaveLength(1);
    const again = await certwarden(['renew', 'approve', requestId, '--reason', 'twice', '--config', config], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      new RegExp(`^certwarden: approval request ${requestId} is approved already \\(by cli:`),
    );
  });

  it('deny closes the request without renewing, with Renewal Failed naming who and why', async () => {
    const certificate = tagged();
    const config = await syncedConfig();
    const requestId = await requested(certificate, config);

    const denied = await certwarden(
      ['renew', 'deny', requestId, '--reason', 'freeze', '--config', config, '--json'],
      env,
    );

    expect(denied.stderr).toBe('');
    expect(denied.code).toBe(1);
    const report = JSON.parse(denied.stdout);
    expect(report).toMatchObject({
      outcome: 'failed',
      events: ['Renewal Failed'],
      approvalRequest: { state: 'denied' },
    });
    expect(report.message).toMatch(/^denied by cli:\S+: freeze$/);
    expect(acm.renewCalls).not.toContain(certificate.arn);
  });

  it('refuses an answer after the timeout, recording the request as expired (Approval Escalated, Renewal Failed)', async () => {
    const certificate = tagged();
    const config = await syncedConfig();
    const requestId = await requested(certificate, config);
    const { inventory } = JSON.parse(await readFile(config, 'utf8'));
    const client = createDocumentClient({ endpoint: inventory.store });
    await client.send(
      new UpdateCommand({
        TableName: inventory.table,
        Key: { pk: `APPROVAL#${requestId}`, sk: 'APPROVAL' },
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': new Date(Date.now() - 60_000).toISOString() },
      }),
    );

    const late = await certwarden(
      ['renew', 'approve', requestId, '--reason', 'late', '--config', config, '--json'],
      env,
    );

    expect(late.code).toBe(1);
    const report = JSON.parse(late.stdout);
    expect(report).toMatchObject({
      outcome: 'failed',
      events: ['Approval Escalated', 'Renewal Failed'],
      approvalRequest: { state: 'expired', decidedBy: 'certwarden' },
    });
    expect(report.message).toMatch(new RegExp(`^request ${requestId} expired at .*: approval timed out`));
    expect(acm.renewCalls).not.toContain(certificate.arn);
  });

  it('refuses an unknown request and an answer without a reason in one line, exit 2', async () => {
    const config = await syncedConfig();
    const unknown = await certwarden(['renew', 'deny', 'nope', '--reason', 'x', '--config', config], env);
    const bare = await certwarden(['renew', 'deny', 'nope', '--config', config], env);

    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('certwarden: no approval request nope (see the Approval Required event)\n');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/required option '--reason <why>' not specified/);
  });
});

describe('certwarden list and renewal', () => {
  it("shows each place's renewal method and the end of its last renewal, and lists the places of one method", async () => {
    const renewed = privateCertificate();
    const byHand = acm.add({
      accountId: ACCOUNT,
      region: 'eu-west-1',
      domainName: 'by-hand.example',
      type: 'IMPORTED',
      daysLeft: 40,
    });
    const managed = acm.add({ accountId: ACCOUNT, region: 'eu-west-1', domainName: 'managed.example', daysLeft: 40 });
    const config = await syncedConfig();
    const { inventory } = JSON.parse(await readFile(config, 'utf8'));
    const store = ['--store', inventory.store, '--table', inventory.table];
    expect((await certwarden(['renew', renewed.arn, '--config', config], env)).code).toBe(0);
    expect((await certwarden(['renew', byHand.arn, '--config', config], env)).code).toBe(1);

    const listed = await certwarden(['list', '--json', ...store], env);
    const manual = await certwarden(['list', '--renewal', 'manual', ...store], env);
    const wrong = await certwarden(['list', '--renewal', 'someone', ...store], env);

    expect(listed.code).toBe(0);
    const places = new Map(
      (JSON.parse(listed.stdout) as Array<{ nativeId: string }>).map((place) => [place.nativeId, place]),
    );
    expect(places.get(renewed.arn)).toMatchObject({
      renewalMethod: 'certwarden',
      lastRenewal: {
        outcome: 'succeeded',
        at: expect.any(String),
        error: null,
        newFingerprint: acm.get(renewed.arn).issued!.fingerprint,
      },
    });
    expect(places.get(byHand.arn)).toMatchObject({
      renewalMethod: 'manual',
      lastRenewal: {
        outcome: 'failed',
        error: expect.stringMatching(/^manual renewal required: /),
        newFingerprint: null,
      },
    });
    expect(places.get(managed.arn)).toMatchObject({ renewalMethod: 'provider', lastRenewal: null });
    expect(manual.code).toBe(0);
    expect(manual.stdout).toContain('by-hand.example');
    expect(manual.stdout).not.toContain('managed.example');
    expect(manual.stdout).not.toContain('svc.internal');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(
      /--renewal <method>' argument 'someone' is invalid. Allowed choices are provider, certwarden, manual/,
    );
  });
});

describe('certwarden renew approve|deny of a request the deployed workflow waits on', () => {
  /** Step Functions (awsJson1_0) and STS (awsQuery) as one local server: what the CLI sent them. */
  const received: Array<{ operation: string; body: Record<string, string> }> = [];
  let endpoint: string;
  let server: import('node:http').Server;
  beforeAll(async () => {
    const { createServer } = await import('node:http');
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const target = request.headers['x-amz-target'];
        if (typeof target === 'string' && target.startsWith('AWSStepFunctions.')) {
          received.push({ operation: target.slice('AWSStepFunctions.'.length), body: JSON.parse(body) });
          response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
          return;
        }
        if (new URLSearchParams(body).get('Action') === 'GetCallerIdentity') {
          response
            .writeHead(200, { 'content-type': 'text/xml' })
            .end(
              '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
                '<Arn>arn:aws:sts::111111111111:assumed-role/certwarden-operator/alice</Arn><UserId>AROA:alice</UserId>' +
                '<Account>111111111111</Account></GetCallerIdentityResult></GetCallerIdentityResponse>',
            );
          return;
        }
        response.writeHead(400).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A request as the workflow leaves it: made by the Start step, the task token attached by the await step. */
  async function waitingRequest(config: string, token: string): Promise<string> {
    const certificate = acm.add({
      accountId: ACCOUNT,
      region: 'eu-west-1',
      domainName: `${token}.internal`,
      type: 'PRIVATE',
      daysLeft: 5,
      tags: { approval: 'required' },
    });
    const resync = await certwarden(['sync', '--config', config], env);
    expect(resync.code).toBe(0);
    const run = await certwarden(['renew', certificate.arn, '--config', config, '--json'], env);
    const requestId: string = JSON.parse(run.stdout).approvalRequest.requestId;
    const { inventory } = JSON.parse(await readFile(config, 'utf8'));
    const { DynamoRenewalLedger } = await import('../../../lib/adapters/dynamodb-renewal-ledger');
    const client = createDocumentClient({ endpoint: inventory.store });
    try {
      expect(
        await new DynamoRenewalLedger(client, inventory.table, systemClock).attachTaskToken(requestId, token),
      ).toBe(true);
    } finally {
      client.destroy();
    }
    return requestId;
  }

  it('answers the workflow with SendTaskSuccess / SendTaskFailure, naming the caller as AWS knows them, and renews nothing itself', async () => {
    const config = await syncedConfig();
    const calls = { ...env, AWS_ENDPOINT_URL_SFN: endpoint, AWS_ENDPOINT_URL_STS: endpoint };
    const approveId = await waitingRequest(config, 'token-approve');
    const denyId = await waitingRequest(config, 'token-deny');
    const renewalsBefore = acm.renewCalls.length;

    const approved = await certwarden(['renew', 'approve', approveId, '--reason', 'CHG-9', '--config', config], calls);
    const denied = await certwarden(['renew', 'deny', denyId, '--reason', 'freeze', '--config', config], calls);

    expect(approved).toMatchObject({ code: 0, stderr: '' });
    expect(approved.stdout).toContain(
      `${approveId}: approved by arn:aws:sts::111111111111:assumed-role/certwarden-operator/alice`,
    );
    expect(denied).toMatchObject({ code: 0, stderr: '' });
    const by = 'arn:aws:sts::111111111111:assumed-role/certwarden-operator/alice';
    expect(received).toEqual([
      {
        operation: 'SendTaskSuccess',
        body: { taskToken: 'token-approve', output: JSON.stringify({ by, reason: 'CHG-9' }) },
      },
      {
        operation: 'SendTaskFailure',
        body: expect.objectContaining({ taskToken: 'token-deny', cause: JSON.stringify({ by, reason: 'freeze' }) }),
      },
    ]);
    expect(acm.renewCalls.length).toBe(renewalsBefore);
  });
});
