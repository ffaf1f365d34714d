import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { inventoryTableDefinition } from '../../../lib/adapters/dynamodb-table';
import { ensureInventoryTable } from '../../../lib/adapters/embedded-dynamodb';
import { CertwardenError } from '../../../lib/domain/errors';
import { ALERT_SHARDS, type StoredLocation } from '../../../lib/ports/inventory-store';
import { issueCertificate } from '../../../lib/x509/factory';
import { parseCertificates } from '../../../lib/x509/parse';
import { collect, placeAt as create, placeState as state, useEmbeddedDynamoDb } from '../../support/inventory';

const dynamo = useEmbeddedDynamoDb();
const AT = '2026-06-01T00:00:00.000Z';

describe('DynamoInventoryStore on dynalite', () => {
  it('stores a new location at version 1 with its history record', async () => {
    const inventory = await dynamo.inventory();
    const stored = await create(inventory, state('a.pem'));

    expect(stored).toMatchObject({ version: 1, firstSeenAt: AT, changedAt: AT, status: 'live' });
    expect(await inventory.store.getLocation('local-files:a.pem')).toEqual(stored);
    expect(await inventory.store.history('local-files:a.pem')).toEqual([
      expect.objectContaining({ version: 1, change: 'discovered', fingerprint: 'fp-a.pem', previousFingerprint: null }),
    ]);
  });

  it('refuses a change computed from a stale version, and keeps the history of the winner', async () => {
    const inventory = await dynamo.inventory();
    const v1 = await create(inventory, state('b.pem'));
    const winner = state('b.pem', { fingerprint: 'fp-new' });
    const loser = state('b.pem', { fingerprint: 'fp-other' });

    expect(await inventory.store.applyChange({ next: winner, previous: v1, change: 'renewed', at: AT })).not.toBe(
      'conflict',
    );
    expect(await inventory.store.applyChange({ next: loser, previous: v1, change: 'renewed', at: AT })).toBe(
      'conflict',
    );

    expect((await inventory.store.getLocation('local-files:b.pem'))?.fingerprint).toBe('fp-new');
    const history = await inventory.store.history('local-files:b.pem');
    expect(history.map((record) => [record.version, record.fingerprint])).toEqual([
      [1, 'fp-b.pem'],
      [2, 'fp-new'],
    ]);
  });

  it('replays a retried change idempotently: one history record, one version', async () => {
    const inventory = await dynamo.inventory();
    const next = state('c.pem');
    await create(inventory, next);
    // The retry of the same discovery: the location exists now, so it conflicts instead of duplicating.
    expect(await inventory.store.applyChange({ next, change: 'discovered', at: AT })).toBe('conflict');
    expect(await inventory.store.history('local-files:c.pem')).toHaveLength(1);
  });

  it('replaces the history record of a writer that died before moving the location', async () => {
    const inventory = await dynamo.inventory();
    const v1 = await create(inventory, state('d.pem'));
    await inventory.client.send(
      new (await import('@aws-sdk/lib-dynamodb')).PutCommand({
        TableName: inventory.tableName,
        Item: {
          pk: 'LOC#local-files:d.pem',
          sk: 'HISTORY#0000000002',
          type: 'history',
          contentHash: 'orphan',
          version: 2,
        },
      }),
    );
    const renewed = state('d.pem', { fingerprint: 'fp-renewed' });

    expect(await inventory.store.applyChange({ next: renewed, previous: v1, change: 'renewed', at: AT })).not.toBe(
      'conflict',
    );
    const history = await inventory.store.history('local-files:d.pem');
    expect(history[1]).toMatchObject({ version: 2, fingerprint: 'fp-renewed', contentHash: renewed.contentHash });
  });

  it('lists live locations expiring before a date, soonest first, across every shard, reading only what it returns', async () => {
    const inventory = await dynamo.inventory();
    const days = [40, 3, 25, 10, 90, -5, 60, 1, 14, 200, 7, 30];
    for (const [index, day] of days.entries()) {
      await create(
        inventory,
        state(`e${index}.pem`, { notAfter: new Date(Date.parse(AT) + day * 86_400_000).toISOString() }),
      );
    }
    const removed = await create(inventory, state('gone.pem', { notAfter: '2026-06-02T00:00:00.000Z' }));
    await inventory.store.applyChange({
      next: { ...removed, status: 'removed' },
      previous: removed,
      change: 'removed',
      at: AT,
    });
    inventory.meter.reset();

    const cutoff = new Date(Date.parse(AT) + 30 * 86_400_000);
    const expiring = await collect(inventory.store.expiringBefore(cutoff));

    const expectedDays = days.filter((day) => day < 30).sort((a, b) => a - b);
    expect(expiring.map((location) => location.certificate?.notAfter)).toEqual(
      expectedDays.map((day) => new Date(Date.parse(AT) + day * 86_400_000).toISOString()),
    );
    expect(inventory.meter.itemsRead).toBe(expiring.length);
  });

  it('reads places by key and the violations of a place eventually consistent: half a read unit per 4 KB', async () => {
    const inventory = await dynamo.inventory();
    const places = await Promise.all(['k1.pem', 'k2.pem', 'k3.pem'].map((id) => create(inventory, state(id))));
    await inventory.store.saveViolations([
      {
        locationId: places[0].locationId,
        source: 'test',
        sourceKind: 'local-files',
        nativeId: places[0].nativeId,
        owner: 'team-a',
        fingerprint: places[0].fingerprint,
        subjectCommonName: 'k1.pem',
        ruleId: 'no-wildcards',
        severity: 'high',
        message: 'a wildcard',
        details: {},
        exemption: null,
        detectedAt: AT,
      },
    ]);
    inventory.meter.reset();

    const found = await inventory.store.getLocations(places.map((place) => place.locationId));
    const byKey = inventory.meter.readUnits;
    inventory.meter.reset();
    const violations = await inventory.store.violationsAt(places[0].locationId);

    expect(found.size).toBe(3);
    expect(byKey).toBe(3 * 0.5);
    expect(violations.map((violation) => violation.ruleId)).toEqual(['no-wildcards']);
    expect(inventory.meter.readUnits).toBe(0.5);
  });

  it('lists the same places in the same order with only the fields a listing shows', async () => {
    const inventory = await dynamo.inventory();
    for (const [index, day] of [12, 2, 30, 7].entries()) {
      await create(
        inventory,
        state(`l${index}.pem`, {
          notAfter: new Date(Date.parse(AT) + day * 86_400_000).toISOString(),
          // What the renewal method reads: ACM's type alone of the provider's details.
          ...(index === 1 && { renewal: 'acm-private-ca', managed: false, details: { type: 'PRIVATE', inUse: true } }),
        }),
      );
    }
    const cutoff = new Date(Date.parse(AT) + 20 * 86_400_000);
    const full = await collect(inventory.store.expiringBefore(cutoff));
    const listings = await collect(inventory.store.listingsExpiringBefore(cutoff));

    expect(listings).toEqual(
      full.map(({ locationId, nativeId, role, owner, source, sourceKind, renewal, managed, details, certificate }) => ({
        locationId,
        nativeId,
        role,
        owner,
        source,
        sourceKind,
        renewal,
        managed,
        ...(details && { details: { type: details.type } }),
        certificate: {
          notBefore: certificate!.notBefore,
          notAfter: certificate!.notAfter,
          subject: certificate!.subject,
          subjectCommonName: certificate!.subjectCommonName,
          dnsNames: certificate!.dnsNames,
          kind: certificate!.kind,
          isCA: certificate!.isCA,
          issuer: certificate!.issuer,
        },
      })),
    );
    expect(listings.find((listing) => listing.details)).toMatchObject({ details: { type: 'PRIVATE' } });
  });

  it("keeps the end of a place's last renewal across its changes, without moving its version", async () => {
    const inventory = await dynamo.inventory();
    const { store } = inventory;
    const v1 = await create(inventory, state('r.pem'));
    const ended = { outcome: 'succeeded' as const, at: AT, error: null, newFingerprint: 'fp-renewed' };

    expect(await store.recordRenewal(v1.locationId, ended)).toBe(true);
    const read = (await store.getLocation(v1.locationId))!;
    expect(read).toMatchObject({ version: 1, lastRenewal: ended });

    // A sync that read the place before the renewal ended conflicts (and reads again) rather than erasing it.
    const renewed = state('r.pem', { fingerprint: 'fp-renewed' });
    expect(await store.applyChange({ next: renewed, previous: v1, change: 'renewed', at: AT })).toBe('conflict');
    expect(await store.applyChange({ next: renewed, previous: read, change: 'renewed', at: AT })).toMatchObject({
      version: 2,
      lastRenewal: ended,
    });
    expect(await store.getLocation(v1.locationId)).toMatchObject({ version: 2, lastRenewal: ended });

    // An earlier attempt's end never replaces a later one's; a place that is not there gets none.
    const earlier = { ...ended, outcome: 'failed' as const, at: '2026-05-31T00:00:00.000Z', error: 'x' };
    expect(await store.recordRenewal(v1.locationId, earlier)).toBe(false);
    expect(await store.recordRenewal('local-files:nowhere.pem', ended)).toBe(false);
    expect(await store.getLocation('local-files:nowhere.pem')).toBeUndefined();
  });

  it("keeps a revocation check's answer across a sync's change of the same certificate", async () => {
    const inventory = await dynamo.inventory();
    const { store } = inventory;
    const v1 = await create(inventory, state('c.pem'));
    const revoked = {
      status: 'revoked' as const,
      reason: 'keyCompromise',
      revokedAt: '2026-06-01T01:00:00.000Z',
      checkedAt: '2026-06-01T01:00:00.000Z',
      via: 'ocsp' as const,
      issuerFingerprint: null,
    };

    expect(await store.recordRevocation(v1.locationId, v1.fingerprint!, revoked, null)).toBe(true);
    const read = (await store.getLocation(v1.locationId))!;
    expect(read).toMatchObject({ version: 1, revocation: revoked });

    // A sync that read the place before the answer (a tag changed) conflicts and reads again rather than erasing it.
    const retagged = state('c.pem', { tags: { env: 'prod' } });
    expect(await store.applyChange({ next: retagged, previous: v1, change: 'updated', at: AT })).toBe('conflict');
    expect(await store.applyChange({ next: retagged, previous: read, change: 'updated', at: AT })).toMatchObject({
      version: 2,
      revocation: revoked,
    });
    expect(await store.getLocation(v1.locationId)).toMatchObject({ version: 2, revocation: revoked });
  });

  it('stops a limited expiry query early', async () => {
    const inventory = await dynamo.inventory();
    for (let index = 0; index < 20; index++) {
      await create(
        inventory,
        state(`f${index}.pem`, { notAfter: new Date(Date.parse(AT) + index * 86_400_000).toISOString() }),
      );
    }
    const first = await collect(inventory.store.expiringBefore(new Date('2030-01-01'), { limit: 3 }));
    expect(first.map((location) => location.nativeId)).toEqual(['f0.pem', 'f1.pem', 'f2.pem']);
  });

  it('finds locations by owner, by source and status, by fingerprint, and the removed and unreadable ones', async () => {
    const inventory = await dynamo.inventory();
    const shared = state('g1.pem', { fingerprint: 'fp-shared' });
    await create(inventory, shared);
    await create(inventory, state('g2.pem', { fingerprint: 'fp-shared', owner: 'team-b' }));
    await create(inventory, state('g3.pem', { fingerprint: null, error: 'g3.pem: no certificate found' }));
    const doomed = await create(inventory, state('g4.pem'));
    await inventory.store.applyChange({
      next: { ...doomed, status: 'removed' },
      previous: doomed,
      change: 'removed',
      at: AT,
    });

    const ids = (locations: StoredLocation[]) => locations.map((location) => location.nativeId).sort();
    expect(ids(await collect(inventory.store.byOwner('team-a')))).toEqual(['g1.pem', 'g3.pem']);
    expect(ids(await collect(inventory.store.byOwner('team-b')))).toEqual(['g2.pem']);
    expect(ids(await collect(inventory.store.bySource('test', 'live')))).toEqual(['g1.pem', 'g2.pem', 'g3.pem']);
    expect(ids(await collect(inventory.store.bySource('test', 'removed')))).toEqual(['g4.pem']);
    expect(ids(await collect(inventory.store.locationsOfCertificate('fp-shared')))).toEqual(['g1.pem', 'g2.pem']);
    expect(ids(await collect(inventory.store.byStatus('removed')))).toEqual(['g4.pem']);
    expect(ids(await collect(inventory.store.byStatus('error')))).toEqual(['g3.pem']);
    const removed = await inventory.store.getLocation('local-files:g4.pem');
    expect(removed).toMatchObject({ status: 'removed', removedAt: AT, version: 2 });
  });

  it('schedules a place for the expiry evaluation when it gets a certificate, and moves it on only as told', async () => {
    const inventory = await dynamo.inventory();
    const { store } = inventory;
    const due = async (now: string) => {
      const found: string[] = [];
      for (let shard = 0; shard < ALERT_SHARDS; shard++) {
        for await (const place of store.alertsDue(shard, new Date(now))) found.push(place.nativeId);
      }
      return found.sort();
    };
    const a = await create(inventory, state('a.pem'));
    await create(inventory, state('b.pem'));
    await create(inventory, state('pending', { fingerprint: null }));
    expect(await due(AT)).toEqual(['a.pem', 'b.pem']);
    expect(await due('2026-05-31T23:59:59.999Z')).toEqual([]);

    await store.scheduleNextAlert(a.locationId, 'fp-a.pem', '2026-07-01T00:00:00.000Z');
    await store.scheduleNextAlert('local-files:b.pem', 'fp-b.pem', null);
    expect(await due(AT)).toEqual([]);
    expect(await due('2026-07-01T00:00:00.000Z')).toEqual(['a.pem']);

    // A change that keeps the certificate keeps the schedule; a renewal puts the place back at once.
    const retagged = await store.applyChange({
      next: state('a.pem', { owner: 'team-b' }),
      previous: (await store.getLocation(a.locationId))!,
      change: 'updated',
      at: AT,
    });
    expect(retagged).toMatchObject({ nextAlertAt: '2026-07-01T00:00:00.000Z' });
    const renewed = state('a.pem', { fingerprint: 'fp-renewed' });
    const later = '2026-06-02T00:00:00.000Z';
    await store.applyChange({ next: renewed, previous: retagged as StoredLocation, change: 'renewed', at: later });
    // Scheduling from a stale read of the old certificate does not undo that.
    await store.scheduleNextAlert(a.locationId, 'fp-a.pem', '2026-08-01T00:00:00.000Z');
    expect(await due(later)).toEqual(['a.pem']);
  });

  it('refuses, in one line, a table made with other indexes rather than answering every query with nothing', async () => {
    const { client } = await dynamo.inventory();
    const definition = inventoryTableDefinition('made-by-an-older-build');
    await client.send(
      new CreateTableCommand({
        ...definition,
        GlobalSecondaryIndexes: definition.GlobalSecondaryIndexes!.filter((index) => index.IndexName !== 'byNextAlert'),
      }),
    );

    await expect(ensureInventoryTable(client, 'made-by-an-older-build')).rejects.toThrow(
      /^the inventory table made-by-an-older-build was made by another certwarden version \(indexes: byExpiry, /,
    );
    await expect(ensureInventoryTable(client, 'made-by-an-older-build')).rejects.toBeInstanceOf(CertwardenError);
  });

  it('records sync runs newest first', async () => {
    const inventory = await dynamo.inventory();
    const run = (startedAt: string) => ({
      source: 'test',
      sourceKind: 'local-files' as const,
      startedAt,
      finishedAt: startedAt,
      complete: true,
      counts: { discovered: 1, renewed: 0, updated: 0, removed: 0, restored: 0, stale: 0, unchanged: 0, errors: 0 },
      errors: [],
      failedScopes: [],
      warnings: [],
    });
    await inventory.store.recordSyncRun(run('2026-06-01T00:00:00.000Z'));
    await inventory.store.recordSyncRun(run('2026-06-02T00:00:00.000Z'));
    expect((await inventory.store.syncRuns('test')).map((r) => r.startedAt)).toEqual([
      '2026-06-02T00:00:00.000Z',
      '2026-06-01T00:00:00.000Z',
    ]);
  });

  it('reads a certificate stored before serials kept their leading zero as openssl prints the serial', async () => {
    const inventory = await dynamo.inventory();
    const issued = await issueCertificate({
      subject: 'CN=old-serial',
      serialNumber: '0a1b2c',
      notBefore: new Date(AT),
      notAfter: new Date('2027-06-01T00:00:00.000Z'),
    });
    const [parsed] = parseCertificates(issued.pem, 'old.pem').certificates;
    const fingerprint = parsed.record.fingerprintSha256;
    await inventory.store.saveCertificates([parsed]);
    // As the record was written before: lowercase, the leading zero dropped.
    await inventory.client.send(
      new UpdateCommand({
        TableName: inventory.tableName,
        Key: { pk: `CERT#${fingerprint}`, sk: 'CERTIFICATE' },
        UpdateExpression: 'SET serialNumber = :old',
        ExpressionAttributeValues: { ':old': 'a1b2c' },
      }),
    );

    expect((await inventory.store.getCertificate(fingerprint))?.serialNumber).toBe('0A1B2C');
    expect((await inventory.store.getCertificates([fingerprint])).get(fingerprint)?.serialNumber).toBe('0A1B2C');
  });
});
