import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCsv } from '../../../lib/adapters/report-writers/csv';
import { writeJson } from '../../../lib/adapters/report-writers/json';
import type { Report, ReportRow } from '../../../lib/domain/report';
import { fixedClock } from '../../../lib/ports/clock';
import { buildReport, PACK_REPORTS } from '../../../lib/use-cases/reports';
import { collect, placeAt, placeState, useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { daysFrom, HOSTILE_CN, REPORT_NOW, reportSources, seedReportEstate } from '../../support/report-estate';
import { parseCsv, written } from '../../support/report-output';

const dynamo = useEmbeddedDynamoDb();
let inventory: TestInventory;

beforeAll(async () => {
  inventory = await dynamo.inventory();
  await seedReportEstate(inventory);
});

const report = (name: Parameters<typeof buildReport>[0], request = {}) =>
  buildReport(name, reportSources(inventory), request);
const rowsOf = async (built: Promise<Report>) => collect((await built).rows);
const column = (rows: ReportRow[], key: string) => rows.map((row) => row[key]);

/** Compares with test/integration/use-cases/__golden__/<name>; UPDATE_GOLDEN=1 rewrites it (then review the diff). */
async function expectGolden(name: string, text: string): Promise<void> {
  const path = join(__dirname, '__golden__', name);
  if (process.env.UPDATE_GOLDEN) await writeFile(path, text);
  expect(text).toBe(await readFile(path, 'utf8'));
}

describe('the reports on a seeded inventory, at a fixed clock', () => {
  it.each(PACK_REPORTS)('writes the %s report as its golden CSV', async (name) => {
    await expectGolden(`${name}.csv`, await written(writeCsv, await report(name)));
  });

  it('writes the inventory as its golden JSON: the header, then every row', async () => {
    const text = await written(writeJson, await report('inventory'));
    await expectGolden('inventory.json', text);
    const parsed = JSON.parse(text) as Report & { rows: ReportRow[] };
    expect(parsed.readAt).toBe(REPORT_NOW.toISOString());
    expect(parsed.controls.map((control) => control.id)).toContain('4.2.1.1');
    expect(parsed.rows).toHaveLength(9);
  });

  it('writes the audit trail of one place as its golden CSV', async () => {
    await expectGolden('audit.csv', await written(writeCsv, await report('audit', { location: 'web.pem' })));
  });

  it('keeps a CN that is a spreadsheet formula as text in CSV', async () => {
    const cells = parseCsv(await written(writeCsv, await report('unowned')));
    expect(cells.flat()).toContain(`'${HOSTILE_CN}`);
    expect(cells.flat().filter((cell) => /^[=+\-@\t\r]/.test(cell))).toEqual([]);
  });

  it('lists every live place in the inventory, those without a certificate last, with its renewal method and use', async () => {
    const rows = await rowsOf(report('inventory'));
    expect(rows.at(-1)).toMatchObject({ location: 'local-files:pending.pem', status: 'pending', notAfter: null });
    expect(rows.find((row) => String(row.location).endsWith('/unused'))).toMatchObject({
      renewalMethod: 'acm-managed',
      inUseBy: 'none',
    });
    expect(rows.find((row) => row.location === 'local-files:web.pem')).toMatchObject({
      application: 'shop',
      fingerprint: 'fp-web.pem-2',
    });
  });

  it('lists the expiring and the expired still in use by owner, soonest first within each', async () => {
    const rows = await rowsOf(report('expiring'));
    expect(column(rows, 'owner')).toEqual(['payments', 'platform', 'platform', 'unowned', 'web']);
    expect(rows[0]).toMatchObject({ status: 'expired', inUseBy: expect.stringContaining('loadbalancer') });
    expect(column(rows, 'subject')).not.toContain('api.pem');
    expect(column(await rowsOf(report('expiring', { days: 45, owner: 'web' })), 'location')).toEqual([
      'local-files:web.pem',
      'local-files:api.pem',
    ]);
  });

  it('lists the unowned places', async () => {
    expect(column(await rowsOf(report('unowned')), 'location')).toEqual([
      `local-files:${HOSTILE_CN}`,
      'local-files:legacy.pem',
    ]);
  });

  it('lists open violations by rule and the exempted ones with their exemption and its expiry', async () => {
    const rows = await rowsOf(report('violations'));
    expect(rows).toEqual([
      expect.objectContaining({ rule: 'rsa-min-key-size', state: 'open', owner: 'unowned', exemption: null }),
      expect.objectContaining({
        rule: 'no-self-signed',
        state: 'exempted',
        exemption: 'EX-7',
        approvedBy: 'ciso@example.com',
        exemptionExpiresAt: daysFrom(45),
      }),
    ]);
    expect(column(await rowsOf(report('violations', { owner: 'web' })), 'rule')).toEqual(['no-self-signed']);
  });

  it('lists the renewals of a period with the certificates before and after, who asked and the result', async () => {
    expect(await rowsOf(report('renewals'))).toEqual([
      expect.objectContaining({
        location: 'local-files:web.pem',
        actor: 'alice',
        result: 'succeeded',
        beforeFingerprint: 'fp-web.pem',
        afterFingerprint: 'fp-web.pem-2',
        requestedAt: daysFrom(-6),
        finishedAt: daysFrom(-5),
      }),
    ]);
    const wider = await rowsOf(report('renewals', { since: new Date(daysFrom(-50)) }));
    expect(column(wider, 'result')).toEqual(['failed', 'succeeded']);
    expect(
      await rowsOf(report('renewals', { since: new Date(daysFrom(-50)), until: new Date(daysFrom(-6)) })),
    ).toHaveLength(1);
  });

  it('lists the revoked places while they hold the revoked certificate', async () => {
    expect(await rowsOf(report('revocations'))).toEqual([
      expect.objectContaining({ location: 'local-files:api.pem', reason: 'keyCompromise', revokedAt: daysFrom(-2) }),
    ]);
  });

  it('lists the ACM certificates nothing uses, not those used through another place, then the dead letters', async () => {
    const rows = await rowsOf(report('unused'));
    expect(rows.map((row) => [row.kind, row.location])).toEqual([
      ['unused certificate', 'aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/unused'],
      ['undelivered alert', 'aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/abc'],
    ]);
  });

  it('counts the crypto inventory and the share a 47-day lifetime would outrun', async () => {
    const rows = await rowsOf(report('crypto'));
    const of = (dimension: string, value: string) =>
      rows.find((row) => row.dimension === dimension && row.value === value);
    expect(of('key', 'RSA 1024')).toMatchObject({ count: 1, share: 12.5 });
    expect(of('signature hash', 'SHA-1')).toMatchObject({ count: 1 });
    expect(of('47-day lifetime', 'would not keep up (manual renewal)')).toMatchObject({ count: 5, share: 62.5 });
  });

  it('tells the audit trail of a place: its changes and renewal attempts, oldest first', async () => {
    const rows = await rowsOf(report('audit', { location: 'local-files:web.pem' }));
    expect(column(rows, 'event')).toEqual(['discovered', 'renewal requested', 'renewed', 'renewal succeeded']);
    await expect(report('audit', { location: 'nowhere.pem' })).rejects.toThrow('no place nowhere.pem in the inventory');
  });
});

describe('what the reports read', () => {
  it('reads at most 1.1 times the rows of "expiring within 30 days", however large the rest', async () => {
    const large = await dynamo.inventory();
    for (let index = 0; index < 120; index++) {
      await placeAt(large, placeState(`p${index}.pem`, { notAfter: daysFrom(-30 + ((index * 37) % 395)) }));
    }
    large.meter.reset();

    const rows = await collect((await buildReport('expiring', reportSources(large, fixedClock(REPORT_NOW)))).rows);

    expect(rows.length).toBeGreaterThan(10);
    expect(large.meter.itemsRead).toBeLessThanOrEqual(1.1 * rows.length);
  });

  it('does not count as unused an ACM certificate that a scanned TLS endpoint serves', async () => {
    const own = await dynamo.inventory();
    const acmPlace = (id: string) =>
      placeState(id, {
        locationId: `aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/${id}`,
        source: 'acm',
        sourceKind: 'aws-acm',
        inUseBy: [],
      });
    await placeAt(own, acmPlace('idle'));
    await placeAt(own, acmPlace('served'));
    // What the tls-endpoint source stores for what an endpoint serves: the endpoint is its use.
    await placeAt(
      own,
      placeState('web.example.com:443', {
        locationId: 'tls-endpoint:web.example.com:443',
        source: 'web',
        sourceKind: 'tls-endpoint',
        fingerprint: 'fp-served',
        inUseBy: ['web.example.com:443'],
      }),
    );

    const rows = await collect((await buildReport('unused', reportSources(own))).rows);

    expect(rows.map((row) => row.location)).toEqual(['aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/idle']);
  });

  it('lists the endpoints serving an older certificate than the cloud sources hold for the name, or one none holds', async () => {
    const own = await dynamo.inventory();
    const certificateFor = (name: string, notBefore: string) => ({
      ...placeState('x').certificate!,
      subject: `CN=${name}`,
      subjectCommonName: name,
      dnsNames: [name],
      notBefore,
    });
    await placeAt(
      own,
      placeState('renewed', {
        locationId: 'aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/renewed',
        source: 'acm',
        sourceKind: 'aws-acm',
        fingerprint: 'fp-new',
        certificate: certificateFor('shop.example.com', daysFrom(-5)),
      }),
    );
    const endpoint = (host: string, fingerprint: string, notBefore: string) =>
      placeState(`${host}:443`, {
        locationId: `tls-endpoint:${host}:443`,
        nativeId: `${host}:443`,
        source: 'web',
        sourceKind: 'tls-endpoint',
        fingerprint,
        details: { serverName: host },
        inUseBy: [`${host}:443`],
        certificate: certificateFor(host, notBefore),
      });
    await placeAt(own, endpoint('shop.example.com', 'fp-old', daysFrom(-300)));
    await placeAt(own, endpoint('stray.example.com', 'fp-stray', daysFrom(-10)));
    await placeAt(own, endpoint('fine.example.com', 'fp-new', daysFrom(-5)));

    const rows = await collect((await buildReport('served', reportSources(own))).rows);

    expect(rows.map((row) => [row.finding, row.endpoint, row.servedFingerprint, row.inventoryFingerprint])).toEqual([
      ['Deployment Drift', 'shop.example.com:443', 'fp-old', 'fp-new'],
      ['Unknown Certificate Served', 'stray.example.com:443', 'fp-stray', null],
    ]);
  });

  it('drops a place from the revoked when it gets another certificate', async () => {
    const own = await dynamo.inventory();
    await placeAt(own, placeState('r.pem'));
    await own.store.recordRevocation(
      'local-files:r.pem',
      'fp-r.pem',
      {
        status: 'revoked',
        reason: null,
        revokedAt: daysFrom(-1),
        checkedAt: daysFrom(0),
        via: 'crl',
        issuerFingerprint: null,
      },
      null,
    );
    const previous = (await own.store.getLocation('local-files:r.pem'))!;
    expect(await collect(own.store.revokedPlaces())).toHaveLength(1);

    await own.store.applyChange({
      next: placeState('r.pem', { fingerprint: 'fp-r2' }),
      previous,
      change: 'renewed',
      at: daysFrom(0),
    });

    expect(await collect(own.store.revokedPlaces())).toEqual([]);
  });
});
