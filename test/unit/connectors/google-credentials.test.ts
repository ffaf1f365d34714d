import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsClient, JWT } from 'google-auth-library';
import { CLOUD_PLATFORM_SCOPE, createGoogleAuthClient } from '../../../lib/connectors/google-credentials';
import type { SecretFetcher } from '../../../lib/ports/secrets';
import { ConfigError, SourceReadError } from '../../../lib/domain/errors';

/** Spelt in parts so that no source file looks like a committed key. */
const KEY_LABEL = ['PRIVATE', 'KEY'].join(' ');

const ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certwarden/google-AbCdEf';
const EMAIL = 'certwarden-reader@inventory-project.iam.gserviceaccount.com';

// Made at test time: no key is ever committed.
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const serviceAccountKey = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'service_account',
    project_id: 'inventory-project',
    private_key_id: 'key-1',
    private_key: privateKeyPem,
    client_email: EMAIL,
    token_uri: 'https://oauth2.googleapis.com/token',
    ...overrides,
  });

/** A fetcher holding one secret, recording what it was asked for. */
function fetcherOf(text: string): SecretFetcher & { asked: string[] } {
  const asked: string[] = [];
  return Object.assign(
    async (arn: string) => {
      asked.push(arn);
      return text;
    },
    { asked },
  );
}

const decodeJwtPart = (part: string) =>
  JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;

describe('Google credentials for a Certificate Manager source', () => {
  describe('service-account', () => {
    it('builds a JWT client from the key file fetched by ARN, signing its own scoped bearer tokens', async () => {
      const fetchSecret = fetcherOf(serviceAccountKey());

      const client = await createGoogleAuthClient({ type: 'service-account', secretArn: ARN }, { fetchSecret });

      expect(fetchSecret.asked).toEqual([ARN]);
      expect(client).toBeInstanceOf(JWT);
      expect((client as JWT).email).toBe(EMAIL);
      // What gax sets on the client it is given: self-signed JWTs, no call to a token endpoint.
      (client as JWT).useJWTAccessWithScope = true;
      const headers = await client.getRequestHeaders('https://certificatemanager.googleapis.com/');
      const [head, payload, signature] = headers
        .get('authorization')!
        .replace(/^Bearer /, '')
        .split('.');
      expect(
        verify('RSA-SHA256', Buffer.from(`${head}.${payload}`), publicKey, Buffer.from(signature, 'base64url')),
      ).toBe(true);
      expect(decodeJwtPart(head)).toMatchObject({ alg: 'RS256', kid: 'key-1' });
      expect(decodeJwtPart(payload)).toMatchObject({ iss: EMAIL, sub: EMAIL, scope: CLOUD_PLATFORM_SCOPE });
    });

    it.each([
      ['not JSON', `private_key=-----BEGIN ${KEY_LABEL}-----`, /not JSON/],
      ['a JSON array', '[]', /expected a JSON object/],
      [
        'another type of credential',
        serviceAccountKey({ type: 'external_account' }),
        /"type" must be "service_account"/,
      ],
      ['no client_email', serviceAccountKey({ client_email: undefined }), /"client_email" is missing/],
      ['no private_key', serviceAccountKey({ private_key: undefined }), /"private_key" is missing/],
      [
        'an unreadable private_key',
        serviceAccountKey({ private_key: `-----BEGIN ${KEY_LABEL}-----\nAAAA\n-----END ${KEY_LABEL}-----\n` }),
        /"private_key" is not a readable PEM private key/,
      ],
    ])('rejects a secret holding %s, naming the secret and never quoting it', async (_case, secret, message) => {
      const attempt = createGoogleAuthClient(
        { type: 'service-account', secretArn: ARN },
        { fetchSecret: fetcherOf(secret) },
      );

      const error = (await attempt.catch((caught: unknown) => caught)) as Error;
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(ARN);
      expect(error.message).not.toContain('PRIVATE KEY');
      expect(error.cause).toBeUndefined();
    });

    it('reports a secret that cannot be fetched as a read error naming it', async () => {
      const fetchSecret: SecretFetcher = async () => {
        throw new Error('AccessDeniedException: not authorized to perform secretsmanager:GetSecretValue');
      };

      const attempt = createGoogleAuthClient({ type: 'service-account', secretArn: ARN }, { fetchSecret });

      await expect(attempt).rejects.toThrow(SourceReadError);
      await expect(attempt).rejects.toThrow(`cannot read secret ${ARN}: AccessDeniedException`);
    });
  });

  describe('workload-identity-federation', () => {
    const federationConfig = () =>
      JSON.stringify({
        type: 'external_account',
        audience:
          '//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/aws-pool/providers/aws',
        subject_token_type: 'urn:ietf:params:aws:token-type:aws4_request',
        token_url: 'https://sts.googleapis.com/v1/token',
        credential_source: {
          environment_id: 'aws1',
          region_url: 'http://169.254.169.254/latest/meta-data/placement/availability-zone',
          url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials',
          regional_cred_verification_url:
            'https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15',
        },
      });

    it('federates the injected AWS identity instead of reading the environment or the metadata endpoint', async () => {
      const fetchSecret = fetcherOf(federationConfig());
      const awsCredentials = {
        region: 'eu-west-1',
        credentials: async () => ({
          accessKeyId: 'AKIDEXAMPLE',
          secretAccessKey: 'aws-secret',
          sessionToken: 'aws-session',
        }),
      };

      const client = await createGoogleAuthClient(
        { type: 'workload-identity-federation', secretArn: ARN },
        { fetchSecret, awsCredentials },
      );
      // The subject token Google's STS exchanges: a GetCallerIdentity request signed with the AWS identity.
      const subjectToken = await (client as AwsClient).retrieveSubjectToken();

      expect(fetchSecret.asked).toEqual([ARN]);
      expect(client).toBeInstanceOf(AwsClient);
      expect((client as AwsClient).getServiceAccountEmail()).toBeNull();
      const subject = JSON.parse(decodeURIComponent(subjectToken)) as {
        url: string;
        headers: Array<{ key: string; value: string }>;
      };
      expect(subject.url).toBe('https://sts.eu-west-1.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15');
      const authorization = subject.headers.find((header) => header.key.toLowerCase() === 'authorization')?.value;
      expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/sts\/aws4_request/);
      expect(subject.headers).toContainEqual({ key: 'x-amz-security-token', value: 'aws-session' });
    });

    it('rejects a secret that is not an external account configuration', async () => {
      const attempt = createGoogleAuthClient(
        { type: 'workload-identity-federation', secretArn: ARN },
        { fetchSecret: fetcherOf(serviceAccountKey()) },
      );

      await expect(attempt).rejects.toThrow(ConfigError);
      await expect(attempt).rejects.toThrow(`secret ${ARN}: "type" must be "external_account"`);
    });

    it('rejects a configuration the library cannot use, naming the secret', async () => {
      const broken = JSON.stringify({ ...JSON.parse(federationConfig()), credential_source: undefined });

      const attempt = createGoogleAuthClient(
        { type: 'workload-identity-federation', secretArn: ARN },
        { fetchSecret: fetcherOf(broken) },
      );

      await expect(attempt).rejects.toThrow(ConfigError);
      await expect(attempt).rejects.toThrow(`secret ${ARN}: `);
    });
  });

  describe('default', () => {
    it('uses Application Default Credentials and never asks for a secret', async () => {
      const directory = await mkdtemp(join(tmpdir(), 'certwarden-adc-'));
      const keyFile = join(directory, 'application_default_credentials.json');
      await writeFile(keyFile, serviceAccountKey());
      const previous = process.env.GOOGLE_APPLICATION_CREDENTIALS;
      process.env.GOOGLE_APPLICATION_CREDENTIALS = keyFile;
      const fetchSecret = fetcherOf('unused');
      try {
        const client = await createGoogleAuthClient({ type: 'default' }, { fetchSecret });

        expect(client).toBeInstanceOf(JWT);
        expect((client as JWT).email).toBe(EMAIL);
        expect(fetchSecret.asked).toEqual([]);
      } finally {
        if (previous === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
        else process.env.GOOGLE_APPLICATION_CREDENTIALS = previous;
        await rm(directory, { recursive: true, force: true });
      }
    });
  });
});
