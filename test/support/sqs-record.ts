import type { SQSRecord } from 'aws-lambda';

/** An SQS record as a queue hands it to a function: `body` as JSON, the fields the handlers read. */
export const sqsRecord = (messageId: string, body: unknown): SQSRecord =>
  ({
    messageId,
    body: JSON.stringify(body),
    eventSource: 'aws:sqs',
    attributes: {},
  }) as unknown as SQSRecord;
