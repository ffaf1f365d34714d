import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CertwardenConfig, describeConfigProblems } from '../domain/config';
import { ConfigError } from '../domain/errors';
import { readConfigModule } from './config-module';

/** Looked for in the working directory, in this order, when no path is given. */
export const CONFIG_FILE_NAMES = ['certwarden.config.ts', 'certwarden.config.json'];

/**
 * Reads and validates the configuration. With no path and no file in the working directory, the defaults
 * apply (no sources). Every problem is reported at once, each naming its field.
 */
export function loadConfig(path?: string, cwd = process.cwd()): { config: CertwardenConfig; file: string | null } {
  const file = path
    ? resolve(cwd, path)
    : (CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)).find((candidate) => existsSync(candidate)) ?? null);
  if (file === null) return { config: CertwardenConfig.parse({}), file };
  if (!existsSync(file)) throw new ConfigError(`${file}: no such configuration file`);

  let raw: unknown;
  try {
    raw = readConfigModule(file);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${file}: cannot read: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  const parsed = CertwardenConfig.safeParse(raw);
  if (!parsed.success) {
    const problems = describeConfigProblems(parsed.error);
    throw new ConfigError(`${file}: invalid configuration: ${problems.join('; ')}`, { cause: parsed.error });
  }
  return { config: parsed.data, file };
}
