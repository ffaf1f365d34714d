import { readFile } from 'node:fs/promises';
import { CertwardenError } from '../../domain/errors';
import { describeIoError } from '../io-errors';

/** `--pkcs12-password-file`: its first line is the password (a file keeps it out of the shell's history). */
export async function readPkcs12Passwords(file: string | undefined): Promise<string[] | undefined> {
  if (file === undefined) return undefined;
  try {
    return [(await readFile(file, 'utf8')).split(/\r?\n/)[0]];
  } catch (error) {
    throw new CertwardenError(`--pkcs12-password-file ${file}: ${describeIoError(error)}`, { cause: error });
  }
}
