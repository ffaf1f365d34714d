import type { ParsedCertificate } from '../domain/certificate';
import type { RevocationReason } from '../domain/revocation';

/** One revocation as a revoker sees it: which CA, which serial, why. */
export interface RevokeRequest {
  /** The CA's id (an ACM Private CA ARN), as `issuingAuthority` found it. */
  authority: string;
  /** As the inventory shows it (`openssl x509 -serial`); the revoker writes it as its API wants it. */
  serialNumber: string;
  reason: RevocationReason;
  signal?: AbortSignal;
}

/**
 * `revoked`: the CA revoked it now; `already-revoked`: the CA had revoked it before (through certwarden or not),
 * with the CA's words.
 */
export type RevokeOutcome = { status: 'revoked' } | { status: 'already-revoked'; message: string };

/** Has a CA that certwarden may use revoke a certificate it issued. */
export interface CertificateRevoker {
  /**
   * The configured CA that issued this certificate (its subject is the certificate's issuer and its key signed
   * the certificate), or undefined when none did: revoking a serial at a CA that did not issue it would revoke
   * some other certificate, or nothing.
   */
  issuingAuthority(certificate: ParsedCertificate): Promise<string | undefined>;
  /** Throws RevocationRefusedError when the CA refuses (not found, wrong state, throttled past the retries). */
  revoke(request: RevokeRequest): Promise<RevokeOutcome>;
}
