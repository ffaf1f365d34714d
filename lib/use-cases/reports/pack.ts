import type { Report } from '../../domain/report';
import type { PackSaver } from '../../ports/report-pack-store';
import { buildReport, PACK_REPORTS } from './index';
import type { ReportSources } from './sources';

/** Writes a report to a stream (lib/adapters/report-writers). */
export type PackWriter = (report: Report, out: NodeJS.WritableStream) => Promise<void>;

/**
 * The report pack (the monthly evidence, `certwarden report pack`): every report of PACK_REPORTS with its
 * defaults, in each of `formats`, one file after another. Each file reads the inventory afresh: rows stream once,
 * and the files of one report then share no memory however large the estate.
 */
export async function writeReportPack(
  sources: ReportSources,
  formats: Record<string, PackWriter>,
  save: PackSaver,
): Promise<string[]> {
  const saved: string[] = [];
  for (const report of PACK_REPORTS)
    for (const [format, writer] of Object.entries(formats)) {
      const built = await buildReport(report, sources);
      saved.push(await save({ report, format, fileName: `${report}.${format}` }, (out) => writer(built, out)));
    }
  return saved;
}
