import type { RevocationReason } from '../domain/revocation';

/**
 * Remembers every certificate someone revoked with `certwarden revoke`, one record per certificate (fingerprint):
 * the audit trail of who revoked what, when and why, written once however often the command is run.
 */

/** A revocation as it is kept: who, when, why, which certificate, which CA. */
export interface RevocationRecord {
  fingerprint: string;
  /** As the inventory shows it (`openssl x509 -serial`). */
  serialNumber: string;
  issuer: string;
  reason: RevocationReason;
  /** See CertificateRevokedDetail.outcome. */
  outcome: 'revoked' | 'issuer-must-revoke';
  /** The Private CA that revoked it; null when the issuing CA must. */
  certificateAuthorityArn: string | null;
  /** The place the command named. */
  locationId: string;
  /** Who ran the command: `cli:<user>`. */
  requestedBy: string;
  /** When the command ran. */
  at: string;
  /** What the CA said, when it had revoked the certificate before (outside certwarden); null otherwise. */
  note: string | null;
}

export interface RevocationLedger {
  /**
   * Keeps the record unless the certificate has one already: then false, and nothing is written. Atomic: of two
   * commands at once, one records.
   */
  record(record: RevocationRecord): Promise<boolean>;
  /** The certificate's record, if it was revoked through certwarden. */
  recordOf(fingerprint: string): Promise<RevocationRecord | undefined>;
}
