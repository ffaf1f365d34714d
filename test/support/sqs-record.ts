import type { SQSRecord } from 'aws-lambda';

/** An SQS record as Lambda hands it to a handler, with the fields the handlers read: its id and its JSON body. */
export const sqsRecord = (messageId: string, body: unknown) =>
  ({ messageId, body: JSON.stringify(body), eventSource: 'aws:sqs', attributes: {} }) as unknown as SQSRecord;
