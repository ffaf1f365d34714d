import { OAuth2Client } from 'google-auth-library';
import { DynamoRenewalLedger } from '../../../lib/adapters/dynamodb-renewal-ledger';
import {
  createCertificateManagerClient,
  GoogleCertificateManagerSource,
} from '../../../lib/connectors/google-certificate-manager';
import { GoogleCertificateManagerRenewer } from '../../../lib/connectors/google-certificate-manager-renewer';
import { fixedClock } from '../../../lib/ports/clock';
import { locationIdOf } from '../../../lib/ports/certificate-source';
import { renew } from '../../../lib/use-cases/renew';
import { syncSource } from '../../../lib/use-cases/sync';
import { issueCertificate } from '../../../lib/x509/factory';
import { FakeCertificateManager, type CertificateResource } from '../../support/fakes/certificate-manager-server';
import { useEmbeddedDynamoDb } from '../../support/inventory';
import { RecordingPublisher } from '../evaluate/estate';

/** Certificate Manager places through the real client against its wire fake: watched, never renewed by certwarden. */
const dynamo = useEmbeddedDynamoDb();
const clock = fixedClock('2026-06-01T00:00:00.000Z');
const ACCESS_TOKEN = 'fake-access-token';
const NAME = 'projects/shop-prod/locations/global/certificates/web';

let fake: FakeCertificateManager;
let client: ReturnType<typeof createCertificateManagerClient>;
beforeEach(async () => {
  fake = await FakeCertificateManager.start({ accessToken: ACCESS_TOKEN });
  // Jest's CommonJS runtime cannot run gaxios' `import('node-fetch')`; Node's own fetch does the same job.
  const auth = new OAuth2Client({ transporterOptions: { fetchImplementation: fetch } });
  auth.setCredentials({ access_token: ACCESS_TOKEN, expiry_date: Date.now() + 3_600_000 });
  client = createCertificateManagerClient({ authClient: auth, ...fake.endpoint });
});
afterEach(async () => {
  await client.close();
  await fake.close();
});

const pemFor = async (host: string) =>
  (
    await issueCertificate({
      subject: `CN=${host}`,
      dns: [host],
      notBefore: new Date('2026-03-01T00:00:00Z'),
      notAfter: new Date('2026-06-20T00:00:00Z'),
    })
  ).pem;

async function managed(managedFields: CertificateResource['managed']): Promise<CertificateResource> {
  return {
    name: NAME,
    labels: { owner: 'web' },
    managed: managedFields,
    pemCertificate: await pemFor('web.example.com'),
  };
}

/** Syncs the fake, applies `change` to it, and asks for a renewal of the place. */
async function syncAndRenew(change: () => Promise<void> = async () => {}) {
  const inventory = await dynamo.inventory();
  const source = new GoogleCertificateManagerSource({
    name: 'gcm',
    client,
    projects: ['shop-prod'],
    locations: ['global'],
    usageFromCertificateMaps: false,
  });
  await syncSource({ source, store: inventory.store, clock });
  await change();
  const events = new RecordingPublisher();
  const report = await renew({
    locationId: locationIdOf('google-certificate-manager', NAME),
    store: inventory.store,
    ledger: new DynamoRenewalLedger(inventory.client, inventory.tableName, clock),
    renewerFor: () => new GoogleCertificateManagerRenewer({ client }),
    events,
    clock,
    requestedBy: 'alice',
  });
  return { report, events: events.events.map((event) => event.detailType) };
}

describe('renewing a Certificate Manager certificate', () => {
  it('reports a managed certificate whose domain cannot be authorized as Renewal Failed, with the reason', async () => {
    fake.putCertificate(
      await managed({
        domains: ['web.example.com'],
        state: 'ACTIVE',
        provisioningIssue: { reason: 'AUTHORIZATION_ISSUE', details: 'CAA record forbids pki.goog' },
        authorizationAttemptInfo: [{ domain: 'web.example.com', state: 'FAILED', failureReason: 'CAA' }],
      }),
    );

    const { report, events } = await syncAndRenew();

    expect(report).toMatchObject({ outcome: 'failed', decision: { method: 'google-managed' } });
    expect(report.message).toBe(
      'managed certificate ACTIVE: AUTHORIZATION_ISSUE: CAA record forbids pki.goog; web.example.com: authorization failed (CAA)',
    );
    expect(events).toEqual(['Renewal Requested', 'Renewal Failed']);
  });

  it('reports the certificate Google has put in place as Renewal Succeeded', async () => {
    const fields = { domains: ['web.example.com'], state: 'ACTIVE' as const };
    fake.putCertificate(await managed(fields));
    const renewed = await managed(fields);

    const { report, events } = await syncAndRenew(async () => fake.putCertificate(renewed));

    expect(report.outcome).toBe('succeeded');
    expect(events).toEqual(['Renewal Requested', 'Renewal Succeeded']);
  });

  it('leaves a self-managed certificate to its owner', async () => {
    fake.putCertificate({
      name: NAME,
      labels: { owner: 'web' },
      selfManaged: {},
      pemCertificate: await pemFor('web.example.com'),
    });

    const { report } = await syncAndRenew();

    expect(report).toMatchObject({ outcome: 'failed', decision: { method: 'manual' } });
    expect(report.message).toBe(`manual renewal required: web renews ${NAME} by hand`);
  });
});
