import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from 'zod';
import { SourceConfig } from '../../lib/domain/config';
import { EnvironmentError } from './env';

/**
 * What a deployment configures beyond names and ARNs: its sources (every account, region and vault) and its
 * certificate policy. They grow with the estate, so they travel in neither a schedule's input (8,192
 * characters) nor the environment (4 KB in all): the construct writes them at synth time into a file beside
 * each sync function's bundle (infra/certificate-inventory.ts), and `CERTWARDEN_DEPLOYMENT` names it.
 */
export const Deployment = z.strictObject({
  sources: z.array(SourceConfig).default([]),
  /** The config's `policy` as the construct got it; compilePolicy validates it. Absent: the recommended one. */
  policy: z.unknown().optional(),
});
export type Deployment = z.infer<typeof Deployment>;

/**
 * The deployment file named by `variable` (relative to the bundle, or absolute), read and validated once at
 * load: a missing or malformed file fails the cold start with the variable's name. Unset: no sources, the
 * recommended policy.
 */
export function loadDeployment(path: string | undefined, variable = 'CERTWARDEN_DEPLOYMENT'): Deployment {
  if (path === undefined) return { sources: [] };
  const file = resolve(__dirname, path);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new EnvironmentError(`${variable}: cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = Deployment.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new EnvironmentError(`${variable}: ${file}: ${problems.join('; ')}`, { cause: parsed.error });
  }
  return parsed.data;
}
