import type { CertwardenEvent } from '../domain/events';
import { isPermanentStatus, NotificationError } from '../domain/notifications/notification-error';
import { toOcsf } from '../domain/notifications/siem-ocsf';
import { toSiemJson } from '../domain/notifications/siem-json';
import type { EventPublisher } from '../ports/event-publisher';
import { retryAfterMs } from './retry-after';

export interface SiemPosterOptions {
  /** The collector's HTTP endpoint (a Splunk HEC, an Elastic or Sentinel ingestion URL, …). */
  url: string;
  /** `ocsf` (findings only; other events are not sent) or the plain `json` shape (every event). */
  format: 'ocsf' | 'json';
  /** Extra headers, e.g. the collector's authorization (from Secrets Manager). */
  headers?: Record<string, string>;
  /** Attempts per batch, the first included, over 429, 5xx and network errors. @default 4 */
  maxAttempts?: number;
  /** Wait before the second attempt; doubles each time (a 429's Retry-After wins). @default 200 */
  backoffMs?: number;
  /** Per request. @default 10 000 */
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Posts events to a SIEM collector as one JSON array per publish, in OCSF or the plain JSON shape. Retries
 * what is transient (429 with its Retry-After, 5xx, network); a refusal is thrown as a NotificationError with
 * the events, so the caller can retry them or send them to a dead-letter queue.
 */
export class SiemPoster implements EventPublisher {
  constructor(private readonly options: SiemPosterOptions) {}

  async publish(events: CertwardenEvent[]): Promise<void> {
    const records =
      this.options.format === 'ocsf'
        ? events.map((event) => ({ event, record: toOcsf(event) })).filter(({ record }) => record !== undefined)
        : events.map((event) => ({ event, record: toSiemJson(event) }));
    if (records.length === 0) return;
    const body = JSON.stringify(records.map(({ record }) => record));
    const maxAttempts = this.options.maxAttempts ?? 4;
    let lastProblem = '';
    let permanent = false;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let wait = (this.options.backoffMs ?? 200) * 2 ** (attempt - 1);
      try {
        const response = await fetch(this.options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...this.options.headers },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
        await response.arrayBuffer();
        if (response.ok) return;
        lastProblem = `HTTP ${response.status}`;
        permanent = isPermanentStatus(response.status);
        if (response.status !== 429 && response.status < 500) break;
        if (response.status === 429) wait = retryAfterMs(response.headers.get('retry-after')) ?? wait;
      } catch (error) {
        lastProblem = (error as Error).message;
      }
      if (attempt < maxAttempts) await sleep(wait);
    }
    throw new NotificationError(
      `the SIEM collector refused ${records.length} event(s): ${lastProblem}`,
      records.map(({ event }) => event),
      { refused: permanent ? records.map(({ event }) => ({ event, reason: lastProblem })) : [] },
    );
  }
}
