import type { CertificateRevokedDetail } from '../events';

/** What a Certificate Revoked event says in words, for every channel: who had what revoked, where, and why. */
export function certificateRevokedWords(detail: CertificateRevokedDetail): string {
  const act =
    detail.outcome === 'revoked'
      ? `revoked at ${detail.certificateAuthorityArn}`
      : `to be revoked by its issuing CA (${detail.issuer}): certwarden cannot, and it stays valid until that CA does`;
  const places = detail.places.length === 1 ? '1 place' : `${detail.places.length} places`;
  return `serial ${detail.serialNumber} ${act} (${detail.reason}), asked by ${detail.requestedBy}; replace it at ${places}`;
}
