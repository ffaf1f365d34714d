import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's ssl-cert-check: the baseline issues #11 (files) and #18 (TLS endpoints) compare against. */
export const SSL_CERT_CHECK = '/usr/bin/ssl-cert-check';

/** Installs ssl-cert-check with apt when it is missing (the bench runs as root in its container). */
export async function ensureSslCertCheck(): Promise<void> {
  if (
    await access(SSL_CERT_CHECK).then(
      () => true,
      () => false,
    )
  )
    return;
  process.stderr.write('  installing ssl-cert-check (apt-get)\n');
  await run('apt-get', ['update'], { maxBuffer: 64 * 1024 * 1024 });
  await run('apt-get', ['install', '-y', 'ssl-cert-check'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    maxBuffer: 64 * 1024 * 1024,
  });
}
