import * as z from 'zod/mini';
import { ExpiryConfig } from '../../lib/domain/expiry-config';
import { jsonVariable } from './env';

// Apart from env.ts, and on lib/domain/expiry-config.ts rather than the whole config: the config's schemas (every
// source kind, the policy) are a cold start's weight, and only the evaluation and the digest read expiry settings.

/** `CERTWARDEN_EXPIRY`: the config's `expiry` as JSON (`{days, lifetimeFraction, severity}`); the defaults when unset. */
export const expiryVariable = z.optional(jsonVariable(ExpiryConfig));

/** The expiry thresholds and severity thresholds of an `expiryVariable` (the config's defaults when unset). */
export function expirySettings(expiry: ExpiryConfig | undefined): {
  thresholds: Omit<ExpiryConfig, 'severity'>;
  severity: ExpiryConfig['severity'];
} {
  const { severity, ...thresholds } = expiry ?? ExpiryConfig.parse({});
  return { thresholds, severity };
}
