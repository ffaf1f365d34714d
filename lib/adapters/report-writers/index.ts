import { writeHtmlReport } from '../html-report';
import { writeCsv } from './csv';
import { writeJson } from './json';
import { writeTable } from './table';
import type { ReportWriter } from './writer';

export type { ReportWriter } from './writer';

/** The formats `certwarden report --format` and the pack write, by name: a new format is one writer added here. */
export const REPORT_WRITERS: Record<string, ReportWriter> = {
  table: writeTable,
  csv: writeCsv,
  json: writeJson,
  html: (report, out) => writeHtmlReport(report, out),
};
