import { rm } from 'node:fs/promises';
import { DynamoAlertLedger } from '../../../lib/adapters/dynamodb-alert-ledger';
import type { ExpiryDigest } from '../../../lib/domain/notifications/expiry-digest';
import type { DigestNotifier } from '../../../lib/ports/notifier';
import { digestKeyOf, sendDigest, type DigestOptions } from '../../../lib/use-cases/digest';
import { DAY, makeEstate, MovableClock, NOW, type Estate } from '../evaluate/estate';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { inVirtualTime } from '../../support/virtual-time';

const dynamo = useEmbeddedDynamoDb();

class RecordingNotifier implements DigestNotifier {
  readonly sent: ExpiryDigest[] = [];
  constructor(readonly channel = 'email') {}
  async sendDigest(digest: ExpiryDigest) {
    this.sent.push(digest);
  }
}

/** Fails the first `failures` digests, then records. */
class FlakyNotifier extends RecordingNotifier {
  constructor(
    private failures: number,
    channel = 'slack',
  ) {
    super(channel);
  }
  override async sendDigest(digest: ExpiryDigest) {
    if (this.failures-- > 0) throw new Error('Slack unavailable');
    await super.sendDigest(digest);
  }
}

/**
 * Takes its time (50 virtual ms, see `overlapping`), so that concurrent runs overlap while it sends; fails the
 * first `failures` digests.
 */
class SlowNotifier extends RecordingNotifier {
  constructor(
    channel = 'email',
    private failures = 0,
  ) {
    super(channel);
  }
  override async sendDigest(digest: ExpiryDigest) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (this.failures-- > 0) throw new Error(`${this.channel} unavailable`);
    await super.sendDigest(digest);
  }
}

let inventory: TestInventory;
let estate: Estate;
let clock: MovableClock;

const ledger = () => new DynamoAlertLedger(inventory.client, inventory.tableName, clock);
const digest = (notifiers: DigestNotifier[], options: Partial<DigestOptions> = {}) =>
  sendDigest({ store: inventory.store, ledger: ledger(), clock, notifiers, ...options });
const names = (sent: ExpiryDigest) => sent.items.map((item) => item.name);
/**
 * Runs concurrent digests in virtual time: the slow notifiers' waits fire only once every run has nothing left to
 * do but wait, so the runs overlap on every machine, however loaded.
 */
const overlapping = <T>(runs: Array<() => Promise<T>>) => inVirtualTime(() => Promise.all(runs.map((run) => run())));
const DAY_1 = '2026-06-01';

beforeEach(async () => {
  inventory = await dynamo.inventory();
  clock = new MovableClock(NOW);
  estate = await makeEstate();
  await estate.put('warn.example.com', 20); // 90-day lifetime: lifetime and 30d crossed, warning
  await estate.put('info.example.com', 50, 365); // lifetime and 60d crossed, info
  await estate.put('week.example.com', 5); // high: alerted at once, not in the digest
  await estate.put('gone.example.com', -2); // expired, critical: not in the digest
  await estate.put('quiet.example.com', 80); // info severity, but no threshold crossed: nothing to say
  await estate.put('fine.example.com', 200, 365); // healthy
  await estate.sync(inventory.store, clock);
});

describe('sendDigest', () => {
  it('lists every live place past a threshold at info or warning, soonest first, in one message per notifier', async () => {
    const email = new RecordingNotifier('email');
    const slack = new RecordingNotifier('slack');

    const report = await digest([email, slack]);

    expect(report).toMatchObject({ day: '2026-06-01', sent: true, alreadySent: false, heldElsewhere: false });
    expect(report.channels).toEqual([
      { channel: 'email', outcome: 'sent' },
      { channel: 'slack', outcome: 'sent' },
    ]);
    expect(report.failed).toBeUndefined();
    expect(await ledger().state(digestKeyOf(DAY_1, 'email'))).toBe('sent');
    expect(await ledger().state(digestKeyOf(DAY_1, 'slack'))).toBe('sent');
    expect(email.sent).toHaveLength(1);
    expect(slack.sent).toEqual(email.sent);
    expect(email.sent[0].day).toBe('2026-06-01');
    expect(names(email.sent[0])).toEqual(['warn.example.com', 'info.example.com']);
    expect(email.sent[0].items).toEqual(report.items);
    expect(email.sent[0].items[0]).toMatchObject({
      severity: 'warning',
      daysLeft: 20,
      thresholdId: '30d',
      owner: 'platform',
      source: 'files',
      sourceKind: 'local-files',
      nativeId: expect.stringMatching(/warn\.example\.com\.pem$/),
      notAfter: new Date(NOW.getTime() + 20 * DAY).toISOString(),
    });
    expect(email.sent[0].items[1]).toMatchObject({ severity: 'info', daysLeft: 50, thresholdId: '60d' });
  });

  it('leaves out removed places', async () => {
    await rm(`${estate.root}/info.example.com.pem`);
    await estate.sync(inventory.store, clock);

    const email = new RecordingNotifier();
    await digest([email]);

    expect(names(email.sent[0])).toEqual(['warn.example.com']);
  });

  it('sends nothing more the same day: a later run and a redelivered schedule find it sent', async () => {
    await digest([new RecordingNotifier()], { runId: 'schedule-1' });
    clock.advance(6 * 3_600_000);

    const later = new RecordingNotifier();
    const report = await digest([later]);
    const redelivered = await digest([later], { runId: 'schedule-1' });

    expect(later.sent).toEqual([]);
    expect(report).toMatchObject({ sent: false, alreadySent: true });
    expect(report.channels).toEqual([{ channel: 'email', outcome: 'alreadySent' }]);
    expect(report.items.map((item) => item.name)).toEqual(['warn.example.com', 'info.example.com']);
    expect(redelivered).toMatchObject({ sent: false, alreadySent: true });
  });

  it.each([2, 5])('%i overlapping runs send the digest exactly once', async (runs) => {
    const notifiers = Array.from({ length: runs }, () => new SlowNotifier());

    const reports = await overlapping(notifiers.map((notifier) => () => digest([notifier])));

    expect(notifiers.flatMap((notifier) => notifier.sent)).toHaveLength(1);
    expect(reports.filter((report) => report.sent)).toHaveLength(1);
    expect(reports.filter((report) => !report.sent).every((report) => report.alreadySent || report.heldElsewhere)).toBe(
      true,
    );
  });

  it.each([2, 5])(
    '%i overlapping runs with email and Slack send each channel its digest exactly once',
    async (runs) => {
      const fleet = Array.from({ length: runs }, () => [new SlowNotifier('email'), new SlowNotifier('slack')]);

      const reports = await overlapping(fleet.map((notifiers) => () => digest(notifiers)));

      expect(fleet.flatMap(([email]) => email.sent)).toHaveLength(1);
      expect(fleet.flatMap(([, slack]) => slack.sent)).toHaveLength(1);
      for (const channel of ['email', 'slack'])
        expect(
          reports.flatMap((report) => report.channels).filter((c) => c.channel === channel && c.outcome === 'sent'),
        ).toHaveLength(1);
    },
  );

  it('takes back at once a channel its own run id died holding (a retried invocation); another run finds it held', async () => {
    // The first attempt claims the channel and dies in the notifier's call: it never releases the claim.
    let called: () => void;
    const calledNow = new Promise<void>((resolve) => (called = resolve));
    const dying: DigestNotifier = { channel: 'email', sendDigest: () => (called(), new Promise(() => {})) };
    void digest([dying], { runId: 'invocation-1' });
    await calledNow;

    const other = new RecordingNotifier();
    const elsewhere = await digest([other], { runId: 'invocation-2' });
    const retried = new RecordingNotifier();
    const retry = await digest([retried], { runId: 'invocation-1' });

    expect(elsewhere.channels).toEqual([{ channel: 'email', outcome: 'heldElsewhere' }]);
    expect(other.sent).toEqual([]);
    expect(retry.channels).toEqual([{ channel: 'email', outcome: 'sent' }]);
    expect(retried.sent).toHaveLength(1);
    expect(await ledger().state(digestKeyOf(DAY_1, 'email'))).toBe('sent');
  });

  it('sends again only the message of a channel that failed (one owner of several), never the ones that went', async () => {
    const sent: string[] = [];
    let ownerBFailures = 1;
    const parted: DigestNotifier = {
      channel: 'email',
      sendDigest: () => Promise.reject(new Error('the use case sends by parts')),
      digestParts: () =>
        [null, 'owner:a', 'owner:b'].map((name) => ({
          name,
          send: async () => {
            if (name === 'owner:b' && ownerBFailures-- > 0) throw new Error('SNS throttled');
            sent.push(name ?? 'all');
          },
        })),
    };

    const first = await digest([parted]);
    const retry = await digest([parted]);
    const again = await digest([parted]);

    expect(first.channels).toEqual([{ channel: 'email', outcome: 'failed', message: 'SNS throttled' }]);
    expect(retry.channels).toEqual([{ channel: 'email', outcome: 'sent' }]);
    expect(again.channels).toEqual([{ channel: 'email', outcome: 'alreadySent' }]);
    expect(sent).toEqual(['all', 'owner:a', 'owner:b']);
  });

  it('sends a failed channel its digest again on the next run, and only it: the channel that took it gets nothing more', async () => {
    const email = new RecordingNotifier('email');
    const slack = new FlakyNotifier(1, 'slack');

    const failed = await digest([slack, email]);

    expect(failed).toMatchObject({ sent: true, alreadySent: false });
    expect(failed.channels).toEqual([
      { channel: 'slack', outcome: 'failed', message: 'Slack unavailable' },
      { channel: 'email', outcome: 'sent' },
    ]);
    expect(failed.failed).toEqual([{ channel: 'slack', notifier: 'FlakyNotifier', message: 'Slack unavailable' }]);
    // Slack's claim was given back; the others were still tried, and email's is done.
    expect(await ledger().state(digestKeyOf(DAY_1, 'slack'))).toBeUndefined();
    expect(await ledger().state(digestKeyOf(DAY_1, 'email'))).toBe('sent');
    expect(email.sent).toHaveLength(1);

    const retry = await digest([slack, email]);

    expect(retry).toMatchObject({ sent: true });
    expect(retry.failed).toBeUndefined();
    expect(retry.channels).toEqual([
      { channel: 'slack', outcome: 'sent' },
      { channel: 'email', outcome: 'alreadySent' },
    ]);
    expect(slack.sent.map(names)).toEqual([['warn.example.com', 'info.example.com']]);
    expect(email.sent).toHaveLength(1);
    expect(await ledger().state(digestKeyOf(DAY_1, 'slack'))).toBe('sent');

    const third = await digest([slack, email]);
    expect(third).toMatchObject({ sent: false, alreadySent: true });
    expect([slack.sent, email.sent].map((sent) => sent.length)).toEqual([1, 1]);
  });

  it('overlapping retries after a Slack failure send Slack once and email never again', async () => {
    await digest([new FlakyNotifier(1, 'slack'), new RecordingNotifier('email')]);
    const fleet = Array.from({ length: 3 }, () => [new SlowNotifier('slack'), new SlowNotifier('email')]);

    await overlapping(fleet.map((notifiers) => () => digest(notifiers)));

    expect(fleet.flatMap(([slack]) => slack.sent)).toHaveLength(1);
    expect(fleet.flatMap(([, email]) => email.sent)).toEqual([]);
  });

  it('refuses notifiers without a channel, or two on one channel, before claiming anything', async () => {
    // The type requires a channel; a JavaScript caller can still leave it out.
    const noChannel = { sendDigest: async () => undefined } as unknown as DigestNotifier;

    await expect(digest([noChannel])).rejects.toThrow(/no valid channel/);
    await expect(digest([new RecordingNotifier('email'), new RecordingNotifier('email')])).rejects.toThrow(
      /share the channel email/,
    );
    await expect(digest([new RecordingNotifier('Email:1')])).rejects.toThrow(/no valid channel/);
    expect(await ledger().state(digestKeyOf(DAY_1, 'email'))).toBeUndefined();
  });

  it('sends again the next day, with the day’s list', async () => {
    await digest([new RecordingNotifier()]);
    clock.advance(DAY);

    const next = new RecordingNotifier();
    const report = await digest([next]);

    expect(report).toMatchObject({ day: '2026-06-02', sent: true });
    expect(next.sent.map((sent) => [sent.day, names(sent)])).toEqual([
      ['2026-06-02', ['warn.example.com', 'info.example.com']],
    ]);
    expect(next.sent[0].items[0].daysLeft).toBe(19);
  });

  it('uses the UTC day: 23:59 and 00:01 UTC are two days', async () => {
    clock.advance(DAY - 60_000);
    const late = new RecordingNotifier();
    await digest([late]);
    clock.advance(120_000);
    const early = new RecordingNotifier();
    await digest([early]);

    expect([...late.sent, ...early.sent].map((sent) => sent.day)).toEqual(['2026-06-01', '2026-06-02']);
  });

  it('sends and claims nothing when nothing is due, and says so', async () => {
    const empty = await dynamo.inventory();
    const notifier = new RecordingNotifier();

    const report = await sendDigest({
      store: empty.store,
      ledger: new DynamoAlertLedger(empty.client, empty.tableName, clock),
      clock,
      notifiers: [notifier],
    });

    expect(report).toEqual({
      day: '2026-06-01',
      items: [],
      channels: [{ channel: 'email', outcome: 'notSent' }],
      sent: false,
      alreadySent: false,
      heldElsewhere: false,
    });
    expect(notifier.sent).toEqual([]);
    expect(await empty.scanAll()).toEqual([]);
  });

  it('with dryRun lists the digest and neither claims nor sends', async () => {
    const notifier = new RecordingNotifier();

    const report = await digest([notifier], { dryRun: true });

    expect(report.items.map((item) => item.name)).toEqual(['warn.example.com', 'info.example.com']);
    expect(report.sent).toBe(false);
    expect(report.channels).toEqual([{ channel: 'email', outcome: 'notSent' }]);
    expect(notifier.sent).toEqual([]);
    expect(await ledger().state(digestKeyOf(DAY_1, 'email'))).toBeUndefined();
  });

  it("takes over a channel's day from a run that died holding it, once its lease has run out", async () => {
    await ledger().claim(digestKeyOf(DAY_1, 'email'), {
      owner: 'crashed-run',
      leaseMs: 5 * 60_000,
      keepUntil: new Date(NOW.getTime() + DAY),
    });

    const held = new RecordingNotifier();
    const whileHeld = await digest([held]);
    clock.advance(5 * 60_000 + 1);
    const after = new RecordingNotifier();
    const takenOver = await digest([after]);

    expect(whileHeld).toMatchObject({ sent: false, heldElsewhere: true });
    expect(whileHeld.channels).toEqual([{ channel: 'email', outcome: 'heldElsewhere' }]);
    expect(held.sent).toEqual([]);
    expect(takenOver).toMatchObject({ sent: true });
    expect(after.sent).toHaveLength(1);
  });

  it('follows the configured severity thresholds', async () => {
    const notifier = new RecordingNotifier();

    // warning at ≤ 60 days, high at ≤ 14: both certificates are now warnings, week.example.com stays out.
    await digest([notifier], { severity: { warningDays: 60, highDays: 14, criticalDays: 1 } });

    expect(notifier.sent[0].items.map((item) => [item.name, item.severity])).toEqual([
      ['warn.example.com', 'warning'],
      ['info.example.com', 'warning'],
    ]);
  });
});
