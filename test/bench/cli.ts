import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { INDEX_SHARDS } from '../../lib/adapters/dynamodb-table';
import { childCpuSeconds, median, quote } from './child-cpu';
import { generateEstate } from './generate-estate';
import { installedProduct } from './installed-product';

const run = promisify(execFile);

interface SectionRow {
  figure: string;
  value: string;
  target?: string;
  met?: boolean;
}

/** Median CPU of `runs` runs, after one run that warms the file cache. */
async function medianCpu(commandLine: string, runs: number, env?: NodeJS.ProcessEnv): Promise<number> {
  await childCpuSeconds(commandLine, env);
  const samples: number[] = [];
  for (let index = 0; index < runs; index++) samples.push(await childCpuSeconds(commandLine, env));
  return median(samples);
}

/**
 * The median CPU of each command line, run in turns (which goes first alternating) so that a machine's drift
 * during the runs moves both alike: their ratio is the figure.
 */
async function interleavedMedianCpu(
  commandLines: [string, string],
  runs: number,
  env?: NodeJS.ProcessEnv,
): Promise<[number, number]> {
  for (const commandLine of commandLines) await childCpuSeconds(commandLine, env);
  const samples: [number[], number[]] = [[], []];
  for (let index = 0; index < runs; index++) {
    const order = index % 2 === 0 ? [0, 1] : [1, 0];
    for (const which of order) samples[which].push(await childCpuSeconds(commandLines[which], env));
  }
  return [median(samples[0]), median(samples[1])];
}

/**
 * The floor under `certwarden list` on the embedded store: dynalite on the same LevelDB and the same SDK reading
 * every expiry shard, the listing's fields only, and nothing of certwarden (no merge, assessment or table).
 */
const FLOOR_SCRIPT = `
const dynalite = require('dynalite');
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, paginateQuery } = require('@aws-sdk/lib-dynamodb');
const server = dynalite({ path: process.argv[2] });
server.listen(0, '127.0.0.1', async () => {
  const endpoint = 'http://127.0.0.1:' + server.address().port;
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
  );
  let items = 0;
  for (let shard = 0; shard < ${INDEX_SHARDS}; shard++) {
    const input = {
      TableName: 'certwarden-inventory', IndexName: 'byExpiry',
      KeyConditionExpression: 'gsi2pk = :pk', ExpressionAttributeValues: { ':pk': 'EXPIRY#' + shard },
      ProjectionExpression: 'locationId, nativeId, #r, #o, #s, revocation, sourceKind, renewal, managed, details.#t, ' +
        'certificate.notBefore, certificate.notAfter, certificate.subject, certificate.subjectCommonName, ' +
        'certificate.dnsNames, certificate.kind, certificate.isCA, certificate.issuer',
      ExpressionAttributeNames: { '#r': 'role', '#o': 'owner', '#s': 'source', '#t': 'type' },
    };
    for await (const page of paginateQuery({ client, pageSize: 1000 }, input)) items += page.Items.length;
  }
  console.log(items);
  process.exit(0);
});
`;

/**
 * The CLI as users get it: `npm pack` (which builds), the tarball installed into an empty project offline from
 * the lockfile's resolved set, and that installed `certwarden` timed against a bare `node -e 0` in the same run.
 */
export async function benchCli(): Promise<SectionRow[]> {
  const rows: SectionRow[] = [];
  const { packed, installed } = await installedProduct();
  const packedMb = packed.bytes / 1e6;
  rows.push({
    figure: 'npm pack size',
    value: `${packedMb.toFixed(2)} MB (${packed.files.length} files)`,
    target: '≤ 2 MB',
    met: packedMb <= 2,
  });

  const { stdout: du } = await run('du', ['-sk', join(installed.dir, 'node_modules')]);
  const installMb = Number(du.split('\t')[0]) / 1024;
  rows.push({
    figure: 'install of the tarball (dependencies, no optional peers), on disk',
    value: `${installMb.toFixed(0)} MB`,
    target: '≤ 120 MB',
    met: installMb <= 120,
  });

  const bin = quote(installed.bin);
  const runs = 10;
  const bare = await medianCpu(`${quote(process.execPath)} -e 0`, runs);
  const help = await medianCpu(`${bin} --help`, runs);
  const version = await medianCpu(`${bin} --version`, runs);
  rows.push({ figure: '`node -e 0` CPU (median of 10)', value: `${(bare * 1000).toFixed(0)} ms` });
  rows.push({
    figure: '`certwarden --help` CPU (median of 10)',
    value: `${(help * 1000).toFixed(0)} ms (${(help / bare).toFixed(2)}× node -e 0)`,
    target: '≤ 3× node -e 0',
    met: help <= 3 * bare,
  });
  rows.push({
    figure: '`certwarden --version` CPU (median of 10)',
    value: `${(version * 1000).toFixed(0)} ms (${(version / bare).toFixed(2)}× node -e 0)`,
  });

  const work = await mkdtemp(join(tmpdir(), 'certwarden-bench-cli-'));
  try {
    const count = 10_000;
    const estate = join(work, 'estate');
    await generateEstate(estate, count, new Date(), { keys: 'each' });
    const env = { ...process.env, CERTWARDEN_HOME: join(work, 'home') };
    const scanned = await childCpuSeconds(`${bin} scan --dir ${quote(estate)} --name bench`, env);
    rows.push({ figure: `\`certwarden scan\` of ${count} files, first sync, CPU`, value: `${scanned.toFixed(1)} s` });
    const floorScript = join(installed.dir, 'list-floor.js');
    await writeFile(floorScript, FLOOR_SCRIPT);
    const [list, floor] = await interleavedMedianCpu(
      [`${bin} list`, `${quote(process.execPath)} ${quote(floorScript)} ${quote(join(work, 'home', 'dynamodb'))}`],
      runs,
      env,
    );
    rows.push({
      figure: `floor: dynalite + the SDK reading the ${count} listings, nothing of certwarden, CPU (median of 10, interleaved with \`list\`'s)`,
      value: `${floor.toFixed(2)} s`,
    });
    rows.push({
      figure: `\`certwarden list\` on a ${count}-certificate store, CPU (median of 10)`,
      value: `${list.toFixed(2)} s`,
      target: '≤ 2 s',
      met: list <= 2,
    });
    // The 2 s is below what this machine's dynalite and SDK take to read the listings at all: proposed instead.
    rows.push({
      figure: `\`certwarden list\` on ${count} against the floor, CPU`,
      value: `${(list / floor).toFixed(2)}×`,
      target: '≤ 1.3× (proposed)',
      met: list <= 1.3 * floor,
    });
    // Three times the listing's CPU, and no target: one run after the file cache is warm.
    const listJson = await medianCpu(`${bin} list --json`, 1, env);
    rows.push({
      figure: `\`certwarden list --json\` (with serial numbers) on ${count}, CPU`,
      value: `${listJson.toFixed(2)} s`,
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return rows;
}
