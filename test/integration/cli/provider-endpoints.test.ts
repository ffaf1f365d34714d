import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../lib/ports/clock';
import { certwarden } from '../../support/cli';
import { CertificateMill, FakeAcm } from '../../support/fakes/acm-server';
import { startFakeAws, type FakeAwsServer } from '../../support/fakes/aws-json-server';
import { FakeCertificateManager } from '../../support/fakes/certificate-manager-server';
import { startConfiguredKeyVault } from '../../support/fakes/configured-key-vault';
import { LeafFactory } from '../../support/fakes/key-vault-server';
import { issueCertificate } from '../../../lib/x509/factory';
import { useEmbeddedDynamoDb } from '../../support/inventory';

/**
 * The CLI reaching providers at endpoints of the user's choosing (private endpoints, sovereign clouds,
 * emulators): here, local wire fakes named in the config or in the SDK's environment variables, never the
 * public endpoints (the test machine cannot reach them, so a call that went there would fail the sync).
 */
const dynamo = useEmbeddedDynamoDb();
const ACCOUNT = '111111111111';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const DAY = 86_400_000;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'certwarden-endpoints-'));
});

async function configFile(config: Record<string, unknown>): Promise<string> {
  const inventory = await dynamo.inventory();
  const file = join(work, `${Math.random().toString(36).slice(2)}.json`);
  await writeFile(
    file,
    JSON.stringify({ inventory: { store: inventory.endpoint, table: inventory.tableName }, ...config }),
  );
  return file;
}

describe('provider endpoints from the CLI', () => {
  let aws: FakeAwsServer;
  let awsEnv: Record<string, string>;
  beforeAll(async () => {
    const acm = new FakeAcm(await CertificateMill.create(systemClock.now()));
    acm.add({ accountId: ACCOUNT, region: 'eu-west-1', domainName: 'api.example.com' });
    aws = await startFakeAws({ services: [acm.service], seed: 5 });
    const { accessKeyId, secretAccessKey } = aws.callerCredentials(ACCOUNT);
    awsEnv = {
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL: '',
      AWS_ENDPOINT_URL_ACM: '',
      AWS_ENDPOINT_URL_STS: '',
    };
  });
  afterAll(() => aws.close());

  it('asks the configured STS endpoint for the caller account of an ACM source without accounts', async () => {
    const config = await configFile({
      sources: [
        {
          kind: 'aws-acm',
          name: 'acm',
          regions: ['eu-west-1'],
          endpoints: { acm: aws.endpoint, sts: aws.endpoint },
        },
      ],
    });

    const run = await certwarden(['sync', '--config', config], awsEnv);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/discovered\D+1/);
    expect(aws.calls.get('GetCallerIdentity')).toBeGreaterThan(0);
  });

  it('honours AWS_ENDPOINT_URL_ACM and AWS_ENDPOINT_URL_STS when the config names no endpoint', async () => {
    const config = await configFile({ sources: [{ kind: 'aws-acm', name: 'acm', regions: ['eu-west-1'] }] });
    const before = aws.calls.get('GetCallerIdentity') ?? 0;

    const run = await certwarden(['sync', '--config', config], {
      ...awsEnv,
      AWS_ENDPOINT_URL_ACM: aws.endpoint,
      AWS_ENDPOINT_URL_STS: aws.endpoint,
    });

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(aws.calls.get('GetCallerIdentity')).toBe(before + 1);
  });

  it('reaches Certificate Manager at the configured endpoint with Application Default Credentials', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const email = 'certwarden@shop-prod.iam.gserviceaccount.com';
    const fake = await FakeCertificateManager.start({
      serviceAccountEmail: email,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      scope: CLOUD_PLATFORM,
    });
    try {
      const validity = { notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 90 * DAY) };
      const ca = await issueCertificate({ subject: 'CN=Endpoint CA', ca: true, ...validity });
      const leaf = await issueCertificate({
        subject: 'CN=shop.example.com',
        dns: ['shop.example.com'],
        issuer: ca,
        ...validity,
      });
      fake.putCertificate({
        name: 'projects/shop-prod/locations/global/certificates/shop',
        pemCertificate: leaf.pem,
        selfManaged: {},
      } as Parameters<typeof fake.putCertificate>[0]);
      const keyFile = join(work, 'adc.json');
      await writeFile(
        keyFile,
        JSON.stringify({
          type: 'service_account',
          project_id: 'shop-prod',
          client_email: email,
          private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          private_key_id: 'k1',
          token_uri: 'http://127.0.0.1:9/token',
        }),
      );
      const { apiEndpoint, port } = fake.endpoint;
      const config = await configFile({
        sources: [
          {
            kind: 'google-certificate-manager',
            name: 'gcm',
            projects: ['shop-prod'],
            credentials: { type: 'default' },
            endpoint: `http://${apiEndpoint}:${port}`,
            usageFromCertificateMaps: false,
          },
        ],
      });

      const run = await certwarden(['sync', '--config', config], { GOOGLE_APPLICATION_CREDENTIALS: keyFile });

      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/discovered\D+1/);
      expect(fake.calls.map((call) => call.operation)).toEqual(['ListCertificates']);
    } finally {
      await fake.close();
    }
  });

  it('signs in to Key Vault at the configured Entra authority, with the secret from Secrets Manager', async () => {
    const { vault, entra, source, env, close } = await startConfiguredKeyVault(work, ACCOUNT);
    try {
      const leaves = await LeafFactory.create();
      vault.add('shop', { der: await leaves.issue('shop.example.com') });
      const config = await configFile({ sources: [source('vaults')] });

      const run = await certwarden(['sync', '--config', config], { ...awsEnv, ...env });

      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/discovered\D+1/);
      expect(entra.requests.map(({ method, path }) => `${method} ${path}`)).toContain(
        'POST /certwarden-test-tenant/oauth2/v2.0/token',
      );
      expect(vault.requests.get('getCertificate')).toBe(1);
    } finally {
      await close();
    }
  });
});
