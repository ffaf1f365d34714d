import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { DynamoRenewalLedger } from '../../../lib/adapters/dynamodb-renewal-ledger';
import { AwsAcmSource } from '../../../lib/connectors/aws-acm';
import { AwsClientFactory } from '../../../lib/connectors/aws-clients';
import { AzureKeyVaultSource, createKeyVaultClient } from '../../../lib/connectors/azure-key-vault';
import { locationIdOf } from '../../../lib/ports/certificate-source';
import { systemClock } from '../../../lib/ports/clock';
import { syncSource } from '../../../lib/use-cases/sync';
import { startFakeEventBridge } from '../../support/fake-eventbridge';
import { FakeAcm, type FakeAcmCertificate } from '../../support/fakes/acm-server';
import { startFakeAws, type FakeAwsServer } from '../../support/fakes/aws-json-server';
import {
  FakeKeyVault,
  LeafFactory,
  makeFakeTls,
  StubTokenCredential,
  type FakeIssuance,
  type FakeTls,
} from '../../support/fakes/key-vault-server';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { inventoryTemplate, payloadOf, renewalDefinition, type AslState } from '../../support/renewal-definition';

/**
 * The renew function (functions/renew/handler.ts) as the renewal workflow calls it, state by state. Step Functions
 * does not run here, so each test plays the state machine: the payload of every state is built from the
 * synthesized definition (test/support/renewal-definition.ts), from the state's input as the definition's
 * ResultPaths make it, so the handler and the definition cannot drift apart. Behind the function: dynalite, the
 * ACM and Key Vault wire fakes with the real SDK clients, a fake EventBridge that records what is published.
 */

/**
 * The Key Vault source's clients as the function builds them (createKeyVaultClient: the production retries and
 * pacing), signed in with the fake vault's token and trusting its test CA: the function's own sign-in (Entra) and
 * the public TLS roots cannot be pointed at a fake from within this process (NODE_EXTRA_CA_CERTS is read at start).
 */
const mockKeyVault: { tls?: FakeTls; credential: StubTokenCredential } = { credential: new StubTokenCredential() };
jest.mock('../../../lib/connectors/from-config', () => ({
  ...jest.requireActual('../../../lib/connectors/from-config'),
  keyVaultClientsOf: async () => (url: string) =>
    createKeyVaultClient(url, mockKeyVault.credential, {
      tlsOptions: { ca: mockKeyVault.tls!.caPem },
      disableChallengeResourceVerification: true,
    }),
}));
// ~Now: the handler runs on the system clock, and the fake's certificates are dated from it.
const NOW = new Date();
const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const dynamo = useEmbeddedDynamoDb();
const { template } = inventoryTemplate({ sources: [{ kind: 'aws-acm', name: 'acm', regions: [REGION] }] });
const states: Record<string, AslState> = renewalDefinition(template).States;
const context = {
  functionName: 'renew',
  awsRequestId: 'req',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

let acm: FakeAcm;
let aws: FakeAwsServer;
let vault: FakeKeyVault;
let leaves: LeafFactory;
let inventory: TestInventory;
let eventBridge: Awaited<ReturnType<typeof startFakeEventBridge>>;
let folder: string;
let handler: (event: unknown, context: Context) => Promise<Record<string, unknown>>;

beforeAll(async () => {
  // ACM's renewal completes after a few looks, so the Start step's one look leaves it pending.
  acm = await FakeAcm.create(NOW, { renewalPolls: 3 });
  aws = await startFakeAws({ services: [acm.service], seed: 7 });
  [mockKeyVault.tls, leaves] = await Promise.all([makeFakeTls(), LeafFactory.create()]);
  vault = await FakeKeyVault.start({ tls: mockKeyVault.tls, token: mockKeyVault.credential.token });
  inventory = await dynamo.inventory();
  eventBridge = await startFakeEventBridge();
  folder = mkdtempSync(join(tmpdir(), 'certwarden-renew-'));
  const deployment = join(folder, 'deployment.json');
  writeFileSync(
    deployment,
    JSON.stringify({
      sources: [
        {
          kind: 'aws-acm',
          name: 'acm',
          regions: [REGION],
          accounts: [{ accountId: ACCOUNT }],
          endpoints: { acm: aws.endpoint },
        },
        { kind: 'azure-key-vault', name: 'kv', vaults: [{ url: vault.url }], credentials: { type: 'default' } },
      ],
      approval: { tags: { approval: 'required' }, kinds: ['code-signing'], caCertificates: true, timeoutMinutes: 60 },
    }),
  );
  const credentials = aws.callerCredentials(ACCOUNT);
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: inventory.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
    CERTWARDEN_TABLE: inventory.tableName,
    CERTWARDEN_EVENT_BUS: 'certwarden',
    CERTWARDEN_DEPLOYMENT: deployment,
    POWERTOOLS_SERVICE_NAME: 'certwarden-renew',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  handler = (await import('../../../functions/renew/handler')).handler as unknown as typeof handler;
});

afterAll(async () => {
  await aws.close();
  await vault.close();
  await eventBridge.close();
  rmSync(folder, { recursive: true, force: true });
});

beforeEach(() => eventBridge.published.splice(0));

/** A private ACM certificate due for renewal (20 of 90 days left), synced into the inventory. */
async function duePrivateCertificate(tags: Record<string, string> = {}): Promise<FakeAcmCertificate> {
  const certificate = acm.add({
    accountId: ACCOUNT,
    region: REGION,
    domainName: 'a.internal',
    type: 'PRIVATE',
    tags,
    daysLeft: 20,
    daysOld: 70,
  });
  const clients = new AwsClientFactory({ credentials: aws.callerCredentials(ACCOUNT), endpoint: aws.endpoint });
  try {
    const source = new AwsAcmSource({ name: 'acm', clients, accounts: [{ accountId: ACCOUNT }], regions: [REGION] });
    await syncSource({ source, store: inventory.store, clock: systemClock });
  } finally {
    clients.destroy();
  }
  return certificate;
}

/** The Certificate Expiring event EventBridge hands the state machine (its `detail`, as evaluate sends it). */
async function expiringEvent(
  certificate: Pick<FakeAcmCertificate, 'arn'>,
  sourceKind: 'aws-acm' | 'azure-key-vault' = 'aws-acm',
) {
  const locationId = locationIdOf(sourceKind, certificate.arn);
  const place = (await inventory.store.getLocation(locationId))!;
  return {
    version: '0',
    id: `event-${certificate.arn}`,
    'detail-type': 'Certificate Expiring',
    source: 'certwarden',
    detail: { locationId, fingerprint: place.fingerprint, sourceKind, thresholdId: '30d' },
  };
}

/** Runs one Task state: the handler with the payload the state sends, its result where the state puts it. */
async function run(name: string, input: Record<string, unknown>, resultPath = states[name].ResultPath) {
  const result = await handler(payloadOf(states[name], input), context);
  return { ...input, [resultPath.replace(/^\$\./, '')]: result } as Record<string, unknown> & {
    result: Record<string, unknown>;
  };
}

/** Plays the Wait → CheckRenewal loop as the state machine does, until the outcome is no longer pending. */
async function untilInPlace(state: Record<string, unknown> & { result: Record<string, unknown> }) {
  let current = state;
  for (let looks = 0; current.result.outcome === 'pending' && looks < 5; looks++)
    current = await run('CheckRenewal', current);
  return current;
}

const types = () => eventBridge.published.map((entry) => entry.DetailType);
const ledger = () => new DynamoRenewalLedger(inventory.client, inventory.tableName, systemClock);

describe('the renew function in the renewal workflow', () => {
  it('renews a due place with no approval needed, polling ACM from the Wait loop, and a redelivered event renews nothing again', async () => {
    const certificate = await duePrivateCertificate();
    const event = await expiringEvent(certificate);

    const started = await run('RenewStart', event);
    const redelivered = await run('RenewStart', event);
    const ended = await untilInPlace(started);

    // The Wait state reads how long to wait from the result (SecondsPath): a minute, so soon after the request.
    expect(started.result).toMatchObject({ outcome: 'pending', replayed: false, waitSeconds: 60 });
    expect(redelivered.result).toMatchObject({ ...started.result, replayed: true });
    expect(ended.result.outcome).toBe('succeeded');
    expect(acm.renewCalls.filter((arn) => arn === certificate.arn)).toHaveLength(1);
    expect(types()).toEqual(['Renewal Requested', 'Renewal Succeeded']);
  });

  it('waits for approval of a place tagged approval=required, keeps the task token, and renews once approved', async () => {
    const certificate = await duePrivateCertificate({ approval: 'required' });
    const started = await run('RenewStart', await expiringEvent(certificate));
    expect(started.result).toMatchObject({ outcome: 'awaiting-approval' });
    const requestId = started.result.requestId as string;

    await run('WaitForApproval', started);
    expect((await ledger().approval(requestId))?.taskToken).toBe('token-1');
    expect(acm.renewCalls).not.toContain(certificate.arn);

    // SendTaskSuccess's output becomes the task's result ($.answer), which the Approved state reads.
    const approved = await run('Approved', {
      ...started,
      answer: { by: 'arn:aws:iam::111111111111:user/alice', reason: 'CHG-42' },
    });
    const ended = await untilInPlace(approved);

    expect(ended.result.outcome).toBe('succeeded');
    expect(acm.renewCalls.filter((arn) => arn === certificate.arn)).toHaveLength(1);
    expect(types()).toEqual(['Approval Required', 'Renewal Requested', 'Renewal Succeeded']);
    const [attempt] = await ledger().attemptsAt(locationIdOf('aws-acm', certificate.arn));
    expect(attempt).toMatchObject({
      state: 'succeeded',
      approval: {
        requestId,
        state: 'approved',
        decidedBy: 'arn:aws:iam::111111111111:user/alice',
        decisionReason: 'CHG-42',
      },
    });
  });

  it('closes a denied request without renewing, naming who denied it and why', async () => {
    const certificate = await duePrivateCertificate({ approval: 'required' });
    const started = await run('RenewStart', await expiringEvent(certificate));
    await run('WaitForApproval', started);

    // SendTaskFailure's error and cause, caught into $.denial.
    const denial = { Error: 'ApprovalDenied', Cause: JSON.stringify({ by: 'bob', reason: 'freeze until Monday' }) };
    const denied = await run('Denied', { ...started, denial });

    expect(denied.result).toMatchObject({ outcome: 'failed', message: 'denied by bob: freeze until Monday' });
    expect(acm.renewCalls).not.toContain(certificate.arn);
    expect(types()).toEqual(['Approval Required', 'Renewal Failed']);
    expect(JSON.parse(eventBridge.published[1].Detail).error).toBe('denied by bob: freeze until Monday');
    const request = await ledger().approval(started.result.requestId as string);
    expect(request).toMatchObject({ state: 'denied', decidedBy: 'bob', decisionReason: 'freeze until Monday' });
  });

  it('escalates and fails closed when the task times out unanswered', async () => {
    const certificate = await duePrivateCertificate({ approval: 'required' });
    const started = await run('RenewStart', await expiringEvent(certificate));
    await run('WaitForApproval', started);

    const expired = await run('ApprovalExpired', { ...started, timeout: { Error: 'States.Timeout' } });

    expect(expired.result.outcome).toBe('failed');
    expect(expired.result.message).toMatch(/^approval timed out: nobody approved or denied request /);
    expect(acm.renewCalls).not.toContain(certificate.arn);
    expect(types()).toEqual(['Approval Required', 'Approval Escalated', 'Renewal Failed']);
    const place = await inventory.store.getLocation(locationIdOf('aws-acm', certificate.arn));
    expect(place?.lastRenewal).toMatchObject({ outcome: 'failed', error: expired.result.message });
  });

  it('skips a place that is not due, and one another request is already waiting on', async () => {
    const fresh = acm.add({
      accountId: ACCOUNT,
      region: REGION,
      domainName: 'b.internal',
      type: 'PRIVATE',
      daysLeft: 80,
    });
    await duePrivateCertificate();
    const skipped = await run('RenewStart', await expiringEvent(fresh));
    expect(skipped.result).toMatchObject({ outcome: 'skipped', message: 'acm-private-ca: not due; nothing done' });
    expect(acm.renewCalls).not.toContain(fresh.arn);
  });
});

describe('a Key Vault place in the renewal workflow', () => {
  const sha256 = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');

  /** A Key Vault certificate 20 days from expiry whose next order is `issuance`, synced; its expiring event. */
  async function dueVaultCertificate(name: string, issuance: FakeIssuance) {
    vault.add(name, {
      der: await leaves.issue(`${name}.example.com`, new Date(NOW.getTime() + 20 * 86_400_000)),
      policy: { issuerName: 'DigiCert' },
    });
    vault.issuances.set(name, issuance);
    const source = new AzureKeyVaultSource({
      name: 'kv',
      vaults: [{ url: vault.url }],
      clientFor: (v) =>
        createKeyVaultClient(v.url, mockKeyVault.credential, {
          tlsOptions: { ca: mockKeyVault.tls!.caPem },
          disableChallengeResourceVerification: true,
        }),
    });
    await syncSource({ source, store: inventory.store, clock: systemClock });
    return expiringEvent({ arn: vault.placeId(name) }, 'azure-key-vault');
  }

  it('orders once at the start, hands the order to the Wait loop at once, and its looks find the new version', async () => {
    const next = await leaves.issue('shop.example.com', new Date(NOW.getTime() + 400 * 86_400_000));
    const event = await dueVaultCertificate('shop', { polls: 4, der: next });

    const started = await run('RenewStart', event);
    const firstLook = await run('CheckRenewal', started);
    const ended = await untilInPlace(firstLook);

    expect(started.result).toMatchObject({ outcome: 'pending', replayed: false });
    expect(firstLook.result).toMatchObject({ outcome: 'pending', renewalId: started.result.renewalId });
    expect(firstLook.result.message).toMatch(/still in progress at DigiCert \(Pending issuance\.\)/);
    expect(ended.result.outcome).toBe('succeeded');
    expect(vault.requestCount('createCertificate')).toBe(1);
    expect(types()).toEqual(['Renewal Requested', 'Renewal Succeeded']);
    const [attempt] = await ledger().attemptsAt(event.detail.locationId);
    expect(attempt).toMatchObject({ state: 'succeeded', newFingerprint: sha256(next) });
  });

  it("fails the execution with the issuer's words when the order is refused after the start", async () => {
    const refusal = 'Order 4712 rejected by DigiCert: domain control validation failed for pay.example.com';
    const event = await dueVaultCertificate('pay', {
      polls: 3,
      error: { code: 'CertificateIssuanceFailed', message: refusal },
    });

    const started = await run('RenewStart', event);
    const ended = await untilInPlace(started);

    expect(started.result.outcome).toBe('pending');
    expect(ended.result).toMatchObject({
      outcome: 'failed',
      message: `the issuer refused (DigiCert): CertificateIssuanceFailed: ${refusal}`,
    });
    expect(types()).toEqual(['Renewal Requested', 'Renewal Failed']);
  });
});
