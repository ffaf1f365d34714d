import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FakeTls } from './key-vault-server';

/**
 * A Microsoft Entra authority on 127.0.0.1 (a sovereign cloud's or a private one's stand-in), enough for MSAL's
 * client-credential flow: the tenant's OpenID configuration and its v2.0 token endpoint, which hands out
 * `token` to the one client whose secret it knows. Every request is kept, so a test can see that the
 * credential asked here and nowhere else.
 */
export class FakeEntra {
  readonly requests: Array<{ method: string; path: string; form: URLSearchParams }> = [];

  private constructor(
    private readonly server: Server,
    readonly authorityHost: string,
  ) {}

  static async start(options: {
    tls: FakeTls;
    clientId: string;
    clientSecret: string;
    token: string;
  }): Promise<FakeEntra> {
    const server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const entra = new FakeEntra(server, `https://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const path = new URL(request.url ?? '/', entra.authorityHost).pathname;
        const form = new URLSearchParams(body);
        entra.requests.push({ method: request.method ?? 'GET', path, form });
        const reply = (status: number, json: unknown) => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(json));
        };
        const configuration = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
        if (configuration) return reply(200, entra.openIdConfiguration(configuration[1]));
        if (/^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path) && request.method === 'POST') {
          if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret)
            return reply(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret.' });
          return reply(200, {
            token_type: 'Bearer',
            expires_in: 3599,
            ext_expires_in: 3599,
            access_token: options.token,
          });
        }
        reply(404, { error: 'not_found', error_description: `no ${path} here` });
      });
    });
    return entra;
  }

  private openIdConfiguration(tenant: string) {
    const base = `${this.authorityHost}/${tenant}`;
    return {
      issuer: `${base}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      jwks_uri: `${this.authorityHost}/${tenant}/discovery/v2.0/keys`,
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      tenant_region_scope: 'WW',
      cloud_instance_name: 'microsoftonline.com',
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
