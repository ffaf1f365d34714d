import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countCertificateFiles, LocalFilesSource } from '../../../lib/connectors/local-files';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { isScopeFailure, type CertificateSource } from '../../../lib/ports/certificate-source';
import { fixedClock } from '../../../lib/ports/clock';
import type { EventPublisher } from '../../../lib/ports/event-publisher';
import { syncSource } from '../../../lib/use-cases/sync';
import { issueCertificate, privateKeyPem, type IssuedCertificate } from '../../../lib/x509/factory';
import { parseCertificates } from '../../../lib/x509/parse';
import { collect, useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';

const dynamo = useEmbeddedDynamoDb();
const clock = fixedClock('2026-06-01T00:00:00.000Z');
const inDays = (days: number) => new Date(clock.now().getTime() + days * 86_400_000);

let ca: IssuedCertificate;
beforeAll(async () => {
  ca = await issueCertificate({ subject: 'CN=Test CA', ca: true, notBefore: inDays(-10), notAfter: inDays(1000) });
});

const leaf = (name: string, daysLeft = 90) =>
  issueCertificate({
    subject: `CN=${name}`,
    dns: [name],
    issuer: ca,
    notBefore: inDays(-10),
    notAfter: inDays(daysLeft),
  });

class RecordingPublisher implements EventPublisher {
  readonly events: CertwardenEvent[] = [];
  async publish(events: CertwardenEvent[]) {
    this.events.push(...events);
  }
  types() {
    return this.events.map((event) => event.detailType);
  }
}

async function estate(files: Record<string, string | Uint8Array>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'certwarden-sync-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

/** What the files hold, as (location, fingerprint) pairs: the inventory must equal it exactly. */
async function expectInventoryToEqualSource(inventory: TestInventory, source: CertificateSource) {
  const expected: string[] = [];
  for await (const entry of source.list()) {
    if (isScopeFailure(entry)) throw new Error(`unexpected scope failure ${entry.failedScope}`);
    const { certificate } = entry.load ? await entry.load() : entry;
    expected.push(`${entry.nativeId} ${certificate?.record.fingerprintSha256 ?? 'none'}`);
  }
  const live = await collect(inventory.store.bySource(source.name, 'live'));
  expect(live.map((location) => `${location.nativeId} ${location.fingerprint ?? 'none'}`).sort()).toEqual(
    expected.sort(),
  );
}

describe('sync of a local directory into the inventory', () => {
  it('discovers every certificate, chain certificates as their own places, and resyncs with zero writes', async () => {
    const inventory = await dynamo.inventory();
    const api = await leaf('api.example.com');
    const root = await estate({
      'web/api.pem': api.pem + ca.pem,
      'web/www.crt': (await leaf('www.example.com', 20)).pem,
      'db/db.der': (await leaf('db.internal')).der,
      'notes.txt': 'not scanned',
    });
    const source = new LocalFilesSource({ name: 'files', root, defaultOwner: 'web-team' });

    const first = await syncSource({ source, store: inventory.store, clock });
    expect(first.counts).toMatchObject({ discovered: 4, unchanged: 0, errors: 0 });
    expect(first.complete).toBe(true);
    await expectInventoryToEqualSource(inventory, source);
    const chain = await inventory.store.getLocation(
      `local-files:${join(root, 'web/api.pem')}#${parseCertificates(ca.pem, 'ca').certificates[0].record.fingerprintSha256}`,
    );
    expect(chain).toMatchObject({
      role: 'chain',
      owner: 'web-team',
      certificate: expect.objectContaining({ isCA: true }),
    });

    inventory.meter.reset();
    const second = await syncSource({ source, store: inventory.store, clock });
    expect(second.counts).toMatchObject({ discovered: 0, renewed: 0, updated: 0, removed: 0, unchanged: 4 });
    expect(inventory.meter.writeRequests).toBe(0);
  });

  it('finds every file of a large nested tree, beyond what one directory read returns', async () => {
    const inventory = await dynamo.inventory();
    const keys = (await leaf('shared-key.example.com')).keys;
    const files: Record<string, string> = {};
    // opendir reads 32 entries at a time: one directory holds more than that, the others sit a few levels down.
    for (let index = 0; index < 40; index++) {
      const issued = await issueCertificate({
        subject: `CN=n${index}`,
        issuer: ca,
        keys,
        notBefore: inDays(-1),
        notAfter: inDays(90),
      });
      files[index < 34 ? `wide/cert-${index}.pem` : `level-${index % 3}/sub-${index % 2}/cert-${index}.pem`] =
        issued.pem;
    }
    const root = await estate(files);

    const report = await syncSource({
      source: new LocalFilesSource({ name: 'files', root }),
      store: inventory.store,
      clock,
    });

    expect(report.counts.discovered).toBe(40);
    expect(await countCertificateFiles(root)).toBe(40);
  });

  it('turns a place no longer seen into a tombstone, and restores it when it comes back', async () => {
    const inventory = await dynamo.inventory();
    const gone = await leaf('gone.example.com');
    const root = await estate({ 'a.pem': (await leaf('a.example.com')).pem, 'gone.pem': gone.pem });
    const source = new LocalFilesSource({ name: 'files', root });
    await syncSource({ source, store: inventory.store, clock });

    await rm(join(root, 'gone.pem'));
    const events = new RecordingPublisher();
    const report = await syncSource({ source, store: inventory.store, clock, events });

    expect(report.counts).toMatchObject({ removed: 1, unchanged: 1 });
    expect(events.types()).toEqual(['Certificate Removed', 'Sync Completed']);
    expect(events.events.at(-1)!.detail).toMatchObject({
      source: 'files',
      scopes: null,
      counts: { removed: 1, unchanged: 1, discovered: 0 },
    });
    const id = `local-files:${join(root, 'gone.pem')}`;
    expect(await inventory.store.getLocation(id)).toMatchObject({
      status: 'removed',
      removedAt: clock.now().toISOString(),
    });
    expect((await collect(inventory.store.byStatus('removed'))).map((location) => location.locationId)).toEqual([id]);
    expect(await collect(inventory.store.expiringBefore(inDays(10_000)))).toHaveLength(1);

    await writeFile(join(root, 'gone.pem'), gone.pem);
    const back = await syncSource({ source, store: inventory.store, clock });
    expect(back.counts).toMatchObject({ restored: 1 });
    expect((await inventory.store.history(id)).map((record) => record.change)).toEqual([
      'discovered',
      'removed',
      'restored',
    ]);
  });

  it('records a renewal as a change of certificate at the same place, with its history', async () => {
    const inventory = await dynamo.inventory();
    const old = await leaf('renew.example.com', 5);
    const root = await estate({ 'renew.pem': old.pem });
    const source = new LocalFilesSource({ name: 'files', root });
    await syncSource({ source, store: inventory.store, clock });

    const renewed = await leaf('renew.example.com', 90);
    await writeFile(join(root, 'renew.pem'), renewed.pem);
    const events = new RecordingPublisher();
    const report = await syncSource({ source, store: inventory.store, clock, events });

    const id = `local-files:${join(root, 'renew.pem')}`;
    const newFingerprint = parseCertificates(renewed.pem, 'renewed').certificates[0].record.fingerprintSha256;
    const oldFingerprint = parseCertificates(old.pem, 'old').certificates[0].record.fingerprintSha256;
    expect(report.counts).toMatchObject({ renewed: 1 });
    expect(events.events).toEqual([
      expect.objectContaining({
        detailType: 'Certificate Changed',
        detail: expect.objectContaining({ fingerprint: newFingerprint, previousFingerprint: oldFingerprint }),
      }),
      expect.objectContaining({ detailType: 'Sync Completed' }),
    ]);
    expect(await inventory.store.getLocation(id)).toMatchObject({ version: 2, fingerprint: newFingerprint });
    expect(await inventory.store.history(id)).toEqual([
      expect.objectContaining({ version: 1, change: 'discovered', fingerprint: oldFingerprint }),
      expect.objectContaining({
        version: 2,
        change: 'renewed',
        fingerprint: newFingerprint,
        previousFingerprint: oldFingerprint,
      }),
    ]);
    expect(await inventory.store.getCertificate(oldFingerprint)).toBeDefined();
    expect((await inventory.store.getCertificate(newFingerprint))?.pem.replace(/\s/g, '')).toBe(
      renewed.pem.replace(/\s/g, ''),
    );
  });

  it('records an unreadable file as an error place and a Sync Failed event, and still syncs the rest', async () => {
    const inventory = await dynamo.inventory();
    const root = await estate({
      'good.pem': (await leaf('good.example.com')).pem,
      'bad.pem': '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
      'empty.crt': '',
    });
    const events = new RecordingPublisher();
    const report = await syncSource({
      source: new LocalFilesSource({ name: 'files', root }),
      store: inventory.store,
      clock,
      events,
    });

    expect(report.counts).toMatchObject({ discovered: 3, errors: 2 });
    expect(report.errors.map((error) => error.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining(join(root, 'bad.pem')),
        expect.stringContaining(join(root, 'empty.crt')),
      ]),
    );
    expect(events.types()).toEqual(expect.arrayContaining(['Sync Failed']));
    const unreadable = await collect(inventory.store.byStatus('error'));
    expect(unreadable.map((location) => location.nativeId).sort()).toEqual([
      join(root, 'bad.pem'),
      join(root, 'empty.crt'),
    ]);
    expect((await inventory.store.syncRuns('files'))[0]).toMatchObject({
      complete: true,
      counts: expect.objectContaining({ errors: 2 }),
    });
  });

  it('drops a private key found in a bundle: a warning, and no key material anywhere in the inventory', async () => {
    const inventory = await dynamo.inventory();
    const keyed = await leaf('keyed.example.com');
    const keyPem = await privateKeyPem(keyed.keys);
    const root = await estate({ 'keyed.pem': keyed.pem + keyPem });

    const report = await syncSource({
      source: new LocalFilesSource({ name: 'files', root }),
      store: inventory.store,
      clock,
    });

    expect(report.counts).toMatchObject({ discovered: 1, errors: 0 });
    expect(report.warnings).toEqual([expect.stringContaining('private key')]);
    const everything = JSON.stringify(await inventory.scanAll());
    const keyBody = keyPem.split('\n').slice(1, -2).join('');
    expect(everything).not.toContain('PRIVATE KEY');
    expect(everything).not.toContain(keyBody.slice(0, 40));
  });

  it('never marks anything removed after a listing that broke, and a retry leaves the inventory equal to the source', async () => {
    const inventory = await dynamo.inventory();
    const files: Record<string, string> = {};
    for (let index = 0; index < 30; index++) files[`cert-${index}.pem`] = (await leaf(`host-${index}.example.com`)).pem;
    const root = await estate(files);
    const source = new LocalFilesSource({ name: 'files', root });
    await syncSource({ source, store: inventory.store, clock, batchSize: 7 });

    // The source changes, then the next listing dies two thirds of the way through.
    await rm(join(root, 'cert-3.pem'));
    await writeFile(join(root, 'cert-4.pem'), (await leaf('host-4.example.com', 300)).pem);
    await writeFile(join(root, 'cert-new.pem'), (await leaf('new.example.com')).pem);
    const reset = new Error('connection reset');
    const breaking: CertificateSource = {
      kind: source.kind,
      name: source.name,
      async *list() {
        let count = 0;
        for await (const entry of source.list()) {
          if (++count > 20) throw reset;
          yield entry;
        }
      },
    };
    const events = new RecordingPublisher();
    const broken = await syncSource({ source: breaking, store: inventory.store, clock, events, batchSize: 7 });

    expect(broken.complete).toBe(false);
    expect(broken.counts.removed).toBe(0);
    expect(broken.errors).toEqual([{ nativeId: '*', message: 'listing files failed: connection reset' }]);
    expect(broken.cause).toBe(reset);
    expect(events.events.at(-1)).toMatchObject({ detailType: 'Sync Failed', detail: { complete: false } });
    expect(await collect(inventory.store.byStatus('removed'))).toEqual([]);

    const retry = await syncSource({ source, store: inventory.store, clock, batchSize: 7 });
    expect(retry.complete).toBe(true);
    expect(retry.cause).toBeUndefined();
    await expectInventoryToEqualSource(inventory, source);
    expect((await collect(inventory.store.byStatus('removed'))).map((location) => location.nativeId)).toEqual([
      join(root, 'cert-3.pem'),
    ]);
  });

  it('keeps one consistent history when two syncs of the same source race', async () => {
    const inventory = await dynamo.inventory();
    const files: Record<string, string> = {};
    for (let index = 0; index < 20; index++) files[`race-${index}.pem`] = (await leaf(`race-${index}.example.com`)).pem;
    const root = await estate(files);
    const source = new LocalFilesSource({ name: 'files', root });
    await syncSource({ source, store: inventory.store, clock });
    for (let index = 0; index < 10; index++)
      await writeFile(join(root, `race-${index}.pem`), (await leaf(`race-${index}.example.com`, 200)).pem);

    const [a, b] = await Promise.all([
      syncSource({ source, store: inventory.store, clock, batchSize: 3 }),
      syncSource({ source, store: inventory.store, clock, batchSize: 5 }),
    ]);

    expect(a.counts.renewed + b.counts.renewed).toBe(10);
    expect(a.counts.errors + b.counts.errors).toBe(0);
    await expectInventoryToEqualSource(inventory, source);
    for (let index = 0; index < 10; index++) {
      const history = await inventory.store.history(`local-files:${join(root, `race-${index}.pem`)}`);
      expect(history.map((record) => `${record.version}:${record.change}`)).toEqual(['1:discovered', '2:renewed']);
    }
  });
});
