import { opendir, readFile } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { CertificateParseError, SourceReadError } from '../domain/errors';
import { parseCertificates } from '../x509/parse';
import type { CertificateSource, LocationMetadata, SourceEntry, SourceItem } from '../ports/certificate-source';

/** File endings read as certificate stores; `.key` and the like are never opened. */
export const CERTIFICATE_FILE_EXTENSIONS = [
  '.pem',
  '.crt',
  '.cer',
  '.cert',
  '.der',
  '.p7b',
  '.p7c',
  '.p7',
  '.ca-bundle',
];

export interface LocalFilesSourceOptions {
  /** The configured source name. */
  name: string;
  /** Directory scanned recursively. */
  root: string;
  /** Owner of every certificate found. @default 'unowned' */
  defaultOwner?: string;
  /** Owner = the first directory under `root` (one directory per team), else `defaultOwner`. @default false */
  ownerFromTopDirectory?: boolean;
  /** @default CERTIFICATE_FILE_EXTENSIONS */
  extensions?: string[];
}

/**
 * Certificates in a directory tree. Each file is a place: its first certificate is the leaf, the others its
 * chain. Symbolic links are not followed (OpenSSL's hash links would list a store twice, and a link can loop).
 */
export class LocalFilesSource implements CertificateSource {
  readonly kind = 'local-files' as const;
  readonly name: string;
  private readonly root: string;
  private readonly owner: string;
  private readonly extensions: Set<string>;
  private readonly ownerFromTopDirectory: boolean;

  constructor(options: LocalFilesSourceOptions) {
    this.name = options.name;
    this.root = resolve(options.root);
    this.owner = options.defaultOwner ?? 'unowned';
    this.ownerFromTopDirectory = options.ownerFromTopDirectory ?? false;
    this.extensions = new Set((options.extensions ?? CERTIFICATE_FILE_EXTENSIONS).map((ext) => ext.toLowerCase()));
  }

  async *list(signal?: AbortSignal): AsyncIterable<SourceItem> {
    let directory;
    try {
      directory = await opendir(this.root, { recursive: true });
    } catch (error) {
      throw new SourceReadError(
        `${this.root}: cannot read directory (${(error as NodeJS.ErrnoException).code ?? error})`,
        { cause: error },
      );
    }
    for await (const dirent of directory) {
      signal?.throwIfAborted();
      if (isCertificateFile(dirent, this.extensions))
        yield* this.readFile(join(dirent.parentPath ?? dirent.path, dirent.name));
    }
  }

  private ownerOf(path: string): string {
    if (!this.ownerFromTopDirectory) return this.owner;
    const [top, ...rest] = relative(this.root, path).split(sep);
    return rest.length > 0 ? top : this.owner;
  }

  private async *readFile(path: string): AsyncIterable<SourceEntry> {
    const metadata: LocationMetadata = {
      owner: this.ownerOf(path),
      tags: {},
      region: dirname(path),
      renewal: 'manual',
    };
    const place = { nativeId: path, scope: this.root, role: 'leaf' as const, metadata };
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      yield {
        ...place,
        certificate: null,
        error: `${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? error})`,
      };
      return;
    }
    let parsed;
    try {
      parsed = parseCertificates(bytes, path);
    } catch (error) {
      if (!(error instanceof CertificateParseError)) throw error;
      yield { ...place, certificate: null, error: error.message };
      return;
    }
    const warnings =
      parsed.privateKeysDropped > 0
        ? [`${path}: holds ${parsed.privateKeysDropped} private key(s); ignored, never stored`]
        : undefined;
    const [leaf, ...chain] = parsed.certificates;
    yield {
      ...place,
      certificate: leaf,
      error: parsed.problems.length > 0 ? `${path}: ${parsed.problems.join('; ')}` : undefined,
      warnings,
    };
    for (const certificate of chain) {
      yield { ...place, nativeId: `${path}#${certificate.record.fingerprintSha256}`, role: 'chain', certificate };
    }
  }
}

const isCertificateFile = (dirent: Dirent, extensions: Set<string>) =>
  dirent.isFile() && extensions.has(extname(dirent.name).toLowerCase());

/** How many files a scan of `root` will read: the length of a progress bar. */
export async function countCertificateFiles(root: string, extensions = CERTIFICATE_FILE_EXTENSIONS): Promise<number> {
  const wanted = new Set(extensions);
  let count = 0;
  for await (const dirent of await opendir(root, { recursive: true })) if (isCertificateFile(dirent, wanted)) count++;
  return count;
}
