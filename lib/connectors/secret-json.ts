import { ConfigError, SourceReadError } from '../domain/errors';
import type { SecretFetcher } from '../ports/secrets';

/**
 * Reads a credential secret holding a JSON object. Messages name the secret's ARN and the field at fault and
 * never quote the secret: a JSON syntax error keeps no cause, since JSON.parse's message quotes the text.
 *
 * @param expected what the object should be, for people: `a Google credential file`.
 */
export async function readSecretJson(
  secretArn: string,
  fetchSecret: SecretFetcher,
  expected: string,
): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fetchSecret(secretArn);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SourceReadError(`cannot read secret ${secretArn}: ${reason}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`secret ${secretArn}: not JSON (expected ${expected})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`secret ${secretArn}: expected a JSON object (${expected})`);
  }
  return value as Record<string, unknown>;
}

export function requireString(secret: Record<string, unknown>, field: string, secretArn: string): string {
  const value = optionalString(secret, field, secretArn);
  if (value === undefined) throw new ConfigError(`secret ${secretArn}: "${field}" is missing`);
  return value;
}

export function optionalString(secret: Record<string, unknown>, field: string, secretArn: string): string | undefined {
  const value = secret[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigError(`secret ${secretArn}: "${field}" must be a non-empty string`);
  }
  return value;
}
