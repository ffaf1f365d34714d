import { loadConfig } from '../adapters/config-file';
import { DynamoAlertLedger } from '../adapters/dynamodb-alert-ledger';
import { DynamoDeliveryLedger } from '../adapters/dynamodb-delivery-ledger';
import { SiemPoster } from '../adapters/siem';
import { SlackNotifier } from '../adapters/slack-notifier';
import { localTargetUrl, type CertwardenConfig } from '../domain/config';
import { ConfigError } from '../domain/errors';
import type { CertwardenEvent } from '../domain/events';
import type { ExpiryThresholds } from '../domain/expiry';
import { NotificationError } from '../domain/notifications/notification-error';
import type { SeverityThresholds } from '../domain/severity';
import type { Clock } from '../ports/clock';
import type { DeliveryLedger, UndeliveredRecord } from '../ports/delivery-ledger';
import type { EventPublisher } from '../ports/event-publisher';
import type { DigestNotifier, ExpiryDigest } from '../ports/notifier';
import type { LocalTargetOptions, LocalTargetRetry } from './evaluate-commands';
import type { OpenInventory, StoreOptions } from './open-inventory';
import { deliverTo, undeliveredEventOf, type DeliveryTarget } from '../use-cases/deliver';

/* The local alert targets of `evaluate` and `digest` (Slack, SIEM), and the settings both read. */

/** The alert ledger lives in the inventory table. */
export const ledgerOf = (inventory: OpenInventory, clock: Clock): DynamoAlertLedger =>
  new DynamoAlertLedger(inventory.client, inventory.tableName, clock);

/** So does the delivery ledger (per alert and target). */
export const deliveryLedgerOf = (inventory: OpenInventory, clock: Clock): DynamoDeliveryLedger =>
  new DynamoDeliveryLedger(inventory.client, inventory.tableName, clock);

/** The configuration, and the inventory it names unless `--store` / `--table` say otherwise. */
export function localSettings(options: LocalTargetOptions): { config: CertwardenConfig; store: StoreOptions } {
  const { config } = loadConfig(options.config);
  return {
    config,
    store: { store: options.store ?? config.inventory.store, table: options.table ?? config.inventory.table },
  };
}

/** The config's alert thresholds, as evaluateExpiry and sendDigest take them. */
export const thresholdsOf = (
  config: CertwardenConfig,
): { thresholds: ExpiryThresholds; severity: SeverityThresholds } => ({
  thresholds: { days: config.expiry.days, lifetimeFraction: config.expiry.lifetimeFraction },
  severity: config.expiry.severity,
});

/**
 * A place alerts go from a laptop, named for people by its kind and host only: webhook URLs are secrets (the
 * path is the credential), so neither the name nor an error from it ever holds the URL. It takes the digest
 * too; the digest command names its channel (lib/cli/digest-commands.ts).
 */
export class LocalTarget implements EventPublisher {
  readonly name: string;

  constructor(
    kind: string,
    private readonly url: string,
    private readonly inner: EventPublisher & Partial<DigestNotifier>,
  ) {
    this.name = `${kind} (${new URL(url).host})`;
  }

  publish(events: CertwardenEvent[]): Promise<void> {
    return this.guard(() => this.inner.publish(events), events);
  }

  sendDigest(digest: ExpiryDigest): Promise<void> {
    if (!this.inner.sendDigest) return Promise.resolve();
    return this.guard(() => this.inner.sendDigest!(digest), []);
  }

  private async guard(work: () => Promise<void>, events: CertwardenEvent[]): Promise<void> {
    try {
      await work();
    } catch (error) {
      const message = redact(error instanceof Error ? error.message : String(error), this.url);
      const known = error instanceof NotificationError;
      // No cause: the adapter's error (and fetch's below it) may quote the URL.
      throw new NotificationError(`${this.name}: ${message}`, known ? error.failed : events, {
        refused: known ? error.refused.map(({ event, reason }) => ({ event, reason: redact(reason, this.url) })) : [],
      });
    }
  }
}

/** `text` with the URL, and its path and query on their own, taken out. */
export function redact(text: string, url: string): string {
  const parsed = new URL(url);
  const secrets = [url, parsed.href, `${parsed.pathname}${parsed.search}`, parsed.pathname, parsed.search].filter(
    (secret) => secret.length > 1,
  );
  return secrets.reduce((result, secret) => result.split(secret).join('…'), text);
}

export interface FanOutOptions {
  /** Where each (alert, target) delivery is recorded: a retry goes only to the targets that did not take it. */
  ledger: DeliveryLedger;
  /** Failed attempts at one alert per target before it is dead-lettered. @default DEFAULT_DELIVERY_ATTEMPTS */
  maxAttempts?: number;
  /** Told of each dead letter (after its Alert Undelivered event went to the other targets). */
  onUndelivered?: (record: UndeliveredRecord, announceProblems: string[]) => void;
}

/**
 * Publishes each batch to every target, each attempted even when another fails, and records per (alert,
 * target) what became of it (lib/use-cases/deliver.ts): a target that took an alert is not sent it again, so
 * when one target fails only it gets the alert on the next run. An alert a target refused for good (a 4xx other
 * than 408 and 429), or failed `maxAttempts` times, is dead-lettered: not retried, told to the other targets as
 * an Alert Undelivered event and listed by `certwarden list --undelivered`. The publish fails, naming only the
 * alerts some target is still to take, so evaluateExpiry gives those back and marks the rest sent.
 */
export class FanOutPublisher implements EventPublisher {
  /** The dead letters of this publisher's runs, in order. */
  readonly undelivered: UndeliveredRecord[] = [];
  /** Events each target took in this publisher's runs, by target name. */
  readonly taken = new Map<string, number>();

  constructor(
    private readonly targets: readonly DeliveryTarget[],
    private readonly options: FanOutOptions,
  ) {}

  async publish(events: CertwardenEvent[]): Promise<void> {
    const { ledger, maxAttempts } = this.options;
    const results = await Promise.allSettled(
      this.targets.map((target) => deliverTo({ ledger, target, events, maxAttempts })),
    );
    const retry = new Set<CertwardenEvent>();
    const failures: string[] = [];
    const named = (name: string, message: string) =>
      message.startsWith(`${name}: `) ? message : `${name}: ${message}`;
    results.forEach((result, index) => {
      const { name } = this.targets[index];
      if (result.status === 'rejected') {
        // The ledger itself failed: nothing is known of this target's deliveries, so all of them are retried.
        for (const event of events) retry.add(event);
        failures.push(named(name, result.reason instanceof Error ? result.reason.message : String(result.reason)));
        return;
      }
      this.taken.set(name, (this.taken.get(name) ?? 0) + result.value.delivered.length);
      for (const { event } of result.value.retry) retry.add(event);
      if (result.value.retry.length > 0) failures.push(named(name, result.value.retry[0].reason));
    });
    for (const result of results)
      if (result.status === 'fulfilled') for (const record of result.value.deadLettered) await this.announce(record);
    if (retry.size > 0) throw new NotificationError(failures.join('; '), [...retry]);
  }

  /** What each target took, and gave up on: `Slack (hooks.slack.com): 20 (2 dead-lettered)`. */
  summary(): string {
    return this.targets
      .map(({ name }) => {
        const given = this.undelivered.filter((record) => record.target === name).length;
        return `${name}: ${this.taken.get(name) ?? 0}${given > 0 ? ` (${given} dead-lettered)` : ''}`;
      })
      .join(', ');
  }

  /** A dead letter's Alert Undelivered event, once, to every target but the one that refused: best effort. */
  private async announce(record: UndeliveredRecord): Promise<void> {
    this.undelivered.push(record);
    const event = undeliveredEventOf(record);
    const others = this.targets.filter((target) => target.name !== record.target);
    const results = await Promise.allSettled(others.map((target) => target.publisher.publish([event])));
    const problems = results.flatMap((result, index) =>
      result.status === 'rejected'
        ? [`${others[index].name}: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`]
        : [],
    );
    this.options.onUndelivered?.(record, problems);
  }
}

/**
 * The Slack and SIEM targets: the options first, then the config's `alerts.local`. A Slack target follows the
 * config's digest mode (`alerts.digest`: info and warning alerts wait for `certwarden digest`).
 */
export function localTargets(
  options: LocalTargetOptions,
  config: CertwardenConfig,
  retry: LocalTargetRetry = {},
): { slack?: LocalTarget; siem?: LocalTarget } {
  const local = config.alerts.local;
  const slackUrl = targetUrl('slack', '--slack-webhook', options.slackWebhook ?? local?.slackWebhookUrl);
  const siemUrl = targetUrl('siem', '--siem-url', options.siemUrl ?? local?.siemUrl);
  const format = options.siemFormat ?? local?.siemFormat ?? 'json';
  return {
    slack: slackUrl
      ? new LocalTarget(
          'Slack',
          slackUrl,
          new SlackNotifier({ webhookUrl: slackUrl, digest: config.alerts.digest !== undefined, ...retry }),
        )
      : undefined,
    siem: siemUrl
      ? new LocalTarget(`SIEM ${format}`, siemUrl, new SiemPoster({ url: siemUrl, format, ...retry }))
      : undefined,
  };
}

/**
 * The target's URL or nothing, checked by the config's own rule (localTargetUrl), so that an option and the
 * config accept the same URLs; a wrong one is refused without being repeated (it may be a secret).
 */
function targetUrl(target: 'slack' | 'siem', option: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const checked = localTargetUrl(target).safeParse(value);
  if (!checked.success) throw new ConfigError(`${option} (or alerts.local): ${checked.error.issues[0].message}`);
  return value;
}
