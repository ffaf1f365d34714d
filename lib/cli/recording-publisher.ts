import type { CertwardenEvent } from '../domain/events';
import type { EventPublisher } from '../ports/event-publisher';
import { lazy } from './lazy';

/** What a command published: the events, and whether they went to a bus (`--event-bus`) or nowhere. */
export interface RecordingPublisher extends EventPublisher {
  readonly sent: CertwardenEvent[];
}

/**
 * The events of a command that acts (`renew`, `revoke`): kept to be printed, and sent to the EventBridge bus when
 * `--event-bus` names one (its SDK loaded only then).
 */
export async function recordingPublisher(eventBus: string | undefined): Promise<RecordingPublisher> {
  const target = eventBus ? await lazy.evaluate().eventBridgePublisher(eventBus) : undefined;
  const sent: CertwardenEvent[] = [];
  return {
    sent,
    publish: async (batch) => {
      await target?.publish(batch);
      sent.push(...batch);
    },
  };
}

/** The `events` line of a command's output: which were published, and where. */
export function eventsLine(events: CertwardenEvent[], eventBus: string | undefined): string | undefined {
  if (events.length === 0) return undefined;
  const where = eventBus ? ` (sent to ${eventBus})` : ' (not sent: no --event-bus)';
  return `${events.map((event) => event.detailType).join(', ')}${where}`;
}

/** Lines of `name  value`, the names in one column; a line without a value is left out. */
export function factLines(lines: Array<[string, string | undefined]>): string {
  return lines
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name.padEnd(16)}${value}\n`)
    .join('');
}
