import type { SourceConfig } from '../domain/config';
import { ConfigError } from '../domain/errors';
import type { CertificateSource } from '../ports/certificate-source';
import { LocalFilesSource } from './local-files';

/**
 * Builds the configured sources with their SDK clients: the one place where configuration meets the
 * providers, shared by the CLI (the person's own credentials) and the Lambdas (their roles and secrets).
 */
export async function createSource(config: SourceConfig): Promise<CertificateSource> {
  switch (config.kind) {
    case 'local-files':
      return new LocalFilesSource({
        name: config.name,
        root: config.root,
        defaultOwner: config.defaultOwner,
        ownerFromTopDirectory: config.ownerFromTopDirectory,
        extensions: config.extensions,
      });
    default:
      throw new ConfigError(`source ${config.name}: kind ${config.kind} cannot be synced yet`);
  }
}
