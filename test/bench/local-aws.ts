import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import type { MessageAttribute } from '../support/sns-filter-policy';
import { tagOf } from './dynamodb-wire-meter';

/**
 * The AWS services the deployed handlers call besides DynamoDB and the providers, as local wire-level fakes for
 * the real SDK clients (pointed at them by the SDK's AWS_ENDPOINT_URL_* variables): SQS, EventBridge and SNS. Each
 * keeps what it was sent and counts requests as AWS bills them; requests are told apart by the work tag of the
 * invocation that made them (dynamodb-wire-meter.ts `workTag`).
 */

/** SendMessageBatch: all messages of one call together. */
export const SQS_BATCH_BYTES = 1_048_576;
/** SQS, SNS and EventBridge bill each 64 KB chunk of a payload as one request. */
export const BILLED_CHUNK_BYTES = 65_536;

/** Billed requests of one payload. */
export const chunksOf = (bytes: number): number => Math.max(1, Math.ceil(bytes / BILLED_CHUNK_BYTES));

type Answer = { status: number; body: unknown; contentType?: string };

/** An HTTP server on a free loopback port that answers each request from its body. */
export async function listen(answer: (request: IncomingMessage, body: string) => Answer): Promise<Server> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { status, body, contentType } = answer(request, Buffer.concat(chunks).toString('utf8'));
      response.writeHead(status, { 'content-type': contentType ?? 'application/x-amz-json-1.1' });
      response.end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

export const endpointOf = (server: Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

export const close = (server: Server): Promise<void> =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

export interface FakeSqs {
  endpoint: string;
  /** Messages sent and not yet taken, by queue URL. */
  readonly queues: Map<string, string[]>;
  /** Billed requests (64 KB chunks) by operation. */
  readonly requests: Record<string, number>;
  batches: number;
  largestMessage: number;
  largestBatch: number;
  /** Takes every message of a queue. */
  take(queueUrl: string): string[];
  close(): Promise<void>;
}

/** SQS's SendMessage and SendMessageBatch (awsJson1_0): messages kept by queue URL, requests counted. */
export async function startFakeSqs(): Promise<FakeSqs> {
  const fake: FakeSqs = {
    endpoint: '',
    close: () => close(server),
    queues: new Map(),
    requests: {},
    batches: 0,
    largestMessage: 0,
    largestBatch: 0,
    take(queueUrl) {
      const messages = this.queues.get(queueUrl) ?? [];
      this.queues.delete(queueUrl);
      return messages;
    },
  };
  const md5 = (body: string) => createHash('md5').update(body).digest('hex');
  const keep = (queueUrl: string, body: string) => {
    const queue = fake.queues.get(queueUrl) ?? [];
    queue.push(body);
    fake.queues.set(queueUrl, queue);
    fake.largestMessage = Math.max(fake.largestMessage, Buffer.byteLength(body));
  };
  const server = await listen((request, text) => {
    const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
    const input = JSON.parse(text) as {
      QueueUrl: string;
      MessageBody?: string;
      Entries?: Array<{ Id: string; MessageBody: string }>;
    };
    const bytes = (input.Entries ?? [{ MessageBody: input.MessageBody ?? '' }]).reduce(
      (sum, entry) => sum + Buffer.byteLength(entry.MessageBody),
      0,
    );
    fake.requests[operation] = (fake.requests[operation] ?? 0) + chunksOf(bytes);
    if (operation === 'SendMessage') {
      keep(input.QueueUrl, input.MessageBody!);
      return { status: 200, body: { MessageId: 'm', MD5OfMessageBody: md5(input.MessageBody!) } };
    }
    if (operation !== 'SendMessageBatch') {
      return { status: 400, body: { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: operation } };
    }
    fake.batches++;
    fake.largestBatch = Math.max(fake.largestBatch, bytes);
    if (bytes > SQS_BATCH_BYTES) {
      return { status: 400, body: { __type: 'com.amazonaws.sqs#BatchRequestTooLong', message: `${bytes} bytes` } };
    }
    for (const entry of input.Entries!) keep(input.QueueUrl, entry.MessageBody);
    return {
      status: 200,
      body: {
        Successful: input.Entries!.map(({ Id, MessageBody }) => ({
          Id,
          MessageId: Id,
          MD5OfMessageBody: md5(MessageBody),
        })),
        Failed: [],
      },
    };
  });
  fake.endpoint = endpointOf(server);
  return fake;
}

/** An event as PutEvents took it. */
export interface PutEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName?: string;
}

export interface FakeEventBridge {
  endpoint: string;
  /** Every entry put, with the work tag of its caller. */
  readonly entries: Array<{ tag: string; entry: PutEntry; bytes: number }>;
  /** Entries put by one work tag. */
  countOf(tag: string): number;
  reset(): void;
  close(): Promise<void>;
}

/** EventBridge's PutEvents (awsJson1_1): every entry accepted and kept. */
export async function startFakeEventBridge(): Promise<FakeEventBridge> {
  const entries: FakeEventBridge['entries'] = [];
  const server = await listen((request, body) => {
    const { Entries } = JSON.parse(body) as { Entries: PutEntry[] };
    const tag = tagOf(request);
    for (const entry of Entries) entries.push({ tag, entry, bytes: Buffer.byteLength(JSON.stringify(entry)) });
    return {
      status: 200,
      body: { FailedEntryCount: 0, Entries: Entries.map((_, index) => ({ EventId: `e${index}` })) },
    };
  });
  return {
    endpoint: endpointOf(server),
    entries,
    countOf: (tag) => entries.filter((entry) => entry.tag === tag).length,
    reset: () => void entries.splice(0),
    close: () => close(server),
  };
}

export interface FakeSns {
  endpoint: string;
  /** Every Publish: its topic, message attributes and billed requests. */
  readonly published: Array<{ topicArn: string; attributes: Record<string, MessageAttribute>; requests: number }>;
  close(): Promise<void>;
}

/** SNS's Publish (awsQuery): every message accepted and kept with its message attributes. */
export async function startFakeSns(): Promise<FakeSns> {
  const published: FakeSns['published'] = [];
  const server = await listen((_request, body) => {
    const params = Object.fromEntries(new URLSearchParams(body));
    const attributes: Record<string, MessageAttribute> = {};
    for (let n = 1; params[`MessageAttributes.entry.${n}.Name`]; n++) {
      const entry = `MessageAttributes.entry.${n}`;
      attributes[params[`${entry}.Name`]] = {
        DataType: params[`${entry}.Value.DataType`] as MessageAttribute['DataType'],
        StringValue: params[`${entry}.Value.StringValue`],
      };
    }
    published.push({ topicArn: params.TopicArn, attributes, requests: chunksOf(Buffer.byteLength(params.Message)) });
    return {
      status: 200,
      contentType: 'text/xml',
      body:
        `<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>` +
        `<MessageId>m-${published.length}</MessageId></PublishResult>` +
        `<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`,
    };
  });
  return { endpoint: endpointOf(server), published, close: () => close(server) };
}

/** A Lambda context as the runtime hands it to an invocation of `functionArn` with `memoryMb` and `timeoutMs`. */
export function lambdaContext(
  functionArn: string,
  requestId: string,
  options: { memoryMb?: number; timeoutMs?: number } = {},
): Context {
  const deadline = Date.now() + (options.timeoutMs ?? 900_000);
  const functionName = functionArn.split(':')[6] ?? functionArn;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(options.memoryMb ?? 1024),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  } as Context;
}
