import { rm } from 'node:fs/promises';
import { DynamoAlertLedger } from '../../../lib/adapters/dynamodb-alert-ledger';
import type { ExpiryDigest } from '../../../lib/domain/notifications/expiry-digest';
import type { DigestNotifier } from '../../../lib/ports/notifier';
import { digestKeyOf, sendDigest, type DigestOptions } from '../../../lib/use-cases/digest';
import { DAY, makeEstate, MovableClock, NOW, type Estate } from '../evaluate/estate';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';

const dynamo = useEmbeddedDynamoDb();

class RecordingNotifier implements DigestNotifier {
  readonly sent: ExpiryDigest[] = [];
  async sendDigest(digest: ExpiryDigest) {
    this.sent.push(digest);
  }
}

/** Fails the first `failures` digests, then records. */
class FlakyNotifier extends RecordingNotifier {
  constructor(private failures: number) {
    super();
  }
  override async sendDigest(digest: ExpiryDigest) {
    if (this.failures-- > 0) throw new Error('SNS unavailable');
    await super.sendDigest(digest);
  }
}

/** Takes its time, so that concurrent runs overlap while it sends. */
class SlowNotifier extends RecordingNotifier {
  override async sendDigest(digest: ExpiryDigest) {
    await new Promise((resolve) => setTimeout(resolve, 50));
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
    const email = new RecordingNotifier();
    const slack = new RecordingNotifier();

    const report = await digest([email, slack]);

    expect(report).toMatchObject({ day: '2026-06-01', sent: true, alreadySent: false, heldElsewhere: false });
    expect(report.failed).toBeUndefined();
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
    expect(report.items.map((item) => item.name)).toEqual(['warn.example.com', 'info.example.com']);
    expect(redelivered).toMatchObject({ sent: false, alreadySent: true });
  });

  it.each([2, 5])('%i overlapping runs send the digest exactly once', async (runs) => {
    const notifiers = Array.from({ length: runs }, () => new SlowNotifier());

    const reports = await Promise.all(notifiers.map((notifier) => digest([notifier])));

    expect(notifiers.flatMap((notifier) => notifier.sent)).toHaveLength(1);
    expect(reports.filter((report) => report.sent)).toHaveLength(1);
    expect(reports.filter((report) => !report.sent).every((report) => report.alreadySent || report.heldElsewhere)).toBe(
      true,
    );
  });

  it('loses no digest when a notifier fails: the claim is given back and the next run sends it', async () => {
    const flaky = new FlakyNotifier(1);
    const slack = new RecordingNotifier();

    const failed = await digest([flaky, slack]);

    expect(failed).toMatchObject({ sent: false, alreadySent: false });
    expect(failed.failed).toEqual([{ notifier: 'FlakyNotifier', message: 'SNS unavailable' }]);
    expect(await ledger().state(digestKeyOf('2026-06-01'))).toBeUndefined();
    // The others were still tried.
    expect(slack.sent).toHaveLength(1);

    const retry = await digest([flaky, slack]);

    expect(retry).toMatchObject({ sent: true });
    expect(flaky.sent.map(names)).toEqual([['warn.example.com', 'info.example.com']]);
    // Resent to every notifier: a duplicate where it had arrived rather than a lost digest.
    expect(slack.sent).toHaveLength(2);
    expect(await ledger().state(digestKeyOf('2026-06-01'))).toBe('sent');
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

    expect(report).toEqual({ day: '2026-06-01', items: [], sent: false, alreadySent: false, heldElsewhere: false });
    expect(notifier.sent).toEqual([]);
    expect(await empty.scanAll()).toEqual([]);
  });

  it('with dryRun lists the digest and neither claims nor sends', async () => {
    const notifier = new RecordingNotifier();

    const report = await digest([notifier], { dryRun: true });

    expect(report.items.map((item) => item.name)).toEqual(['warn.example.com', 'info.example.com']);
    expect(report.sent).toBe(false);
    expect(notifier.sent).toEqual([]);
    expect(await ledger().state(digestKeyOf('2026-06-01'))).toBeUndefined();
  });

  it('takes over the day from a run that died holding it, once its lease has run out', async () => {
    await ledger().claim(digestKeyOf('2026-06-01'), {
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
