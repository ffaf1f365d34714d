import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFilesSource } from '../../../lib/connectors/local-files';
import type { CompiledPolicy } from '../../../lib/domain/policy';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { NotificationError } from '../../../lib/domain/notifications/notification-error';
import type { Clock } from '../../../lib/ports/clock';
import type { EventPublisher } from '../../../lib/ports/event-publisher';
import { syncSource } from '../../../lib/use-cases/sync';
import { issueCertificate, type IssuedCertificate, type KeySpec } from '../../../lib/x509/factory';

export const NOW = new Date('2026-06-01T00:00:00.000Z');
export const DAY = 86_400_000;
export const inDays = (days: number, from = NOW) => new Date(from.getTime() + days * DAY);

/** A clock the test moves. */
export class MovableClock implements Clock {
  constructor(private at: Date = NOW) {}
  now() {
    return new Date(this.at);
  }
  advance(ms: number) {
    this.at = new Date(this.at.getTime() + ms);
  }
}

export class RecordingPublisher implements EventPublisher {
  readonly events: CertwardenEvent[] = [];
  async publish(events: CertwardenEvent[]) {
    this.events.push(...events);
  }
}

/** Fails the first `failures` publish calls, then records. */
export class FlakyPublisher extends RecordingPublisher {
  constructor(private failures: number) {
    super();
  }
  override async publish(events: CertwardenEvent[]) {
    if (this.failures-- > 0) throw new Error('EventBridge unavailable');
    await super.publish(events);
  }
}

/**
 * Accepts the events `refuse` does not pick and records them; the picked ones fail as a NotificationError naming
 * exactly them (as the EventBridge publisher does when PutEvents refuses some entries). With `refuse` unset,
 * records everything.
 */
export class PartialPublisher extends RecordingPublisher {
  readonly calls: CertwardenEvent[][] = [];
  constructor(public refuse?: (event: CertwardenEvent) => boolean) {
    super();
  }
  override async publish(events: CertwardenEvent[]) {
    this.calls.push(events);
    const refused = events.filter((event) => this.refuse?.(event) ?? false);
    await super.publish(events.filter((event) => !refused.includes(event)));
    if (refused.length > 0) throw new NotificationError(`refused ${refused.length} event(s)`, refused);
  }
}

export interface Estate {
  root: string;
  ca: IssuedCertificate;
  /** Writes (or replaces) a certificate file expiring `daysLeft` from NOW after a `lifetimeDays` lifetime. */
  put(name: string, daysLeft: number, lifetimeDays?: number, key?: KeySpec): Promise<IssuedCertificate>;
  /** Syncs the directory into the store (as the `files` source owned by `platform`). */
  sync(
    store: Parameters<typeof syncSource>[0]['store'],
    clock: Clock,
    events?: EventPublisher,
    policy?: CompiledPolicy,
  ): Promise<void>;
}

export async function makeEstate(): Promise<Estate> {
  const root = await mkdtemp(join(tmpdir(), 'certwarden-evaluate-'));
  const ca = await issueCertificate({
    subject: 'CN=Evaluate Test CA',
    ca: true,
    notBefore: inDays(-100),
    notAfter: inDays(3000),
  });
  return {
    root,
    ca,
    async put(name, daysLeft, lifetimeDays = 90, key) {
      const issued = await issueCertificate({
        key,
        subject: `CN=${name}`,
        dns: [name],
        issuer: ca,
        notBefore: inDays(daysLeft - lifetimeDays),
        notAfter: inDays(daysLeft),
      });
      await writeFile(join(root, `${name}.pem`), issued.pem);
      return issued;
    },
    async sync(store, clock, events, policy) {
      await syncSource({
        source: new LocalFilesSource({ name: 'files', root, defaultOwner: 'platform' }),
        store,
        clock,
        events,
        policy,
      });
    },
  };
}
