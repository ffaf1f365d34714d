import { readSecretJson, requireString } from '../connectors/secret-json';
import { ConfigError, SourceReadError } from '../domain/errors';
import type { SecretFetcher } from '../ports/secrets';

/** A SecretFetcher over Secrets Manager's GetSecretValue; `send` is the client's (or a test double's). */
export function secretsManagerFetcher(client: {
  send(command: unknown): Promise<{ SecretString?: string; SecretBinary?: Uint8Array }>;
}): SecretFetcher {
  return async (secretArn) => {
    // Imported here so that the module stays light for callers that bring their own fetcher.
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const output = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (output.SecretString !== undefined) return output.SecretString;
    if (output.SecretBinary !== undefined) return Buffer.from(output.SecretBinary).toString('utf8');
    throw new Error('the secret has no value');
  };
}

/**
 * A SecretFetcher over Secrets Manager whose SDK is loaded and client made on the first read (most syncs read no
 * secret), one client per region, the secret's own (from its ARN; the SDK's default region for a bare name).
 */
export function lazySecretsManagerFetcher(config: { maxAttempts?: number } = {}): SecretFetcher {
  const fetchers = new Map<string, SecretFetcher>();
  return async (secretArn) => {
    const region = /^arn:[^:]+:secretsmanager:([^:]+):/.exec(secretArn)?.[1];
    let fetcher = fetchers.get(region ?? '');
    if (!fetcher) {
      const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
      fetcher = secretsManagerFetcher(new SecretsManagerClient({ ...config, region }));
      fetchers.set(region ?? '', fetcher);
    }
    return fetcher(secretArn);
  };
}

/**
 * A SecretFetcher that reads each secret once for the life of the execution environment (until the next Lambda
 * cold start): later calls share the first read; a read that failed is forgotten, so the next call tries again.
 * A rotated secret is seen by the next cold start.
 */
export function cachedSecretFetcher(fetchSecret: SecretFetcher): SecretFetcher {
  const reads = new Map<string, Promise<string>>();
  return (secretArn) => {
    let read = reads.get(secretArn);
    if (read === undefined) {
      read = fetchSecret(secretArn);
      reads.set(secretArn, read);
      read.catch(() => reads.delete(secretArn));
    }
    return read;
  };
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The Slack incoming webhook URL a secret holds: the URL as plain text, or JSON `{ "webhookUrl": "…" }` (the
 * config's `alerts.slack.webhookSecretArn`). It must be an https URL (http only on a loopback host: a local
 * stand-in). Errors name the secret's ARN, never its value: the URL is the credential.
 */
export async function readSlackWebhookUrl(secretArn: string, fetchSecret: SecretFetcher): Promise<string> {
  let text: string;
  try {
    text = (await fetchSecret(secretArn)).trim();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SourceReadError(`cannot read secret ${secretArn}: ${reason}`, { cause: error });
  }
  const webhookUrl = text.startsWith('{')
    ? requireString(
        await readSecretJson(secretArn, async () => text, 'JSON { "webhookUrl": … }'),
        'webhookUrl',
        secretArn,
      )
    : text;
  let url: URL;
  try {
    url = new URL(webhookUrl);
  } catch {
    throw new ConfigError(`secret ${secretArn}: expected a Slack webhook URL (or JSON { "webhookUrl": … })`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    throw new ConfigError(`secret ${secretArn}: the Slack webhook URL must be https`);
  }
  return webhookUrl;
}
