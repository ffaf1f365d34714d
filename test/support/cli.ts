import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

/** The CLI from its sources, through the same TypeScript loader as `npm run bench`; the packed product has its own test. */
export const RUN_TS = resolve(__dirname, '../../lib/cli/bin/run-ts.js');
export const CLI_SOURCE = resolve(__dirname, '../../lib/cli/bin/certwarden.ts');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `certwarden <args>` (or `command` when given: an installed bin) and collects its output and exit code. */
export function certwarden(
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
  command: string[] = [process.execPath, RUN_TS, CLI_SOURCE],
): Promise<CliRun> {
  return new Promise((done) => {
    execFile(
      command[0],
      [...command.slice(1), ...args],
      { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs a shell pipeline (`certwarden … | head -3`) and returns certwarden's own exit code, the first stage's. */
export function pipeline(
  args: string[],
  reader: string,
  env: Record<string, string> = {},
  command: string[] = [process.execPath, RUN_TS, CLI_SOURCE],
): Promise<CliRun> {
  const quoted = [...command, ...args].map((word) => `'${word.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((done) => {
    execFile(
      'bash',
      ['-c', `${quoted} | ${reader}; exit "\${PIPESTATUS[0]}"`],
      { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
