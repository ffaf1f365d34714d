import { writeCsv } from './csv';
import { writeJson } from './json';
import { writeTable } from './table';
import type { ReportWriter } from './writer';

export type { ReportWriter } from './writer';

/**
 * The formats `certwarden report --format` and the pack write, by name: a new format is one writer added here
 * (`html`: the self-contained HTML report).
 */
export const REPORT_WRITERS: Record<string, ReportWriter> = {
  table: writeTable,
  csv: writeCsv,
  json: writeJson,
};

/** The file extension of each format in a pack (`table` is for terminals and is not in a pack). */
export const PACK_FORMATS: Record<string, string> = { csv: 'csv', json: 'json' };
