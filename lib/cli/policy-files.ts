import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_FILE_NAMES } from '../adapters/config-file';
import { readConfigModule } from '../adapters/config-module';
import { compilePolicy, PolicyError, RECOMMENDED_POLICY, type CompiledPolicy } from '../domain/policy';
import { POLICY_FILE_NAMES } from './policy-commands';

export interface LoadedPolicy {
  policy: CompiledPolicy;
  /** Where it came from, for people: a path, `<path> (policy section)`, or `recommended (built in)`. */
  source: string;
}

/**
 * Reads the policy: the `--policy` file (a policy, or a certwarden configuration whose `policy` section is used),
 * else `certwarden.policy.json` in the working directory, else the `policy` section of `certwarden.config.json`
 * or `.ts` there, else the recommended policy.
 * @throws PolicyError naming the file and every problem.
 */
export function loadPolicy(path: string | undefined, cwd: string): LoadedPolicy {
  if (path !== undefined) return readPolicyFile(resolve(cwd, path), true)!;
  for (const name of POLICY_FILE_NAMES) {
    const file = resolve(cwd, name);
    if (existsSync(file)) return readPolicyFile(file, true)!;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = resolve(cwd, name);
    if (existsSync(file)) {
      const loaded = readPolicyFile(file, false);
      if (loaded) return loaded;
    }
  }
  return { policy: RECOMMENDED_POLICY, source: 'recommended (built in)' };
}

function readPolicyFile(file: string, required: boolean): LoadedPolicy | undefined {
  if (!existsSync(file)) throw new PolicyError(`${file}: no such policy file`);
  let raw: unknown;
  try {
    raw = readConfigModule(file);
  } catch (error) {
    throw new PolicyError(`${file}: cannot read: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  // A configuration file carries its policy in `policy`; a policy file never has that key.
  const isConfig = raw !== null && typeof raw === 'object' && 'policy' in raw;
  if (!isConfig && !required) return undefined;
  const content = isConfig ? (raw as { policy: unknown }).policy : raw;
  const source = isConfig ? `${file} (policy section)` : file;
  try {
    return { policy: compilePolicy(content), source };
  } catch (error) {
    if (error instanceof PolicyError) throw new PolicyError(`${source}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** The policy in force here (certwarden.policy.json, the config's policy section, else the recommended one). */
export const currentPolicy = (): CompiledPolicy => loadPolicy(process.env.CERTWARDEN_POLICY, process.cwd()).policy;
