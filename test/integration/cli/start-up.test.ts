import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate } from '../../../lib/x509/factory';
import { certwarden } from '../../support/cli';

/*
 * Which packages each command loads, recorded by a preloaded hook as the process exits: `--help` and friends
 * load commander alone; the everyday commands load no provider SDK (those load only for a sync of that provider).
 */

const PROVIDER_SDKS = [
  '@aws-sdk/client-acm',
  '@aws-sdk/client-acm-pca',
  '@aws-sdk/client-iam',
  '@aws-sdk/client-iot',
  '@aws-sdk/client-sts',
  '@aws-sdk/client-eventbridge',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-securityhub',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/credential-providers',
  '@azure/identity',
  '@azure/keyvault-certificates',
  '@google-cloud/certificate-manager',
  'google-auth-library',
  'node-forge',
];

let work: string;
let hook: string;
let certificate: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'certwarden-start-up-'));
  hook = join(work, 'record-packages.js');
  await writeFile(
    hook,
    `process.on('exit', () => {
       const names = new Set();
       for (const file of Object.keys(require.cache)) {
         const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(file.slice(file.lastIndexOf('node_modules/')));
         if (match) names.add(match[1]);
       }
       require('fs').writeFileSync(process.env.RECORD_PACKAGES, JSON.stringify([...names]));
     });`,
  );
  certificate = join(work, 'cert.pem');
  await writeFile(
    certificate,
    (
      await issueCertificate({
        subject: 'CN=start-up.example.com',
        dns: ['start-up.example.com'],
        notBefore: new Date(Date.now() - 86_400_000),
        notAfter: new Date(Date.now() + 90 * 86_400_000),
      })
    ).pem,
  );
});

async function packagesLoadedBy(args: string[]): Promise<string[]> {
  const record = join(work, `${args.join('-').replace(/[^\w-]/g, '_')}.json`);
  const run = await certwarden(args, {
    CERTWARDEN_HOME: join(work, 'home'),
    NODE_OPTIONS: `--require ${hook}`,
    RECORD_PACKAGES: record,
  });
  expect(run.stderr).toBe('');
  return JSON.parse(await readFile(record, 'utf8')) as string[];
}

// The sources run through tsx, which is loaded before certwarden: its own packages are not certwarden's.
const ours = (names: string[]) => names.filter((name) => !['tsx', 'esbuild', 'get-tsconfig'].includes(name));

describe('what a command loads', () => {
  it.each([['--help'], ['--version'], ['list --help']])('`certwarden %s` loads commander alone', async (command) => {
    expect(ours(await packagesLoadedBy(command.split(' ')))).toEqual(['commander']);
  });

  it.each([['list'], ['inspect CERT'], ['policy check CERT']])(
    '`certwarden %s` loads no provider SDK',
    async (command) => {
      const loaded = await packagesLoadedBy(command.split(' ').map((arg) => (arg === 'CERT' ? certificate : arg)));
      expect(loaded.filter((name) => PROVIDER_SDKS.includes(name))).toEqual([]);
      if (command === 'list') expect(loaded).toEqual(expect.arrayContaining(['@aws-sdk/client-dynamodb', 'dynalite']));
    },
  );
});
