import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../lib/adapters/config-file';
import { ConfigError } from '../../../lib/domain/errors';

async function configFile(content: unknown, name = 'certwarden.config.json'): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'certwarden-config-'));
  await writeFile(join(directory, name), typeof content === 'string' ? content : JSON.stringify(content));
  return directory;
}

const acm = { kind: 'aws-acm', name: 'acm-prod', regions: ['eu-west-1', 'us-east-1'] };

describe('loadConfig', () => {
  it('finds certwarden.config.json in the working directory and fills in the defaults', async () => {
    const directory = await configFile({ sources: [acm] });
    const { config, file } = loadConfig(undefined, directory);
    expect(file).toBe(join(directory, 'certwarden.config.json'));
    // No table: the deployed stage names its own, the CLI takes --table, CERTWARDEN_TABLE or certwarden-inventory.
    expect(config.inventory).toEqual({ store: 'embedded' });
    expect(config.expiry.days).toEqual([60, 30, 14, 7, 1]);
    expect(config.sources[0]).toMatchObject({ ...acm, ownerTagKeys: ['owner'], schedule: 'rate(1 hour)' });
  });

  it('reads a TypeScript config that exports the object', async () => {
    const directory = await configFile(
      `export default { sources: [{ kind: 'local-files', name: 'etc', root: '/etc/ssl' }] };`,
      'certwarden.config.ts',
    );
    expect(loadConfig(undefined, directory).config.sources[0]).toMatchObject({ kind: 'local-files', root: '/etc/ssl' });
  });

  it('applies the defaults when there is no config file at all', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'certwarden-empty-'));
    expect(loadConfig(undefined, directory)).toMatchObject({ file: null, config: { sources: [] } });
  });

  it.each([
    [{ sources: [{ ...acm, regions: [] }] }, 'sources[0].regions: Too small'],
    [{ sources: [{ ...acm, regions: ['mars-1'] }] }, 'sources[0].regions[0]: expected an AWS region'],
    [{ sources: [{ ...acm, regoins: ['eu-west-1'] }] }, 'sources[0]: Unrecognized key: "regoins"'],
    [
      { sources: [{ ...acm, accounts: [{ accountId: '12' }] }] },
      'sources[0].accounts[0].accountId: expected a 12-digit',
    ],
    [{ sources: [{ kind: 'aws-s3', name: 'x' }] }, "sources[0].kind: Invalid discriminator value. Expected 'aws-acm'"],
    [{ sources: [acm, acm] }, 'sources[1].name: duplicate source name "acm-prod"'],
    [
      {
        sources: [
          {
            kind: 'azure-key-vault',
            name: 'kv',
            vaults: [{ url: 'https://kv.vault.azure.net' }],
            credentials: { type: 'client-secret', tenantId: 't', clientId: 'c', secretArn: 'my-secret' },
          },
        ],
      },
      'sources[0].credentials.secretArn: expected a Secrets Manager secret ARN',
    ],
    [{ expiry: { lifetimeFraction: 2 } }, 'expiry.lifetimeFraction: Too big'],
  ])('rejects %j naming the field', async (content, expected) => {
    const directory = await configFile(content);
    expect(() => loadConfig(undefined, directory)).toThrow(ConfigError);
    expect(() => loadConfig(undefined, directory)).toThrow(expected);
  });

  it('reports every problem at once', async () => {
    const directory = await configFile({
      sources: [
        { ...acm, regions: [] },
        { ...acm, name: 'B' },
      ],
    });
    expect(() => loadConfig(undefined, directory)).toThrow(/sources\[0\]\.regions: .*; sources\[1\]\.name: /);
  });

  it('names a file that is not JSON, and a path that does not exist', async () => {
    const directory = await configFile('{ nope');
    expect(() => loadConfig(undefined, directory)).toThrow(/certwarden\.config\.json: cannot read: /);
    expect(() => loadConfig('missing.json', directory)).toThrow(/missing\.json: no such configuration file/);
  });
});
