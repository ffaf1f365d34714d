import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFilesSource } from '../../../lib/connectors/local-files';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { compilePolicy, RECOMMENDED_POLICY, type CompiledPolicy } from '../../../lib/domain/policy';
import { enforcePolicy } from '../../../lib/use-cases/enforce-policy';
import { fixedClock } from '../../../lib/ports/clock';
import { syncSource } from '../../../lib/use-cases/sync';
import { issueCertificate, type IssuedCertificate } from '../../../lib/x509/factory';
import { normalize } from '../../../lib/x509/parse';
import { publicOnly, rocaShapedModulus, rsaPublicKey } from '../../support/crafted-certificates';
import { collect, useEmbeddedDynamoDb } from '../../support/inventory';

const dynamo = useEmbeddedDynamoDb();
const DAY = 86_400_000;
const clock = fixedClock('2026-06-01T00:00:00.000Z');
const later = fixedClock('2026-06-01T00:30:00.000Z'); // within the hour: no scope-read heartbeat either

let ca: IssuedCertificate;
beforeAll(async () => {
  ca = await issueCertificate({
    subject: 'CN=Policy CA',
    ca: true,
    key: { algorithm: 'RSA', bits: 3072 },
    notBefore: new Date('2026-01-01'),
    notAfter: new Date('2030-01-01'),
  });
});

const cert = (name: string, weak: boolean) =>
  issueCertificate({
    subject: `CN=${name}`,
    dns: [name],
    issuer: weak ? undefined : ca,
    key: weak ? { algorithm: 'RSA', bits: 1024, hash: 'SHA-1' } : { algorithm: 'EC', curve: 'P-256' },
    notBefore: new Date(clock.now().getTime() - 10 * DAY),
    notAfter: new Date(clock.now().getTime() + 80 * DAY),
  });

function recorder() {
  const events: CertwardenEvent[] = [];
  return {
    events,
    publisher: { publish: async (batch: CertwardenEvent[]) => void events.push(...batch) },
    policyEvents: () =>
      events
        .filter((event) => event.detailType === 'Policy Violation' || event.detailType === 'Violation Resolved')
        .map((event) => `${event.detailType}: ${(event.detail as { ruleId: string }).ruleId}`)
        .sort(),
  };
}

/** A directory of two certificates for unrelated names with one key: api.pem and billing.pem. */
async function sharedKeyFiles(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'certwarden-policy-'));
  const shared = await cert('api.example.com', false);
  const reused = await issueCertificate({
    subject: 'CN=billing.other.org',
    dns: ['billing.other.org'],
    issuer: ca,
    keys: shared.keys,
    notBefore: new Date(clock.now().getTime() - 10 * DAY),
    notAfter: new Date(clock.now().getTime() + 80 * DAY),
  });
  await writeFile(join(root, 'api.pem'), shared.pem);
  await writeFile(join(root, 'billing.pem'), reused.pem);
  return root;
}

describe('policy enforcement on sync', () => {
  it('stores the violations of a weak certificate, announces them, and resolves them when it is renewed', async () => {
    const inventory = await dynamo.inventory();
    const root = await mkdtemp(join(tmpdir(), 'certwarden-policy-'));
    await writeFile(join(root, 'weak.pem'), (await cert('weak.example.com', true)).pem);
    await writeFile(join(root, 'good.pem'), (await cert('good.example.com', false)).pem);
    const source = new LocalFilesSource({ name: 'files', root, defaultOwner: 'payments' });
    const first = recorder();

    const report = await syncSource({
      source,
      store: inventory.store,
      clock,
      events: first.publisher,
      policy: RECOMMENDED_POLICY,
    });

    expect(first.policyEvents()).toEqual(
      expect.arrayContaining(['Policy Violation: forbidden-signature-hashes', 'Policy Violation: rsa-min-key-size']),
    );
    expect(report.policy).toMatchObject({ evaluated: 2 });
    const byRule = await collect(inventory.store.violationsByRule('rsa-min-key-size'));
    expect(byRule.map((violation) => [violation.nativeId, violation.owner])).toEqual([
      [join(root, 'weak.pem'), 'payments'],
    ]);
    const byOwner = await collect(inventory.store.violationsByOwner('payments'));
    expect(byOwner.map((violation) => violation.ruleId)).toEqual(
      expect.arrayContaining(['forbidden-signature-hashes', 'rsa-min-key-size']),
    );

    inventory.meter.reset();
    const quiet = recorder();
    await syncSource({
      source,
      store: inventory.store,
      clock: later,
      events: quiet.publisher,
      policy: RECOMMENDED_POLICY,
    });
    expect(quiet.policyEvents()).toEqual([]);
    expect(inventory.meter.writeRequests).toBe(0);

    await writeFile(join(root, 'weak.pem'), (await cert('weak.example.com', false)).pem);
    const renewal = recorder();
    await syncSource({
      source,
      store: inventory.store,
      clock: later,
      events: renewal.publisher,
      policy: RECOMMENDED_POLICY,
    });
    expect(renewal.policyEvents()).toEqual(
      expect.arrayContaining([
        'Violation Resolved: forbidden-signature-hashes',
        'Violation Resolved: rsa-min-key-size',
      ]),
    );
    expect(await collect(inventory.store.violationsByRule('rsa-min-key-size'))).toEqual([]);
  });

  it.each([
    ['in the same day', later],
    // The day's first run evaluates every live place after the listing; one that left is not among them.
    ['in the next day', fixedClock('2026-06-02T00:30:00.000Z')],
  ])('resolves the violations of a place that goes away %s', async (_, when) => {
    const inventory = await dynamo.inventory();
    const root = await mkdtemp(join(tmpdir(), 'certwarden-policy-'));
    await writeFile(join(root, 'weak.pem'), (await cert('gone.example.com', true)).pem);
    const source = new LocalFilesSource({ name: 'files', root });
    await syncSource({ source, store: inventory.store, clock, policy: RECOMMENDED_POLICY });
    const opened = await inventory.store.violationsAt(`local-files:${join(root, 'weak.pem')}`);

    await rm(join(root, 'weak.pem'));
    const removal = recorder();
    await syncSource({
      source,
      store: inventory.store,
      clock: when,
      events: removal.publisher,
      policy: RECOMMENDED_POLICY,
    });

    expect(opened.map(({ ruleId }) => ruleId)).toContain('rsa-min-key-size');
    expect(removal.policyEvents()).toEqual(opened.map(({ ruleId }) => `Violation Resolved: ${ruleId}`).sort());
    expect(await inventory.store.violationsAt(`local-files:${join(root, 'weak.pem')}`)).toEqual([]);
  });

  it('re-evaluates every place when the policy changes, though no certificate did', async () => {
    const inventory = await dynamo.inventory();
    const root = await mkdtemp(join(tmpdir(), 'certwarden-policy-'));
    await writeFile(join(root, 'weak.pem'), (await cert('legacy.example.com', true)).pem);
    const source = new LocalFilesSource({ name: 'files', root });
    await syncSource({ source, store: inventory.store, clock, policy: RECOMMENDED_POLICY });

    const relaxed = compilePolicy({ rules: { 'rsa-min-key-size': { enabled: false } } });
    const change = recorder();
    const report = await syncSource({
      source,
      store: inventory.store,
      clock: later,
      events: change.publisher,
      policy: relaxed,
    });

    expect(report.counts.unchanged).toBe(1);
    expect(change.policyEvents()).toEqual(['Violation Resolved: rsa-min-key-size']);
    expect(
      (await inventory.store.violationsAt(`local-files:${join(root, 'weak.pem')}`)).map((v) => v.ruleId),
    ).not.toContain('rsa-min-key-size');
  });

  it('announces each violation once when two runs judge the same places at once, opening and resolving', async () => {
    const inventory = await dynamo.inventory();
    const root = await mkdtemp(join(tmpdir(), 'certwarden-policy-'));
    for (const name of ['a', 'b', 'c'])
      await writeFile(join(root, `${name}.pem`), (await cert(`${name}.example.com`, true)).pem);
    const source = new LocalFilesSource({ name: 'files', root });
    await syncSource({ source, store: inventory.store, clock });
    const places = await collect(inventory.store.bySource('files', 'live'));
    const both = async (policy: CompiledPolicy) => {
      const heard = recorder();
      await Promise.all(
        [0, 1].map(() =>
          enforcePolicy({ store: inventory.store, policy, clock: later, events: heard.publisher, locations: places }),
        ),
      );
      return heard.policyEvents();
    };

    const opened = await both(RECOMMENDED_POLICY);
    const stored = (await Promise.all(places.map((place) => inventory.store.violationsAt(place.locationId)))).flat();
    const resolved = await both(compilePolicy({ rules: { 'rsa-min-key-size': { enabled: false } } }));

    expect(stored.length).toBeGreaterThanOrEqual(places.length);
    expect(opened).toEqual(stored.map(({ ruleId }) => `Policy Violation: ${ruleId}`).sort());
    expect(resolved).toEqual(places.map(() => 'Violation Resolved: rsa-min-key-size'));
  });

  it('reads a certificate stored before the fields of the newer rules again, judges it, and stores it updated', async () => {
    const inventory = await dynamo.inventory();
    const root = await mkdtemp(join(tmpdir(), 'certwarden-policy-'));
    const roca = await issueCertificate({
      subject: 'CN=card.example.com',
      dns: ['card.example.com'],
      issuer: ca,
      keys: publicOnly(await rsaPublicKey(rocaShapedModulus(2048, 1001n, 7n))),
      notBefore: new Date(clock.now().getTime() - 10 * DAY),
      notAfter: new Date(clock.now().getTime() + 80 * DAY),
    });
    await writeFile(join(root, 'card.pem'), roca.pem);
    const source = new LocalFilesSource({ name: 'files', root });
    await syncSource({ source, store: inventory.store, clock });
    // What an older certwarden stored: the record without the fields it did not know.
    const fingerprint = normalize(roca.der).fingerprintSha256;
    await inventory.client.send(
      new UpdateCommand({
        TableName: inventory.tableName,
        Key: { pk: `CERT#${fingerprint}`, sk: 'CERTIFICATE' },
        UpdateExpression:
          'REMOVE tbsSignatureAlgorithm, signatureAlgorithmsMatch, ocspUrls, crlUrls, sctCount, precertificate, weakKey',
      }),
    );
    expect(await inventory.store.getCertificate(fingerprint)).not.toHaveProperty('weakKey');

    await syncSource({ source, store: inventory.store, clock: later, policy: RECOMMENDED_POLICY });

    const ruleIds = (await inventory.store.violationsAt(`local-files:${join(root, 'card.pem')}`)).map((v) => v.ruleId);
    expect(ruleIds).toContain('weak-key');
    expect(await inventory.store.getCertificate(fingerprint)).toMatchObject({ weakKey: 'roca', sctCount: 0 });
  });

  /** Syncs the files with only the key-reuse rule on; the places it flagged. */
  async function flaggedForKeyReuse(inventory: Awaited<ReturnType<typeof dynamo.inventory>>, root: string) {
    const policy = compilePolicy({ rules: { 'key-reuse': { enabled: true } } });
    const source = new LocalFilesSource({ name: 'files', root });
    await syncSource({ source, store: inventory.store, clock, events: recorder().publisher, policy });
    const flagged = await collect(inventory.store.violationsByRule('key-reuse'));
    return flagged.map((violation) => violation.nativeId).sort();
  }

  it('finds the same public key in certificates for unrelated names across the inventory', async () => {
    const inventory = await dynamo.inventory();
    const root = await sharedKeyFiles();

    expect(await flaggedForKeyReuse(inventory, root)).toEqual([join(root, 'api.pem'), join(root, 'billing.pem')]);
  });

  it('finds a shared key among places synced before any policy was enforced', async () => {
    const inventory = await dynamo.inventory();
    const root = await sharedKeyFiles();
    await syncSource({ source: new LocalFilesSource({ name: 'files', root }), store: inventory.store, clock });

    expect(await flaggedForKeyReuse(inventory, root)).toEqual([join(root, 'api.pem'), join(root, 'billing.pem')]);
  });
});
