import type { CertwardenEvent } from '../domain/events';

/** A Deployment Drift or Unknown Certificate Served event. */
export type ServedAlertEvent = Extract<
  CertwardenEvent,
  { detailType: 'Deployment Drift' | 'Unknown Certificate Served' }
>;

/** A served-certificate alert raised and not resolved yet: where (source, scope, place) and the event raised. */
export interface OpenServedAlert {
  source: string;
  scope: string;
  event: ServedAlertEvent;
}

/**
 * The served-certificate alerts that are open, kept by source and scope so that a drift check reads those of the
 * scopes it judges (few: what is wrong now), never one record per endpoint it judges. What makes an alert's
 * resolution announced once: of two runs closing it, one succeeds.
 */
export interface ServedAlerts {
  /** The open alerts of a source's scope, or of every scope of the source. */
  openIn(source: string, scope?: string): AsyncIterable<OpenServedAlert>;
  /** Records an alert as open (again: idempotent). */
  open(alert: OpenServedAlert): Promise<void>;
  /** Closes an open alert: true for the one caller that closed it, false when it was not open. */
  close(alert: OpenServedAlert): Promise<boolean>;
}
