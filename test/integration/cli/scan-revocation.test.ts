import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certwarden } from '../../support/cli';
import { useEmbeddedDynamoDb, type TestInventory } from '../../support/inventory';
import { RevocationCa } from '../../support/revocation-ca';

const dynamo = useEmbeddedDynamoDb();

/** `certwarden scan` checks what it finds against the CA's OCSP responder; `list` shows what it learned. */
describe('certwarden scan, then list, with revocation', () => {
  let ca: RevocationCa;
  let responder: ChildProcess;
  let root: string;
  let inventory: TestInventory;
  let store: string[];

  beforeAll(async () => {
    ca = await RevocationCa.create();
    const caPem = readFileSync(ca.path('ca.pem'), 'utf8');
    const good = (await ca.issue('good.example')).pem;
    const revoked = (await ca.issue('revoked.example')).pem;
    const bare = (await ca.issue('bare.example', {})).pem;
    ca.revoke('revoked.example', 'keyCompromise');
    responder = await ca.startResponder();
    root = await mkdtemp(join(tmpdir(), 'certwarden-scan-revocation-'));
    await writeFile(join(root, 'good.pem'), good + caPem);
    await writeFile(join(root, 'revoked.pem'), revoked + caPem);
    await writeFile(join(root, 'bare.pem'), bare);
    inventory = await dynamo.inventory();
    store = ['--store', inventory.endpoint, '--table', inventory.tableName];
  }, 60_000);
  afterAll(async () => {
    await ca?.stopResponder(responder);
    await ca?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('records each certificate’s status, which list --json carries and the table flags', async () => {
    const scan = await certwarden(['scan', '--dir', root, ...store]);
    expect(scan.stderr).toBe('');
    // bare.pem names nowhere to ask: its status is recorded as the scan reads it, with no check spent on it.
    expect(scan.stdout).toMatch(/revocation: 3 certificate\(s\) checked, 1 good, 1 revoked, 1 unknown/);

    const listed = await certwarden(['list', '--json', ...store]);
    const places = JSON.parse(listed.stdout) as Array<{ nativeId: string; revocation: Record<string, unknown> }>;
    const at = (file: string) => places.find((place) => place.nativeId === join(root, file))!.revocation;
    expect(at('good.pem')).toMatchObject({ status: 'good', via: 'ocsp', reason: null, revokedAt: null });
    expect(at('revoked.pem')).toMatchObject({ status: 'revoked', via: 'ocsp', reason: 'keyCompromise' });
    expect(at('revoked.pem').revokedAt).toEqual(expect.any(String));
    expect(at('bare.pem')).toMatchObject({
      status: 'unknown',
      reason: 'no OCSP responder or CRL distribution point in the certificate',
      via: null,
    });
    for (const revocation of places.map((place) => place.revocation)) {
      expect(Date.parse(revocation.checkedAt as string)).not.toBeNaN();
    }

    const table = await certwarden(['list', ...store]);
    expect(table.stdout.split('\n').find((line) => line.includes('revoked.example'))).toMatch(/REVOKED/);
    expect(table.stdout.split('\n').find((line) => line.includes('good.example'))).not.toMatch(/REVOKED/);
  }, 60_000);

  it('asks no responder when rescanning the same files', async () => {
    const rescan = await certwarden(['scan', '--dir', root, ...store]);
    expect(rescan.stdout).not.toMatch(/revocation:/);
  }, 60_000);

  it('checks nothing when the configuration where it runs turns revocation off', async () => {
    const here = await mkdtemp(join(tmpdir(), 'certwarden-scan-revocation-off-'));
    const other = await mkdtemp(join(tmpdir(), 'certwarden-scan-revocation-off-certs-'));
    try {
      await writeFile(join(here, 'certwarden.config.json'), JSON.stringify({ revocation: { enabled: false } }));
      await writeFile(join(other, 'good.pem'), (await ca.issue('off.example')).pem);

      const scan = await certwarden(['scan', '--dir', other, ...store], {}, here);

      expect(scan.stderr).toBe('');
      expect(scan.stdout).not.toMatch(/revocation:/);
      const listed = JSON.parse((await certwarden(['list', '--json', ...store])).stdout) as Array<{
        nativeId: string;
        revocation?: unknown;
      }>;
      // Unchecked: no status at all (a check would have found it good at the CA's responder).
      expect(listed.find((place) => place.nativeId === join(other, 'good.pem'))).toMatchObject({ revocation: null });
    } finally {
      await rm(here, { recursive: true, force: true });
      await rm(other, { recursive: true, force: true });
    }
  }, 60_000);
});
