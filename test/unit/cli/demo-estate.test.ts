import { readdir, readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { writeDemoEstate } from '../../../lib/cli/demo-estate';
import { parseCertificates } from '../../../lib/x509/parse';

const NOW = new Date('2026-06-01T00:00:00.000Z');

/** Every leaf-or-CA certificate of the estate's files, once each (a chain file repeats its CA), with its file. */
async function certificatesOf(root: string) {
  const byFingerprint = new Map<string, { file: string; name: string | null; publicKeySha256: string }>();
  const files = (await readdir(root, { recursive: true, withFileTypes: true })).filter(
    // The one file that is not a certificate, on purpose.
    (entry) => entry.isFile() && entry.name !== 'broken-export.pem',
  );
  for (const entry of files) {
    const path = join(entry.parentPath, entry.name);
    const { certificates } = parseCertificates(await readFile(path), relative(root, path));
    for (const { record } of certificates)
      if (!byFingerprint.has(record.fingerprintSha256))
        byFingerprint.set(record.fingerprintSha256, {
          file: relative(root, path),
          name: record.subjectCommonName,
          publicKeySha256: record.publicKeySha256,
        });
  }
  return [...byFingerprint.values()];
}

describe('the demo estate', () => {
  it('gives every certificate a key of its own, except one deliberate pair of unrelated services', async () => {
    const root = await mkdtemp(join(tmpdir(), 'certwarden-demo-estate-'));

    const count = await writeDemoEstate(root, NOW);

    const certificates = await certificatesOf(root);
    expect(certificates).toHaveLength(count);
    const byKey = new Map<string, string[]>();
    for (const { publicKeySha256, name } of certificates)
      byKey.set(publicKeySha256, [...(byKey.get(publicKeySha256) ?? []), name ?? '?']);
    const shared = [...byKey.values()].filter((names) => names.length > 1);
    expect(shared.map((names) => names.sort())).toEqual([['checkout.example.com', 'pay-api.example.com']]);
    expect(byKey.size).toBe(count - 1);
  });
});
