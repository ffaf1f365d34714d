import { renewalDecision, type RenewablePlace, type RenewalMethod } from '../../lib/domain/renewal';
import type { BenchRow } from './policy';

const DAY = 86_400_000;
const CA_ISSUER = 'CN=Bench Issuing CA, O=Example';

/**
 * `places` places of every kind the decision tells apart (ACM private, imported by a configured CA or not,
 * Amazon-issued; Key Vault; Google managed and self-managed; files), with lifetimes from 47 to 398 days at every
 * point of their lives: the renewal decision (which are due, by method) over all of them, timed, and its counts.
 */
export async function benchRenewal(places = 100_000): Promise<BenchRow[]> {
  const now = new Date('2026-06-01T00:00:00Z');
  const shapes: Array<Omit<RenewablePlace, 'certificate'> & { issuer?: string }> = [
    { sourceKind: 'aws-acm', details: { type: 'PRIVATE' } },
    { sourceKind: 'aws-acm', details: { type: 'IMPORTED' }, issuer: CA_ISSUER },
    { sourceKind: 'aws-acm', details: { type: 'IMPORTED' } },
    { sourceKind: 'aws-acm', details: { type: 'AMAZON_ISSUED' }, managed: true },
    { sourceKind: 'azure-key-vault', renewal: 'key-vault-auto' },
    { sourceKind: 'google-certificate-manager', managed: true },
    { sourceKind: 'google-certificate-manager', managed: false },
    { sourceKind: 'local-files' },
  ];
  const lifetimes = [47, 90, 100, 200, 398];
  const estate: RenewablePlace[] = Array.from({ length: places }, (_, index) => {
    const { issuer, ...shape } = shapes[index % shapes.length];
    const lifetime = lifetimes[index % lifetimes.length];
    const age = ((index * 7919) % (lifetime + 10)) * DAY;
    const notBefore = new Date(now.getTime() - age);
    return {
      ...shape,
      certificate: {
        issuer: issuer ?? 'CN=Other CA',
        notBefore: notBefore.toISOString(),
        notAfter: new Date(notBefore.getTime() + lifetime * DAY).toISOString(),
      },
    };
  });
  const settings = { reissuingIssuers: new Set([CA_ISSUER]) };

  const started = process.hrtime.bigint();
  const due = new Map<RenewalMethod, number>();
  for (const place of estate) {
    const decision = renewalDecision(place, now, settings);
    if (decision.due) due.set(decision.method, (due.get(decision.method) ?? 0) + 1);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const byMethod = [...due.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([method, count]) => `${method} ${count.toLocaleString('en-US')}`)
    .join(', ');
  const total = [...due.values()].reduce((sum, count) => sum + count, 0);
  return [
    {
      figure: `renewal decisions for ${places.toLocaleString('en-US')} places (which are due, by method)`,
      value: `${seconds.toFixed(2)} s; ${total.toLocaleString('en-US')} due: ${byMethod}`,
      target: '≤ 5 s',
      met: seconds <= 5,
    },
  ];
}

// Run alone: `node lib/cli/bin/run-ts.js test/bench/renewal.ts` (BENCH_RENEWAL_PLACES for another size); only when
// run-ts.js loaded it, as test/bench/cost.ts.
const runAlone =
  require.main === module || (module.parent === require.main && /run-ts\.js$/.test(require.main?.filename ?? ''));
if (runAlone) {
  void benchRenewal(Number(process.env.BENCH_RENEWAL_PLACES ?? 100_000)).then((rows) => {
    for (const row of rows) process.stdout.write(`${row.figure}: ${row.value}\n`);
    process.exit(0);
  });
}
