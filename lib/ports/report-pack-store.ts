import type { ReportName } from '../domain/report';

/** One file of a report pack: `<report>.<format>`. */
export interface PackFile {
  report: ReportName;
  format: string;
  fileName: string;
}

/**
 * Where a report pack is kept (a directory for the CLI, an S3 bucket for the deployed stack): saves one file,
 * handing `write` the stream the file is written to, and resolves once the file is complete there, to what names
 * it there (a path, an object key).
 */
export type PackSaver = (file: PackFile, write: (out: NodeJS.WritableStream) => Promise<void>) => Promise<string>;
