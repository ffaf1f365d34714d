import type { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import type { ParsedCertificate } from '../domain/certificate';
import { parseCertificates } from '../x509/parse';

/** A configured ACM Private CA and its certificate, as the CA serves it. */
export interface IssuingAuthority {
  arn: string;
  certificate: ParsedCertificate;
}

/**
 * The certificates of the configured Private CAs (`issuingCertificateAuthorities`), each read in the CA's own
 * account and region with GetCertificateAuthorityCertificate, once per call: what the renewer (which CA re-issues
 * a certificate) and the revoker (which CA revoked it) both match a certificate's issuer against.
 */
export async function readIssuingAuthorities(
  arns: readonly string[],
  pcaOf: (accountId: string, region: string) => ACMPCAClient,
): Promise<IssuingAuthority[]> {
  // Required here, not imported: the ACM renewer loads this module whether or not it re-issues (aws-acm-renewer.ts).
  const { GetCertificateAuthorityCertificateCommand } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@aws-sdk/client-acm-pca') as typeof import('@aws-sdk/client-acm-pca');
  const authorities: IssuingAuthority[] = [];
  for (const arn of arns) {
    const [, , , region, accountId] = arn.split(':');
    const { Certificate } = await pcaOf(accountId, region).send(
      new GetCertificateAuthorityCertificateCommand({ CertificateAuthorityArn: arn }),
    );
    authorities.push({ arn, certificate: parseCertificates(Certificate!, arn).certificates[0] });
  }
  return authorities;
}
