import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createDocumentClient } from '../../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../../lib/adapters/dynamodb-inventory-store';
import { DynamoDbMeter } from '../../../lib/adapters/dynamodb-meter';
import {
  ensureInventoryTable,
  startEmbeddedDynamoDb,
  type EmbeddedDynamoDb,
} from '../../../lib/adapters/embedded-dynamodb';
import type { CertwardenEvent, ExpiryAlertDetail } from '../../../lib/domain/events';
import { registerEvaluateCommands } from '../../../lib/cli/evaluate-commands';
import type { OpenInventory, StoreOptions } from '../../../lib/cli/open-inventory';
import { fixedClock } from '../../../lib/ports/clock';
import { list } from '../../../lib/cli/commands/list';
import type { UndeliveredRecord } from '../../../lib/ports/delivery-ledger';
import { HttpEndpoint } from '../../support/fakes/http-endpoint';
import { makeEstate, NOW, RecordingPublisher } from './estate';

const TABLE = 'certwarden-inventory';
let server: EmbeddedDynamoDb;
const opened: StoreOptions[] = [];

interface Run {
  code: number | undefined;
  stdout: string;
  stderr: string;
}

/** An inventory on the embedded dynalite, as openInventory would give for `--store <endpoint>`. */
async function openTestInventory(options: StoreOptions): Promise<OpenInventory> {
  opened.push(options);
  const client = createDocumentClient({ endpoint: server.endpoint });
  const table = options.table ?? TABLE;
  await ensureInventoryTable(client, table);
  return {
    store: new DynamoInventoryStore(client, table),
    client,
    tableName: table,
    meter: new DynamoDbMeter().attach(client),
    description: `test table ${table}`,
    close: async () => client.destroy(),
  };
}

/**
 * Runs the CLI. Targets retry briefly (2 attempts, 5 ms apart) unless `productionRetries`: then they retry as a
 * user's run does (the adapters' own settings).
 */
async function certwarden(
  args: string[],
  events = new RecordingPublisher(),
  { productionRetries = false } = {},
): Promise<Run> {
  const run: Run = { code: undefined, stdout: '', stderr: '' };
  const program = new Command('certwarden').exitOverride();
  program.configureOutput({ writeOut: (text) => (run.stdout += text), writeErr: (text) => (run.stderr += text) });
  registerEvaluateCommands(program, {
    openInventory: openTestInventory,
    exit: (code) => (run.code = code),
    clock: fixedClock(NOW),
    events,
    retry: productionRetries ? undefined : { maxAttempts: 2, backoffMs: 5 },
    stdout: (text) => (run.stdout += text),
    stderr: (text) => (run.stderr += text),
  });
  await program.parseAsync(args, { from: 'user' });
  return run;
}

/** `certwarden list --undelivered --json` on a table of the embedded store: what it prints. */
async function listUndelivered(table: string): Promise<UndeliveredRecord[]> {
  let written = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written += String(chunk);
    return true;
  });
  try {
    await list({ store: server.endpoint, table, undelivered: true, json: true });
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(written) as UndeliveredRecord[];
}

beforeAll(async () => {
  server = await startEmbeddedDynamoDb();
  const estate = await makeEstate();
  await estate.put('api.example.com', 5);
  await estate.put('old.example.com', -3);
  await estate.put('fine.example.com', 300, 365);
  const inventory = await openTestInventory({ table: TABLE });
  await estate.sync(inventory.store, fixedClock(NOW));
  await inventory.close();
});

afterAll(async () => {
  await server.close();
});

describe('certwarden evaluate', () => {
  it('--dry-run --json prints what would be sent and sends nothing; then a run sends it; a second run sends none', async () => {
    const events = new RecordingPublisher();
    const dry = await certwarden(['evaluate', '--dry-run', '--json'], events);
    expect(dry.code).toBe(0);
    const wouldSend = JSON.parse(dry.stdout) as CertwardenEvent[];
    expect(wouldSend.length).toBeGreaterThan(0);
    expect(events.events).toEqual([]);
    expect(new Set(wouldSend.map((event) => event.detailType))).toEqual(
      new Set(['Certificate Expiring', 'Certificate Expired']),
    );

    const first = await certwarden(['evaluate', '--json'], events);
    const sent = JSON.parse(first.stdout) as CertwardenEvent[];
    expect(first.code).toBe(0);
    expect(sent).toEqual(wouldSend);
    // Places are alerted concurrently: published in any order, printed soonest expiry first.
    expect(events.events).toHaveLength(sent.length);
    expect(events.events).toEqual(expect.arrayContaining(sent));

    const second = await certwarden(['evaluate', '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual([]);
  });

  it('prints a table of the alerts and a summary without --json', async () => {
    const run = await certwarden(['evaluate', '--dry-run', '--table', 'other-table']);
    expect(run.stdout).toBe('0 certificates evaluated, 0 alerts would be sent, 0 settled before\n');

    const dry = await certwarden(['evaluate', '--dry-run']);
    // Everything was sent by the first test, and its places moved on to their next thresholds: none is due.
    expect(dry.stdout).toBe('0 certificates evaluated, 0 alerts would be sent, 0 settled before\n');
  });

  it('reads --store and --table, and CERTWARDEN_STORE / CERTWARDEN_TABLE from the environment', async () => {
    opened.length = 0;
    await certwarden(['evaluate', '--dry-run', '--store', 'http://localhost:1', '--table', 'table-one']);
    process.env.CERTWARDEN_STORE = 'http://localhost:2';
    process.env.CERTWARDEN_TABLE = 'table-two';
    try {
      await certwarden(['evaluate', '--dry-run']);
    } finally {
      delete process.env.CERTWARDEN_STORE;
      delete process.env.CERTWARDEN_TABLE;
    }
    expect(opened).toEqual([
      { store: 'http://localhost:1', table: 'table-one' },
      { store: 'http://localhost:2', table: 'table-two' },
    ]);
  });
});

describe('certwarden evaluate --all', () => {
  it('looks at every certificate, also those the alert schedule does not have due, and refuses --dry-run', async () => {
    const estate = await makeEstate();
    await estate.put('unscheduled.example.com', 5);
    const inventory = await openTestInventory({ table: 'table-all' });
    await estate.sync(inventory.store, fixedClock(NOW));
    // As an inventory synced before the alert schedule existed: the place is due never.
    for await (const location of inventory.store.expiringBefore(new Date('9999-01-01')))
      await inventory.store.scheduleNextAlert(location.locationId, location.fingerprint!, null);
    await inventory.close();

    const due = await certwarden(['evaluate', '--json', '--table', 'table-all']);
    // A usage error (commander's, exit 2 in the CLI): a dry run must not write the schedule.
    await expect(certwarden(['evaluate', '--all', '--dry-run', '--table', 'table-all'])).rejects.toMatchObject({
      code: 'commander.conflictingOption',
    });
    const all = await certwarden(['evaluate', '--all', '--json', '--table', 'table-all']);
    const again = await certwarden(['evaluate', '--all', '--json', '--table', 'table-all']);

    expect(JSON.parse(due.stdout)).toEqual([]);
    expect(all.code).toBe(0);
    expect(all.stderr).toBe('certwarden: 1 certificate made due for evaluation\n');
    expect((JSON.parse(all.stdout) as CertwardenEvent[]).length).toBeGreaterThan(0);
    expect(JSON.parse(again.stdout)).toEqual([]);
  });
});

describe('certwarden evaluate table output', () => {
  it('lists each alert with its severity, threshold, name and owner', async () => {
    const estate = await makeEstate();
    await estate.put('table.example.com', 0.5);
    const inventory = await openTestInventory({ table: 'table-output' });
    await estate.sync(inventory.store, fixedClock(NOW));
    await inventory.close();

    const run = await certwarden(['evaluate', '--table', 'table-output']);

    expect(run.code).toBe(0);
    // One alert, at the most urgent threshold crossed; the four less urgent ones are passed over.
    expect(run.stdout).toMatch(/CRITICAL .*Certificate Expiring .* 1d .*table\.example\.com.*platform/);
    expect(run.stdout).not.toMatch(/ (lifetime-33%|30d|14d|7d) /);
    expect(run.stdout).toContain('1 certificate evaluated, 1 alert sent, 0 settled before, 4 less urgent passed over');
    const again = await certwarden(['evaluate', '--json', '--table', 'table-output']);
    expect(JSON.parse(again.stdout)).toEqual([]);
  });
});

describe('certwarden evaluate to local targets (Slack webhook, SIEM collector)', () => {
  const slack = new HttpEndpoint('/services/T0SECRET/B0SECRET/xoxsecretpath');
  const collector = new HttpEndpoint('/ingest');
  let configFile: string;
  let tables = 0;

  beforeAll(async () => {
    await Promise.all([slack.start(), collector.start()]);
    configFile = join(await mkdtemp(join(tmpdir(), 'certwarden-evaluate-config-')), 'certwarden.config.json');
    await writeFile(configFile, JSON.stringify({ alerts: { local: { siemUrl: collector.url, siemFormat: 'json' } } }));
  });
  afterAll(() => Promise.all([slack.stop(), collector.stop()]));
  beforeEach(() => {
    slack.reset();
    collector.reset();
  });

  /** A fresh table with two certificates due for alerts (5 days left, expired 3 days ago). */
  async function alertingTable(): Promise<string> {
    const table = `local-targets-${++tables}`;
    const estate = await makeEstate();
    await estate.put('api.example.com', 5);
    await estate.put('old.example.com', -3);
    const inventory = await openTestInventory({ table });
    await estate.sync(inventory.store, fixedClock(NOW));
    await inventory.close();
    return table;
  }

  const siemRecords = () => collector.received.flat() as Array<Record<string, unknown>>;
  const args = (table: string, ...more: string[]) => [
    'evaluate',
    '--config',
    configFile,
    '--table',
    table,
    '--slack-webhook',
    slack.url,
    ...more,
  ];

  it('sends every alert to Slack and the SIEM collector and prints them; a second run sends nothing', async () => {
    const table = await alertingTable();

    const first = await certwarden(args(table, '--json'));

    expect(first.code).toBe(0);
    const events = JSON.parse(first.stdout) as CertwardenEvent[];
    expect(events.length).toBeGreaterThan(1);
    expect(slack.received).toHaveLength(events.length);
    expect(siemRecords()).toHaveLength(events.length);
    const locations = new Set(events.map((event) => (event.detail as ExpiryAlertDetail).locationId));
    expect(new Set(siemRecords().map((record) => record.location_id))).toEqual(locations);
    expect(JSON.stringify(slack.received)).toContain('api.example.com');

    const second = await certwarden(args(table, '--json'));

    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual([]);
    expect(slack.received).toHaveLength(events.length);
    expect(siemRecords()).toHaveLength(events.length);
  });

  it('names the targets by host in the table output, never the webhook URL', async () => {
    const table = await alertingTable();

    const run = await certwarden(args(table));

    expect(run.code).toBe(0);
    const alerts = Number(/(\d+) alerts? sent/.exec(run.stdout)?.[1]);
    expect(alerts).toBeGreaterThan(0);
    expect(run.stdout).toContain(
      `sent to events: ${alerts}, Slack (${new URL(slack.url).host}): ${alerts}, SIEM json (`,
    );
    expect(run.stdout + run.stderr).not.toContain('SECRET');
  });

  it('--dry-run sends nothing to any target', async () => {
    const table = await alertingTable();

    const dry = await certwarden(args(table, '--dry-run', '--json'));

    expect(dry.code).toBe(0);
    expect((JSON.parse(dry.stdout) as unknown[]).length).toBeGreaterThan(0);
    expect(slack.received).toEqual([]);
    expect(collector.received).toEqual([]);
  });

  const production = { productionRetries: true };
  const slackTexts = () => slack.received.map((message) => JSON.stringify(message));
  /** Slack rate-limits every post about old.example.com (with the adapter's retries, all of them), takes the rest. */
  const refuseOld =
    (status: number, body = 'no') =>
    (message: unknown) =>
      JSON.stringify(message).includes('old.example.com')
        ? { status, headers: { 'retry-after': '0' }, body }
        : undefined;

  it('a collector failing after its retries: exit 1, and the next run sends the alerts to it alone', async () => {
    const table = await alertingTable();
    collector.status = 500;

    const failed = await certwarden(args(table, '--json'), undefined, production);

    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toEqual([]);
    expect(failed.stderr).toMatch(/not sent \(will be retried\): .*SIEM json \(127\.0\.0\.1:\d+\): .*HTTP 500/);
    const slackFirst = slack.received.length;
    expect(slackFirst).toBeGreaterThan(0);

    collector.status = 200;
    const retried = await certwarden(args(table, '--json'), undefined, production);

    expect(retried.code).toBe(0);
    const events = JSON.parse(retried.stdout) as CertwardenEvent[];
    expect(events).toHaveLength(slackFirst);
    expect(siemRecords()).toHaveLength(events.length);
    // Slack took them the first time: the retry does not send them to it again.
    expect(slack.received).toHaveLength(slackFirst);
  });

  /** The alerts about old.example.com among `events` (one, or one per threshold crossed). */
  const aboutOld = (events: CertwardenEvent[]) =>
    events.filter((event) => (event.detail as ExpiryAlertDetail).subjectCommonName === 'old.example.com');

  it("Slack refusing one place's messages for a while: the next run sends only those to Slack and nothing to the SIEM", async () => {
    const table = await alertingTable();
    const due = JSON.parse((await certwarden(args(table, '--dry-run', '--json'))).stdout) as CertwardenEvent[];
    const old = aboutOld(due).length;
    expect(old).toBeGreaterThan(0);
    slack.answerFor = refuseOld(429);

    const failed = await certwarden(args(table, '--json'), undefined, production);

    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/not sent \(will be retried\): .*old\.example\.com.*Slack \(127\.0\.0\.1:\d+\)/);
    expect(slack.received).toHaveLength(due.length - old);
    expect(slackTexts().some((text) => text.includes('old.example.com'))).toBe(false);
    // The SIEM took every alert, those Slack refused too.
    expect(siemRecords()).toHaveLength(due.length);

    slack.answerFor = undefined;
    const retried = await certwarden(args(table, '--json'), undefined, production);

    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toHaveLength(old);
    expect(slack.received).toHaveLength(due.length);
    expect(
      slackTexts()
        .slice(due.length - old)
        .every((text) => text.includes('old.example.com')),
    ).toBe(true);
    expect(siemRecords()).toHaveLength(due.length);
  });

  it('says per target what it took and what it dead-lettered', async () => {
    const table = await alertingTable();
    const due = JSON.parse((await certwarden(args(table, '--dry-run', '--json'))).stdout) as CertwardenEvent[];
    slack.answerFor = refuseOld(400, 'invalid_blocks');

    const run = await certwarden(args(table), undefined, production);

    const old = aboutOld(due).length;
    expect(old).toBeGreaterThan(0);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `sent to events: ${due.length}, Slack (${new URL(slack.url).host}): ${due.length - old} (${old} dead-lettered), ` +
        `SIEM json (`,
    );
  });

  it('Slack refusing a message for good (400): dead-lettered at once, told to the SIEM, never retried, listed', async () => {
    const table = await alertingTable();
    slack.answerFor = refuseOld(400, 'invalid_blocks');

    const failed = await certwarden(args(table, '--json'), undefined, production);

    expect(failed.code).toBe(1);
    const sent = JSON.parse(failed.stdout) as CertwardenEvent[];
    const old = aboutOld(sent).length;
    expect(old).toBeGreaterThan(0);
    expect(failed.stderr).toMatch(
      /not delivered \(dead-lettered, not retried\): .*old\.example\.com.* to Slack \(127\.0\.0\.1:\d+\): HTTP 400 invalid_blocks\n/,
    );
    expect(failed.stderr).not.toContain('will be retried');
    // One post each: a 400 is not retried within the run either.
    expect(slack.requests.filter((request) => request.status === 400)).toHaveLength(old);
    // Every alert counts as sent (each target took it or gave it up), and the SIEM heard of each dead letter.
    const told = siemRecords().filter((record) => record.event_type === 'alert_undelivered');
    expect(told).toHaveLength(old);
    expect(siemRecords()).toHaveLength(sent.length + old);
    expect(told.every((record) => String(record.location_id).endsWith('old.example.com.pem'))).toBe(true);
    expect(JSON.stringify(told)).not.toContain('SECRET');

    const requests = slack.requests.length;
    const rerun = await certwarden(args(table, '--json'), undefined, production);

    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toEqual([]);
    expect(slack.requests).toHaveLength(requests);
    expect(siemRecords()).toHaveLength(sent.length + old);

    const listed = await listUndelivered(table);
    expect(listed).toHaveLength(old);
    for (const record of listed)
      expect(record).toEqual(
        expect.objectContaining({
          target: `Slack (${new URL(slack.url).host})`,
          detailType: expect.stringMatching(/^Certificate Expir(ed|ing)$/),
          subjectCommonName: 'old.example.com',
          alertId: expect.stringContaining('#'),
          reason: 'HTTP 400 invalid_blocks',
          permanent: true,
          attempts: 1,
        }),
      );
  });

  it('a collector failing alerts.deliveryAttempts runs: dead-lettered at the last, then not retried', async () => {
    const table = await alertingTable();
    const twice = join(await mkdtemp(join(tmpdir(), 'certwarden-evaluate-attempts-')), 'certwarden.config.json');
    await writeFile(
      twice,
      JSON.stringify({ alerts: { deliveryAttempts: 2, local: { siemUrl: collector.url, siemFormat: 'json' } } }),
    );
    const run = () => certwarden(['evaluate', '--config', twice, '--table', table, '--json'], undefined, production);
    collector.status = 503;

    const first = await run();
    const second = await run();

    expect(first.code).toBe(1);
    expect(first.stderr).toContain('not sent (will be retried)');
    expect(first.stderr).not.toContain('dead-lettered');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      /not delivered \(dead-lettered, not retried\): .* to SIEM json \(.*\): .*HTTP 503 \(2 attempts\)/,
    );
    const posts = collector.requests.length;
    const third = await run();
    expect(third.code).toBe(0);
    expect(collector.requests).toHaveLength(posts);
    const dead = await listUndelivered(table);
    expect(dead.length).toBeGreaterThan(0);
    expect(dead.every((record) => !record.permanent && record.attempts === 2)).toBe(true);
  });

  it('a Slack failure names Slack and its host, never the webhook URL or its path', async () => {
    const table = await alertingTable();
    slack.status = 500;

    const run = await certwarden(args(table));

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Slack (${new URL(slack.url).host}): `);
    expect(run.stdout + run.stderr).not.toContain('SECRET');
    expect(run.stdout + run.stderr).not.toContain('xoxsecretpath');
  });

  it('refuses a malformed webhook without repeating it (exit 2)', async () => {
    const run = await certwarden(['evaluate', '--dry-run', '--slack-webhook', 'hooks.slack.com/services/T0SECRET']);

    expect(run.code).toBe(2);
    expect(run.stderr).toBe('certwarden: --slack-webhook (or alerts.local): expected an http(s) URL\n');
  });

  it('takes a loopback http:// webhook from the config as from --slack-webhook: one rule for both', async () => {
    const table = await alertingTable();
    const dir = await mkdtemp(join(tmpdir(), 'certwarden-evaluate-local-'));
    const withSlack = join(dir, 'certwarden.config.json');
    await writeFile(withSlack, JSON.stringify({ alerts: { local: { slackWebhookUrl: slack.url } } }));

    const run = await certwarden(['evaluate', '--json', '--config', withSlack, '--table', table]);

    expect(run.code).toBe(0);
    expect(slack.received).toHaveLength((JSON.parse(run.stdout) as unknown[]).length);
    expect(slack.received.length).toBeGreaterThan(0);
  });

  it('refuses a plain-http webhook to another host, from the option as from the config, without repeating it', async () => {
    const remote = 'http://hooks.slack.example.com/services/T0SECRET';
    const dir = await mkdtemp(join(tmpdir(), 'certwarden-evaluate-remote-'));
    const withRemote = join(dir, 'certwarden.config.json');
    await writeFile(withRemote, JSON.stringify({ alerts: { local: { slackWebhookUrl: remote } } }));

    const option = await certwarden(['evaluate', '--dry-run', '--slack-webhook', remote]);
    const config = await certwarden(['evaluate', '--dry-run', '--config', withRemote]);

    for (const run of [option, config]) {
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/expected an https:\/\/ URL \(http only to a loopback receiver/);
      expect(run.stderr).not.toContain('T0SECRET');
    }
  });

  it("applies the config's expiry thresholds and severity", async () => {
    const table = await alertingTable();
    const dir = await mkdtemp(join(tmpdir(), 'certwarden-evaluate-expiry-'));
    const expiryConfig = join(dir, 'certwarden.config.json');
    await writeFile(
      expiryConfig,
      JSON.stringify({ expiry: { days: [14], severity: { criticalDays: 6, highDays: 10, warningDays: 20 } } }),
    );

    const run = await certwarden(['evaluate', '--dry-run', '--json', '--config', expiryConfig, '--table', table]);

    const details = (JSON.parse(run.stdout) as CertwardenEvent[]).map((event) => event.detail as ExpiryAlertDetail);
    const api = details.filter((detail) => detail.subjectCommonName === 'api.example.com');
    // Under the default thresholds its most urgent would be 7d.
    expect(api.map((detail) => detail.thresholdId)).toEqual(['14d']);
    expect(new Set(api.map((detail) => detail.severity))).toEqual(new Set(['critical']));
  });
});
