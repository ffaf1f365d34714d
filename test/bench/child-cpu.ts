import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * CPU seconds (user + sys) of one run of a command line, as the kernel accounts it: bash's `times` reports its
 * children's totals, so the figure is the child's own, whatever else the machine is doing. `--norc`: given a
 * socket for stdin (as Node.js gives a child), bash takes itself for a remote shell and runs ~/.bashrc, whose
 * commands would count among its children. The command's exit status is not checked.
 */
export async function childCpuSeconds(commandLine: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { stdout } = await run('bash', ['--norc', '-c', `${commandLine} >/dev/null 2>&1; times`], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [, children] = stdout.trim().split('\n');
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(([, m, s]) => Number(m) * 60 + Number(s));
  return seconds[0] + seconds[1];
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** A path quoted for bash. */
export const quote = (path: string) => `'${path.replace(/'/g, "'\\''")}'`;
