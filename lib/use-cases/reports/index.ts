import { REPORT_NAMES, type Report, type ReportName } from '../../domain/report';
import { cryptoReport } from './crypto';
import { expiringReport, inventoryReport, revocationsReport, unownedReport, unusedReport } from './place-reports';
import { auditReport, renewalsReport } from './renewals';
import type { ReportRequest, ReportSources } from './sources';
import { servedReport } from './served';
import { violationsReport } from './violations';

export type { ReportRequest, ReportSources } from './sources';
export { CONTROLS } from './controls';

/** What each report is asked with, beyond its name: anything else given to it is a usage error. */
export const REPORT_OPTIONS: Record<ReportName, ReadonlyArray<keyof ReportRequest>> = {
  inventory: ['owner'],
  expiring: ['days', 'owner'],
  unowned: [],
  violations: ['owner'],
  renewals: ['since', 'until'],
  revocations: [],
  audit: ['location'],
  unused: [],
  crypto: [],
  served: [],
};

type Producer = (sources: ReportSources, request: ReportRequest) => Report | Promise<Report>;

/** One producer per report name: each reads the inventory through its indexes and streams its rows. */
export const REPORTS: Record<ReportName, Producer> = {
  inventory: inventoryReport,
  expiring: expiringReport,
  unowned: unownedReport,
  violations: violationsReport,
  renewals: renewalsReport,
  revocations: revocationsReport,
  audit: auditReport,
  unused: unusedReport,
  crypto: cryptoReport,
  served: servedReport,
};

export const isReportName = (name: string): name is ReportName => (REPORT_NAMES as readonly string[]).includes(name);

/** The reports of a pack (the monthly evidence): every report but the audit of one place, with its defaults. */
export const PACK_REPORTS: readonly ReportName[] = REPORT_NAMES.filter((name) => name !== 'audit');

export const buildReport = (name: ReportName, sources: ReportSources, request: ReportRequest = {}): Promise<Report> =>
  Promise.resolve(REPORTS[name](sources, request));
