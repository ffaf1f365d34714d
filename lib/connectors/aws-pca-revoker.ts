import {
  ACMPCAClient,
  RevokeCertificateCommand,
  type RevocationReason as PcaRevocationReason,
} from '@aws-sdk/client-acm-pca';
import type { ParsedCertificate } from '../domain/certificate';
import { serialNumberHex } from '../domain/certificate';
import { RevocationRefusedError } from '../domain/errors';
import type { RevocationReason } from '../domain/revocation';
import type { CertificateRevoker, RevokeOutcome, RevokeRequest } from '../ports/certificate-revoker';
import { certificateParts, certificateSignedBy } from '../x509/certificate-parts';
import { describeAwsError, type AwsAccount, type AwsClients } from './aws-clients';
import { readIssuingAuthorities, type IssuingAuthority } from './aws-pca-authorities';

/** RFC 5280's reason names → the ACM Private CA API's (RevokeCertificate's RevocationReason). */
export const PCA_REVOCATION_REASON: Record<RevocationReason, PcaRevocationReason> = {
  keyCompromise: 'KEY_COMPROMISE',
  cACompromise: 'CERTIFICATE_AUTHORITY_COMPROMISE',
  affiliationChanged: 'AFFILIATION_CHANGED',
  superseded: 'SUPERSEDED',
  cessationOfOperation: 'CESSATION_OF_OPERATION',
  privilegeWithdrawn: 'PRIVILEGE_WITHDRAWN',
  aACompromise: 'A_A_COMPROMISE',
  unspecified: 'UNSPECIFIED',
};

/**
 * A serial number as RevokeCertificate's CertificateSerial takes it: hexadecimal, the octets as `openssl x509
 * -text` and ACM's DescribeCertificate print them (`0b:13:…`, lowercase, colon-separated), the form the API
 * reference tells callers to copy.
 */
export function pcaSerialOf(serialNumber: string): string {
  const hex = serialNumberHex(serialNumber);
  if (hex.startsWith('-')) throw new RevocationRefusedError(`serial ${serialNumber} is negative: no CA issues that`);
  return hex.toLowerCase().match(/../g)!.join(':');
}

export interface AwsPcaRevokerOptions {
  clients: AwsClients;
  /** The source's accounts: a CA's account is reached as the sync reaches it (its role, or the caller's own). */
  accounts?: AwsAccount[];
  /** The Private CAs certwarden may revoke at (a source's `issuingCertificateAuthorities`). */
  certificateAuthorities: readonly string[];
}

/**
 * Revokes certificates at the configured ACM Private CAs: `acm-pca:RevokeCertificate` with the SDK's production
 * retries (AwsClientFactory: standard mode, AWS_MAX_ATTEMPTS), so a throttle or 5xx is retried; a CA that had
 * revoked the serial already answers RequestAlreadyProcessedException, which is an outcome, not a failure.
 */
export class AwsPcaRevoker implements CertificateRevoker {
  private authorities?: Promise<IssuingAuthority[]>;

  constructor(private readonly options: AwsPcaRevokerOptions) {}

  async issuingAuthority(certificate: ParsedCertificate): Promise<string | undefined> {
    this.authorities ??= readIssuingAuthorities(this.options.certificateAuthorities, (accountId, region) =>
      this.pca(accountId, region),
    );
    this.authorities.catch(() => (this.authorities = undefined));
    const issuer = (await this.authorities).find(
      (authority) =>
        authority.certificate.record.subject === certificate.record.issuer &&
        certificateSignedBy(certificate.der, certificateParts(authority.certificate.der).spki),
    );
    return issuer?.arn;
  }

  async revoke({ authority, serialNumber, reason, signal }: RevokeRequest): Promise<RevokeOutcome> {
    const [, , , region, accountId] = authority.split(':');
    try {
      await this.pca(accountId, region).send(
        new RevokeCertificateCommand({
          CertificateAuthorityArn: authority,
          CertificateSerial: pcaSerialOf(serialNumber),
          RevocationReason: PCA_REVOCATION_REASON[reason],
        }),
        { abortSignal: signal },
      );
      return { status: 'revoked' };
    } catch (error) {
      if (error instanceof RevocationRefusedError) throw error;
      if ((error as Error).name === 'RequestAlreadyProcessedException') {
        return { status: 'already-revoked', message: (error as Error).message };
      }
      throw new RevocationRefusedError(`RevokeCertificate at ${authority}: ${describeAwsError(error)}`, {
        cause: error,
      });
    }
  }

  private pca(accountId: string, region: string): ACMPCAClient {
    const account = this.options.accounts?.find((candidate) => candidate.accountId === accountId) ?? { accountId };
    return this.options.clients.client('acm-pca', account, region, (config) => new ACMPCAClient(config));
  }
}
