import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFilesSource } from '../../../lib/connectors/local-files';
import { isScopeFailure } from '../../../lib/ports/certificate-source';
import { issueCertificate, type IssuedCertificate } from '../../../lib/x509/factory';

const notBefore = new Date('2026-01-01T00:00:00.000Z');
const notAfter = new Date('2027-01-01T00:00:00.000Z');

let ca: IssuedCertificate;
let leaf: IssuedCertificate;
let root: string;
beforeAll(async () => {
  ca = await issueCertificate({ subject: 'CN=Unit CA', ca: true, notBefore, notAfter });
  leaf = await issueCertificate({ subject: 'CN=a.example.com', issuer: ca, notBefore, notAfter });
  root = await mkdtemp(join(tmpdir(), 'certwarden-local-files-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('LocalFilesSource.list', () => {
  it('hands on every file once, each leaf followed at once by its chain, however the reads ahead complete', async () => {
    // More files than are read ahead at a time; large ones among small ones, so that reads finish out of order.
    const written: string[] = [];
    for (let index = 0; index < 150; index++) {
      const directory = join(root, `dir-${index % 4}`);
      await mkdir(directory, { recursive: true });
      const padding = index % 7 === 0 ? `${'notes '.repeat(200_000)}\n` : '';
      const content = index % 3 === 0 ? padding + leaf.pem + ca.pem : padding + leaf.pem;
      const path = join(directory, `cert-${index}.pem`);
      await writeFile(path, content);
      written.push(path);
    }

    const listed: Array<{ nativeId: string; role: string }> = [];
    for await (const item of new LocalFilesSource({ name: 'files', root }).list()) {
      if (isScopeFailure(item)) throw new Error(`unexpected scope failure ${item.failedScope}`);
      listed.push({ nativeId: item.nativeId, role: item.role });
    }

    const leaves = listed.filter((item) => item.role === 'leaf').map((item) => item.nativeId);
    expect([...leaves].sort()).toEqual([...written].sort());
    listed.forEach((item, index) => {
      if (item.role === 'chain') expect(item.nativeId.startsWith(`${listed[index - 1].nativeId}#`)).toBe(true);
    });
    expect(listed.filter((item) => item.role === 'chain')).toHaveLength(written.filter((_, i) => i % 3 === 0).length);
  });
});
