import {
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  WorkloadIdentityCredential,
} from '@azure/identity';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManagerFetcher } from '../../../lib/adapters/secrets-manager';
import { createAzureCredential } from '../../../lib/connectors/azure-credentials';
import type { SecretFetcher } from '../../../lib/ports/secrets';
import { ConfigError, SourceReadError } from '../../../lib/domain/errors';
import { issueCertificate, privateKeyPem } from '../../../lib/x509/factory';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certwarden/azure-AbCdEf';
const ids = { tenantId: 'tenant-1', clientId: 'client-1', secretArn: ARN };

/** A fetcher that serves one secret and records what it was asked for. */
function secretStore(value: string): SecretFetcher & { asked: string[] } {
  const asked: string[] = [];
  return Object.assign(
    async (arn: string) => {
      asked.push(arn);
      return value;
    },
    { asked },
  );
}

describe('createAzureCredential', () => {
  it('makes a client-secret credential from the secret fetched by ARN', async () => {
    const fetchSecret = secretStore(JSON.stringify({ clientSecret: 's3cr3t-value' }));

    const credential = await createAzureCredential({ type: 'client-secret', ...ids }, { fetchSecret });

    expect(credential).toBeInstanceOf(ClientSecretCredential);
    expect(fetchSecret.asked).toEqual([ARN]);
  });

  it('makes a client-certificate credential from the PEM certificate and key in the secret', async () => {
    const issued = await issueCertificate({
      subject: 'CN=certwarden-app',
      notBefore: new Date('2026-01-01'),
      notAfter: new Date('2027-01-01'),
      extendedKeyUsage: ['clientAuth'],
    });
    const fetchSecret = secretStore(JSON.stringify({ certificate: issued.pem + (await privateKeyPem(issued.keys)) }));

    const credential = await createAzureCredential({ type: 'client-certificate', ...ids }, { fetchSecret });

    expect(credential).toBeInstanceOf(ClientCertificateCredential);
  });

  it('refuses a client certificate without its private key', async () => {
    const fetchSecret = secretStore(
      JSON.stringify({ certificate: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----' }),
    );

    await expect(createAzureCredential({ type: 'client-certificate', ...ids }, { fetchSecret })).rejects.toThrow(
      new ConfigError(`secret ${ARN}: "certificate" must be PEM holding the certificate and its private key`),
    );
  });

  it.each([
    [
      'not JSON',
      '{"clientSecret": "hunter2"',
      `secret ${ARN}: not JSON (expected an object such as {"clientSecret": "…"})`,
    ],
    ['not an object', '["hunter2"]', `secret ${ARN}: expected a JSON object (an object such as {"clientSecret": "…"})`],
    ['without the field', '{"password": "hunter2"}', `secret ${ARN}: "clientSecret" is missing`],
    [
      'with an empty field',
      '{"clientSecret": "", "other": "hunter2"}',
      `secret ${ARN}: "clientSecret" must be a non-empty string`,
    ],
  ])('names the secret and the field, never the value, for a secret %s', async (_case, value, message) => {
    const failure = createAzureCredential({ type: 'client-secret', ...ids }, { fetchSecret: secretStore(value) });

    await expect(failure).rejects.toThrow(new ConfigError(message));
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });

  const certificateHint =
    'an object such as {"certificate": "<PEM: certificate and private key>", "certificatePassword": "…"}';
  it.each([
    ['not JSON', '-----BEGIN CERTIFICATE-----\nhunter2', `secret ${ARN}: not JSON (expected ${certificateHint})`],
    ['not an object', '["hunter2"]', `secret ${ARN}: expected a JSON object (${certificateHint})`],
  ])(
    'asks for a certificate and its key, not a client secret, for a client-certificate secret %s',
    async (_case, value, message) => {
      const failure = createAzureCredential(
        { type: 'client-certificate', ...ids },
        { fetchSecret: secretStore(value) },
      );

      await expect(failure).rejects.toThrow(new ConfigError(message));
      await expect(failure).rejects.not.toThrow(/clientSecret|hunter2/);
    },
  );

  it('never falls back to the environment for secret material', async () => {
    const saved = process.env.AZURE_CLIENT_SECRET;
    process.env.AZURE_CLIENT_SECRET = 'from-the-environment';
    try {
      await expect(
        createAzureCredential({ type: 'client-secret', ...ids }, { fetchSecret: secretStore('{}') }),
      ).rejects.toBeInstanceOf(ConfigError);
    } finally {
      if (saved === undefined) delete process.env.AZURE_CLIENT_SECRET;
      else process.env.AZURE_CLIENT_SECRET = saved;
    }
  });

  it('reports a secret that cannot be fetched as a read error that keeps its cause', async () => {
    const denied = new Error('User is not authorized to perform: secretsmanager:GetSecretValue');
    const fetchSecret: SecretFetcher = async () => {
      throw denied;
    };

    const failure = createAzureCredential({ type: 'client-secret', ...ids }, { fetchSecret });

    await expect(failure).rejects.toBeInstanceOf(SourceReadError);
    await expect(failure).rejects.toMatchObject({
      message: `cannot read secret ${ARN}: ${denied.message}`,
      cause: denied,
    });
  });

  it('makes a workload identity credential from the configured ids and the federated token file', async () => {
    const credential = await createAzureCredential(
      { type: 'workload-identity', tenantId: 'tenant-1', clientId: 'client-1' },
      { fetchSecret: secretStore('unused'), tokenFilePath: '/var/run/secrets/azure/tokens/azure-identity-token' },
    );

    expect(credential).toBeInstanceOf(WorkloadIdentityCredential);
  });

  it('says what workload identity lacks when there is no federated token file', async () => {
    const saved = process.env.AZURE_FEDERATED_TOKEN_FILE;
    delete process.env.AZURE_FEDERATED_TOKEN_FILE;
    try {
      await expect(
        createAzureCredential(
          { type: 'workload-identity', tenantId: 'tenant-1', clientId: 'client-1' },
          { fetchSecret: secretStore('unused') },
        ),
      ).rejects.toThrow(/^workload-identity credentials need a tenant id, a client id and a federated token file/);
    } finally {
      if (saved !== undefined) process.env.AZURE_FEDERATED_TOKEN_FILE = saved;
    }
  });

  it('uses a person’s own sign-in for local use, without fetching any secret', async () => {
    const fetchSecret = secretStore('unused');

    const credential = await createAzureCredential({ type: 'default' }, { fetchSecret });

    expect(credential).toBeInstanceOf(DefaultAzureCredential);
    expect(fetchSecret.asked).toEqual([]);
  });
});

describe('secretsManagerFetcher', () => {
  it('reads the secret string by ARN through GetSecretValue', async () => {
    const sent: unknown[] = [];
    const fetchSecret = secretsManagerFetcher({
      send: async (command) => {
        sent.push(command);
        return { SecretString: '{"clientSecret":"x"}' };
      },
    });

    await expect(fetchSecret(ARN)).resolves.toBe('{"clientSecret":"x"}');
    expect(sent).toEqual([expect.any(GetSecretValueCommand)]);
    expect((sent[0] as GetSecretValueCommand).input).toEqual({ SecretId: ARN });
  });

  it('decodes a binary secret as UTF-8', async () => {
    const fetchSecret = secretsManagerFetcher({
      send: async () => ({ SecretBinary: new TextEncoder().encode('{"clientSecret":"y"}') }),
    });

    await expect(fetchSecret(ARN)).resolves.toBe('{"clientSecret":"y"}');
  });
});
