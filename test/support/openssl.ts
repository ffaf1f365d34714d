import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

/**
 * Runs `openssl <args> -in <path>` for every path, `workers` shell loops side by side, and returns each run's
 * stdout in path order. When a run fails, `retryArgs` (if given) are tried instead. One shell loop per worker
 * costs markedly less than one spawn per file from node (a quarter less, measured on a thousand files).
 * Failed runs leave empty output; stderr is dropped.
 */
export function opensslEach(
  paths: readonly string[],
  args: string[],
  retryArgs: string[],
  workers: number,
): Promise<Buffer[]> {
  const marker = `==certwarden-${randomUUID()}==`;
  const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;
  const command = (list: string[]) => ['openssl', ...list].map(quote).join(' ');
  const retry = retryArgs.length > 0 ? ` || ${command(retryArgs)} -in "$f" 2>/dev/null` : '';
  const script = `for f in "$@"; do printf '%s\\n' ${quote(marker)}; ${command(args)} -in "$f" 2>/dev/null${retry}; done; exit 0`;
  const chunks = Array.from({ length: workers }, (_, w) => paths.filter((_, i) => i % workers === w));
  return Promise.all(
    chunks.map(
      (chunk) =>
        new Promise<Buffer[]>((resolve, reject) => {
          execFile(
            'sh',
            ['-c', script, 'sh', ...chunk],
            { encoding: 'buffer', maxBuffer: 1 << 30 },
            (error, stdout) => {
              if (error) return reject(error);
              const outputs: Buffer[] = [];
              const separator = Buffer.from(`${marker}\n`);
              for (let at = stdout.indexOf(separator); at >= 0;) {
                const next = stdout.indexOf(separator, at + separator.length);
                outputs.push(stdout.subarray(at + separator.length, next < 0 ? stdout.length : next));
                at = next;
              }
              if (outputs.length !== chunk.length)
                reject(new Error(`expected ${chunk.length} outputs, got ${outputs.length}`));
              resolve(outputs);
            },
          );
        }),
    ),
  ).then((perWorker) => paths.map((_, i) => perWorker[i % workers][Math.floor(i / workers)]));
}

/** Where rememberedOpenssl keeps what OpenSSL said: with the other tools' caches, gone with `npm ci`. */
const CACHE_DIR = resolve(__dirname, '../../node_modules/.cache/certwarden-tests');
/** Part of every key: a change to how entries are stored makes every old one a miss. */
const CACHE_FORMAT = 'remembered-openssl 1';

/**
 * What `compute` makes of OpenSSL's view of `paths`, remembered on disk under `name`: it depends only on the
 * OpenSSL build, the files' bytes and what the caller says its computation is (`recipe`: the arguments, a
 * version of the parsing), so it is kept under a key made of exactly those (the full `openssl version -a`, the
 * recipe, every file's name and SHA-256) and read back while the key holds. Any change (a file of the corpus,
 * the recipe, another OpenSSL) runs `compute` again. `compute`'s result must survive JSON.
 */
export async function rememberedOpenssl<T>(
  name: string,
  paths: readonly string[],
  recipe: unknown,
  compute: () => Promise<T>,
): Promise<T> {
  const key = createHash('sha256')
    .update(`${CACHE_FORMAT}\0`)
    .update(opensslSync(['version', '-a']))
    .update(JSON.stringify(recipe));
  for (const path of paths) {
    key.update(`\0${path.split('/').slice(-2).join('/')}\0`).update(
      createHash('sha256')
        .update(await readFile(path))
        .digest(),
    );
  }
  const digest = key.digest('hex');
  const file = join(CACHE_DIR, `${name}.json`);
  try {
    const cached = JSON.parse(await readFile(file, 'utf8')) as { key: string; value: T };
    if (cached.key === digest && cached.value !== undefined) return cached.value;
  } catch {
    // No cache yet, or an unreadable one: OpenSSL is asked.
  }
  const value = await compute();
  await mkdir(CACHE_DIR, { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, JSON.stringify({ key: digest, value }));
  await rename(partial, file);
  return value;
}

/**
 * opensslEach, remembered on disk under `name` (see rememberedOpenssl): a corpus of a thousand files costs a
 * process per file, about 50 ms of CPU each, on the first run only.
 */
export async function opensslEachCached(
  name: string,
  paths: readonly string[],
  args: string[],
  retryArgs: string[],
  workers: number,
): Promise<Buffer[]> {
  const outputs = await rememberedOpenssl(name, paths, [args, retryArgs], async () =>
    (await opensslEach(paths, args, retryArgs, workers)).map((output) => output.toString('base64')),
  );
  return outputs.map((output) => Buffer.from(output, 'base64'));
}

/** `openssl pkcs12 -export` of a certificate with its key and chain, under `password` ('' for none), plus `args`. */
export function exportPkcs12(
  material: { certificate: string; key: string; chain: string },
  password: string,
  args: string[] = [],
): Buffer {
  return opensslWithFiles(
    { 'leaf.pem': material.certificate, 'key.pem': material.key, 'ca.pem': material.chain },
    (path) => [
      'pkcs12',
      '-export',
      '-in',
      path['leaf.pem'],
      '-inkey',
      path['key.pem'],
      '-certfile',
      path['ca.pem'],
      '-passout',
      `pass:${password}`,
      ...args,
    ],
  );
}
