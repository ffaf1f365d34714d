import type { CertificateManagerClient } from '@google-cloud/certificate-manager';
import type { CertificateRenewer, RenewalOutcome, RenewalRequest } from '../ports/certificate-renewer';
import { parseCertificates } from '../x509/parse';
import { googleErrorFacts, managedIssues } from './google-certificate-manager';

export interface GoogleCertificateManagerRenewerOptions {
  client: Pick<CertificateManagerClient, 'getCertificate'>;
}

/**
 * Google-managed certificates renew themselves: the renewer calls nothing but GetCertificate, and reports what
 * stands in the way (a failed provisioning, a domain whose authorization failed, a rate limit) as a failure for a
 * person to fix, a new certificate as the renewal's success, and anything else as the provider still at it.
 * Self-managed certificates never reach it: the renewal decision leaves them to a person (`manual`).
 */
export class GoogleCertificateManagerRenewer implements CertificateRenewer {
  readonly kind = 'google-certificate-manager' as const;

  constructor(private readonly options: GoogleCertificateManagerRenewerOptions) {}

  async renew({ place }: RenewalRequest): Promise<RenewalOutcome> {
    let certificate;
    try {
      [certificate] = await this.options.client.getCertificate({ name: place.nativeId });
    } catch (error) {
      const facts = googleErrorFacts(error);
      return { status: 'failed', error: `GetCertificate: ${facts.description}` };
    }
    const managed = certificate.managed;
    if (!managed) return { status: 'failed', error: `${place.nativeId} is self-managed: manual renewal required` };
    const issues = managedIssues(managed);
    if (issues) return { status: 'failed', error: issues };
    const pem = certificate.pemCertificate ?? '';
    const current = pem ? parseCertificates(pem, place.nativeId).certificates[0]?.record.fingerprintSha256 : undefined;
    if (current && current !== place.fingerprint) {
      return {
        status: 'succeeded',
        newFingerprint: current,
        message: `Certificate Manager has renewed ${place.nativeId}`,
      };
    }
    return {
      status: 'pending',
      message: `Certificate Manager renews ${place.nativeId} itself (${String(managed.state ?? 'state unknown')}); nothing to call`,
    };
  }
}
