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
