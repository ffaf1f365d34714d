import type { CertificateRevokedDetail } from '../domain/events';

/**
 * Remembers every certificate someone revoked with `certwarden revoke`, one record per certificate (fingerprint):
 * the audit trail of who revoked what, when and why, written once however often the command is run.
 */

/**
 * A revocation as it is kept: who (`requestedBy`), when (`at`), why, which certificate (fingerprint, serial,
 * issuer), which CA, and the place the command named; the same facts as the Certificate Revoked event.
 */
export type RevocationRecord = Pick<
  CertificateRevokedDetail,
  | 'fingerprint'
  | 'serialNumber'
  | 'issuer'
  | 'reason'
  | 'outcome'
  | 'certificateAuthorityArn'
  | 'locationId'
  | 'requestedBy'
  | 'at'
> & {
  /** What the CA said, when it had revoked the certificate before (outside certwarden); null otherwise. */
  note: string | null;
};

export interface RevocationLedger {
  /**
   * Keeps the record unless the certificate has one already: then false, and nothing is written. Atomic: of two
   * commands at once, one records.
   */
  record(record: RevocationRecord): Promise<boolean>;
  /** The certificate's record, if it was revoked through certwarden. */
  recordOf(fingerprint: string): Promise<RevocationRecord | undefined>;
}
