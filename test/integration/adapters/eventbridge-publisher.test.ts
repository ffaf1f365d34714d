import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher, EventPublishError } from '../../../lib/adapters/eventbridge-publisher';
import { inventoryChangeEvent, type CertwardenEvent } from '../../../lib/domain/events';
import { NotificationError } from '../../../lib/domain/notifications/notification-error';

interface PutEventsEntry {
  EventBusName: string;
  Source: string;
  DetailType: string;
  Detail: string;
}

/**
 * A wire-level fake of EventBridge's PutEvents (awsJson1_1, `X-Amz-Target: AWSEvents.PutEvents`): records each
 * request's entries and answers per entry with `fail(entry, attempt)`'s error code, or an event id.
 */
class FakeEventBridge {
  readonly requests: PutEventsEntry[][] = [];
  readonly targets: string[] = [];
  readonly attempts = new Map<string, number>();
  fail: (entry: PutEventsEntry, attempt: number) => string | undefined = () => undefined;
  /** Answers the request whose entries it picks with an HTTP error (the request fails; nothing is taken). */
  refuseRequest: (entries: PutEventsEntry[]) => boolean = () => false;
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        this.targets.push(String(request.headers['x-amz-target']));
        const { Entries } = JSON.parse(body) as { Entries: PutEventsEntry[] };
        this.requests.push(Entries);
        if (this.refuseRequest(Entries)) {
          response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          response.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'denied (fake)' }));
          return;
        }
        const results = Entries.map((entry) => {
          const attempt = (this.attempts.get(entry.Detail) ?? 0) + 1;
          this.attempts.set(entry.Detail, attempt);
          const code = this.fail(entry, attempt);
          return code ? { ErrorCode: code, ErrorMessage: `${code} (fake)` } : { EventId: `id-${this.requests.length}` };
        });
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(
          JSON.stringify({ FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results }),
        );
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const change = (index: number): CertwardenEvent =>
  inventoryChangeEvent({
    schemaVersion: 1,
    locationId: `aws-acm:arn-${index}`,
    source: 'acm',
    sourceKind: 'aws-acm',
    nativeId: `arn-${index}`,
    change: index % 2 === 0 ? 'discovered' : 'renewed',
    fingerprint: 'ab'.repeat(32),
    previousFingerprint: null,
    subjectCommonName: `host-${index}.example.com`,
    notAfter: '2030-01-01T00:00:00.000Z',
    owner: 'team',
    at: '2025-01-01T00:00:00.000Z',
  });

describe('EventBridgePublisher against the PutEvents wire API', () => {
  const fake = new FakeEventBridge();
  let client: EventBridgeClient;

  beforeAll(async () => {
    const endpoint = await fake.start();
    client = new EventBridgeClient({
      endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.attempts.clear();
    fake.fail = () => undefined;
    fake.refuseRequest = () => false;
  });

  const publisher = (options: { maxRounds?: number } = {}) =>
    new EventBridgePublisher({ client, eventBusName: 'certwarden', backoffMs: 1, ...options });

  it('sends every event once, in batches of at most 10, with the certwarden source and the bus name', async () => {
    await publisher().publish(Array.from({ length: 23 }, (_, i) => change(i)));
    expect(fake.requests.map((entries) => entries.length)).toEqual([10, 10, 3]);
    expect(fake.targets.at(-1)).toBe('AWSEvents.PutEvents');
    const [first] = fake.requests[0];
    expect(first).toEqual({
      EventBusName: 'certwarden',
      Source: 'certwarden',
      DetailType: 'Certificate Discovered',
      Detail: JSON.stringify(change(0).detail),
    });
  });

  it('retries only the entries reported in FailedEntryCount while their failure is transient', async () => {
    fake.fail = (entry, attempt) =>
      entry.Detail.includes('arn-3"') && attempt < 3 ? 'ThrottlingException' : undefined;
    await publisher().publish([change(1), change(2), change(3)]);
    expect(fake.requests.map((entries) => entries.map((e) => JSON.parse(e.Detail).nativeId))).toEqual([
      ['arn-1', 'arn-2', 'arn-3'],
      ['arn-3'],
      ['arn-3'],
    ]);
  });

  it('gives up after its rounds, naming the error codes', async () => {
    fake.fail = () => 'InternalFailure';
    const publishing = publisher({ maxRounds: 2 }).publish([change(1)]);
    await expect(publishing).rejects.toThrow(EventPublishError);
    await expect(publishing).rejects.toThrow(
      /refused 1 of 1 event\(s\) on certwarden after 2 round\(s\): InternalFailure/,
    );
    expect(fake.requests).toHaveLength(2);
  });

  it('fails at once on a permanent failure', async () => {
    fake.fail = () => 'MalformedDetail';
    await expect(publisher().publish([change(1)])).rejects.toMatchObject({
      failures: [
        { detailType: 'Certificate Changed', errorCode: 'MalformedDetail', errorMessage: 'MalformedDetail (fake)' },
      ],
    });
    expect(fake.requests).toHaveLength(1);
  });

  const nativeIds = (events: CertwardenEvent[]) =>
    events.map((event) => (event.detail as { nativeId: string }).nativeId);
  const acceptedNativeIds = () =>
    fake.requests.flatMap((entries) => entries.map((entry) => JSON.parse(entry.Detail).nativeId as string));

  it('throws a NotificationError whose `failed` are exactly the events not accepted, after trying every batch', async () => {
    // arn-3 and arn-15 are refused for good, arn-7 stays throttled past the rounds; all else is taken.
    fake.fail = (entry) =>
      entry.Detail.includes('arn-3"') || entry.Detail.includes('arn-15"')
        ? 'MalformedDetail'
        : entry.Detail.includes('arn-7"')
          ? 'ThrottlingException'
          : undefined;
    const events = Array.from({ length: 23 }, (_, i) => change(i));
    const error = await publisher({ maxRounds: 2 })
      .publish(events)
      .then(() => undefined)
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    expect(error).toBeInstanceOf(EventPublishError);
    const { failed, failures, message } = error as EventPublishError;
    expect(nativeIds(failed).sort()).toEqual(['arn-15', 'arn-3', 'arn-7']);
    expect(failed).toEqual(expect.arrayContaining([events[3], events[7], events[15]]));
    expect(failures.map((f) => f.errorCode).sort()).toEqual([
      'MalformedDetail',
      'MalformedDetail',
      'ThrottlingException',
    ]);
    expect(message).toMatch(/refused 3 of 23 event\(s\)/);
    // Every batch was sent (the third too, after the first two had refusals); only arn-7 went a second round.
    expect(fake.requests.map((entries) => entries.length)).toEqual([10, 1, 10, 3]);
    const accepted = new Set(acceptedNativeIds());
    for (const event of events) expect(accepted.has((event.detail as { nativeId: string }).nativeId)).toBe(true);
  });

  it('fails the batch of a request that threw and the batches after it, not the ones before', async () => {
    fake.refuseRequest = (entries) => entries.some((entry) => entry.Detail.includes('arn-12"'));
    const events = Array.from({ length: 23 }, (_, i) => change(i));
    const error = (await publisher()
      .publish(events)
      .catch((caught: unknown) => caught)) as EventPublishError;

    expect(error).toBeInstanceOf(EventPublishError);
    expect(error.failed).toEqual(events.slice(10));
    expect(error.failures.every((f) => f.errorCode === 'RequestFailed')).toBe(true);
    expect(error.cause).toBeDefined();
    // The first batch was taken; the third was never sent.
    expect(fake.requests.map((entries) => entries.length)).toEqual([10, 10]);
  });

  it('sends nothing for no events', async () => {
    await publisher().publish([]);
    expect(fake.requests).toHaveLength(0);
  });
});
