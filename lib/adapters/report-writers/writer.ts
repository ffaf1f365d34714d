import { once } from 'node:events';
import type { Report } from '../../domain/report';

/**
 * Writes a report to a stream, row by row as the report streams them, and resolves once all is handed to the
 * stream: a report of a whole estate never sits in memory as text.
 */
export type ReportWriter = (report: Report, out: NodeJS.WritableStream) => Promise<void>;

/** Writes `text`, waiting for the stream to drain when its buffer is full (so a slow reader bounds memory). */
export async function write(out: NodeJS.WritableStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out as NodeJS.EventEmitter, 'drain');
}
