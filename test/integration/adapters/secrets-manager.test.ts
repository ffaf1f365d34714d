import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lazySecretsManagerFetcher } from '../../../lib/adapters/secrets-manager';

/** A wire-level Secrets Manager (awsJson1_1): GetSecretValue answers with the secret's id, and every request is kept. */
let server: Server;
const requests: Array<{ headers: IncomingHttpHeaders; body: { SecretId: string } }> = [];
const saved = { ...process.env };

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const parsed = JSON.parse(body) as { SecretId: string };
      requests.push({ headers: request.headers, body: parsed });
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ ARN: parsed.SecretId, SecretString: `value of ${parsed.SecretId}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});
afterAll(async () => {
  process.env = saved;
  await new Promise((resolve) => server.close(resolve));
});

/** The region a request was signed for (SigV4's credential scope). */
const signedRegion = (headers: IncomingHttpHeaders) =>
  /Credential=[^/]+\/\d+\/([^/]+)\/secretsmanager\//.exec(String(headers.authorization))?.[1];

describe('lazySecretsManagerFetcher', () => {
  it("reads each secret in its own region, from its ARN, and a bare name in the SDK's default region", async () => {
    const fetchSecret = lazySecretsManagerFetcher({ maxAttempts: 1 });
    const east = 'arn:aws:secretsmanager:us-east-2:111111111111:secret:certwarden/azure-AbCdEf';

    await expect(fetchSecret(east)).resolves.toBe(`value of ${east}`);
    await expect(fetchSecret('certwarden/google')).resolves.toBe('value of certwarden/google');

    expect(requests.map(({ headers, body }) => [body.SecretId, signedRegion(headers)])).toEqual([
      [east, 'us-east-2'],
      ['certwarden/google', 'eu-west-1'],
    ]);
  });
});
