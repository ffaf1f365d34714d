import type { ParsedCertificate } from '../domain/certificate';
import type { SourceConfig } from '../domain/config';
import type { CertificateRevoker, RevokeRequest } from '../ports/certificate-revoker';
import { awsClientsOf, type SourceWiring } from './from-config';

/* eslint-disable @typescript-eslint/no-require-imports -- required on first use, as in renewer-from-config.ts: only
   a revocation loads the Private CA SDK. */

/** The revoker of a configuration and what it needs to close. */
export interface ConfiguredRevoker {
  revoker: CertificateRevoker;
  close(): void;
}

/**
 * The revoker of every ACM Private CA the configuration lets certwarden use (each ACM source's
 * `issuingCertificateAuthorities`, reached with that source's accounts and endpoints); undefined when it names none.
 * A certificate is revoked at the CA that issued it, through the source that configured that CA.
 */
export function createRevoker(sources: SourceConfig[], wiring: SourceWiring): ConfiguredRevoker | undefined {
  const configured = sources.flatMap((source) =>
    source.kind === 'aws-acm' && source.issuingCertificateAuthorities ? [source] : [],
  );
  if (configured.length === 0) return undefined;
  const { AwsPcaRevoker } = require('./aws-pca-revoker') as typeof import('./aws-pca-revoker');
  const clients = configured.map((source) => awsClientsOf(source, wiring));
  const revokers = configured.map(
    (source, index) =>
      new AwsPcaRevoker({
        clients: clients[index],
        accounts: source.accounts,
        certificateAuthorities: source.issuingCertificateAuthorities!,
      }),
  );
  const byAuthority = new Map<string, CertificateRevoker>();
  const revoker: CertificateRevoker = {
    async issuingAuthority(certificate: ParsedCertificate) {
      for (const one of revokers) {
        const authority = await one.issuingAuthority(certificate);
        if (authority) {
          byAuthority.set(authority, one);
          return authority;
        }
      }
      return undefined;
    },
    revoke: (request: RevokeRequest) => byAuthority.get(request.authority)!.revoke(request),
  };
  return { revoker, close: () => clients.forEach((one) => one.destroy()) };
}
