import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { ConfigError } from '../domain/errors';

/**
 * The object a configuration or policy file holds: JSON parsed, or a `.ts`/`.js` module's export (default or
 * `module.exports`). A `.ts` file runs through the TypeScript loader the sources run under (Jest, tsx) or, in the
 * compiled package, through tsx's API, loaded only then: a JSON configuration needs no TypeScript.
 * @throws ConfigError naming the file, with the loader's first line.
 */
export function readConfigModule(file: string): unknown {
  if (file.endsWith('.json')) return JSON.parse(readFileSync(file, 'utf8'));
  // This very module running as TypeScript means a TypeScript loader is in place (tsx, Jest); compiled, it is not.
  const loaded =
    file.endsWith('.ts') && extname(__filename) === '.js'
      ? requireThroughTsx(file)
      : // eslint-disable-next-line @typescript-eslint/no-require-imports -- a .js or .ts configuration is code
        require(file);
  return unwrapDefault(loaded);
}

function requireThroughTsx(file: string): unknown {
  let tsx: { require: (id: string, fromFile: string) => unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional peer, loaded for .ts files only
    tsx = require('tsx/cjs/api');
  } catch (error) {
    throw new ConfigError(`${file}: a TypeScript configuration needs tsx (npm install -g tsx), or write it as .json`, {
      cause: error,
    });
  }
  return tsx.require(file, __filename);
}

const unwrapDefault = (module: unknown): unknown =>
  module && typeof module === 'object' && 'default' in module ? (module as { default: unknown }).default : module;
