import { createPrivateKey } from 'node:crypto';
import {
  AwsClient,
  ExternalAccountClient,
  GoogleAuth,
  JWT,
  type AuthClient,
  type AwsClientOptions,
  type AwsSecurityCredentialsSupplier,
  type ExternalAccountClientOptions,
} from 'google-auth-library';
import type { z } from 'zod';
import type { GoogleCredentialsConfig } from '../domain/config';
import { ConfigError } from '../domain/errors';
import type { SecretFetcher } from '../ports/secrets';
import { optionalString, readSecretJson, requireString } from './secret-json';

export type GoogleCredentialsSettings = z.infer<typeof GoogleCredentialsConfig>;

/** Certificate Manager knows no narrower OAuth scope; what the identity may do is its IAM role's business. */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export interface AwsFederationCredentials {
  region: string;
  credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
}

export interface GoogleCredentialOptions {
  fetchSecret: SecretFetcher;
  /** @default [CLOUD_PLATFORM_SCOPE] */
  scopes?: string[];
  /**
   * For a workload identity federation configuration whose `credential_source` is AWS: the AWS identity to
   * federate (e.g. the Lambda's role through @aws-sdk/credential-providers), instead of google-auth-library
   * reading AWS_* environment variables or the EC2 metadata endpoint itself.
   * @default the configuration's own `credential_source`
   */
  awsCredentials?: AwsFederationCredentials;
  /**
   * The fetch the client's HTTP transport (gaxios) uses, for token exchanges and for the API calls gax makes
   * through it. Under Jest pass the global `fetch`: gaxios otherwise loads node-fetch with a dynamic `import()`,
   * which Jest's CommonJS runtime refuses.
   * @default gaxios' own choice (node-fetch, which also honours HTTPS_PROXY)
   */
  fetchImplementation?: typeof fetch;
}

/**
 * The google-auth-library client a Certificate Manager source calls with.
 *
 * - `service-account`: the secret is a service account key file (`"type": "service_account"`). The client
 *   signs its own JWTs (gax turns on `useJWTAccessWithScope`), so no token endpoint is called;
 * - `workload-identity-federation`: the secret is a credential configuration file (`"type":
 *   "external_account"`, made by `gcloud iam workload-identity-pools create-cred-config`): no long-lived key;
 * - `default`: Application Default Credentials (a person's `gcloud auth application-default login`), for
 *   running the CLI locally.
 *
 * Secret material comes only from `fetchSecret`, never from environment variables or files, and never
 * appears in an error message: a malformed secret is reported by its ARN and the field at fault.
 */
export async function createGoogleAuthClient(
  settings: GoogleCredentialsSettings,
  options: GoogleCredentialOptions,
): Promise<AuthClient> {
  const scopes = options.scopes ?? [CLOUD_PLATFORM_SCOPE];
  const transport = options.fetchImplementation
    ? { transporterOptions: { fetchImplementation: options.fetchImplementation } }
    : {};
  switch (settings.type) {
    case 'service-account': {
      const key = await readSecretJson(settings.secretArn, options.fetchSecret, 'a Google credential file');
      requireType(key, 'service_account', settings.secretArn);
      const email = requireString(key, 'client_email', settings.secretArn);
      const privateKey = requireString(key, 'private_key', settings.secretArn);
      try {
        createPrivateKey(privateKey);
      } catch {
        // No cause: the error would carry the key.
        throw new ConfigError(`secret ${settings.secretArn}: "private_key" is not a readable PEM private key`);
      }
      const universeDomain = optionalString(key, 'universe_domain', settings.secretArn);
      return new JWT({
        email,
        key: privateKey,
        keyId: optionalString(key, 'private_key_id', settings.secretArn),
        scopes,
        ...(universeDomain ? { universeDomain } : {}),
        ...transport,
      });
    }
    case 'workload-identity-federation': {
      const configuration = await readSecretJson(settings.secretArn, options.fetchSecret, 'a Google credential file');
      requireType(configuration, 'external_account', settings.secretArn);
      const clientOptions = { ...configuration, scopes, ...transport } as unknown as ExternalAccountClientOptions;
      const source = configuration.credential_source as { environment_id?: unknown } | undefined;
      let client;
      try {
        if (options.awsCredentials && /^aws/i.test(String(source?.environment_id ?? ''))) {
          // fromJSON picks the AWS client by `credential_source`, which a supplier replaces: build it directly.
          const { credential_source: _source, ...rest } = clientOptions as AwsClientOptions;
          client = new AwsClient({ ...rest, aws_security_credentials_supplier: awsSupplier(options.awsCredentials) });
        } else {
          client = ExternalAccountClient.fromJSON(clientOptions);
        }
      } catch (error) {
        // The library's messages name the field at fault; a federation configuration holds no key.
        throw new ConfigError(`secret ${settings.secretArn}: ${(error as Error).message}`, { cause: error });
      }
      if (!client) throw new ConfigError(`secret ${settings.secretArn}: not an external account configuration`);
      return client;
    }
    case 'default':
      return (await new GoogleAuth({ scopes, clientOptions: transport }).getClient()) as AuthClient;
  }
}

function awsSupplier({ region, credentials }: AwsFederationCredentials): AwsSecurityCredentialsSupplier {
  return {
    getAwsRegion: async () => region,
    getAwsSecurityCredentials: async () => {
      const { accessKeyId, secretAccessKey, sessionToken } = await credentials();
      return { accessKeyId, secretAccessKey, token: sessionToken };
    },
  };
}

function requireType(secret: Record<string, unknown>, type: string, secretArn: string): void {
  if (secret.type !== type) {
    const found = typeof secret.type === 'string' ? `"${secret.type}"` : 'none';
    throw new ConfigError(`secret ${secretArn}: "type" must be "${type}" (found ${found})`);
  }
}
