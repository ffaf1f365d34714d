import { DynamoDeliveryLedger } from '../../lib/adapters/dynamodb-delivery-ledger';
import { DynamoRenewalLedger } from '../../lib/adapters/dynamodb-renewal-ledger';
import { expiryAlertEvent } from '../../lib/domain/events';
import { fixedClock, type Clock } from '../../lib/ports/clock';
import type { LocationState, StoredViolation } from '../../lib/ports/inventory-store';
import type { ReportSources } from '../../lib/use-cases/reports';
import { acmAlert } from '../unit/domain/notifications/fixtures';
import { placeAt, placeState, type TestInventory } from './inventory';

/** The reports' fixed clock: every date of the estate is relative to it, so the golden files never move. */
export const REPORT_NOW = new Date('2026-06-01T00:00:00.000Z');
const DAY = 86_400_000;
export const daysFrom = (days: number, from = REPORT_NOW): string =>
  new Date(from.getTime() + days * DAY).toISOString();

/** The CN a spreadsheet would run as a command, were it not defused. */
export const HOSTILE_CN = "=cmd|' /C calc'!A0";

const ELB = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/shop/50dc6c495c0c9188';
const acmArn = (id: string) => `arn:aws:acm:eu-west-1:111111111111:certificate/${id}`;

/** An ACM place, as the ACM source stores one (its users in `inUseBy`, its type in `details`). */
function acmPlace(id: string, overrides: Partial<LocationState> & { notAfter?: string }): LocationState {
  const nativeId = acmArn(id);
  return placeState(id, {
    locationId: `aws-acm:${nativeId}`,
    nativeId,
    source: 'acm-prod',
    sourceKind: 'aws-acm',
    scope: '111111111111/eu-west-1',
    ...overrides,
  });
}

const withCertificate = (state: LocationState, fields: Partial<NonNullable<LocationState['certificate']>>) =>
  ({ ...state, certificate: { ...state.certificate!, ...fields } }) as LocationState;

/**
 * A small estate touching every report: places expiring soon, expired and in use, unowned (one with a CN that is
 * a spreadsheet formula), weak keys, ACM certificates used, unused and used through another place, one awaiting a
 * certificate, one revoked, an open and an exempted violation, renewals in and out of the last 30 days, a place
 * with a history of changes and a dead letter. Synthetic places (placeState): their fingerprints are fixed names,
 * so the golden files hold them.
 */
export async function seedReportEstate(inventory: TestInventory): Promise<void> {
  const discovered = daysFrom(-60);
  const places: LocationState[] = [
    placeState('web.pem', { owner: 'web', tags: { Application: 'shop' }, notAfter: daysFrom(10) }),
    placeState('api.pem', { owner: 'web', notAfter: daysFrom(40) }),
    placeState(HOSTILE_CN, { owner: 'unowned', notAfter: daysFrom(20) }),
    withCertificate(placeState('legacy.pem', { owner: 'unowned', notAfter: daysFrom(200) }), {
      keyAlgorithm: 'RSA',
      keySize: 1024,
      signatureHash: 'SHA-1',
      notBefore: daysFrom(-198),
      issuer: 'CN=Old CA, O="Example, Inc."',
    }),
    acmPlace('expired', { owner: 'payments', inUseBy: [ELB], notAfter: daysFrom(-3), details: { type: 'IMPORTED' } }),
    acmPlace('unused', {
      owner: 'platform',
      inUseBy: [],
      managed: true,
      details: { type: 'AMAZON_ISSUED' },
      notAfter: daysFrom(300),
    }),
    acmPlace('shared', {
      owner: 'platform',
      inUseBy: [ELB],
      details: { type: 'AMAZON_ISSUED' },
      notAfter: daysFrom(25),
    }),
    acmPlace('shared-copy', {
      owner: 'platform',
      inUseBy: [],
      fingerprint: 'fp-shared',
      details: { type: 'AMAZON_ISSUED' },
      notAfter: daysFrom(25),
    }),
    placeState('pending.pem', { owner: 'web', fingerprint: null }),
  ];
  for (const place of places) await placeAt(inventory, place, discovered);
  // web.pem got a new certificate (a renewal): its history has two records.
  const web = (await inventory.store.getLocation('local-files:web.pem'))!;
  const renewed = placeState('web.pem', {
    owner: 'web',
    tags: { Application: 'shop' },
    fingerprint: 'fp-web.pem-2',
    notAfter: daysFrom(10),
  });
  await inventory.store.applyChange({ next: renewed, previous: web, change: 'renewed', at: daysFrom(-5) });

  await inventory.store.recordRevocation(
    'local-files:api.pem',
    'fp-api.pem',
    {
      status: 'revoked',
      reason: 'keyCompromise',
      revokedAt: daysFrom(-2),
      checkedAt: daysFrom(-1),
      via: 'ocsp',
      issuerFingerprint: null,
    },
    null,
  );

  const violation = (locationId: string, overrides: Partial<StoredViolation>): StoredViolation => ({
    locationId,
    source: 'test',
    sourceKind: 'local-files',
    nativeId: locationId.replace('local-files:', ''),
    owner: 'unowned',
    fingerprint: null,
    subjectCommonName: null,
    ruleId: 'rsa-min-key-size',
    severity: 'high',
    message: 'RSA key of 1024 bits, policy requires 2048',
    details: {},
    exemption: null,
    detectedAt: daysFrom(-30),
    ...overrides,
  });
  await inventory.store.saveViolations([
    violation('local-files:legacy.pem', { fingerprint: 'fp-legacy.pem', subjectCommonName: 'legacy.pem' }),
    violation('local-files:web.pem', {
      owner: 'web',
      ruleId: 'no-self-signed',
      severity: 'medium',
      message: 'self-signed certificate',
      exemption: { index: 0, id: 'EX-7', reason: 'lab host', expiresAt: daysFrom(45), approvedBy: 'ciso@example.com' },
    }),
  ]);

  const renewals = (at: string) => new DynamoRenewalLedger(inventory.client, inventory.tableName, fixedClock(at));
  const key = { locationId: 'local-files:web.pem', fingerprint: 'fp-web.pem' };
  const claim = { renewalId: 'r-1', method: 'manual' as const, requestedBy: 'alice', leaseMs: 600_000 };
  await renewals(daysFrom(-6)).claim(key, claim);
  await renewals(daysFrom(-5)).finish(key, 'r-1', {
    state: 'succeeded',
    newFingerprint: 'fp-web.pem-2',
    message: 'issued',
  });
  const old = { locationId: 'aws-acm:' + acmArn('expired'), fingerprint: 'fp-expired' };
  await renewals(daysFrom(-45)).claim(old, {
    ...claim,
    renewalId: 'r-0',
    method: 'acm-managed',
    requestedBy: 'expiry-event',
  });
  await renewals(daysFrom(-45)).finish(old, 'r-0', { state: 'failed', message: 'not eligible' });

  await new DynamoDeliveryLedger(inventory.client, inventory.tableName, fixedClock(daysFrom(-1))).failed({
    event: expiryAlertEvent(acmAlert),
    target: 'Slack (hooks.slack.com)',
    reason: 'HTTP 400 invalid_blocks',
    permanent: true,
    maxAttempts: 3,
  });
}

/** The report sources of a test inventory, at `clock`. */
export const reportSources = (inventory: TestInventory, clock: Clock = fixedClock(REPORT_NOW)): ReportSources => ({
  store: inventory.store,
  renewals: new DynamoRenewalLedger(inventory.client, inventory.tableName, clock),
  undelivered: () => new DynamoDeliveryLedger(inventory.client, inventory.tableName, clock).undelivered(),
  clock,
});
