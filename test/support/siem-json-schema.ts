import type { ValidateFunction } from 'ajv';
import schema from '../../lib/domain/notifications/siem-json-record-schema.json';
import { strictAjv } from '../unit/domain/events/event-schemas';

let validate: ValidateFunction | undefined;

/** The SIEM JSON record schema (lib/domain/notifications/siem-json-record-schema.json), as a document. */
export const SIEM_JSON_SCHEMA = schema;

/** The problems of a SIEM JSON record against its schema, as readable lines; empty when it is valid. */
export function siemJsonProblems(record: unknown): string[] {
  validate ??= strictAjv().compile(schema);
  if (validate(record)) return [];
  const type = (record as { event_type?: unknown }).event_type;
  return (validate.errors ?? []).map(
    (error) => `${String(type)}: ${error.instancePath || '(record)'} ${error.message} ${JSON.stringify(error.params)}`,
  );
}
