import type { RenewalMethod, RenewalSettings } from '../domain/renewal';
import { OPTIONAL_PROVIDER_PACKAGES, type SourceKind } from './certificate-source';
import type { StoredLocation } from './inventory-store';

/**
 * The optional provider packages (OPTIONAL_PROVIDER_PACKAGES) a configured source's renewer loads: a Key Vault's or
 * Certificate Manager's are its sync worker's; ACM's renewer needs the Private CA SDK only to re-issue the
 * certificates of its `issuingCertificateAuthorities` (Amazon-issued ones ACM renews itself). The deployed renew
 * function bundles these and leaves every other optional package out, so an app installs only what it uses.
 */
export function renewerPackagesOf(source: {
  kind: SourceKind;
  issuingCertificateAuthorities?: readonly string[];
}): readonly string[] {
  switch (source.kind) {
    case 'aws-acm':
      return source.issuingCertificateAuthorities?.length ? (OPTIONAL_PROVIDER_PACKAGES['aws-pca'] ?? []) : [];
    case 'azure-key-vault':
    case 'google-certificate-manager':
      return OPTIONAL_PROVIDER_PACKAGES[source.kind] ?? [];
    default:
      return [];
  }
}

/** One renewal as a renewer sees it: the place, and what ties its provider calls to this attempt. */
export interface RenewalRequest {
  place: StoredLocation;
  method: RenewalMethod;
  /** The attempt's id (RenewalDetail.renewalId). */
  renewalId: string;
  /**
   * Counts the attempts at this place and certificate, from 1: a provider idempotency token is made of the
   * renewal id and this, so a retried call within an attempt reuses its result and a new attempt never does.
   */
  attempt: number;
  signal?: AbortSignal;
}

/**
 * How an attempt ended at the provider:
 * - `succeeded`: the new certificate is in place (its SHA-256 fingerprint when the renewer knows it).
 * - `failed`: it did not happen; `error` is the provider's words for a person (never key material).
 * - `pending`: the provider is still at it after the renewer's bounded wait; a later request looks again.
 */
export type RenewalOutcome =
  | { status: 'succeeded'; newFingerprint: string | null; message: string }
  | { status: 'failed'; error: string }
  | { status: 'pending'; message: string };

/**
 * Renews certificates at the places of one source kind. A renewer turns the provider's errors into an outcome's
 * words; it throws only for what is not about the place (a bug, a closed client).
 */
export interface CertificateRenewer {
  readonly kind: SourceKind;
  /** What the renewal decision needs to know of this renewer's configuration (the issuers it can re-issue for). */
  renewalSettings?(): Promise<Partial<RenewalSettings>>;
  renew(request: RenewalRequest): Promise<RenewalOutcome>;
  /**
   * One look at a renewal `renew` left `pending` (the deployed workflow polls with a Wait state between looks):
   * never starts a renewal again. Absent: the renewer's own bounded wait in `renew` is all there is.
   */
  check?(request: RenewalRequest): Promise<RenewalOutcome>;
}
