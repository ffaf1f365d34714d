import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSource } from '../../../lib/connectors/from-config';
import { countCertificateFiles, LocalFilesSource } from '../../../lib/connectors/local-files';
import { CertwardenConfig, type SourceConfig } from '../../../lib/domain/config';
import { ConfigError } from '../../../lib/domain/errors';
import { fixedClock } from '../../../lib/ports/clock';
import { syncSource } from '../../../lib/use-cases/sync';
import { issueCertificate, privateKeyPem, type IssuedCertificate } from '../../../lib/x509/factory';
import { parseCertificates } from '../../../lib/x509/parse';
import { collect, useEmbeddedDynamoDb } from '../../support/inventory';
import { exportPkcs12 } from '../../support/openssl';

const dynamo = useEmbeddedDynamoDb();
const clock = fixedClock('2026-06-01T00:00:00.000Z');
const inDays = (days: number) => new Date(clock.now().getTime() + days * 86_400_000);
const fingerprintOf = (issued: IssuedCertificate) =>
  parseCertificates(issued.pem, 'pem').certificates[0].record.fingerprintSha256;
const noSecrets = { fetchSecret: async () => Promise.reject(new Error('no secrets here')) };

let ca: IssuedCertificate;
let open: IssuedCertificate;
let locked: IssuedCertificate;
let root: string;

/** `openssl pkcs12 -export` of a leaf with its key and the CA, under `password` ('' for none). */
async function pkcs12(issued: IssuedCertificate, password: string): Promise<Uint8Array> {
  return exportPkcs12({ certificate: issued.pem, key: await privateKeyPem(issued.keys), chain: ca.pem }, password);
}

beforeAll(async () => {
  ca = await issueCertificate({ subject: 'CN=P12 CA', ca: true, notBefore: inDays(-10), notAfter: inDays(1000) });
  const leaf = (name: string) =>
    issueCertificate({ subject: `CN=${name}`, dns: [name], issuer: ca, notBefore: inDays(-10), notAfter: inDays(90) });
  open = await leaf('open.example.com');
  locked = await leaf('locked.example.com');
  root = await mkdtemp(join(tmpdir(), 'certwarden-p12-'));
  await writeFile(join(root, 'open.p12'), await pkcs12(open, ''));
  await writeFile(join(root, 'locked.pfx'), await pkcs12(locked, 'secret'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('sync of a directory holding PKCS#12 files', () => {
  it('inventories a password-less PKCS#12 and records one that needs a password as an error place', async () => {
    const inventory = await dynamo.inventory();

    const report = await syncSource({
      source: new LocalFilesSource({ name: 'files', root }),
      store: inventory.store,
      clock,
    });

    expect(report.counts).toMatchObject({ discovered: 3, errors: 1 });
    expect(report.errors.map((error) => error.message)).toEqual([
      `${join(root, 'locked.pfx')}: PKCS#12, password needed`,
    ]);
    expect(report.warnings).toEqual([expect.stringContaining(`${join(root, 'open.p12')}: holds 1 private key(s)`)]);
    expect(await inventory.store.getLocation(`local-files:${join(root, 'open.p12')}`)).toMatchObject({
      status: 'live',
      role: 'leaf',
      fingerprint: fingerprintOf(open),
    });
    expect(
      await inventory.store.getLocation(`local-files:${join(root, 'open.p12')}#${fingerprintOf(ca)}`),
    ).toMatchObject({ role: 'chain', fingerprint: fingerprintOf(ca) });
    const unreadable = await collect(inventory.store.byStatus('error'));
    expect(unreadable.map((location) => [location.nativeId, location.error])).toEqual([
      [join(root, 'locked.pfx'), `${join(root, 'locked.pfx')}: PKCS#12, password needed`],
    ]);
    expect(await countCertificateFiles(root)).toBe(2);
  });

  it("reads the locked PKCS#12 on a resync once the configuration's pkcs12PasswordFile gives its password", async () => {
    const inventory = await dynamo.inventory();
    const config = (raw: object): SourceConfig =>
      CertwardenConfig.parse({ sources: [{ kind: 'local-files', name: 'files', root, ...raw }] }).sources[0];
    await syncSource({ source: await createSource(config({}), noSecrets), store: inventory.store, clock });
    const passwordFile = join(root, 'p12-password.txt');
    await writeFile(passwordFile, 'secret\n');

    const source = await createSource(config({ pkcs12PasswordFile: passwordFile }), noSecrets);
    const report = await syncSource({ source, store: inventory.store, clock });

    expect(report.counts.errors).toBe(0);
    expect(await inventory.store.getLocation(`local-files:${join(root, 'locked.pfx')}`)).toMatchObject({
      status: 'live',
      fingerprint: fingerprintOf(locked),
    });
    expect(await collect(inventory.store.byStatus('error'))).toEqual([]);
  });

  it('refuses a pkcs12PasswordFile that cannot be read with a ConfigError naming it', async () => {
    const missing = join(root, 'no-such-password-file');
    const config = CertwardenConfig.parse({
      sources: [{ kind: 'local-files', name: 'files', root, pkcs12PasswordFile: missing }],
    }).sources[0];

    const built = createSource(config, noSecrets);

    await expect(built).rejects.toThrow(ConfigError);
    await expect(built).rejects.toThrow(`${missing}: cannot read the PKCS#12 password file (ENOENT)`);
  });
});
