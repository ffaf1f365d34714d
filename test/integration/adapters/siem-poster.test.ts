import { SiemPoster } from '../../../lib/adapters/siem';
import { expiryAlertEvent, syncFailedEvent } from '../../../lib/domain/events';
import { NotificationError } from '../../../lib/domain/notifications/notification-error';
import { HttpEndpoint } from '../../support/fakes/http-endpoint';
import { inVirtualTime } from '../../support/virtual-time';
import { siemJsonProblems } from '../../support/siem-json-schema';
import { acmAlert, EVENT_OF_EVERY_TYPE, expiredFileAlert } from '../../unit/domain/notifications/fixtures';

/** A local HTTP collector: records every POST, answers from a script, then 200. */
const collector = new HttpEndpoint<unknown[]>('/ingest');
beforeAll(() => collector.start());
afterAll(() => collector.stop());
beforeEach(() => {
  collector.reset();
});

const syncFailed = syncFailedEvent({
  schemaVersion: 1,
  source: 'prod',
  sourceKind: 'aws-acm',
  complete: false,
  errors: [],
  at: acmAlert.at,
});

describe('SiemPoster', () => {
  it('posts the findings as one OCSF batch with the configured headers (non-findings left out)', async () => {
    await new SiemPoster({ url: collector.url, format: 'ocsf', headers: { authorization: 'Splunk t' } }).publish([
      expiryAlertEvent(acmAlert),
      syncFailed,
      expiryAlertEvent(expiredFileAlert),
    ]);

    expect(collector.accepted).toHaveLength(1);
    expect(collector.accepted[0].headers.authorization).toBe('Splunk t');
    expect(collector.accepted[0].body).toEqual([
      expect.objectContaining({ class_uid: 2004, finding_info: expect.objectContaining({ uid: acmAlert.alertId }) }),
      expect.objectContaining({
        class_uid: 2004,
        finding_info: expect.objectContaining({ uid: expiredFileAlert.alertId }),
      }),
    ]);
  });

  it('posts every event in the plain JSON shape', async () => {
    await new SiemPoster({ url: collector.url, format: 'json' }).publish([expiryAlertEvent(acmAlert), syncFailed]);

    expect(collector.accepted[0].body).toEqual([
      expect.objectContaining({ event_type: 'certificate_expiring', certificate_serial: '0a1b2c' }),
      expect.objectContaining({ event_type: 'sync_failed' }),
    ]);
  });

  it('posts a record of its documented schema for every event type', async () => {
    await new SiemPoster({ url: collector.url, format: 'json' }).publish(EVENT_OF_EVERY_TYPE);

    const records = collector.accepted[0].body;
    expect(records).toHaveLength(EVENT_OF_EVERY_TYPE.length);
    expect(records.flatMap(siemJsonProblems)).toEqual([]);
  });

  it('posts the same records, dedup keys included, when it sends a batch again', async () => {
    const events = [expiryAlertEvent(acmAlert), expiryAlertEvent(expiredFileAlert), syncFailed];
    const poster = new SiemPoster({ url: collector.url, format: 'json' });
    await poster.publish(events);
    await poster.publish(events);

    const [first, again] = collector.accepted.map(({ body }) => body as Array<{ event_id: string }>);
    expect(again.map((record) => record.event_id)).toEqual(first.map((record) => record.event_id));
    expect(new Set(first.map((record) => record.event_id)).size).toBe(events.length);
  });

  it('retries a 429 (after its Retry-After) and a 503, then delivers', async () => {
    collector.script = [{ status: 429, headers: { 'retry-after': '0' } }, { status: 503 }];

    await inVirtualTime(() =>
      new SiemPoster({ url: collector.url, format: 'json' }).publish([expiryAlertEvent(acmAlert)]),
    );

    expect(collector.accepted).toHaveLength(1);
  });

  it('waits out a Retry-After in seconds, and its backoff when a 429 names none', async () => {
    collector.script = [{ status: 429, headers: { 'retry-after': '1' } }, { status: 429 }];

    await inVirtualTime(() =>
      new SiemPoster({ url: collector.url, format: 'json' }).publish([expiryAlertEvent(acmAlert)]),
    );

    // Virtual milliseconds (the endpoint records Date.now() on jest's fake clock).
    const [first, second, third] = collector.requests.map((request) => request.at);
    expect(second - first).toBeGreaterThanOrEqual(1_000);
    // The second attempt's backoff: the default 200 ms doubled, not an immediate retry.
    expect(third - second).toBeGreaterThanOrEqual(400);
    expect(collector.accepted).toHaveLength(1);
  });

  it('surfaces a refusal with the events, for the caller to retry or dead-letter', async () => {
    collector.script = [{ status: 400 }];

    const error = await inVirtualTime(() =>
      new SiemPoster({ url: collector.url, format: 'json' }).publish([expiryAlertEvent(acmAlert)]),
    ).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
    expect((error as NotificationError).failed).toEqual([expiryAlertEvent(acmAlert)]);
    expect((error as Error).message).toMatch(/HTTP 400/);
  });

  it('surfaces an unreachable collector after its attempts', async () => {
    const error = await inVirtualTime(() =>
      new SiemPoster({ url: 'http://127.0.0.1:1/ingest', format: 'json' }).publish([expiryAlertEvent(acmAlert)]),
    ).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotificationError);
  });
});
