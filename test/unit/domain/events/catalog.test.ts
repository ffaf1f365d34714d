import {
  DETAIL_TYPES,
  EVENT_SOURCE,
  expiryAlertEvent,
  inventoryChangeEvent,
  schemaFileOf,
  type CertwardenEvent,
  type ExpiryAlertDetail,
  type PlaceDetail,
} from '../../../../lib/domain/events';
import { change, EVENT_OF_EVERY_TYPE } from '../notifications/fixtures';
import { loadSchemas, schemaProblems, schemaValidators } from './event-schemas';

/** Spelt in parts so that no source file looks like a committed key. */
const KEY_LABEL = ['PRIVATE', 'KEY'].join(' ');

const AT = '2026-06-01T00:00:00.000Z';
const FP = 'a'.repeat(64);

const place: PlaceDetail = {
  locationId: 'aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/1',
  source: 'prod-acm',
  sourceKind: 'aws-acm',
  nativeId: 'arn:aws:acm:eu-west-1:111111111111:certificate/1',
  owner: 'payments',
  account: '111111111111',
  region: 'eu-west-1',
  inUseBy: ['arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/api/1'],
};

const expiry = (thresholdId: string, daysLeft: number): ExpiryAlertDetail => ({
  schemaVersion: 1,
  ...place,
  alertId: `${place.locationId}#${FP}#${thresholdId}`,
  thresholdId,
  fingerprint: FP,
  serialNumber: '1f',
  subject: 'CN=api.example.com',
  subjectCommonName: 'api.example.com',
  dnsNames: ['api.example.com'],
  issuer: 'CN=Amazon RSA 2048 M02,O=Amazon,C=US',
  notBefore: '2025-06-01T00:00:00.000Z',
  notAfter: AT,
  daysLeft,
  severity: daysLeft < 0 ? 'critical' : 'warning',
  isCA: false,
  renewal: { method: 'acm-managed', managed: true, instructions: 'ACM renews it.' },
  at: AT,
});

/**
 * One event of every kind, each built by its real constructor: the notifications' fixtures (one of every detail
 * type), and the change kinds and thresholds they leave out.
 */
const EVERY_EVENT: CertwardenEvent[] = [
  ...EVENT_OF_EVERY_TYPE,
  inventoryChangeEvent(change('restored')),
  inventoryChangeEvent(change('updated')),
  expiryAlertEvent(expiry('lifetime-33%', 100)),
];

/** Keywords of JSON Schema draft-04 (what the EventBridge schema registry reads), plus annotations. */
const DRAFT_04_KEYWORDS = new Set([
  '$schema',
  'id',
  '$ref',
  'title',
  'description',
  'default',
  'type',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'additionalItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'format',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'definitions',
  'patternProperties',
  'dependencies',
  'minProperties',
  'maxProperties',
]);

function keywordsOf(schema: unknown, found = new Set<string>()): Set<string> {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return found;
  for (const [key, value] of Object.entries(schema)) {
    found.add(key);
    if (key === 'properties' || key === 'definitions' || key === 'patternProperties')
      for (const child of Object.values(value as object)) keywordsOf(child, found);
    else if (key === 'items' || key === 'additionalProperties' || key === 'not') keywordsOf(value, found);
    else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') for (const child of value) keywordsOf(child, found);
  }
  return found;
}

describe('the event catalog', () => {
  const validators = schemaValidators();

  it('publishes under the source certwarden', () => {
    expect(EVENT_SOURCE).toBe('certwarden');
  });

  it('has one schema file per detail type, named after it, titled with it and listing it in x-detail-types', () => {
    const schemas = loadSchemas();
    expect(schemas.map((s) => s.file).sort()).toEqual(DETAIL_TYPES.map(schemaFileOf).sort());
    for (const { file, schema, detailTypes } of schemas) {
      expect(detailTypes).toEqual([schema.title]);
      expect(file).toBe(schemaFileOf(String(schema.title)));
      expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    }
  });

  it('writes the schemas with draft-04 keywords only', () => {
    for (const { file, schema } of loadSchemas()) {
      const unknown = [...keywordsOf(schema)].filter((key) => !DRAFT_04_KEYWORDS.has(key) && !key.startsWith('x-'));
      expect({ file, unknown }).toEqual({ file, unknown: [] });
    }
  });

  it('builds an event of every detail type through the constructors', () => {
    expect(new Set(EVERY_EVENT.map((event) => event.detailType))).toEqual(new Set(DETAIL_TYPES));
  });

  it.each(EVERY_EVENT.map((event) => [event.detailType, event] as const))(
    '%s validates against its schema',
    (_detailType, event) => {
      expect(schemaProblems(validators, event)).toEqual([]);
    },
  );

  it('puts schemaVersion on every detail', () => {
    for (const event of EVERY_EVENT) expect(event.detail.schemaVersion).toBe(1);
  });

  it('rejects a detail carrying anything the schema does not name (no key material can slip in)', () => {
    const leaky = expiryAlertEvent({
      ...expiry('7d', 6),
      privateKey: `-----BEGIN ${KEY_LABEL}-----`,
    } as ExpiryAlertDetail);
    expect(schemaProblems(validators, leaky).join('\n')).toMatch(/must NOT have additional properties/);
  });

  it('rejects an Expiring event for the expired threshold and an Expired one for a day threshold', () => {
    expect(
      schemaProblems(validators, { detailType: 'Certificate Expiring', detail: expiry('expired', -1) }),
    ).not.toEqual([]);
    expect(schemaProblems(validators, { detailType: 'Certificate Expired', detail: expiry('7d', 6) })).not.toEqual([]);
  });

  it('names no secret-like field in any schema', () => {
    for (const { schema } of loadSchemas())
      expect(
        Object.keys(schema.properties as object).filter((key) => /key|secret|password|token|pem|der/i.test(key)),
      ).toEqual([]);
  });
});
