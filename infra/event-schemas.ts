import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EVENT_SOURCE } from '../lib/domain/events';

/** One schema of the registry: the JSON Schema of an event's `detail`, and the detail types it describes. */
export interface EventSchemaDefinition {
  /** Detail types (`Certificate Discovered`, …) whose `detail` this schema describes. */
  detailTypes: string[];
  /** JSON Schema (draft-04, as the EventBridge schema registry reads it) of the event's `detail`. */
  detail: Record<string, unknown>;
  /** Where it was read from, for messages. */
  file: string;
}

/** Repository root: infra/ sits one level below it. */
const ROOT = join(__dirname, '..');
/** The event schemas live beside the event catalog (lib/domain/events.ts). */
export const DOMAIN_SCHEMA_DIR = join(ROOT, 'lib/domain');

/**
 * Reads every `*.schema.json` under lib/domain (recursively).
 * A file names the detail types it describes in `x-detail-types`, or else by its `title`. Nothing is listed
 * in code: a new schema file is a new registry entry at the next synth.
 */
export function loadEventSchemas(dir: string = DOMAIN_SCHEMA_DIR): EventSchemaDefinition[] {
  return schemaFiles(dir).map(readSchema);
}

function schemaFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.schema.json'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function readSchema(file: string): EventSchemaDefinition {
  const name = relative(ROOT, file);
  const detail = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const listed = detail['x-detail-types'];
  const detailTypes = Array.isArray(listed)
    ? listed.map(String)
    : typeof detail.title === 'string'
      ? [detail.title]
      : [];
  if (detailTypes.length === 0) throw new Error(`${name}: names no detail type (x-detail-types or title)`);
  return { detailTypes, detail, file: name };
}

/** `Certificate Discovered` → `certwarden@CertificateDiscovered`, the registry's naming of discovered schemas. */
export const schemaNameOf = (detailType: string): string =>
  `${EVENT_SOURCE}@${detailType.replace(/[^A-Za-z0-9]/g, '')}`;

/**
 * The registry's schema of a whole event: EventBridge's envelope with this source and detail type, and the
 * detail schema (its own `$schema` and `x-` keywords dropped) under `detail`.
 */
export function envelopeSchema(detailType: string, detail: Record<string, unknown>): Record<string, unknown> {
  const detailSchema = Object.fromEntries(
    Object.entries(detail).filter(([key]) => key !== '$schema' && !key.startsWith('x-')),
  );
  return {
    $schema: 'http://json-schema.org/draft-04/schema#',
    title: detailType.replace(/[^A-Za-z0-9]/g, ''),
    type: 'object',
    required: ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'],
    properties: {
      version: { type: 'string' },
      id: { type: 'string' },
      'detail-type': { type: 'string', enum: [detailType] },
      source: { type: 'string', enum: [EVENT_SOURCE] },
      account: { type: 'string' },
      time: { type: 'string', format: 'date-time' },
      region: { type: 'string' },
      resources: { type: 'array', items: { type: 'string' } },
      detail: detailSchema,
    },
  };
}
