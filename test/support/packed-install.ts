import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO = resolve(__dirname, '../..');

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  [key: string]: unknown;
}

export interface PackedProduct {
  /** The tarball `npm pack` wrote. */
  tarball: string;
  /** Its size in bytes. */
  bytes: number;
  /** Every path in it, `package/…`. */
  files: string[];
}

/** `npm pack`, with its `prepare` (the build) as a user's publish would run it, into a fresh folder. */
export async function packProduct(): Promise<PackedProduct> {
  const destination = await mkdtemp(join(tmpdir(), 'certwarden-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: REPO,
    maxBuffer: 64 * 1024 * 1024,
  });
  // `prepare`'s own output comes first; the JSON report is the array at the end.
  const [report] = JSON.parse(stdout.slice(stdout.lastIndexOf('\n[') + 1)) as Array<{
    filename: string;
    size: number;
    files: Array<{ path: string }>;
  }>;
  return {
    tarball: join(destination, report.filename),
    bytes: report.size,
    files: report.files.map((file) => file.path),
  };
}

export interface InstalledProduct {
  /** The consumer project: node_modules/certwarden and its dependencies. */
  dir: string;
  /** node_modules/.bin/certwarden. */
  bin: string;
}

/**
 * Installs the tarball into an empty project, offline: the lockfile is this repository's own resolved set of
 * runtime packages (what `npm ci` put in the cache), so the install needs no registry and is the same set a
 * user's `npm install -g` resolves today. Optional peers (provider SDKs, the CDK) are not installed, as for a user.
 */
export async function installProduct(tarball: string): Promise<InstalledProduct> {
  const dir = await mkdtemp(join(tmpdir(), 'certwarden-install-'));
  const lock = JSON.parse(await readFile(join(REPO, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const manifest = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;
  const spec = `file:${tarball}`;
  const runtime = Object.fromEntries(
    Object.entries(lock.packages).filter(([path, entry]) => path !== '' && !entry.dev),
  );
  const consumer = { name: 'certwarden-consumer', version: '1.0.0', private: true, dependencies: { certwarden: spec } };
  const consumerLock = {
    name: consumer.name,
    version: consumer.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: consumer.name, version: consumer.version, dependencies: consumer.dependencies },
      'node_modules/certwarden': {
        version: manifest.version,
        resolved: spec,
        integrity: `sha512-${createHash('sha512')
          .update(await readFile(tarball))
          .digest('base64')}`,
        license: manifest.license,
        dependencies: manifest.dependencies,
        peerDependencies: manifest.peerDependencies,
        peerDependenciesMeta: manifest.peerDependenciesMeta,
        bin: manifest.bin,
        engines: manifest.engines,
      },
      ...runtime,
    },
  };
  await writeFile(join(dir, 'package.json'), JSON.stringify(consumer, null, 2));
  await writeFile(join(dir, 'package-lock.json'), JSON.stringify(consumerLock, null, 2));
  await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  return { dir, bin: join(dir, 'node_modules/.bin/certwarden') };
}

/**
 * Makes this repository's copies of packages a consumer brings itself (the CDK, esbuild: the construct's optional
 * peers) resolvable from the consumer project, as its own `npm install aws-cdk-lib constructs esbuild` would.
 */
export async function linkPeers(dir: string, names: string[]): Promise<void> {
  for (const name of names) {
    const target = join(dir, 'node_modules', name);
    await mkdir(resolve(target, '..'), { recursive: true });
    await symlink(join(REPO, 'node_modules', name), target, 'dir');
  }
}
