/**
 * The shape every compliance report takes (`certwarden report`, the monthly pack): a titled table streamed row by
 * row, the controls it evidences and the moment its data was read. The writers (table, CSV, JSON, HTML) know only
 * this shape, so a report is written once and every format follows.
 */

export const REPORT_NAMES = [
  'inventory',
  'expiring',
  'unowned',
  'violations',
  'renewals',
  'revocations',
  'audit',
  'unused',
  'crypto',
  'served',
] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

export interface ComplianceControl {
  framework: 'PCI DSS v4.0' | 'SOC 2' | 'ISO/IEC 27001:2022' | 'NIST CSF 2.0';
  id: string;
  title: string;
}

/** A cell as every format can hold it: dates are ISO 8601 strings, absent values null. */
export type ReportCell = string | number | boolean | null;
export type ReportRow = Record<string, ReportCell>;

export interface ReportColumn {
  key: string;
  title: string;
  type: 'text' | 'number' | 'date' | 'boolean';
}

export interface Report {
  name: ReportName;
  title: string;
  /** One sentence: what the rows are and why a reviewer wants them. */
  description: string;
  controls: ComplianceControl[];
  /** When the inventory was read for this report (ISO 8601). */
  readAt: string;
  /** What the report was asked for (days, owner, location, period), as printed in its header. */
  parameters: Record<string, string | number | null>;
  columns: ReportColumn[];
  /** Streamed: a report of a whole estate is never held in memory by its producer. */
  rows: AsyncIterable<ReportRow>;
}
