import { loadConfig } from '../adapters/config-file';
import { DynamoAlertLedger } from '../adapters/dynamodb-alert-ledger';
import { SiemPoster } from '../adapters/siem';
import { SlackNotifier } from '../adapters/slack-notifier';
import { localTargetUrl, type CertwardenConfig } from '../domain/config';
import { ConfigError } from '../domain/errors';
import type { CertwardenEvent } from '../domain/events';
import type { ExpiryThresholds } from '../domain/expiry';
import { NotificationError } from '../domain/notifications/notification-error';
import type { SeverityThresholds } from '../domain/severity';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/event-publisher';
import type { DigestNotifier, ExpiryDigest } from '../ports/notifier';
import type { LocalTargetOptions, LocalTargetRetry } from './evaluate-commands';
import type { OpenInventory, StoreOptions } from './open-inventory';

/* The local alert targets of `evaluate` and `digest` (Slack, SIEM), and the settings both read. */

/** The alert ledger lives in the inventory table. */
export const ledgerOf = (inventory: OpenInventory, clock: Clock): DynamoAlertLedger =>
  new DynamoAlertLedger(inventory.client, inventory.tableName, clock);

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
      // No cause: the adapter's error (and fetch's below it) may quote the URL.
      throw new NotificationError(
        `${this.name}: ${message}`,
        error instanceof NotificationError ? error.failed : events,
      );
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

/**
 * Publishes each batch to every target, each attempted even when another fails. A failure of any makes the
 * publish fail with every failed target named, so evaluateExpiry gives the batch's alerts back and the next run
 * sends them again — to every target, including those that took them this time. A target may so get an alert
 * twice (once per failed run), never none: delivery is at least once per target, exactly once only when all
 * of them accept.
 */
export class FanOutPublisher implements EventPublisher {
  constructor(private readonly targets: ReadonlyArray<{ name: string; publisher: EventPublisher }>) {}

  async publish(events: CertwardenEvent[]): Promise<void> {
    const results = await Promise.allSettled(this.targets.map((target) => target.publisher.publish(events)));
    const failures = results.flatMap((result, index) => {
      if (result.status === 'fulfilled') return [];
      const name = this.targets[index].name;
      const message = result.reason instanceof Error ? result.reason.message : String(result.reason);
      return [message.startsWith(`${name}: `) ? message : `${name}: ${message}`];
    });
    if (failures.length > 0) throw new NotificationError(failures.join('; '), events);
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
