import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one `openssl` run left behind. stdout stays bytes: certificate text is not always valid UTF-8. */
export interface OpensslRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs the openssl CLI (Debian's, on PATH) and never rejects: failures are part of what tests look at. */
export function openssl(args: string[], input?: Uint8Array | string): Promise<OpensslRun> {
  return new Promise((resolve) => {
    const child = execFile(
      'openssl',
      args,
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr.toString('utf8') });
      },
    );
    child.stdin?.end(input ?? '');
  });
}

/** Runs openssl and returns stdout, throwing with stderr if it fails: for making test material. */
export function opensslSync(args: string[], input?: Uint8Array | string): Buffer {
  return execFileSync('openssl', args, { input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * opensslSync for commands that must read files (openssl cannot open a piped /dev/stdin): `files` are
 * written to a fresh directory, removed afterwards, and `args` receives their paths by name.
 */
export function opensslWithFiles(
  files: Record<string, Uint8Array | string>,
  args: (paths: Record<string, string>) => string[],
): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'certwarden-openssl-'));
  try {
    const paths: Record<string, string> = {};
    for (const [name, content] of Object.entries(files)) {
      paths[name] = join(dir, name);
      writeFileSync(paths[name], content);
    }
    return opensslSync(args(paths));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Maps with at most `limit` calls in flight, keeping order: openssl runs are processes, and CI has two cores. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
