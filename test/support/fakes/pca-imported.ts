import type { FakeAcm, FakeAcmCertificate } from './acm-server';
import type { FakeCertificateAuthority, FakeIssued, FakePca } from './pca-server';
import type { IssuedCertificate } from '../../../lib/x509/factory';

const DAY = 86_400_000;

/**
 * An ACM certificate imported from a fake Private CA (issued now by `authority`, 10 days old, 80 left), in use by
 * what `inUseBy` names: what `certwarden revoke` revokes at the CA and the renewal re-issues.
 */
export async function importedFromPca(
  acm: FakeAcm,
  pca: FakePca,
  authority: FakeCertificateAuthority,
  /** `accountId`: the ACM certificate's account, @default the CA's */
  place: { domainName: string; inUseBy: string[]; accountId?: string; now?: Date },
): Promise<{ certificate: FakeAcmCertificate; issued: FakeIssued & { certificate: IssuedCertificate } }> {
  const certificate = acm.add({
    accountId: place.accountId ?? authority.accountId,
    region: authority.region,
    domainName: place.domainName,
    type: 'IMPORTED',
  });
  const now = (place.now ?? new Date()).getTime();
  const issued = await pca.issueLeaf(authority, {
    commonName: place.domainName,
    notBefore: new Date(now - 10 * DAY),
    notAfter: new Date(now + 80 * DAY),
  });
  certificate.keyAlgorithm = 'EC_prime256v1';
  certificate.inUseBy = place.inUseBy;
  certificate.issued = {
    pem: issued.pem,
    chainPem: authority.installed!.certificate.pem,
    notBefore: issued.certificate.certificate.notBefore,
    notAfter: issued.certificate.certificate.notAfter,
    serial: issued.certificate.certificate.serialNumber,
    fingerprint: issued.fingerprint,
  };
  return { certificate, issued };
}
