import { readFile, stat } from 'node:fs/promises';
import { CertificateParseError, CertwardenError } from '../../domain/errors';
import { systemClock } from '../../ports/clock';
import { readPkcs12PasswordFile } from '../../connectors/local-files';
import { parseCertificates } from '../../x509/parse';
import { EXIT, type ExitCode } from '../exit-codes';
import { describeIoError } from '../io-errors';
import { out, warn } from '../output';
import { renderCertificate } from '../render';

export interface InspectOptions {
  json?: boolean;
  pkcs12PasswordFile?: string;
}

/** One record per certificate of each file; an unreadable path is named on stderr and the others still shown. */
export async function inspect(paths: string[], options: InspectOptions): Promise<ExitCode> {
  const now = systemClock.now();
  const records: unknown[] = [];
  let failed = 0;
  const pkcs12Passwords = options.pkcs12PasswordFile ? [await readPkcs12PasswordFile(options.pkcs12PasswordFile)] : [];
  for (const file of paths) {
    try {
      if ((await stat(file)).isDirectory())
        throw new CertwardenError(`${file}: is a directory (use \`certwarden scan --dir\`)`);
      const parsed = parseCertificates(await readFile(file), file, { pkcs12Passwords });
      if (parsed.privateKeysDropped > 0) warn(`${file}: holds ${parsed.privateKeysDropped} private key(s); ignored`);
      for (const problem of parsed.problems) warn(`${file}: ${problem}`);
      for (const { record } of parsed.certificates) {
        if (options.json) records.push({ file, ...record });
        else out(renderCertificate(file, record, now));
      }
    } catch (error) {
      failed++;
      warn(
        error instanceof CertificateParseError || error instanceof CertwardenError
          ? error.message
          : `${file}: ${describeIoError(error)}`,
      );
    }
  }
  if (options.json) out(`${JSON.stringify(records, null, 2)}\n`);
  return failed > 0 ? EXIT.findings : EXIT.ok;
}
