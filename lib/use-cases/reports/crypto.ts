import { lifetimeDaysOf, renewalMethodOf } from '../../domain/renewal';
import type { Report, ReportColumn, ReportRow } from '../../domain/report';
import { KEY_MANAGEMENT_CONTROLS } from './controls';
import { END_OF_TIME } from './place-rows';
import type { ReportSources } from './sources';

/** The CA/Browser Forum's last step (March 2029): public TLS certificates valid at most 47 days. */
export const SHORTEST_PUBLIC_LIFETIME_DAYS = 47;

const CRYPTO_COLUMNS: ReportColumn[] = [
  { key: 'dimension', title: 'Dimension', type: 'text' },
  { key: 'value', title: 'Value', type: 'text' },
  { key: 'count', title: 'Certificates', type: 'number' },
  { key: 'share', title: 'Share (%)', type: 'number' },
];

/** Lifetimes as the CA/Browser Forum's schedule steps them down (398, 200, 100, 47 days). */
const validityBand = (days: number): string =>
  days <= 47
    ? '≤ 47 days'
    : days <= 100
      ? '48–100 days'
      : days <= 200
        ? '101–200 days'
        : days <= 398
          ? '201–398 days'
          : '> 398 days';

/**
 * The crypto inventory: live certificates counted by key algorithm and size, signature hash, issuer, validity
 * length and renewal method, and the share that a 47-day lifetime would outrun because a person renews them (a
 * manual renewal every month or so, per place). One pass over the expiry index, holding counts only.
 */
export function cryptoReport(sources: ReportSources): Report {
  const now = sources.clock.now();
  const counts = new Map<string, Map<string, number>>();
  const count = (dimension: string, value: string) => {
    const values = counts.get(dimension) ?? new Map<string, number>();
    values.set(value, (values.get(value) ?? 0) + 1);
    counts.set(dimension, values);
  };
  async function* rows(): AsyncGenerator<ReportRow> {
    let total = 0;
    for await (const place of sources.store.expiringBefore(END_OF_TIME)) {
      const certificate = place.certificate!;
      total++;
      count('key', `${certificate.keyAlgorithm}${certificate.keySize ? ` ${certificate.keySize}` : ''}`);
      count('signature hash', certificate.signatureHash ?? 'unknown');
      count('issuer', certificate.issuer);
      count('validity', validityBand(lifetimeDaysOf(certificate)));
      const method = renewalMethodOf(place, sources.renewalSettings);
      count('renewal method', method);
      count(
        `${SHORTEST_PUBLIC_LIFETIME_DAYS}-day lifetime`,
        method === 'manual' ? 'would not keep up (manual renewal)' : 'renewed without a person',
      );
    }
    for (const [dimension, values] of counts) {
      const sorted = [...values].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
      for (const [value, n] of sorted) yield { dimension, value, count: n, share: Math.round((n / total) * 1000) / 10 };
    }
  }
  return {
    name: 'crypto',
    title: 'Crypto inventory',
    description:
      'Live certificates by key algorithm and size, signature hash, issuer, validity length and renewal method, and the share that could not keep up with 47-day lifetimes.',
    controls: KEY_MANAGEMENT_CONTROLS,
    readAt: now.toISOString(),
    parameters: {},
    columns: CRYPTO_COLUMNS,
    rows: rows(),
  };
}
