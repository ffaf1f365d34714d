import type { RevocationState, RevocationVia } from '../domain/revocation';

/** A certificate to check, with its issuer's certificate when the inventory holds it. */
export interface RevocationQuery {
  der: Uint8Array;
  /** The issuer's DER certificate; when absent the checker fetches it from the AIA caIssuers URL. */
  issuer?: Uint8Array;
}

export interface RevocationAnswer {
  status: RevocationState;
  /** See RevocationStatus.reason. */
  reason: string | null;
  revokedAt: string | null;
  via: RevocationVia | null;
  /** Until when the answer holds (OCSP or CRL nextUpdate), if it says. */
  nextUpdate: string | null;
  /** Nothing will ever tell more (no distribution point, a self-signed certificate): not worth asking again. */
  final: boolean;
}

/** Asks a certificate's issuer (OCSP, then CRL) whether it is revoked. Never throws for a certificate's sake. */
export interface RevocationChecker {
  check(query: RevocationQuery, signal?: AbortSignal): Promise<RevocationAnswer>;
}
