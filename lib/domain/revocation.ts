/** What the issuer says about a certificate: `unknown` also when nobody could be asked (see `reason`). */
export type RevocationState = 'good' | 'revoked' | 'unknown';

/** How a status was learned from the issuer. */
export type RevocationVia = 'ocsp' | 'crl';

/**
 * The reasons `certwarden revoke` takes, by their RFC 5280 (CRLReason) names; the ACM Private CA API spells each
 * in its own way (lib/connectors/aws-pca-revoker.ts). removeFromCRL and certificateHold are left out: neither is a
 * revocation that cannot be undone, and ACM Private CA offers neither.
 */
export const REVOCATION_REASONS = [
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
  'aACompromise',
  'unspecified',
] as const;

export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export const isRevocationReason = (value: string): value is RevocationReason =>
  (REVOCATION_REASONS as readonly string[]).includes(value);

/** A place's last revocation check, as `certwarden list --json` shows it. */
export interface RevocationStatus {
  status: RevocationState;
  /**
   * For `revoked`, the CRL reason's RFC 5280 name (`keyCompromise`, …) or null when the CA gave none; for
   * `unknown`, why nothing better is known (no distribution point, responder down and CRL stale, …); else null.
   */
  reason: string | null;
  /** ISO 8601, for `revoked`. */
  revokedAt: string | null;
  checkedAt: string;
  /**
   * Null when neither OCSP nor a CRL gave the answer; `certwarden` when `certwarden revoke` had the issuing Private
   * CA revoke it (recorded at once, before the CA's CRL or OCSP answer says so).
   */
  via: RevocationVia | 'certwarden' | null;
  /** The issuer certificate the inventory held and the check used (kept for the next check); null otherwise. */
  issuerFingerprint: string | null;
}

/** Revocation is asked over HTTP only: an LDAP or file URI names nowhere certwarden can reach. */
export const webUris = (uris: readonly string[]): string[] => uris.filter((uri) => /^https?:\/\//i.test(uri));

export const NOWHERE_TO_ASK = 'no OCSP responder or CRL distribution point in the certificate';

/**
 * Whether a certificate names an OCSP responder or a CRL to ask over HTTP. A record read before its pointers were
 * kept (neither list present) may name one: it is asked.
 */
export function namesWhereToAsk(record: { ocspUrls?: readonly string[]; crlUrls?: readonly string[] }): boolean {
  if (record.ocspUrls === undefined && record.crlUrls === undefined) return true;
  return webUris(record.ocspUrls ?? []).length > 0 || webUris(record.crlUrls ?? []).length > 0;
}

/**
 * Whether a certificate's revocation status is known as soon as it is read, with no check spent on it: it names
 * nowhere to ask. A CA's certificate is checked all the same: the run that checks it also offers it as the issuer
 * of the leaves it checks (a scanned file's chain), which often name no caIssuers URL to fetch it from.
 */
export const revocationKnownAtOnce = (record: {
  isCA: boolean;
  ocspUrls?: readonly string[];
  crlUrls?: readonly string[];
}): boolean => !record.isCA && !namesWhereToAsk(record);

/**
 * The status of a certificate known at once (revocationKnownAtOnce): what a check would answer (unknown, and final:
 * its extensions cannot change).
 */
export const unaskableRevocation = (at: string): RevocationStatus => ({
  status: 'unknown',
  reason: NOWHERE_TO_ASK,
  revokedAt: null,
  checkedAt: at,
  via: null,
  issuerFingerprint: null,
});

/** An answer is re-checked no sooner than this after it was got, whatever its nextUpdate (at most daily). */
export const REVOCATION_RECHECK_MS = 24 * 3_600_000;

/**
 * When a place's certificate must be checked again after an answer: never once it is revoked (a revocation is
 * final) or when it names nowhere to ask (its extensions cannot change); else at the answer's nextUpdate (an
 * OCSP answer or CRL is served unchanged until then) but at most daily.
 */
export function nextRevocationCheck(
  answer: { status: RevocationState; nextUpdate: string | null; final?: boolean },
  now: Date,
): string | null {
  if (answer.status === 'revoked' || answer.final) return null;
  const floor = now.getTime() + REVOCATION_RECHECK_MS;
  const nextUpdate = answer.nextUpdate ? Date.parse(answer.nextUpdate) : floor;
  return new Date(Math.max(floor, nextUpdate)).toISOString();
}
