import { contentHash } from '../../../lib/domain/content-hash';
import type { ParsedCertificate } from '../../../lib/domain/certificate';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CertificateSource, SourceItem } from '../../../lib/ports/certificate-source';
import { fixedClock } from '../../../lib/ports/clock';
import { compilePolicy } from '../../../lib/domain/policy';
import { syncSource } from '../../../lib/use-cases/sync';
import { issueCertificate, type IssuedCertificate } from '../../../lib/x509/factory';
import { parseCertificates } from '../../../lib/x509/parse';
import { collect, useEmbeddedDynamoDb } from '../../support/inventory';

const dynamo = useEmbeddedDynamoDb();
const T0 = new Date('2026-06-01T00:00:00.000Z');
const hoursLater = (hours: number) => fixedClock(new Date(T0.getTime() + hours * 3_600_000));

interface CloudCertificate {
  id: string;
  scope: string;
  status: string;
  tags: Record<string, string>;
  parsed: ParsedCertificate | null;
}

/**
 * A cloud-like source: a cheap listing per scope (summary = status + fingerprint) and a counted detail call.
 * Scopes named in `failing` cannot be listed.
 */
class FakeCloudSource implements CertificateSource {
  readonly kind = 'aws-acm' as const;
  readonly name = 'cloud';
  failing = new Set<string>();
  loads = 0;

  constructor(
    readonly scopes: string[],
    readonly certificates = new Map<string, CloudCertificate>(),
  ) {}

  async *list(): AsyncIterable<SourceItem> {
    for (const scope of this.scopes) {
      if (this.failing.has(scope)) {
        yield { failedScope: scope, message: 'AccessDenied after 8 attempts' };
        continue;
      }
      for (const certificate of this.certificates.values()) {
        if (certificate.scope !== scope) continue;
        yield {
          nativeId: certificate.id,
          scope,
          role: 'leaf',
          summaryHash: contentHash([certificate.status, certificate.parsed?.record.fingerprintSha256 ?? null]),
          load: async () => {
            this.loads++;
            return {
              certificate: certificate.parsed,
              metadata: {
                owner: certificate.tags.owner ?? 'unowned',
                tags: certificate.tags,
                providerStatus: certificate.status,
              },
            };
          },
        };
      }
    }
  }
}

let ca: IssuedCertificate;
beforeAll(async () => {
  ca = await issueCertificate({ subject: 'CN=Scope CA', ca: true, notBefore: T0, notAfter: new Date('2030-01-01') });
});

async function parsed(name: string): Promise<ParsedCertificate> {
  const issued = await issueCertificate({
    subject: `CN=${name}`,
    dns: [name],
    issuer: ca,
    notBefore: T0,
    notAfter: new Date('2027-01-01'),
  });
  return parseCertificates(issued.pem, name).certificates[0];
}

async function cloudWith(count: number, scopes = ['111/eu-west-1', '111/us-east-1']) {
  const source = new FakeCloudSource(scopes);
  for (let index = 0; index < count; index++) {
    const id = `arn:aws:acm:cert/${index}`;
    source.certificates.set(id, {
      id,
      scope: scopes[index % scopes.length],
      status: 'ISSUED',
      tags: { owner: 'team-a' },
      parsed: await parsed(`h${index}.example.com`),
    });
  }
  return source;
}

/** The source, with one place whose summary changed and whose detail call fails. */
function failingToLoad(source: CertificateSource, nativeId: string, message: string): CertificateSource {
  return {
    kind: source.kind,
    name: source.name,
    async *list() {
      for await (const item of source.list()) {
        if ('nativeId' in item && item.nativeId === nativeId) {
          yield { ...item, summaryHash: 'changed', load: () => Promise.reject(new Error(message)) };
        } else yield item;
      }
    },
  };
}

/**
 * The source, paced as a provider's quota per scope paces detail calls: one at a time, 20 ms each, so a scope's
 * batch of 10 takes 200 ms. Counts the most scopes loading at once, and the loads done before each scope's first.
 */
function pacedByScope(source: CertificateSource) {
  const queues = new Map<string, Promise<unknown>>();
  const inTurn = <T>(scope: string, call: () => Promise<T>): Promise<T> => {
    const turn = (queues.get(scope) ?? Promise.resolve()).then(call);
    queues.set(
      scope,
      turn.catch(() => undefined),
    );
    return turn;
  };
  const loading = new Map<string, number>();
  let loads = 0;
  const paced = {
    kind: source.kind,
    name: source.name,
    mostScopesAtOnce: 0,
    loadsBefore: new Map<string, number>(),
    async *list(): AsyncIterable<SourceItem> {
      for await (const item of source.list()) {
        if (!('load' in item) || !item.load) {
          yield item;
          continue;
        }
        const { load, scope } = item;
        yield {
          ...item,
          load: () =>
            inTurn(scope, async () => {
              if (!paced.loadsBefore.has(scope)) paced.loadsBefore.set(scope, loads);
              loading.set(scope, (loading.get(scope) ?? 0) + 1);
              paced.mostScopesAtOnce = Math.max(
                paced.mostScopesAtOnce,
                [...loading.values()].filter((n) => n > 0).length,
              );
              await new Promise((resolve) => setTimeout(resolve, 20));
              loading.set(scope, loading.get(scope)! - 1);
              loads++;
              return load();
            }),
        };
      }
    },
  };
  return paced;
}

describe('sync of a source with scopes and lazily loaded details', () => {
  it('loads details only for new or changed places: an unchanged resync loads nothing and writes nothing', async () => {
    const inventory = await dynamo.inventory();
    const source = await cloudWith(12);
    await syncSource({ source, store: inventory.store, clock: hoursLater(0) });
    expect(source.loads).toBe(12);

    source.loads = 0;
    inventory.meter.reset();
    const resync = await syncSource({ source, store: inventory.store, clock: hoursLater(0.5) });
    expect(resync.counts).toMatchObject({ unchanged: 12, updated: 0 });
    expect(source.loads).toBe(0);
    expect(inventory.meter.writeRequests).toBe(0);

    source.certificates.get('arn:aws:acm:cert/3')!.parsed = await parsed('h3.example.com');
    source.certificates.get('arn:aws:acm:cert/4')!.status = 'INACTIVE';
    const changed = await syncSource({ source, store: inventory.store, clock: hoursLater(1) });
    expect(source.loads).toBe(2);
    expect(changed.counts).toMatchObject({ renewed: 1, updated: 1, unchanged: 10 });
  });

  it('keeps the places of a scope that cannot be listed, marks them stale with the last good read, and tombstones only elsewhere', async () => {
    const inventory = await dynamo.inventory();
    const source = await cloudWith(10);
    await syncSource({ source, store: inventory.store, clock: hoursLater(0) });

    source.failing.add('111/us-east-1');
    source.certificates.delete('arn:aws:acm:cert/0'); // in eu-west-1, which still lists: a real removal
    source.certificates.delete('arn:aws:acm:cert/1'); // in us-east-1, which fails: must not be removed
    const report = await syncSource({ source, store: inventory.store, clock: hoursLater(3) });

    expect(report.complete).toBe(true);
    expect(report.failedScopes).toEqual([{ scope: '111/us-east-1', message: 'AccessDenied after 8 attempts' }]);
    expect(report.counts).toMatchObject({ removed: 1, stale: 5 });
    expect((await collect(inventory.store.byStatus('removed'))).map((location) => location.nativeId)).toEqual([
      'arn:aws:acm:cert/0',
    ]);
    const kept = await inventory.store.getLocation('aws-acm:arn:aws:acm:cert/1');
    expect(kept).toMatchObject({
      status: 'live',
      stale: {
        since: hoursLater(3).now().toISOString(),
        lastGoodReadAt: T0.toISOString(),
        reason: 'AccessDenied after 8 attempts',
      },
    });

    // Still failing: already stale, nothing more to write for those places.
    const again = await syncSource({ source, store: inventory.store, clock: hoursLater(4) });
    expect(again.counts.stale).toBe(0);

    // The scope recovers: the place that really went away is removed now, the others are fresh again.
    source.failing.clear();
    const recovered = await syncSource({ source, store: inventory.store, clock: hoursLater(5) });
    expect(recovered.counts).toMatchObject({ removed: 1, updated: 4 });
    const live = await collect(inventory.store.bySource('cloud', 'live'));
    expect(live.map((location) => location.nativeId).sort()).toEqual([...source.certificates.keys()].sort());
    expect(live.every((location) => !location.stale)).toBe(true);
  });

  it('treats a failure of an account as covering each of its region scopes', async () => {
    const inventory = await dynamo.inventory();
    const source = await cloudWith(6, ['111/eu-west-1', '222/eu-west-1']);
    await syncSource({ source, store: inventory.store, clock: hoursLater(0) });

    const accountDown: CertificateSource = {
      kind: source.kind,
      name: source.name,
      async *list() {
        yield { failedScope: '222', message: 'AssumeRole denied' };
        for await (const item of source.list()) if (!('scope' in item) || item.scope !== '222/eu-west-1') yield item;
      },
    };
    const report = await syncSource({ source: accountDown, store: inventory.store, clock: hoursLater(1) });

    expect(report.counts).toMatchObject({ removed: 0, stale: 3, unchanged: 3 });
  });

  it('lets a run that lists one scope of the source retire places in that scope only', async () => {
    const inventory = await dynamo.inventory();
    const source = await cloudWith(6, ['111/eu-west-1', '111/us-east-1']);
    await syncSource({ source, store: inventory.store, clock: hoursLater(0) });
    source.certificates.delete('arn:aws:acm:cert/0'); // eu-west-1
    source.certificates.delete('arn:aws:acm:cert/1'); // us-east-1

    const euOnly: CertificateSource = {
      kind: source.kind,
      name: source.name,
      async *list() {
        for await (const item of source.list()) if ('scope' in item && item.scope === '111/eu-west-1') yield item;
      },
    };
    const report = await syncSource({
      source: euOnly,
      store: inventory.store,
      clock: hoursLater(1),
      scopes: ['111/eu-west-1'],
    });

    expect(report.counts).toMatchObject({ removed: 1, unchanged: 2 });
    expect((await collect(inventory.store.byStatus('removed'))).map((location) => location.nativeId)).toEqual([
      'arn:aws:acm:cert/0',
    ]);
  });

  it('reads only its own scope when it syncs one scope of a larger source', async () => {
    const inventory = await dynamo.inventory();
    const scopes = ['111/eu-west-1', '111/us-east-1', '222/eu-west-1', '222/us-east-1'];
    const source = await cloudWith(80, scopes);
    await syncSource({ source, store: inventory.store, clock: hoursLater(0) });
    const oneScope = (scope: string): CertificateSource => ({
      kind: source.kind,
      name: source.name,
      async *list() {
        for await (const item of source.list()) if ('scope' in item && item.scope === scope) yield item;
      },
    });

    inventory.meter.reset();
    const report = await syncSource({
      source: oneScope('222/eu-west-1'),
      store: inventory.store,
      clock: hoursLater(0.5),
      scopes: ['222/eu-west-1'],
    });

    expect(report.counts).toMatchObject({ unchanged: 20, removed: 0 });
    // The scope's 20 places, read once through the index for the comparison and the removal pass alike.
    expect(inventory.meter.itemsRead).toBeLessThanOrEqual(Math.ceil(20 * 1.1));
    expect(inventory.meter.requests.get('BatchGetCommand') ?? 0).toBe(0);
    expect(inventory.meter.writeRequests).toBe(0);
  });

  it('writes nothing of a place when a policed scope resyncs unchanged an hour and a day later: one scope note at most', async () => {
    const inventory = await dynamo.inventory();
    const source = await cloudWith(6, ['111/eu-west-1']);
    const policy = compilePolicy({});
    const run = (hours: number) =>
      syncSource({ source, store: inventory.store, clock: hoursLater(hours), scopes: ['111/eu-west-1'], policy });
    await run(0);

    for (const hours of [1, 25]) {
      inventory.meter.reset();
      const report = await run(hours);
      expect({ hours, unchanged: report.counts.unchanged }).toEqual({ hours, unchanged: 6 });
      // The hourly read time and, after a day, the policy mark of the daily full evaluation: one item.
      expect({ hours, notes: inventory.meter.itemsWritten.get('scope-note') }).toEqual({ hours, notes: 1 });
      expect({ hours, others: inventory.meter.itemsWrittenExcept('scope-note') }).toEqual({ hours, others: 0 });
    }
  });

  it('loads the batches of every scope side by side, each scope at its own pace', async () => {
    const inventory = await dynamo.inventory();
    // More scopes than one scope's batches in flight (4): a whole-source sync of 2 accounts × 8 regions is paced by
    // 16 quotas, not by 4.
    const scopes = ['111', '222'].flatMap((account) =>
      ['eu-west-1', 'us-east-1', 'eu-central-1', 'us-west-2'].map((region) => `${account}/${region}`),
    );
    const paced = pacedByScope(await cloudWith(80, scopes));

    // Batches of 10 entries: a scope's 10 places make one batch, as a provider's pages do.
    const report = await syncSource({ source: paced, store: inventory.store, clock: hoursLater(0), batchSize: 10 });

    expect(report.counts.discovered).toBe(80);
    expect(paced.mostScopesAtOnce).toBe(scopes.length);
  });

  it('holds 32 batches at most, however many scopes load at once', async () => {
    const inventory = await dynamo.inventory();
    const scopes = Array.from({ length: 40 }, (_, index) => `111/region-${index}`);
    const paced = pacedByScope(await cloudWith(400, scopes));

    const report = await syncSource({ source: paced, store: inventory.store, clock: hoursLater(0), batchSize: 10 });

    expect(report.counts.discovered).toBe(400);
    expect(paced.mostScopesAtOnce).toBe(32);
  });

  it('starts a scope listed after a busy one at once, not when the busy one is done', async () => {
    const inventory = await dynamo.inventory();
    const big = await cloudWith(60, ['111/eu-west-1']);
    const small = await cloudWith(10, ['111/us-east-1']);
    for (const [id, certificate] of small.certificates)
      big.certificates.set(`${id}-small`, { ...certificate, id: `${id}-small` });
    const paced = pacedByScope(new FakeCloudSource(['111/eu-west-1', '111/us-east-1'], big.certificates));

    const report = await syncSource({ source: paced, store: inventory.store, clock: hoursLater(0), batchSize: 10 });

    expect(report.counts.discovered).toBe(70);
    // Its 6 batches are listed first and 4 run at once; the other scope's batch starts beside its first.
    expect(paced.loadsBefore.get('111/us-east-1')).toBeLessThan(10);
  });

  it('keeps 4 batches in flight for entries the listing read whole, however many folders they are in', async () => {
    const inventory = await dynamo.inventory();
    const folders = Array.from({ length: 8 }, (_, index) => `/certs/app-${index}`);
    const cloud = await cloudWith(80, folders);
    const readWhole: CertificateSource = {
      kind: 'local-files',
      name: 'files',
      async *list() {
        for await (const item of cloud.list()) {
          if (!('load' in item) || !item.load) continue;
          const { load, ...entry } = item;
          yield { ...entry, ...(await load()) };
        }
      },
    };
    let reading = 0;
    let mostBatchesAtOnce = 0;
    const store = inventory.store;
    const getLocations = store.getLocations.bind(store);
    store.getLocations = async (ids) => {
      mostBatchesAtOnce = Math.max(mostBatchesAtOnce, ++reading);
      await new Promise((resolve) => setTimeout(resolve, 20));
      reading--;
      return getLocations(ids);
    };

    const report = await syncSource({ source: readWhole, store, clock: hoursLater(0), batchSize: 10 });

    expect(report.counts.discovered).toBe(80);
    expect(mostBatchesAtOnce).toBe(4);
  });

  it('fails the run and retires nothing when a batch fails before the listing ends, even with no batch after it', async () => {
    const inventory = await dynamo.inventory();
    const { store } = inventory;
    const source = await cloudWith(2, ['111/eu-west-1']);
    await syncSource({ source, store, clock: hoursLater(0), batchSize: 2 });
    // The listing's last page comes after the one batch has failed: no batch is added after the failure.
    const slowToEnd: CertificateSource = {
      kind: source.kind,
      name: source.name,
      async *list() {
        yield* source.list();
        await new Promise((resolve) => setTimeout(resolve, 100));
      },
    };
    const getLocations = store.getLocations.bind(store);
    let failures = 1;
    store.getLocations = (ids) =>
      failures-- > 0 ? Promise.reject(new Error('ProvisionedThroughputExceededException')) : getLocations(ids);
    const events: CertwardenEvent[] = [];

    const report = await syncSource({
      source: slowToEnd,
      store,
      clock: hoursLater(2),
      batchSize: 2,
      events: { publish: async (batch) => void events.push(...batch) },
    });

    expect(report.complete).toBe(false);
    expect(report.errors.map(({ message }) => message)).toEqual([
      'writing what cloud listed failed: ProvisionedThroughputExceededException',
    ]);
    expect(report.counts.removed).toBe(0);
    expect(events.map(({ detailType }) => detailType)).toEqual(['Sync Failed']);
    expect(await collect(store.bySource('cloud', 'live'))).toHaveLength(2);
  });

  it('announces the places a batch wrote though a write of the batch failed, and the failed one on the retry', async () => {
    const inventory = await dynamo.inventory();
    const { store, client } = inventory;
    const source = await cloudWith(4, ['111/eu-west-1']);
    const send = client.send.bind(client);
    let locationPuts = 0;
    client.send = ((command: { input: { Item?: { type?: string } } }, ...rest: unknown[]) =>
      command instanceof PutCommand && command.input.Item?.type === 'location' && ++locationPuts === 3
        ? Promise.reject(new Error('ProvisionedThroughputExceededException'))
        : (send as (...args: unknown[]) => Promise<unknown>)(command, ...rest)) as typeof client.send;
    const discovered = (events: CertwardenEvent[]) =>
      events.filter(({ detail }) => (detail as { change?: string }).change === 'discovered').length;
    const first: CertwardenEvent[] = [];
    const retry: CertwardenEvent[] = [];

    const failed = await syncSource({
      source,
      store,
      clock: hoursLater(0),
      events: { publish: async (batch) => void first.push(...batch) },
    });
    client.send = send;
    const retried = await syncSource({
      source,
      store,
      clock: hoursLater(1),
      events: { publish: async (batch) => void retry.push(...batch) },
    });

    expect(failed.complete).toBe(false);
    expect(failed.counts.discovered).toBe(3);
    expect(discovered(first)).toBe(3);
    expect(retried.counts).toMatchObject({ discovered: 1, unchanged: 3 });
    expect(discovered(retry)).toBe(1);
  });

  it('counts a new place whose detail call fails as an error only, not as unchanged', async () => {
    const inventory = await dynamo.inventory();
    const source = await cloudWith(4);
    const failing = failingToLoad(source, 'arn:aws:acm:cert/2', 'ThrottlingException after 10 attempts');

    const report = await syncSource({ source: failing, store: inventory.store, clock: hoursLater(0) });

    expect(report.counts).toMatchObject({ discovered: 3, unchanged: 0, errors: 1 });
  });

  it('leaves a place as it was when its detail call fails, and reports it', async () => {
    const inventory = await dynamo.inventory();
    const source = await cloudWith(4);
    await syncSource({ source, store: inventory.store, clock: hoursLater(0) });
    const before = await inventory.store.getLocation('aws-acm:arn:aws:acm:cert/2');

    const failing = failingToLoad(source, 'arn:aws:acm:cert/2', 'ThrottlingException after 8 attempts');
    const report = await syncSource({ source: failing, store: inventory.store, clock: hoursLater(2) });

    expect(report.errors).toEqual([
      { nativeId: 'arn:aws:acm:cert/2', message: 'arn:aws:acm:cert/2: ThrottlingException after 8 attempts' },
    ]);
    expect(report.counts.removed).toBe(0);
    expect(await inventory.store.getLocation('aws-acm:arn:aws:acm:cert/2')).toEqual(before);
  });
});
