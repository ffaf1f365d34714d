import { PublishCommand, type PublishCommandOutput } from '@aws-sdk/client-sns';
import type { CertwardenEvent, ExpiryAlertDetail } from '../domain/events';
import { ownerDigests, renderDigestEmail, type ExpiryDigest } from '../domain/notifications/expiry-digest';
import { renderExpiryEmail, type RenderedEmail } from '../domain/notifications/expiry-email';
import { NotificationError } from '../domain/notifications/notification-error';
import { sdkRefusalReason } from './sdk-refusal';
import { isDigestedSeverity } from '../domain/severity';
import type { EventPublisher } from '../ports/event-publisher';
import type { DigestNotifier, DigestPart } from '../ports/notifier';

export { NotificationError };

/** What the notifier needs of an SNSClient (or a test double). */
export interface SnsPublishClient {
  send(command: PublishCommand): Promise<Pick<PublishCommandOutput, 'MessageId'>>;
}

export interface SnsNotifierOptions {
  client: SnsPublishClient;
  /**
   * The topic every alert sent (and the daily digest) is published to, once. Email subscribers filter on the
   * audience, severity, source, owner and account message attributes: `alerts.emails` on audience `all`, an
   * owner's address on `owner`. Escalation is a second notifier on the escalation topic (high and critical alerts,
   * a target of its own in the delivery ledger: functions/email-notifier/handler.ts), never a second publish here.
   */
  topicArn: string;
  /**
   * True when the configuration has `alerts.digest`: info and warning alerts are then not sent one by one but
   * left to the daily digest (`sendDigest`); high and critical still go out at once. @default false
   */
  digest?: boolean;
}

const isExpiryAlert = (event: CertwardenEvent): event is CertwardenEvent & { detail: ExpiryAlertDetail } =>
  event.detailType === 'Certificate Expiring' || event.detailType === 'Certificate Expired';

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
 * Sends expiry alerts as emails through one SNS topic: one Publish per alert (the SDK retrying transient
 * errors), with audience `all`; in digest mode info and warning alerts are skipped (the daily digest lists them).
 * Other events are not emails and are skipped. Every publish is attempted; the alerts with a failed publish are
 * thrown together. The escalation emails are a second SnsNotifier whose topic is the escalation topic.
 *
 * IAM: `sns:Publish` on the topic (and `kms:GenerateDataKey*`, `kms:Decrypt` on its key when the topic is
 * encrypted with a customer-managed key).
 */
export class SnsNotifier implements EventPublisher, DigestNotifier {
  /** The digest's ledger channel (lib/use-cases/digest.ts). */
  readonly channel = 'email';

  constructor(private readonly options: SnsNotifierOptions) {}

  async publish(events: CertwardenEvent[]): Promise<void> {
    const failures: Array<{ event: CertwardenEvent; error: unknown }> = [];
    for (const event of events.filter(isExpiryAlert)) {
      if (this.options.digest && isDigestedSeverity(event.detail.severity)) continue;
      try {
        await this.send(renderExpiryEmail(event.detail));
      } catch (error) {
        failures.push({ event, error });
      }
    }
    if (failures.length > 0)
      throw new NotificationError(
        `SNS refused ${failures.length} alert(s) on ${this.options.topicArn}: ${(failures[0].error as Error).message}`,
        failures.map((failure) => failure.event),
        {
          cause: failures[0].error,
          refused: failures.flatMap(({ event, error }) => {
            const reason = sdkRefusalReason(error);
            return reason ? [{ event, reason }] : [];
          }),
        },
      );
  }

  /**
   * The daily digest on the topic: the full digest (every item) with DIGEST_ATTRIBUTES (audience `all`, severity
   * `digest`, owner, source and account `all`: lib/domain/notifications/expiry-digest.ts), for `alerts.emails`;
   * then one digest per owner listing only that owner's items, with audience `owner` and owner = the owner (as
   * filterPolicySafe spells it; owners spelt alike share one message), for the owners' addresses. Every message
   * is attempted; if any was refused this throws. The digest use case sends them through digestParts instead,
   * each claimed on its own, so that a retry sends only what was refused.
   */
  async sendDigest(digest: ExpiryDigest): Promise<void> {
    const messages = this.digestMessages(digest);
    const failures: Array<{ what: string; error: unknown }> = [];
    for (const { what, email } of messages) {
      try {
        await this.send(email);
      } catch (error) {
        failures.push({ what, error });
      }
    }
    if (failures.length > 0)
      throw new NotificationError(
        `SNS refused ${failures.length} of ${messages.length} message(s) of the digest of ${digest.day} on ` +
          `${this.options.topicArn} (${failures.map((failure) => failure.what).join(', ')}): ` +
          (failures[0].error as Error).message,
        [],
        { cause: failures[0].error },
      );
  }

  /** The digest's messages, each claimed on its own by the digest (DigestNotifier.digestParts). */
  digestParts(digest: ExpiryDigest): DigestPart[] {
    return this.digestMessages(digest).map(({ owner, what, email }) => ({
      name: owner === null ? null : `owner:${owner}`,
      send: () =>
        this.send(email).catch((error: unknown) => {
          throw new NotificationError(
            `SNS refused ${what} of ${digest.day} on ${this.options.topicArn}: ${(error as Error).message}`,
            [],
            { cause: error },
          );
        }),
    }));
  }

  private digestMessages(digest: ExpiryDigest): Array<{ owner: string | null; what: string; email: RenderedEmail }> {
    return [
      { owner: null, what: 'the full digest', email: renderDigestEmail(digest) },
      ...ownerDigests(digest, filterPolicySafe).map(({ owner, digest: ownDigest }) => ({
        owner,
        what: `the digest of owner ${owner}`,
        email: renderDigestEmail(ownDigest, { owner }),
      })),
    ];
  }

  private async send(email: RenderedEmail): Promise<void> {
    await this.options.client.send(
      new PublishCommand({
        TopicArn: this.options.topicArn,
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
}
