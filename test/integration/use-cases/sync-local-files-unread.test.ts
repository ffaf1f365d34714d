import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { fixedClock } from '../../../lib/ports/clock';
import { syncSource } from '../../../lib/use-cases/sync';
import { issueCertificate } from '../../../lib/x509/factory';
import { collect, useEmbeddedDynamoDb } from '../../support/inventory';

/**
 * Files whose read fails with EACCES, as one does for a moment (permissions changed under a rotation, a volume
 * remounting): the tests run as root, which chmod cannot stop, so the read itself is made to fail.
 */
const denied = new Set<string>();
jest.mock('node:fs', () => {
  const actual = jest.requireActual<typeof import('node:fs')>('node:fs');
  return {
    ...actual,
    readFile: (path: string, ...rest: unknown[]) => {
      const callback = rest[rest.length - 1] as (error: unknown) => void;
      if (!denied.has(String(path))) return (actual.readFile as (...args: unknown[]) => void)(path, ...rest);
      process.nextTick(() =>
        callback(Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' })),
      );
    },
  };
});
// After the mock: the connector reads through it.
import { LocalFilesSource } from '../../../lib/connectors/local-files';

const dynamo = useEmbeddedDynamoDb();

describe('a local file that cannot be read for a while', () => {
  it('keeps its certificate and chain, marked stale, with no change or removal announced; a new one is an error place', async () => {
    const ca = await issueCertificate({
      subject: 'CN=Unread CA',
      ca: true,
      notBefore: new Date('2026-01-01'),
      notAfter: new Date('2030-01-01'),
    });
    const leaf = await issueCertificate({
      subject: 'CN=app.example.com',
      dns: ['app.example.com'],
      issuer: ca,
      notBefore: new Date('2026-01-01'),
      notAfter: new Date('2027-01-01'),
    });
    const root = await mkdtemp(join(tmpdir(), 'certwarden-unread-'));
    const bundle = join(root, 'app.pem');
    await writeFile(bundle, leaf.pem + ca.pem);
    const inventory = await dynamo.inventory();
    const source = new LocalFilesSource({ name: 'files', root });
    const sync = async (hour: number) => {
      const events: CertwardenEvent[] = [];
      const report = await syncSource({
        source,
        store: inventory.store,
        clock: fixedClock(`2026-06-01T${String(hour).padStart(2, '0')}:00:00.000Z`),
        events: { publish: async (batch) => void events.push(...batch) },
      });
      const places = await collect(inventory.store.bySource('files', 'live'));
      return { report, types: events.map(({ detailType }) => detailType), places };
    };

    const first = await sync(0);
    denied.add(bundle);
    const unread = await sync(1);
    await writeFile(join(root, 'new.pem'), leaf.pem);
    denied.add(join(root, 'new.pem'));
    const withNew = await sync(2);
    denied.clear();
    const back = await sync(3);

    const fingerprints = (places: typeof first.places) =>
      places
        .filter(({ nativeId }) => nativeId.startsWith(bundle))
        .map(({ fingerprint }) => fingerprint)
        .sort();
    expect(first.places).toHaveLength(2);
    expect(fingerprints(unread.places)).toEqual(fingerprints(first.places));
    expect(unread.places.every(({ stale }) => stale?.reason === `${bundle}: cannot read (EACCES)`)).toBe(true);
    expect(unread.report.counts).toMatchObject({ stale: 2, removed: 0, updated: 0, errors: 1 });
    expect(unread.types).toEqual(['Sync Failed']);
    // A file never read before has nothing to keep: it is a place with its error, as an unparsable one is.
    expect(withNew.places.find(({ nativeId }) => nativeId === join(root, 'new.pem'))).toMatchObject({
      fingerprint: null,
      error: `${join(root, 'new.pem')}: cannot read (EACCES)`,
    });
    expect(fingerprints(back.places)).toEqual(fingerprints(first.places));
    expect(back.places.every(({ stale }) => stale === undefined)).toBe(true);
    expect(back.types).not.toContain('Certificate Removed');
  });
});
