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
import { registerDigestCommands } from '../../../lib/cli/digest-commands';
import type { OpenInventory, StoreOptions } from '../../../lib/cli/open-inventory';
import { fixedClock, type Clock } from '../../../lib/ports/clock';
import type { DigestReport } from '../../../lib/use-cases/digest';
import { HttpEndpoint } from '../../support/fakes/http-endpoint';
import { DAY, makeEstate, MovableClock, NOW } from '../evaluate/estate';

interface Run {
  code: number | undefined;
  stdout: string;
  stderr: string;
}

let dynamo: EmbeddedDynamoDb;
const slack = new HttpEndpoint<{ text: string; blocks: unknown[] }>('/services/T0SECRET/B0SECRET/xoxsecretpath');
let configFile: string;
let tables = 0;

async function openTestInventory(options: StoreOptions): Promise<OpenInventory> {
  const client = createDocumentClient({ endpoint: dynamo.endpoint });
  const table = options.table!;
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

async function certwarden(args: string[], clock: Clock = fixedClock(NOW)): Promise<Run> {
  const run: Run = { code: undefined, stdout: '', stderr: '' };
  const program = new Command('certwarden').exitOverride();
  program.configureOutput({ writeOut: (text) => (run.stdout += text), writeErr: (text) => (run.stderr += text) });
  registerDigestCommands(program, {
    openInventory: openTestInventory,
    exit: (code) => (run.code = code),
    clock,
    retry: { maxAttempts: 2, backoffMs: 5 },
    stdout: (text) => (run.stdout += text),
    stderr: (text) => (run.stderr += text),
  });
  await program.parseAsync(args, { from: 'user' });
  return run;
}

/** A fresh table: one warning (20 days left), one info (50 of 365 days left), one high, one healthy. */
async function estateTable(): Promise<string> {
  const table = `digest-${++tables}`;
  const estate = await makeEstate();
  await estate.put('soon.example.com', 20);
  await estate.put('later.example.com', 50, 365);
  await estate.put('urgent.example.com', 5);
  await estate.put('fine.example.com', 300, 365);
  const inventory = await openTestInventory({ table });
  await estate.sync(inventory.store, fixedClock(NOW));
  await inventory.close();
  return table;
}

const digest = (table: string, ...more: string[]) => [
  'digest',
  '--config',
  configFile,
  '--table',
  table,
  '--slack-webhook',
  slack.url,
  ...more,
];

beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
  await slack.start();
  configFile = join(await mkdtemp(join(tmpdir(), 'certwarden-digest-')), 'certwarden.config.json');
  await writeFile(configFile, JSON.stringify({ alerts: { digest: {} } }));
});
afterAll(async () => {
  await slack.stop();
  await dynamo.close();
});
beforeEach(() => {
  slack.reset();
});

describe('certwarden digest', () => {
  it('prints the digest and sends it to Slack once; a second run the same day sends nothing; the next day it goes again', async () => {
    const table = await estateTable();
    const clock = new MovableClock();

    const first = await certwarden(digest(table), clock);

    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/WARNING .*30d.*soon\.example\.com.*platform/);
    expect(first.stdout).toMatch(/INFO .*60d.*later\.example\.com/);
    expect(first.stdout).not.toContain('urgent.example.com');
    expect(first.stdout).toContain(
      `Daily digest of 2026-06-01: 2 certificates (1 warning, 1 info), sent to Slack (${new URL(slack.url).host})`,
    );
    expect(slack.received).toHaveLength(1);
    expect(slack.received[0].text).toContain('2 certificates');

    const second = await certwarden(digest(table), clock);

    expect(second.code).toBe(0);
    expect(second.stdout).toBe(
      "Daily digest of 2026-06-01: 2 certificates (1 warning, 1 info): sent before today's run, nothing sent\n",
    );
    expect(slack.received).toHaveLength(1);

    clock.advance(DAY);
    const nextDay = await certwarden(digest(table, '--json'), clock);

    expect(nextDay.code).toBe(0);
    const nextReport = JSON.parse(nextDay.stdout) as DigestReport;
    expect(nextReport.sent).toBe(true);
    expect(nextReport.channels).toEqual([{ channel: 'local-slack', outcome: 'sent' }]);
    expect(slack.received).toHaveLength(2);
    expect(first.stdout + first.stderr + second.stdout + nextDay.stdout).not.toContain('SECRET');
  });

  it('--dry-run --json lists what the digest would hold and claims and sends nothing', async () => {
    const table = await estateTable();

    const dry = await certwarden(digest(table, '--dry-run', '--json'));

    expect(dry.code).toBe(0);
    const report = JSON.parse(dry.stdout) as DigestReport;
    expect(report.items.map((item) => [item.name, item.severity])).toEqual([
      ['soon.example.com', 'warning'],
      ['later.example.com', 'info'],
    ]);
    expect(report.sent).toBe(false);
    expect(slack.received).toEqual([]);
    const real = await certwarden(digest(table));
    expect(real.stdout).toContain('sent to Slack');
    expect(slack.received).toHaveLength(1);
  });

  it('a Slack failure exits 1 naming Slack by host, never the URL; the next run sends the digest', async () => {
    const table = await estateTable();
    slack.status = 500;

    const failed = await certwarden(digest(table));

    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      `certwarden: digest not sent (will be retried): Slack (${new URL(slack.url).host}): `,
    );
    expect(failed.stdout).toContain('not sent (retried next run)');
    expect(failed.stdout + failed.stderr).not.toContain('SECRET');

    slack.status = 200;
    const retried = await certwarden(digest(table));

    expect(retried.code).toBe(0);
    expect(slack.received).toHaveLength(1);
  });

  it('with no Slack target, prints the digest and still sends it once a day', async () => {
    const table = await estateTable();

    const first = await certwarden(['digest', '--config', configFile, '--table', table]);
    const second = await certwarden(['digest', '--config', configFile, '--table', table]);

    expect(first.stdout).toContain('sent (printed here only: no Slack target)');
    expect(second.stdout).toContain('sent before');
  });

  it('an invalid configuration exits 2 with the field named', async () => {
    const bad = join(await mkdtemp(join(tmpdir(), 'certwarden-digest-bad-')), 'certwarden.config.json');
    await writeFile(bad, JSON.stringify({ alerts: { local: { slackWebhookUrl: 'http://hooks.example.com/x' } } }));

    const run = await certwarden(['digest', '--config', bad, '--table', 'digest-unused']);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/alerts\.local\.slackWebhookUrl: expected an https:\/\/ URL/);
  });
});
