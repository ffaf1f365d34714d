import fc from 'fast-check';
import {
  DETAIL_TYPES,
  expiryAlertEvent,
  type CertwardenEvent,
  type ExpiryAlertDetail,
  type PlaceDetail,
} from '../../../../lib/domain/events';
import { expiryDigest, renderDigestSlack, type DigestItem } from '../../../../lib/domain/notifications/expiry-digest';
import { clipList, clipText, renderSlackMessage } from '../../../../lib/domain/notifications/slack-message';
import { EXPIRY_SEVERITIES } from '../../../../lib/domain/severity';
import { slackLimitProblems } from '../../../support/slack-block-kit';
import { acmAlert } from './fixtures';

/**
 * Every Slack message certwarden builds fits Slack's limits (test/support/slack-block-kit.ts), whatever the
 * certificate: thousands of SANs, long subjects in any script, emoji, mrkdwn's control characters, thousands of
 * digest entries. Sizes are drawn up to the extremes (`size: 'max'`), so a few hundred runs reach them.
 */

/** Text with what breaks naive clipping: astral characters (surrogate pairs), mrkdwn's &, < and >, markup. */
const nastyText = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
      { weight: 2, arbitrary: fc.constantFrom('&', '<', '>', '*', '`', '_', '~', '\n', ' ') },
      { weight: 1, arbitrary: fc.constantFrom('😀', '👩‍👩‍👧', '𝔘', '𐍈', '한') },
    ),
    maxLength,
  });
/** The first `length` characters of `text`, less a high surrogate left at the end (inputs are well-formed). */
const wellFormedPrefix = (text: string, length: number) => text.slice(0, length).replace(/[\uD800-\uDBFF]$/, '');
/**
 * Short nasty text, or up to `maxLength` characters of it: a drawn chunk repeated (drawing thousands of characters
 * one by one would make each run slow), after a few letters that move where a clip lands in it.
 */
const someText = (maxLength: number) =>
  fc.oneof(
    nastyText(12),
    fc
      .tuple(fc.string({ maxLength: 3 }), nastyText(24), fc.integer({ min: 1, max: Math.ceil(maxLength / 24) }))
      .map(([shift, chunk, times]) => wellFormedPrefix(shift + chunk.repeat(times), maxLength)),
  );
/** A few items, or up to `maxLength` of them (drawn items numbered over and over, to stay distinct and quick). */
const list = (item: fc.Arbitrary<string>, maxLength: number) =>
  fc.oneof(
    fc.array(item, { maxLength: 3 }),
    fc
      .tuple(fc.array(item, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: maxLength }))
      .map(([items, count]) => Array.from({ length: count }, (_, i) => `${items[i % items.length]}${i}`)),
  );
const iso = fc
  .integer({ min: Date.parse('2000-01-01'), max: Date.parse('2099-12-31') })
  .map((ms) => new Date(ms).toISOString());
const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: length, maxLength: length });
const nullable = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null });

const place: fc.Arbitrary<PlaceDetail> = fc.record({
  locationId: someText(3000),
  source: someText(500),
  sourceKind: fc.constantFrom('aws-acm', 'local-files', 'azure-key-vault', 'gcp-certificate-manager', 'tls-endpoint'),
  nativeId: someText(3000),
  owner: someText(1000),
  account: nullable(someText(200)),
  region: nullable(someText(200)),
  inUseBy: list(someText(300), 500),
});

const expiryAlert: fc.Arbitrary<ExpiryAlertDetail> = fc
  .record({
    place,
    thresholdId: fc.oneof(fc.constantFrom('60d', '1d', 'lifetime-33%', 'expired'), someText(300)),
    serialNumber: nullable(fc.oneof(hex(40), someText(200))),
    subject: someText(5000),
    subjectCommonName: nullable(someText(5000)),
    dnsNames: list(fc.oneof(fc.domain(), someText(300)), 3000),
    issuer: someText(3000),
    notAfter: iso,
    daysLeft: fc.integer({ min: -100_000, max: 100_000 }),
    severity: fc.constantFrom(...EXPIRY_SEVERITIES),
    isCA: fc.boolean(),
    instructions: someText(3000),
  })
  .map(({ place, instructions, ...rest }) => ({
    ...acmAlert,
    ...place,
    ...rest,
    renewal: { method: null, managed: false, instructions },
  }));

/** An event of each other detail type (expiry alerts are drawn above), with the detail's texts drawn long and nasty. */
const otherEvent: fc.Arbitrary<CertwardenEvent> = fc
  .record({
    detailType: fc.constantFrom(...DETAIL_TYPES.filter((type) => !type.startsWith('Certificate Expir'))),
    place,
    words: someText(6000),
    ruleId: someText(300),
    errors: fc
      .tuple(list(someText(500), 2000), someText(2000))
      .map(([ids, message]) => ids.map((nativeId) => ({ nativeId, message }))),
    names: list(someText(300), 500),
    at: iso,
  })
  .map(
    ({ detailType, place, words, ruleId, errors, names, at }) =>
      ({
        detailType,
        detail: {
          schemaVersion: 1,
          ...place,
          // Every text any detail type carries, whichever this one is: the renderer reads what its type has.
          problem: words,
          message: words,
          error: words,
          reason: words,
          target: words,
          eventType: ruleId,
          subjectCommonName: ruleId,
          permanent: false,
          attempts: 5,
          ruleId,
          severity: 'high',
          serialNumber: words,
          revokedAt: at,
          via: 'crl',
          errors,
          issuer: words,
          outcome: 'issuer-must-revoke',
          certificateAuthorityArn: null,
          requestedBy: ruleId,
          places: errors.map((error) => error.nativeId),
          complete: false,
          fingerprint: 'ab'.repeat(32),
          dnsNames: names,
          subject: words,
          log: ruleId,
          index: 4711,
          entryType: 'precert',
          loggedAt: at,
          endpoint: words,
          serverName: ruleId,
          notAfter: at,
          name: ruleId,
          inventory: { source: words, sourceKind: 'aws-acm', fingerprint: 'cd'.repeat(32), notAfter: at },
          at,
        },
      }) as unknown as CertwardenEvent,
  );

const digestItem: fc.Arbitrary<DigestItem> = fc.record({
  locationId: someText(300),
  name: someText(2000),
  severity: fc.constantFrom('info', 'warning'),
  daysLeft: fc.integer({ min: -10, max: 400 }),
  notAfter: iso,
  source: someText(300),
  sourceKind: fc.constantFrom('aws-acm', 'local-files'),
  nativeId: someText(2000),
  owner: fc.oneof(fc.constantFrom('payments', 'platform'), someText(500)),
  account: nullable(someText(50)),
  thresholdId: fc.constantFrom('60d', '30d'),
  managed: fc.boolean(),
  renewal: fc.constant(null),
});

/** A few items, or up to 2,000 (drawn ones repeated, each at its own place and with its own name). */
const digestItems = fc.oneof(
  fc.array(digestItem, { maxLength: 3 }),
  fc
    .tuple(fc.array(digestItem, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 2000 }))
    .map(([items, count]) =>
      Array.from({ length: count }, (_, i) => {
        const item = items[i % items.length];
        return { ...item, locationId: `${item.locationId}${i}`, name: `${item.name}${i}` };
      }),
    ),
);

describe('Slack messages within Slack limits', () => {
  it('holds for expiry alerts, whatever the certificate', () => {
    fc.assert(
      fc.property(expiryAlert, (alert) => {
        expect(slackLimitProblems(renderSlackMessage(expiryAlertEvent(alert)))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('holds for every other event type Slack may be sent', () => {
    fc.assert(
      fc.property(otherEvent, (event) => {
        expect(slackLimitProblems(renderSlackMessage(event))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('holds for the daily digest, however many certificates', () => {
    fc.assert(
      fc.property(digestItems, (items) => {
        expect(slackLimitProblems(renderDigestSlack(expiryDigest('2026-06-01', items)))).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});

describe('a certificate with 251 SANs', () => {
  const alert = {
    ...acmAlert,
    dnsNames: Array.from({ length: 251 }, (_, i) => `host-${String(i).padStart(3, '0')}.shop.example.com`),
  };
  const names = () => {
    const [, facts] = renderSlackMessage(expiryAlertEvent(alert)).blocks as Array<{ fields: Array<{ text: string }> }>;
    return facts.fields[2].text;
  };

  it('lists the names that fit in the field and counts the rest', () => {
    const text = names();
    const listed = text.split('\n')[1].split(', ').slice(0, -1);
    expect(text.length).toBeLessThanOrEqual(2000);
    expect(listed[0]).toBe('host-000.shop.example.com');
    expect(text).toMatch(new RegExp(`… and ${251 - listed.length} more$`));
  });
});

describe('clipText', () => {
  it.each([
    ['a surrogate pair it would cut in half', `${'a'.repeat(8)}😀😀`, 10, `${'a'.repeat(8)}…`],
    ['an mrkdwn escape it would cut in half', `${'a'.repeat(6)}&amp;b`, 10, `${'a'.repeat(6)}…`],
    ['nothing, when it fits', 'short', 10, 'short'],
  ])('keeps %s whole', (_, text, max, clipped) => {
    expect(clipText(text, max)).toBe(clipped);
  });
});

describe('clipList', () => {
  it('lists whole items and counts the rest', () => {
    expect(clipList(['alpha', 'beta', 'gamma', 'delta', 'epsilon'], 26, ', ')).toBe('alpha, beta, … and 3 more');
  });

  it('clips the first item rather than show only the count', () => {
    expect(clipList(['x'.repeat(100), 'y'], 30, ', ')).toBe(`${'x'.repeat(15)}…, … and 1 more`);
  });
});
