import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpRevocationChecker } from '../../../lib/adapters/http-revocation-checker';
import { LocalFilesSource } from '../../../lib/connectors/local-files';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { fixedClock } from '../../../lib/ports/clock';
import { ALERT_SHARDS } from '../../../lib/ports/inventory-store';
import type { EventPublisher } from '../../../lib/ports/event-publisher';
import { checkRevocation } from '../../../lib/use-cases/check-revocation';
import { syncSource } from '../../../lib/use-cases/sync';
import { collect, useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { RevocationCa } from '../../support/revocation-ca';

const dynamo = useEmbeddedDynamoDb();

class RecordingPublisher implements EventPublisher {
  readonly events: CertwardenEvent[] = [];
  async publish(events: CertwardenEvent[]) {
    this.events.push(...events);
  }
}

describe('checkRevocation on a synced directory, against openssl ocsp', () => {
  let ca: RevocationCa;
  let responder: ChildProcess;
  let root: string;
  let inventory: TestInventory;
  const checkers: HttpRevocationChecker[] = [];
  const start = Date.now();
  const at = (hours: number) => fixedClock(new Date(start + hours * 3_600_000));
  const run = (hours: number, events: EventPublisher = new RecordingPublisher()) => {
    const checker = new HttpRevocationChecker({ clock: at(hours), timeoutMs: 2000 });
    checkers.push(checker);
    return checkRevocation({ store: inventory.store, checker, clock: at(hours), events });
  };
  const sync = (hours: number) =>
    syncSource({ source: new LocalFilesSource({ name: 'files', root }), store: inventory.store, clock: at(hours) });

  beforeAll(async () => {
    ca = await RevocationCa.create();
    const chain = (await ca.issue('good.example')).pem + (await import('node:fs')).readFileSync(ca.path('ca.pem'));
    const revoked = (await ca.issue('revoked.example')).pem + (await import('node:fs')).readFileSync(ca.path('ca.pem'));
    ca.revoke('revoked.example', 'superseded');
    responder = await ca.startResponder();
    root = await mkdtemp(join(tmpdir(), 'certwarden-revocation-'));
    await writeFile(join(root, 'good.pem'), chain);
    await writeFile(join(root, 'revoked.pem'), revoked);
    await writeFile(join(root, 'copy-of-revoked.pem'), revoked);
    await writeFile(join(root, 'bare.pem'), (await ca.issue('bare.example', {})).pem);
    const ldapOnly = { extra: 'crlDistributionPoints=URI:ldap://ldap.example/cn=CA?certificateRevocationList' };
    await writeFile(join(root, 'ldap-only.pem'), (await ca.issue('ldap-only.example', ldapOnly)).pem);
    inventory = await dynamo.inventory();
  }, 60_000);
  afterAll(async () => {
    checkers.forEach((checker) => checker.close());
    await ca?.stopResponder(responder);
    await ca?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('records at sync a leaf that names nowhere to ask as unknown for good, with no check due', async () => {
    await sync(0);
    const places = await collect(inventory.store.bySource('files', 'live'));
    for (const file of ['/bare.pem', '/ldap-only.pem']) {
      const place = places.find((candidate) => candidate.nativeId === join(root, file))!;
      expect(place.revocation).toEqual({
        status: 'unknown',
        reason: 'no OCSP responder or CRL distribution point in the certificate',
        revokedAt: null,
        checkedAt: at(0).now().toISOString(),
        via: null,
        issuerFingerprint: null,
      });
      expect(place.nextRevocationCheckAt).toBeUndefined();
    }
    const due = await Promise.all(
      Array.from({ length: ALERT_SHARDS }, (_, shard) =>
        collect(inventory.store.revocationChecksDue(shard, at(0).now())),
      ),
    );
    // The leaves that name a responder, and the CA bundled with each (a place per file, `<file>#<fingerprint>`).
    const dueFiles = due.flat().map((place) => place.nativeId.replace(root, '').replace(/#[0-9a-f]{64}$/, '#CA'));
    expect(dueFiles.sort()).toEqual([
      '/copy-of-revoked.pem',
      '/copy-of-revoked.pem#CA',
      '/good.pem',
      '/good.pem#CA',
      '/revoked.pem',
      '/revoked.pem#CA',
    ]);
  });

  it('checks every new certificate once, records it on each place and announces each revoked place once', async () => {
    const events = new RecordingPublisher();
    const report = await run(0, events);
    // The good leaf, the revoked one (two places), the CA bundled in each file (three places, self-signed).
    expect(report).toMatchObject({ checked: 3, places: 6, good: 1, revoked: 1, unknown: 1, detected: 2 });
    const places = await collect(inventory.store.bySource('files', 'live'));
    const byPath = Object.fromEntries(places.map((place) => [place.nativeId.replace(root, ''), place.revocation]));
    expect(byPath['/good.pem']).toMatchObject({ status: 'good', via: 'ocsp', reason: null });
    expect(byPath['/revoked.pem']).toMatchObject({ status: 'revoked', via: 'ocsp', reason: 'superseded' });
    expect(byPath['/copy-of-revoked.pem']).toMatchObject({ status: 'revoked' });
    expect(events.events.map((event) => [event.detailType, (event.detail as { nativeId: string }).nativeId])).toEqual(
      expect.arrayContaining([
        ['Revocation Detected', join(root, 'revoked.pem')],
        ['Revocation Detected', join(root, 'copy-of-revoked.pem')],
      ]),
    );
    expect(events.events[0].detail).toMatchObject({ reason: 'superseded', via: 'ocsp' });
  });

  it('makes no OCSP request and no write on an unchanged resync', async () => {
    await sync(1);
    inventory.meter.reset();
    const report = await run(1);
    expect(report.checked).toBe(0);
    expect(checkers.at(-1)!.stats.requests).toBe(0);
    expect(inventory.meter.writeRequests).toBe(0);
  });

  it('re-checks at most daily, and never announces a known revocation again', async () => {
    expect((await run(23)).checked).toBe(0);
    const events = new RecordingPublisher();
    const report = await run(25, events);
    // The revoked certificate is final, the self-signed CA names nowhere to ask: only the good one is due (the
    // responder's real-time answer looks expired to this clock a day ahead: unknown, not a revocation).
    expect(report).toMatchObject({ checked: 1, revoked: 0, detected: 0 });
    expect(events.events).toEqual([]);
  });
});
