import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DAY_MS } from '../../lib/domain/expiry';
import { generateKeys, issueCertificate } from '../../lib/x509/factory';

/**
 * Writes `count` real, signed certificates (one file each, 1,000 per directory) with expiry dates spread
 * evenly from 30 days ago to 365 days ahead, so "expiring within 30 days" selects about 15% of them. They share
 * one key unless `keyPerCertificate` (the key-reuse rule then judges every one of them against all the others).
 */
export async function generateEstate(
  root: string,
  count: number,
  now: Date,
  options: { keyPerCertificate?: boolean } = {},
): Promise<void> {
  const ca = await issueCertificate({
    subject: 'CN=Bench CA',
    ca: true,
    notBefore: new Date(now.getTime() - 400 * DAY_MS),
    notAfter: new Date(now.getTime() + 4000 * DAY_MS),
  });
  const keys = await generateKeys();
  const pending: Array<Promise<void>> = [];
  for (let index = 0; index < count; index++) {
    const directory = join(root, `d${Math.floor(index / 1000)}`);
    if (index % 1000 === 0) await mkdir(directory, { recursive: true });
    const daysLeft = -30 + ((index * 7919) % 395);
    pending.push(
      issueCertificate({
        subject: `CN=host-${index}.bench.example.com`,
        dns: [`host-${index}.bench.example.com`],
        issuer: ca,
        keys: options.keyPerCertificate ? await generateKeys() : keys,
        notBefore: new Date(now.getTime() + (daysLeft - 398) * DAY_MS),
        notAfter: new Date(now.getTime() + daysLeft * DAY_MS),
      }).then((issued) => writeFile(join(directory, `host-${index}.pem`), issued.pem)),
    );
    if (pending.length >= 64) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}
