import { PublishCommand, type PublishCommandOutput } from '@aws-sdk/client-sns';
import type { CertwardenEvent, ExpiryAlertDetail } from '../domain/events';
import { renderDigestEmail, type ExpiryDigest } from '../domain/notifications/expiry-digest';
import { renderExpiryEmail, type RenderedEmail } from '../domain/notifications/expiry-email';
import { NotificationError } from '../domain/notifications/notification-error';
import type { ExpirySeverity } from '../domain/severity';
import type { EventPublisher } from '../ports/event-publisher';
import type { DigestNotifier } from '../ports/notifier';

export { NotificationError };

/** What the notifier needs of an SNSClient (or a test double). */
export interface SnsPublishClient {
  send(command: PublishCommand): Promise<Pick<PublishCommandOutput, 'MessageId'>>;
}

export interface SnsNotifierOptions {
  client: SnsPublishClient;
  /**
   * The alert topic: every alert sent (and the daily digest). Email subscribers filter on the severity, source,
   * owner and account message attributes; owner routing is a subscription filter policy on `owner`.
   */
  topicArn: string;
  /** Critical and high alerts are published here too (the escalation emails subscribe to it). @default none */
  escalationTopicArn?: string;
  /**
   * True when the configuration has `alerts.digest`: info and warning alerts are then not sent one by one but
   * left to the daily digest (`sendDigest`); high and critical still go out at once. @default false
   */
  digest?: boolean;
}

const isExpiryAlert = (event: CertwardenEvent): event is CertwardenEvent & { detail: ExpiryAlertDetail } =>
  event.detailType === 'Certificate Expiring' || event.detailType === 'Certificate Expired';

const ESCALATED: readonly ExpirySeverity[] = ['critical', 'high'];
const DIGESTED: readonly ExpirySeverity[] = ['info', 'warning'];

/** Stands for an attribute that has no value (an owner or account left empty). */
export const EMPTY_ATTRIBUTE_VALUE = 'none';

/**
 * A message attribute value that SNS takes and a subscription filter policy can match. SNS refuses an empty
 * String attribute (InvalidParameterValue: the whole Publish fails), so an empty or blank value becomes `none`;
 * characters that are not valid in XML (control characters other than tab and line breaks, lone surrogates)
 * are dropped, since the query API carries the value in XML. Anything else is kept exactly: filter policies
 * match exactly and case-sensitively, so an owner in `alerts.owners` matches the inventory's owner verbatim.
 */
export function filterPolicySafe(value: string | null | undefined): string {
  const cleaned = (value ?? '').replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    '',
  );
  return cleaned.trim() === '' ? EMPTY_ATTRIBUTE_VALUE : cleaned;
}

/**
 * Sends expiry alerts as emails through SNS topics (one Publish each, the SDK retrying transient errors): every
 * alert to the alert topic, critical and high ones also to the escalation topic; in digest mode info and warning
 * alerts are skipped (the daily digest lists them). Other events are not emails and are skipped. Every publish is
 * attempted; the alerts with a failed publish are thrown together.
 *
 * IAM: `sns:Publish` on the alert topic and the escalation topic (and `kms:GenerateDataKey*`, `kms:Decrypt` on
 * their key when the topics are encrypted with a customer-managed key).
 */
export class SnsNotifier implements EventPublisher, DigestNotifier {
  constructor(private readonly options: SnsNotifierOptions) {}

  async publish(events: CertwardenEvent[]): Promise<void> {
    const failures: Array<{ event: CertwardenEvent; error: unknown }> = [];
    for (const event of events.filter(isExpiryAlert)) {
      const severity = event.detail.severity;
      if (this.options.digest && DIGESTED.includes(severity)) continue;
      const email = renderExpiryEmail(event.detail);
      const topics = [this.options.topicArn];
      if (this.options.escalationTopicArn && ESCALATED.includes(severity)) topics.push(this.options.escalationTopicArn);
      let failed: unknown;
      for (const topicArn of topics) {
        try {
          await this.send(topicArn, email);
        } catch (error) {
          failed ??= error;
        }
      }
      if (failed !== undefined) failures.push({ event, error: failed });
    }
    if (failures.length > 0)
      throw new NotificationError(
        `SNS refused ${failures.length} alert(s) on ${this.topicsText()}: ${(failures[0].error as Error).message}`,
        failures.map((failure) => failure.event),
        { cause: failures[0].error },
      );
  }

  /**
   * The daily digest as one email on the alert topic, with the attributes severity `digest`, owner, source and
   * account `all` (lib/domain/notifications/expiry-digest.ts DIGEST_ATTRIBUTES): subscriptions without a filter
   * policy get it; a filtered one only if its policy lists those values. Never on the escalation topic.
   */
  async sendDigest(digest: ExpiryDigest): Promise<void> {
    try {
      await this.send(this.options.topicArn, renderDigestEmail(digest));
    } catch (error) {
      throw new NotificationError(
        `SNS refused the digest of ${digest.day} on ${this.options.topicArn}: ${(error as Error).message}`,
        [],
        { cause: error },
      );
    }
  }

  private async send(topicArn: string, email: RenderedEmail): Promise<void> {
    await this.options.client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: email.subject,
        Message: email.body,
        MessageAttributes: Object.fromEntries(
          Object.entries(email.attributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: filterPolicySafe(value) },
          ]),
        ),
      }),
    );
  }

  private topicsText(): string {
    return [this.options.topicArn, this.options.escalationTopicArn].filter(Boolean).join(' / ');
  }
}
