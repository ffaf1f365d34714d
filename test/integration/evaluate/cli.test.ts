import { Command } from 'commander';
import { createDocumentClient } from '../../../lib/adapters/dynamodb-client';
import { DynamoInventoryStore } from '../../../lib/adapters/dynamodb-inventory-store';
import { DynamoDbMeter } from '../../../lib/adapters/dynamodb-meter';
import {
  ensureInventoryTable,
  startEmbeddedDynamoDb,
  type EmbeddedDynamoDb,
} from '../../../lib/adapters/embedded-dynamodb';
import type { CertwardenEvent } from '../../../lib/domain/events';
import { registerEvaluateCommands } from '../../../lib/cli/evaluate-commands';
import type { OpenInventory, StoreOptions } from '../../../lib/cli/open-inventory';
import { fixedClock } from '../../../lib/ports/clock';
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

async function certwarden(args: string[], events = new RecordingPublisher()): Promise<Run> {
  const run: Run = { code: undefined, stdout: '', stderr: '' };
  const program = new Command('certwarden').exitOverride();
  program.configureOutput({ writeOut: (text) => (run.stdout += text), writeErr: (text) => (run.stderr += text) });
  registerEvaluateCommands(program, {
    openInventory: openTestInventory,
    exit: (code) => (run.code = code),
    clock: fixedClock(NOW),
    events,
    stdout: (text) => (run.stdout += text),
    stderr: (text) => (run.stderr += text),
  });
  await program.parseAsync(args, { from: 'user' });
  return run;
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
    expect(events.events).toEqual(sent);

    const second = await certwarden(['evaluate', '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual([]);
  });

  it('prints a table of the alerts and a summary without --json', async () => {
    const run = await certwarden(['evaluate', '--dry-run', '--table', 'other-table']);
    expect(run.stdout).toBe('0 certificates evaluated, 0 alerts would be sent, 0 sent before\n');

    const dry = await certwarden(['evaluate', '--dry-run']);
    // Everything was sent by the first test: nothing left even to show.
    expect(dry.stdout).toMatch(/^3 certificates evaluated, 0 alerts would be sent, \d+ sent before\n$/);
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

describe('certwarden evaluate table output', () => {
  it('lists each alert with its severity, threshold, name and owner', async () => {
    const estate = await makeEstate();
    await estate.put('table.example.com', 0.5);
    const inventory = await openTestInventory({ table: 'table-output' });
    await estate.sync(inventory.store, fixedClock(NOW));
    await inventory.close();

    const run = await certwarden(['evaluate', '--table', 'table-output']);

    expect(run.code).toBe(0);
    for (const threshold of ['lifetime-33%', '30d', '14d', '7d', '1d'])
      expect(run.stdout).toMatch(
        new RegExp(`CRITICAL .*Certificate Expiring .*${threshold}.*table\\.example\\.com.*platform`),
      );
    expect(run.stdout).toContain('1 certificate evaluated, 5 alerts sent, 0 sent before');
    const again = await certwarden(['evaluate', '--json', '--table', 'table-output']);
    expect(JSON.parse(again.stdout)).toEqual([]);
  });
});
