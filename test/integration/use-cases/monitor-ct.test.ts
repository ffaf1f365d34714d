import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { DynamoAlertLedger } from '../../../lib/adapters/dynamodb-alert-ledger';
import { DynamoCtPositions } from '../../../lib/adapters/dynamodb-ct-positions';
import { HttpCtLog } from '../../../lib/adapters/http-ct-log';
import { LocalFilesSource } from '../../../lib/connectors/local-files';
import { issuedCertificateId } from '../../../lib/domain/certificate-transparency';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { fixedClock } from '../../../lib/ports/clock';
import type { EventPublisher } from '../../../lib/ports/event-publisher';
import { monitorCt, type MonitorCtOptions } from '../../../lib/use-cases/monitor-ct';
import { syncSource } from '../../../lib/use-cases/sync';
import { certificateParts } from '../../../lib/x509/certificate-parts';
import { generateKeys, issueCertificate, type IssuedCertificate } from '../../../lib/x509/factory';
import { normalize } from '../../../lib/x509/normalize';
import {
  FakeCtLog,
  poisonExtension,
  precertEntry,
  x509Entry,
  type FakeCtEntry,
} from '../../support/fakes/ct-log-server';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { schemaProblems, schemaValidators } from '../../unit/domain/events/event-schemas';

const dynamo = useEmbeddedDynamoDb();
const clock = fixedClock('2026-06-01T00:00:00.000Z');
const inDays = (days: number) => new Date(clock.now().getTime() + days * 86_400_000);
const LOGGED_AT = Date.parse('2026-05-31T12:00:00.000Z');
const DOMAINS = ['example.com'];
/** Entries of the first population: 8 kinds of entry, 40 of each. */
const ENTRIES = 320;

class RecordingPublisher implements EventPublisher {
  readonly events: CertwardenEvent[] = [];
  failNext = false;
  async publish(events: CertwardenEvent[]) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('EventBridge unavailable');
    }
    this.events.push(...events);
  }
  findingIds(): string[] {
    return this.events.map((event) => (event.detail as { findingId: string }).findingId);
  }
}

interface Population {
  entries: FakeCtEntry[];
  /** Issuer+serial ids of the certificates the monitor must flag. */
  unknown: string[];
  /** PEMs a source of the inventory holds. */
  inventoryPems: string[];
}

let ours: IssuedCertificate;
let rogue: IssuedCertificate;
let partner: IssuedCertificate;
let keyed: IssuedCertificate;
let leafKeys: CryptoKeyPair;
let population: Population;

const spkiSha256 = (certificate: IssuedCertificate) =>
  createHash('sha256').update(certificateParts(certificate.der).spki).digest('hex');
const idOf = (certificate: IssuedCertificate) => {
  const record = normalize(certificate.der);
  return issuedCertificateId(record.issuer, record.serialNumber);
};

const ca = (subject: string) =>
  issueCertificate({ subject, ca: true, notBefore: inDays(-100), notAfter: inDays(1000) });
const leaf = (name: string, issuer: IssuedCertificate, options: { serialNumber?: string; precert?: boolean } = {}) =>
  issueCertificate({
    subject: `CN=${name}`,
    dns: [name],
    issuer,
    keys: leafKeys,
    notBefore: inDays(-1),
    notAfter: inDays(90),
    serialNumber: options.serialNumber,
    extensions: options.precert ? [poisonExtension()] : [],
  });
const serialOf = (certificate: IssuedCertificate) => certificate.certificate.serialNumber.toLowerCase();

/**
 * Eight kinds of entry, in turn: another domain's certificate; ours (a source holds it); a rogue CA's; our CA's
 * precertificate whose final certificate a source holds; a rogue precertificate; an allowlisted issuer's (by DN);
 * an allowlisted issuer's precertificate (by the issuer's key); the final certificate of the rogue precertificate
 * three entries before (the same finding, never raised twice).
 */
async function buildPopulation(count: number, from = 0): Promise<Population> {
  const result: Population = { entries: [], unknown: [], inventoryPems: [] };
  let lastRoguePrecert: IssuedCertificate | undefined;
  for (let i = from; i < from + count; i++) {
    const at = LOGGED_AT + i;
    switch (i % 8) {
      case 0:
        result.entries.push(x509Entry(await leaf(`www-${i}.other.org`, rogue), [rogue], at));
        break;
      case 1: {
        const certificate = await leaf(`known-${i}.example.com`, ours);
        result.inventoryPems.push(certificate.pem);
        result.entries.push(x509Entry(certificate, [ours], at));
        break;
      }
      case 2: {
        const certificate = await leaf(`rogue-${i}.example.com`, rogue);
        result.unknown.push(idOf(certificate));
        result.entries.push(x509Entry(certificate, [rogue], at));
        break;
      }
      case 3: {
        const precert = await leaf(`pre-known-${i}.example.com`, ours, { precert: true });
        const final = await leaf(`pre-known-${i}.example.com`, ours, { serialNumber: serialOf(precert) });
        result.inventoryPems.push(final.pem);
        result.entries.push(precertEntry(precert, [ours], at));
        break;
      }
      case 4: {
        lastRoguePrecert = await leaf(`login-${i}.Example.COM`, rogue, { precert: true });
        result.unknown.push(idOf(lastRoguePrecert));
        result.entries.push(precertEntry(lastRoguePrecert, [rogue], at));
        break;
      }
      case 5:
        result.entries.push(x509Entry(await leaf(`partner-${i}.example.com`, partner), [partner], at));
        break;
      case 6: {
        const precert = await leaf(`keyed-${i}.shop.example.com`, keyed, { precert: true });
        result.entries.push(precertEntry(precert, [keyed], at));
        break;
      }
      case 7: {
        const name = lastRoguePrecert!.certificate.subject.replace('CN=', '');
        const final = await leaf(name, rogue, { serialNumber: serialOf(lastRoguePrecert!) });
        result.entries.push(x509Entry(final, [rogue], at));
        break;
      }
    }
  }
  return result;
}

beforeAll(async () => {
  leafKeys = await generateKeys();
  ours = await ca('CN=Example Issuing CA,O=Example');
  rogue = await ca('CN=Rogue CA,O=Elsewhere');
  partner = await ca('CN=Partner CA,O=Partner');
  keyed = await ca('CN=Keyed CA');
  population = await buildPopulation(ENTRIES);
}, 60_000);

let inventory: TestInventory;
let fake: FakeCtLog;
const directories: string[] = [];

/** Syncs the PEMs into the inventory as a local-files source, as `certwarden sync` would. */
async function seedInventory(pems: string[], name = 'web'): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'certwarden-ct-'));
  directories.push(root);
  await Promise.all(pems.map((pem, i) => writeFile(join(root, `cert-${i}.pem`), pem)));
  const report = await syncSource({ source: new LocalFilesSource({ name, root }), store: inventory.store, clock });
  expect(report.counts.discovered).toBe(pems.length);
}

beforeEach(async () => {
  inventory = await dynamo.inventory();
  await seedInventory(population.inventoryPems);
  fake = new FakeCtLog();
  fake.add(...population.entries);
  await fake.start();
});

afterEach(async () => {
  await fake.stop();
  await Promise.all(directories.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A poll as a fresh process makes it: new clients of the same table, nothing remembered but what is stored. */
function poll(events: EventPublisher, overrides: Partial<MonitorCtOptions> = {}) {
  return monitorCt({
    logs: [new HttpCtLog({ name: 'fake', url: fake.url, batchSize: 50 })],
    positions: new DynamoCtPositions(inventory.client, inventory.tableName, clock),
    ledger: new DynamoAlertLedger(inventory.client, inventory.tableName, clock),
    store: inventory.store,
    clock,
    events,
    domains: DOMAINS,
    allowlist: { issuers: ['CN=Partner CA, O=Partner'], publicKeys: [spkiSha256(keyed)] },
    startAt: 'first',
    ...overrides,
  });
}

describe('monitorCt against a local RFC 6962 log', () => {
  it('flags exactly the unknown certificates, through short pages and a failure, resuming where it stopped', async () => {
    const events = new RecordingPublisher();
    fake.maxPageSize = 17;
    fake.failAtIndex = 150;

    const first = await poll(events);
    const [broken] = first.logs;
    expect(broken.error).toBe('fake: get-entries: HTTP 503');
    expect(broken.to).toBeGreaterThan(0);
    expect(broken.to).toBeLessThan(150);
    expect(await new DynamoCtPositions(inventory.client, inventory.tableName, clock).position(fake.url)).toBe(
      broken.to,
    );

    const second = await poll(events);
    expect(second.logs[0]).toMatchObject({ error: null, from: broken.to, to: ENTRIES, treeSize: ENTRIES });

    expect(events.findingIds().sort()).toEqual([...population.unknown].sort());
    expect(events.events.every((event) => event.detailType === 'Unknown Certificate Issued')).toBe(true);
    expect(fake.servedTwice()).toEqual([]);
    expect(fake.served.size).toBe(ENTRIES);
    // The monitor asked for 50 at a time; the log's limit of 17 cut every page short, and the monitor moved on by it.
    expect(fake.requests.slice(0, 3)).toEqual(['0-49', '17-66', '34-83']);
    const counts = [first, second].map(({ logs: [log] }) => log);
    const sum = (key: 'read' | 'matched' | 'known' | 'allowlisted' | 'unknown' | 'raised') =>
      counts.reduce((total, log) => total + log[key], 0);
    expect({ read: sum('read'), known: sum('known'), allowlisted: sum('allowlisted'), raised: sum('raised') }).toEqual({
      read: ENTRIES,
      known: 80,
      allowlisted: 80,
      raised: 80,
    });
  });

  it('names the log, the entry and the certificate in each finding, as the event schema describes it', async () => {
    const events = new RecordingPublisher();
    await poll(events);
    const validators = schemaValidators();
    expect(events.events.flatMap((event) => schemaProblems(validators, event))).toEqual([]);
    const precert = events.events.find((event) => (event.detail as { index: number }).index === 4)!;
    expect(precert.detail).toMatchObject({
      log: 'fake',
      logUrl: fake.url,
      index: 4,
      entryType: 'precert',
      fingerprint: null,
      subjectCommonName: 'login-4.Example.COM',
      dnsNames: ['login-4.Example.COM'],
      issuer: normalize(rogue.der).subject,
      issuerSpkiSha256: spkiSha256(rogue),
      domains: ['example.com'],
      severity: 'high',
      loggedAt: new Date(LOGGED_AT + 4).toISOString(),
    });
  });

  it('raises nothing new and reads no entry on a second poll, then finds the entries appended since', async () => {
    const events = new RecordingPublisher();
    await poll(events);
    const raised = events.events.length;
    const requests = fake.requests.length;

    const again = await poll(events);
    expect(again.findings).toEqual([]);
    expect(fake.requests.length).toBe(requests);

    const appended = await buildPopulation(16, ENTRIES);
    await seedInventory(appended.inventoryPems, 'web-later');
    fake.add(...appended.entries);
    const later = await poll(events);
    expect(later.findings.map((finding) => finding.findingId).sort()).toEqual([...appended.unknown].sort());
    expect(later.findings.map((finding) => finding.index).every((index) => index >= ENTRIES)).toBe(true);
    expect(events.events.length).toBe(raised + appended.unknown.length);
    expect(fake.servedTwice()).toEqual([]);
  });

  it('raises a certificate held by two logs once', async () => {
    const other = new FakeCtLog();
    other.add(...population.entries.slice(0, 24));
    await other.start();
    try {
      const events = new RecordingPublisher();
      const report = await poll(events, {
        logs: [
          new HttpCtLog({ name: 'fake', url: fake.url, batchSize: 50 }),
          new HttpCtLog({ name: 'other', url: other.url, batchSize: 8 }),
        ],
      });
      expect(report.logs.map((log) => log.error)).toEqual([null, null]);
      expect(events.findingIds().sort()).toEqual([...population.unknown].sort());
    } finally {
      await other.stop();
    }
  });

  it('reports an unreachable log in one line and still polls the others', async () => {
    const down = new FakeCtLog();
    await down.start();
    const downUrl = down.url;
    await down.stop();
    const events = new RecordingPublisher();
    const report = await poll(events, {
      logs: [
        new HttpCtLog({ name: 'down', url: downUrl }),
        new HttpCtLog({ name: 'fake', url: fake.url, batchSize: 50 }),
      ],
    });
    expect(report.logs[0].error).toBe(`down: get-sth: ${downUrl} unreachable (ECONNREFUSED)`);
    expect(report.logs[1]).toMatchObject({ error: null, to: ENTRIES });
    expect(events.events).toHaveLength(population.unknown.length);
  });

  it('starts a log never polled at its current size by default, and reads what is logged after', async () => {
    const events = new RecordingPublisher();
    const first = await poll(events, { startAt: undefined });
    expect(first.logs[0]).toMatchObject({ from: ENTRIES, to: ENTRIES, read: 0 });
    expect(fake.requests).toEqual([]);

    const appended = await buildPopulation(8, ENTRIES);
    await seedInventory(appended.inventoryPems, 'web-later');
    fake.add(...appended.entries);
    const next = await poll(events, { startAt: undefined });
    expect(next.logs[0]).toMatchObject({ from: ENTRIES, to: ENTRIES + 8, read: 8 });
    expect(events.findingIds().sort()).toEqual([...appended.unknown].sort());
  });

  it('does not pass a page whose findings could not be published: the next poll raises them', async () => {
    const events = new RecordingPublisher();
    events.failNext = true;
    const first = await poll(events, { maxEntriesPerPoll: 50 });
    expect(first.logs[0]).toMatchObject({ error: 'EventBridge unavailable', from: 0, to: 0 });

    const second = await poll(events);
    expect(second.logs[0].error).toBeNull();
    expect(events.findingIds().sort()).toEqual([...population.unknown].sort());
  });

  it("verifies each tree head against the log's configured key, and reads nothing of a log whose head does not verify", async () => {
    const events = new RecordingPublisher();
    const stranger = new FakeCtLog();
    const report = await poll(events, {
      logs: [
        new HttpCtLog({ name: 'signed', url: fake.url, batchSize: 50, publicKey: fake.publicKeyDer }),
        new HttpCtLog({ name: 'forged', url: fake.url, batchSize: 50, publicKey: stranger.publicKeyDer }),
      ],
    });
    expect(report.logs.map(({ log, error, read }) => ({ log, error, read }))).toEqual([
      { log: 'signed', error: null, read: ENTRIES },
      { log: 'forged', error: 'forged: get-sth: the tree head is not signed by the configured publicKey', read: 0 },
    ]);
  });

  it('reads no more than maxEntriesPerPoll a poll, leaving the rest for the next', async () => {
    const events = new RecordingPublisher();
    const first = await poll(events, { maxEntriesPerPoll: 100 });
    expect(first.logs[0]).toMatchObject({ from: 0, to: 100, read: 100 });
    const second = await poll(events, { maxEntriesPerPoll: 1000 });
    expect(second.logs[0]).toMatchObject({ from: 100, to: ENTRIES });
    expect(fake.servedTwice()).toEqual([]);
  });
});
