import { SingleBar } from 'cli-progress';
import type { CertificateSource } from '../ports/certificate-source';
import type { SyncProgress } from '../use-cases/sync';

/**
 * Shows progress on a terminal: a bar over `total` files when the count is known in advance, else a running
 * count of places. Counting happens as the source yields, so the figure moves even while nothing changes.
 * Nothing is drawn when stderr is not a terminal, or with NO_COLOR set.
 */
export async function withProgress<T>(
  label: string,
  total: number | null,
  run: (
    onProgress: (progress: SyncProgress) => void,
    source: (inner: CertificateSource) => CertificateSource,
  ) => Promise<T>,
): Promise<T> {
  if (!showsProgress())
    return run(
      () => {},
      (inner) => inner,
    );
  const counts = '{changed} changed | {errors} errors';
  const bar = new SingleBar({
    format:
      total === null ? `${label}: {value} places | ${counts}` : `${label} [{bar}] {value}/{total} files | ${counts}`,
    stream: process.stderr,
  });
  bar.start(total ?? 0, 0, { changed: 0, errors: 0 });
  let counted = 0;
  const counting = (inner: CertificateSource): CertificateSource => ({
    kind: inner.kind,
    name: inner.name,
    async *list(signal) {
      for await (const item of inner.list(signal)) {
        // With a file count, only a file's leaf moves the bar; its chain certificates are extra places.
        if ('role' in item && (total === null || item.role === 'leaf')) bar.update(++counted);
        yield item;
      }
    },
  });
  try {
    return await run(
      (progress) => bar.update(counted, { changed: progress.changed, errors: progress.errors }),
      counting,
    );
  } finally {
    bar.stop();
  }
}

export const showsProgress = (): boolean => Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
