import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../lib/adapters/dynamodb-inventory-store';
import { DynamoDbMeter } from '../../lib/adapters/dynamodb-meter';
import { ensureInventoryTable, startEmbeddedDynamoDb } from '../../lib/adapters/embedded-dynamodb';
import {
  AzureKeyVaultSource,
  createKeyVaultClient,
  type AzureKeyVaultSourceOptions,
} from '../../lib/connectors/azure-key-vault';
import { systemClock } from '../../lib/ports/clock';
import { syncSource, type SyncReport } from '../../lib/use-cases/sync';
import { movedClock, RESYNC_HOURS_LATER } from './moved-clock';
import {
  LeafFactory,
  StubTokenCredential,
  makeFakeTls,
  startFakeVaults,
  type FakeKeyVault,
  type FakeTls,
} from '../support/fakes/key-vault-server';

export interface BenchRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

const VAULTS = 4;

/**
 * Syncs `count` certificates (10,000 by default) in 4 fake vaults (the real SDK over TLS) into an in-memory
 * dynalite, then resyncs them unchanged: API calls by operation, wall time and DynamoDB write requests of each.
 * The resync's target is the listing alone, 25 certificates a page, without one `getCertificate`; so is that of
 * the unchanged resyncs on the real clock moved on an hour and a day (RESYNC_HOURS_LATER), which write nothing
 * but the scopes' notes. Then
 * `faultedCount` (2,000) in 2 vaults through 30 % throttling and 10 % 5xx, with certwarden's retry settings in
 * real time: what the integration test proves on six certificates in virtual time, at volume. Last, a vault that
 * goes away mid-sync: how long until it is a failed scope, with its circuit breaker and, with BENCH_BIG=1, (bounded)
 * without.
 */
export async function benchAzureKeyVault(count = 10_000, faultedCount = Math.min(count, 2_000)): Promise<BenchRow[]> {
  const perVault = Math.ceil(count / VAULTS);
  const [tls, leaves] = await Promise.all([makeFakeTls(), LeafFactory.create()]);
  const credential = new StubTokenCredential();
  const vaults = await startFakeVaults(VAULTS, { tls, token: credential.token });
  const dynamo = await startEmbeddedDynamoDb();
  const client = createDocumentClient({ endpoint: dynamo.endpoint });
  try {
    const ders = await Promise.all(
      Array.from({ length: VAULTS * perVault }, (_, index) => leaves.issue(`host-${index}.example.com`)),
    );
    vaults.forEach((vault, v) => {
      for (let i = 0; i < perVault; i++) {
        vault.add(`cert-${String(i).padStart(5, '0')}`, {
          der: ders[v * perVault + i],
          tags: { owner: `team-${i % 20}` },
        });
      }
    });

    const table = `bench-key-vault-${randomUUID()}`;
    await ensureInventoryTable(client, table);
    const meter = new DynamoDbMeter().attach(client);
    const store = new DynamoInventoryStore(client, table);
    const source = sourceOver(vaults, tls, credential);

    const measure = async (hoursLater = 0) => {
      for (const vault of vaults) vault.resetCounts();
      meter.reset();
      const started = process.hrtime.bigint();
      const report = await syncSource({ source, store, clock: movedClock(hoursLater) });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return {
        report,
        seconds,
        calls: callsOf(vaults),
        writes: meter.writeRequests,
        // What a change costs (places, history, certificates), without the notes of when each scope was read.
        itemWrites: meter.itemsWrittenExcept('scope-note'),
        notes: meter.itemsWritten.get('scope-note') ?? 0,
      };
    };
    const first = await measure();
    const resync = await measure();
    const later = [];
    for (const hours of RESYNC_HOURS_LATER) later.push({ hours, result: await measure(hours) });

    const pages = vaults.reduce((sum, vault) => sum + vault.pagesPerListing(), 0);
    const listPagesOnly = (calls: Map<string, number>) =>
      [...calls].every(([operation]) => operation === 'listCertificates') && calls.get('listCertificates') === pages;
    const certificates = VAULTS * perVault;
    const rows: BenchRow[] = [
      { figure: 'Key Vault: certificates synced', value: `${certificates} in ${VAULTS} vaults` },
      { figure: 'Key Vault first sync: API calls by operation', value: describeCalls(first.calls) },
      { figure: 'Key Vault first sync: wall time', value: `${first.seconds.toFixed(1)} s (${outcome(first.report)})` },
      { figure: 'Key Vault first sync: DynamoDB write requests', value: String(first.writes) },
      {
        figure: 'Key Vault unchanged resync: API calls by operation',
        value: describeCalls(resync.calls),
        target: `list pages only (${pages})`,
        met: listPagesOnly(resync.calls),
      },
      {
        figure: 'Key Vault unchanged resync: wall time',
        value: `${resync.seconds.toFixed(1)} s (${outcome(resync.report)})`,
      },
      {
        figure: 'Key Vault unchanged resync: DynamoDB write requests',
        value: String(resync.writes),
        target: '0',
        met: resync.writes === 0,
      },
      ...later.map(({ hours, result }) => ({
        figure: `Key Vault unchanged resync +${hours} h: API calls and items written (scope notes apart)`,
        value:
          `${describeCalls(result.calls)}; ${result.itemWrites} items written, ${result.notes} scope notes ` +
          `(${outcome(result.report)}, ${result.seconds.toFixed(1)} s)`,
        target: `list pages only (${pages}), 0 written`,
        met: listPagesOnly(result.calls) && result.itemWrites === 0,
      })),
    ];
    rows.push(...(await faultedSync(faultedCount, { tls, leaves, credential, dynamo: client })));
    rows.push(...(await vaultGone({ tls, leaves, credential, dynamo: client })));
    return rows;
  } finally {
    client.destroy();
    await Promise.all([dynamo.close(), ...vaults.map((vault) => vault.close())]);
  }
}

function sourceOver(
  vaults: FakeKeyVault[],
  tls: FakeTls,
  credential: StubTokenCredential,
  options: Partial<AzureKeyVaultSourceOptions> = {},
): AzureKeyVaultSource {
  return new AzureKeyVaultSource({
    name: 'bench-key-vault',
    vaults: vaults.map((vault) => ({ url: vault.url })),
    clientFor: (vault, circuitBreaker) =>
      createKeyVaultClient(vault.url, credential, {
        tlsOptions: { ca: tls.caPem },
        disableChallengeResourceVerification: true,
        circuitBreaker,
      }),
    ...options,
  });
}

/**
 * `count` certificates (and one still being issued) in two vaults whose every call has a 30 % chance of a 429
 * (Retry-After: 0) and a 10 % chance of a 500/503, never more than 3 faults in a row for one request: the sync
 * must end with the inventory equal to the vaults and no error, through certwarden's own retry settings.
 */
async function faultedSync(
  count: number,
  context: { tls: FakeTls; leaves: LeafFactory; credential: StubTokenCredential; dynamo: DynamoDBDocumentClient },
): Promise<BenchRow[]> {
  const { tls, leaves, credential } = context;
  const vaults = await startFakeVaults(2, { tls, token: credential.token, seed: 11 });
  try {
    const perVault = Math.ceil(count / 2);
    for (const [v, vault] of vaults.entries()) {
      const ders = await Promise.all(
        Array.from({ length: perVault }, (_, index) => leaves.issue(`faulted-${v}-${index}.example.com`)),
      );
      ders.forEach((der, index) => vault.add(`cert-${String(index).padStart(5, '0')}`, { der }));
      vault.add('being-issued', { der: null });
      vault.faults = { throttleRate: 0.3, retryAfterSeconds: 0, serverErrorRate: 0.1, failEveryCallWith: null };
    }
    const table = `bench-key-vault-faults-${randomUUID()}`;
    await ensureInventoryTable(context.dynamo, table);
    const store = new DynamoInventoryStore(context.dynamo, table);
    const started = process.hrtime.bigint();
    const report = await syncSource({ source: sourceOver(vaults, tls, credential), store, clock: systemClock });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;

    const live = new Set<string>();
    for await (const place of store.bySource('bench-key-vault', 'live'))
      live.add(`${place.nativeId} ${place.fingerprint ?? 'none'}`);
    const expected = vaults.flatMap((vault) => vault.state());
    const exact = live.size === expected.length && expected.every((entry) => live.has(entry));
    const sum = (status: number) => vaults.reduce((total, vault) => total + vault.statusCount(status), 0);
    const label = `Key Vault ${vaults.length * (perVault + 1)} in 2 vaults through 30 % 429 and 10 % 5xx`;
    return [
      {
        figure: `${label}: inventory after the first sync`,
        value: `${exact ? 'equal to the vaults' : 'DIFFERENT from the vaults'} (${outcome(report)}; ${report.failedScopes.length} failed vaults)`,
        target: 'equal, 0 errors',
        met: exact && report.counts.errors === 0 && report.failedScopes.length === 0,
      },
      {
        figure: `${label}: faults answered, wall time`,
        value: `${sum(429)} × 429, ${sum(500) + sum(503)} × 5xx; ${seconds.toFixed(1)} s`,
      },
    ];
  } finally {
    await Promise.all(vaults.map((vault) => vault.close()));
  }
}

/** How long the run without a circuit breaker may go on: it would take minutes more, eight calls at a time. */
const BEFORE_BOUND_SECONDS = 150;

/**
 * A first sync of two vaults of 200 certificates each, one of which goes away (its port closed) after answering
 * 3 requests (the sign-in challenge and the first list page), so that its listing breaks off: the time from the outage
 * to the end of the sync, with the vault's circuit breaker (certwarden's setting) and without it (the SDK's
 * retries alone, what certwarden did before), the latter stopped at BEFORE_BOUND_SECONDS. Both with
 * certwarden's production retry settings, in real time.
 */
async function vaultGone(context: {
  tls: FakeTls;
  leaves: LeafFactory;
  credential: StubTokenCredential;
  dynamo: DynamoDBDocumentClient;
}): Promise<BenchRow[]> {
  const { tls, leaves, credential } = context;
  const perVault = 200;
  const ders = await Promise.all(
    Array.from({ length: 2 * perVault }, (_, index) => leaves.issue(`gone-${index}.example.com`)),
  );
  const run = async (options: Partial<AzureKeyVaultSourceOptions>, bound?: AbortSignal) => {
    const [healthy, gone] = await startFakeVaults(2, { tls, token: credential.token, seed: 21 });
    try {
      [healthy, gone].forEach((vault, v) => {
        for (let i = 0; i < perVault; i++)
          vault.add(`cert-${String(i).padStart(5, '0')}`, { der: ders[v * perVault + i] });
      });
      const table = `bench-key-vault-gone-${randomUUID()}`;
      await ensureInventoryTable(context.dynamo, table);
      const store = new DynamoInventoryStore(context.dynamo, table);
      gone.goAway('refuse', { answeredBefore: 3 });
      const report = await syncSource({
        source: sourceOver([healthy, gone], tls, credential, options),
        store,
        clock: systemClock,
        signal: bound,
      });
      const seconds = (performance.now() - (gone.wentAwayAt ?? performance.now())) / 1000;
      const live = new Set<string>();
      for await (const place of store.bySource('bench-key-vault', 'live')) {
        if (place.scope === healthy.url.toLowerCase()) live.add(`${place.nativeId} ${place.fingerprint ?? 'none'}`);
      }
      const healthySynced = healthy.state().every((entry) => live.has(entry)) && live.size === perVault;
      return { report, seconds, healthySynced, goneUrl: gone.url };
    } finally {
      await Promise.all([healthy.close(), gone.close()]);
    }
  };

  const after = await run({});
  // The baseline waits out its bound in real time, 2.5 of the default run's 32 minutes: BENCH_BIG=1 runs it.
  const before =
    process.env.BENCH_BIG === '1'
      ? await run({ connectionFailuresToFailVault: Infinity }, AbortSignal.timeout(BEFORE_BOUND_SECONDS * 1000))
      : undefined;
  const failure = after.report.failedScopes.find((failed) => failed.scope === after.goneUrl.toLowerCase());
  const label = `Key Vault vault gone mid-sync (2 × ${perVault} certificates, first sync, port closed after 3 requests)`;
  return [
    {
      figure: `${label}: time to fail the scope`,
      value:
        `${after.seconds.toFixed(1)} s from the outage to the end of the sync (${outcome(after.report)}); ` +
        `"${failure?.message ?? 'NOT a failed scope'}"; the other vault ${after.healthySynced ? 'synced' : 'NOT synced'}`,
      target: '≤ 30 s, the other vault synced',
      met: after.seconds <= 30 && failure !== undefined && after.healthySynced,
    },
    ...(before
      ? [
          {
            figure: `${label}, without the circuit breaker (before): time to fail the scope`,
            value: before.report.complete
              ? `${before.seconds.toFixed(1)} s (${outcome(before.report)})`
              : `> ${before.seconds.toFixed(0)} s: still retrying when stopped at the bound (${BEFORE_BOUND_SECONDS} s)`,
          },
        ]
      : []),
  ];
}

/** Requests the vaults received, by operation; the bearer challenges (one per vault, first sync) apart. */
function callsOf(vaults: FakeKeyVault[]): Map<string, number> {
  const calls = new Map<string, number>();
  for (const vault of vaults) {
    for (const [operation, count] of vault.requests) calls.set(operation, (calls.get(operation) ?? 0) + count);
  }
  return calls;
}

const describeCalls = (calls: Map<string, number>) =>
  [...calls]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operation, count]) => `${operation} ${count}`)
    .join(', ');

const outcome = (report: SyncReport) =>
  Object.entries(report.counts)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(', ');
