import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import type { CertwardenEvent } from '../../../../lib/domain/events';

/** Where the domain's event schemas live (the CDK stack's registry reads every *.schema.json under lib/domain). */
export const SCHEMA_DIR = join(__dirname, '../../../../lib/domain/event-schemas');

export interface LoadedSchema {
  file: string;
  schema: Record<string, unknown>;
  detailTypes: string[];
}

export function loadSchemas(): LoadedSchema[] {
  return readdirSync(SCHEMA_DIR)
    .filter((name) => name.endsWith('.schema.json'))
    .sort()
    .map((file) => {
      const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as Record<string, unknown>;
      return { file, schema, detailTypes: (schema['x-detail-types'] as string[] | undefined) ?? [] };
    });
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** A strict Ajv (draft-07) that knows the `date-time` format and the event schemas' `x-` annotation. */
export function strictAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, keywords: ['x-detail-types'] });
  ajv.addFormat('date-time', (value: string) => ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)));
  return ajv;
}

/**
 * Ajv over the draft-04 schemas: their `$schema` is dropped (Ajv 8 reads draft-07, a superset of the draft-04
 * keywords these files use; the keyword test holds them to draft-04) and `x-` annotations are allowed.
 */
export function schemaValidators(): Map<string, ValidateFunction> {
  const ajv = strictAjv();
  const validators = new Map<string, ValidateFunction>();
  for (const { schema, detailTypes } of loadSchemas()) {
    const { $schema: _draft, ...body } = schema;
    const validate = ajv.compile(body);
    for (const detailType of detailTypes) validators.set(detailType, validate);
  }
  return validators;
}

/** The problems of an event against the schema of its detail type, as readable lines; empty when it is valid. */
export function schemaProblems(validators: Map<string, ValidateFunction>, event: CertwardenEvent): string[] {
  const validate = validators.get(event.detailType);
  if (!validate) return [`${event.detailType}: no schema`];
  if (validate(event.detail)) return [];
  return (validate.errors ?? []).map(
    (error) =>
      `${event.detailType}: ${error.instancePath || '(detail)'} ${error.message} ${JSON.stringify(error.params)}`,
  );
}
