import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as z from 'zod/mini';
import type { ApprovalConfig } from '../../lib/domain/approval';
import type { SourceConfig } from '../../lib/domain/config';
import { EnvironmentError } from './env';

/**
 * What a deployment configures beyond names and ARNs: its sources (every account, region and vault) and its
 * certificate policy. They grow with the estate, so they travel in neither a schedule's input (8,192
 * characters) nor the environment (4 KB in all): the construct writes them at synth time into a file beside
 * each sync function's bundle (infra/certificate-inventory.ts), and `CERTWARDEN_DEPLOYMENT` names it.
 *
 * The construct validates the sources at synth (their schema, lib/domain/config.ts SourceConfig, defaults filled
 * in) and writes them as validated; a cold start does not validate them again (building the config's schemas took
 * ~50 ms of CPU and parsing the test configuration's sources ~20 ms more, docs/architecture.md "Cold start"), it
 * checks only that the file is a deployment. The policy is validated where it is compiled (compilePolicy).
 */
export interface Deployment {
  sources: SourceConfig[];
  /** The config's `policy` as the construct got it. Absent: the recommended one. */
  policy?: unknown;
  /** The config's `renewal.approval`, completed by its schema at synth. Absent: the schema's defaults. */
  approval?: ApprovalConfig;
}

/** A deployment file's shape: a list of named sources of a kind, and perhaps a policy. */
const DeploymentFile = z.looseObject({
  sources: z._default(
    z.array(z.looseObject({ name: z.string().check(z.minLength(1)), kind: z.string().check(z.minLength(1)) })),
    [],
  ),
  policy: z.optional(z.unknown()),
  approval: z.optional(z.unknown()),
});

/**
 * The deployment file named by `variable` (relative to the bundle, or absolute), read once at load: a missing
 * file, or one that is not a deployment, fails the cold start with the variable's name. Unset: no sources, the
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
  const parsed = DeploymentFile.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new EnvironmentError(`${variable}: ${file}: ${problems.join('; ')}`, { cause: parsed.error });
  }
  // The construct wrote the sources as their schema completed them.
  return parsed.data as unknown as Deployment;
}
