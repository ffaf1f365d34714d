import { PublishCommand, type PublishCommandOutput } from '@aws-sdk/client-sns';
import type { CertwardenEvent, ExpiryAlertDetail } from '../domain/events';
import { renderExpiryEmail } from '../domain/notifications/expiry-email';
import { NotificationError } from '../domain/notifications/notification-error';
import type { EventPublisher } from '../ports/event-publisher';

export { NotificationError };

/** What the notifier needs of an SNSClient (or a test double). */
export interface SnsPublishClient {
  send(command: PublishCommand): Promise<Pick<PublishCommandOutput, 'MessageId'>>;
}

export interface SnsNotifierOptions {
  client: SnsPublishClient;
  /** The alert topic; email subscribers filter on the severity, source, owner and account attributes. */
  topicArn: string;
}

const isExpiryAlert = (event: CertwardenEvent): event is CertwardenEvent & { detail: ExpiryAlertDetail } =>
  event.detailType === 'Certificate Expiring' || event.detailType === 'Certificate Expired';

/**
 * Sends expiry alerts as emails through an SNS topic (one Publish each, the SDK retrying transient errors);
 * other events are not emails and are skipped. Every alert is attempted; the failures are thrown together.
 */
export class SnsNotifier implements EventPublisher {
  constructor(private readonly options: SnsNotifierOptions) {}

  async publish(events: CertwardenEvent[]): Promise<void> {
    const failures: Array<{ event: CertwardenEvent; error: unknown }> = [];
    for (const event of events.filter(isExpiryAlert)) {
      const email = renderExpiryEmail(event.detail);
      try {
        await this.options.client.send(
          new PublishCommand({
            TopicArn: this.options.topicArn,
            Subject: email.subject,
            Message: email.body,
            MessageAttributes: Object.fromEntries(
              Object.entries(email.attributes).map(([name, value]) => [
                name,
                { DataType: 'String', StringValue: value },
              ]),
            ),
          }),
        );
      } catch (error) {
        failures.push({ event, error });
      }
    }
    if (failures.length > 0)
      throw new NotificationError(
        `SNS refused ${failures.length} alert(s) on ${this.options.topicArn}: ${(failures[0].error as Error).message}`,
        failures.map((failure) => failure.event),
        { cause: failures[0].error },
      );
  }
}
