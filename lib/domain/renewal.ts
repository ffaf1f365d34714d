import { DAY_MS } from './expiry';

/**
 * How a place gets its next certificate, and whether that is due: the renewal decision, pure and with the clock
 * passed in, shared by `certwarden renew` and the benchmark of 100,000 places.
 */

/**
 * The renewal methods:
 * - `acm-private-ca`: ACM issued it through a Private CA; certwarden calls RenewCertificate and watches.
 * - `pca-reissue`: imported into ACM, issued by a configured ACM Private CA; certwarden issues a new certificate
 *   for a new key and re-imports it at the same ARN.
 * - `acm-managed`: Amazon-issued; ACM renews it, certwarden reads the renewal's state.
 * - `key-vault-version`: a new version of a Key Vault certificate with its own policy.
 * - `google-managed`: Certificate Manager renews it, certwarden reads the state and authorization issues.
 * - `manual`: a person renews it (a self-managed Google certificate, a file, an IAM or IoT certificate…).
 */
export type RenewalMethod =
  'acm-private-ca' | 'pca-reissue' | 'acm-managed' | 'key-vault-version' | 'google-managed' | 'manual';

/**
 * Who acts when a place is renewed: the provider alone, certwarden through the provider's API, or a person
 * (`manual`). What `certwarden list` shows as a place's renewal method and filters by (`--renewal`).
 */
export const RENEWAL_ACTORS = ['provider', 'certwarden', 'manual'] as const;
export type RenewalActor = (typeof RENEWAL_ACTORS)[number];

export const ACTOR_OF_METHOD: Record<RenewalMethod, RenewalActor> = {
  'acm-private-ca': 'certwarden',
  'pca-reissue': 'certwarden',
  'key-vault-version': 'certwarden',
  'acm-managed': 'provider',
  'google-managed': 'provider',
  manual: 'manual',
};

/** What the decision reads of a place: its kind, the source's renewal word and the certificate's dates. */
export interface RenewablePlace {
  sourceKind: string;
  /** LocationMetadata.renewal: `acm-managed`, `acm-private-ca`, `manual`, `key-vault-auto`, … */
  renewal?: string;
  managed?: boolean;
  details?: Record<string, unknown>;
  certificate: { issuer: string; notBefore: string; notAfter: string } | null;
}

export interface RenewalSettings {
  /**
   * Issuer names (RFC 4514, as the inventory stores them) of the configured ACM Private CAs: an imported ACM
   * certificate they issued is re-issued by certwarden. @default none
   */
  reissuingIssuers?: ReadonlySet<string>;
  /** Renewal is due once this fraction of the lifetime is left (cert-manager's default, two thirds in). @default 1/3 */
  dueFraction?: number;
}

/** What the method reads of a place: the decision's fields but the dates. */
export type MethodPlace = Omit<RenewablePlace, 'certificate'> & { certificate: { issuer: string } | null };

/** The method of a place: what `renew` would do there. */
export function renewalMethodOf(place: MethodPlace, settings: RenewalSettings = {}): RenewalMethod {
  switch (place.sourceKind) {
    case 'aws-acm': {
      const type = place.details?.type;
      if (type === 'PRIVATE') return 'acm-private-ca';
      if (type === 'AMAZON_ISSUED') return 'acm-managed';
      const issuer = place.certificate?.issuer;
      return issuer !== undefined && settings.reissuingIssuers?.has(issuer) ? 'pca-reissue' : 'manual';
    }
    case 'azure-key-vault':
      return 'key-vault-version';
    case 'google-certificate-manager':
      return place.managed ? 'google-managed' : 'manual';
    default:
      return 'manual';
  }
}

/**
 * Who renews a place (`list`'s renewal method). Without the settings of its source's renewer (the CLI's `list`
 * reads no configuration), an imported ACM certificate of a configured Private CA counts as manual.
 */
export const renewalActorOf = (place: MethodPlace, settings: RenewalSettings = {}): RenewalActor =>
  ACTOR_OF_METHOD[renewalMethodOf(place, settings)];

export interface RenewalDecision {
  method: RenewalMethod;
  /** Renewal is due: at most `dueFraction` of the lifetime left, or expired. False without a certificate. */
  due: boolean;
  /** When renewal becomes due; null without a certificate. */
  dueAt: string | null;
}

/** Whether a place is due for renewal at `now`, and by which method. */
export function renewalDecision(place: RenewablePlace, now: Date, settings: RenewalSettings = {}): RenewalDecision {
  const method = renewalMethodOf(place, settings);
  if (!place.certificate) return { method, due: false, dueAt: null };
  const notBefore = Date.parse(place.certificate.notBefore);
  const notAfter = Date.parse(place.certificate.notAfter);
  const dueAtMs = notAfter - Math.max(0, notAfter - notBefore) * (settings.dueFraction ?? 1 / 3);
  return { method, due: now.getTime() >= dueAtMs, dueAt: new Date(dueAtMs).toISOString() };
}

/** Whole days of a certificate's lifetime, rounded up: what a re-issued certificate is asked to last. */
export const lifetimeDaysOf = (validity: { notBefore: string; notAfter: string }): number =>
  Math.max(1, Math.ceil((Date.parse(validity.notAfter) - Date.parse(validity.notBefore)) / DAY_MS));
