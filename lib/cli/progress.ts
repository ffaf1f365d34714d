import { SingleBar } from 'cli-progress';
import type { CertificateSource } from '../ports/certificate-source';
import type { SyncProgress } from '../use-cases/sync';

/**
 * Shows progress on a terminal: a bar over `total` files when there is a count, else a running count of places.
 * The count may arrive while the work runs (a promise): the work does not wait for it, and the bar fills in once
 * it is known. Counting happens as the source yields, so the figure moves even while nothing changes. Nothing is
 * drawn when stderr is not a terminal, or with NO_COLOR set.
 */
export async function withProgress<T>(
  label: string,
  total: number | Promise<number> | null,
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
      total === null ? `${label}: {value} places | ${counts}` : `${label} [{bar}] {value}/{files} files | ${counts}`,
    stream: process.stderr,
    emptyOnZero: true,
  });
  const known = typeof total === 'number' ? total : undefined;
  bar.start(known ?? 0, 0, { changed: 0, errors: 0, files: known ?? '…' });
  if (total instanceof Promise) {
    // A count that fails leaves the bar without a total; the listing itself reports what it cannot read.
    total.then(
      (files) => {
        bar.setTotal(files);
        bar.update({ files });
      },
      () => {},
    );
  }
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
