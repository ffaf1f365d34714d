import type { CertificateKind, CertificateRecord } from '../certificate';

/** How much a violation matters, least first. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** 0 for `info` … 4 for `critical`: for comparing severities. */
export const severityRank = (severity: Severity): number => SEVERITIES.indexOf(severity);

/** Whether a certificate chains to a publicly trusted CA (see `issuerTypeOf`). */
export type IssuerType = 'public' | 'private';

/** What a certificate is used for where it is deployed. */
export type CertificateUse = 'tls-server' | 'tls-client' | 'code-signing' | 'smime';

/**
 * Where a certificate lives and what uses it: the inventory's view of a place. Every field is optional, so a
 * certificate file checked before deployment (no place yet) and a `StoredLocation` (which fits this shape as it
 * is) are both subjects. Rules that need a field that is absent answer `not-applicable`, never a guess.
 */
export interface PolicyLocation {
  /** `aws-acm:arn:…`, `local-files:/etc/ssl/api.pem`. */
  locationId?: string;
  /** The configured source name. */
  source?: string;
  /** `aws-acm`, `local-files`, … */
  sourceKind?: string;
  /** Account, subscription or project. */
  account?: string;
  tags?: Record<string, string>;
  /** Resolved owner; `unowned` when no tag or default names one. */
  owner?: string;
  /** What uses it: load balancer ARNs, target proxies, endpoints. Non-empty means in use, serving TLS. */
  inUseBy?: string[];
  /** Explicit uses, when the source knows them better than `inUseBy` says (a client certificate in use). */
  uses?: CertificateUse[];
  /** How it is renewed: `manual`, `acm-managed`, `key-vault-auto`, … */
  renewal?: string;
  /** Renewed by the provider without anyone acting. */
  managed?: boolean;
  /** `removed` places are not in use whatever they last said. */
  status?: string;
  /** What only the source knows (a TLS endpoint's verdict on the chain it served), as the place keeps it. */
  details?: Record<string, unknown>;
}

/** Revocation status, when something (OCSP, CRL, the provider) has said. */
export interface RevocationStatus {
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: string;
  reason?: string;
}

/** What a policy is evaluated on: a certificate, and where it lives when that is known. */
export interface PolicySubject {
  certificate: CertificateRecord;
  location?: PolicyLocation;
  /**
   * Public or private issuer, when the caller knows better than the policy's issuer lists (ACM's
   * `AMAZON_ISSUED` vs `PRIVATE`, a source that is a private CA). Absent: decided by `issuerTypeOf`.
   */
  issuerType?: IssuerType;
  /** SHA-256 of the issuing CA's SubjectPublicKeyInfo (lowercase hex), when the chain is known. */
  issuerSpkiSha256?: string;
  revocation?: RevocationStatus;
}

/** Another certificate with the same public key: enough of it to tell a renewal from an unrelated reuse. */
export type KeySharingCertificate = Pick<
  CertificateRecord,
  'fingerprintSha256' | 'subject' | 'subjectCommonName' | 'sans'
>;

/** What an evaluation needs besides the subject. */
export interface EvaluationContext {
  /** The instant of evaluation: expiry, exemptions and the CA/B schedule of replacements are judged at it. */
  now: Date;
  /**
   * The other certificates of the inventory whose `publicKeySha256` equals the subject's (the subject itself
   * may be included; it is ignored). Absent: the key-reuse rule answers `not-applicable`.
   */
  sameKeyElsewhere?: readonly KeySharingCertificate[];
  /** `sameKeyElsewhere` is a sample: more certificates have the key. @default false, all of them are given */
  sameKeySampled?: boolean;
  /**
   * The subject is about to be deployed (`policy check`, a gate before a certificate is used): it counts as in use
   * whatever its place says, so a certificate out of its validity period fails before it reaches a client.
   * @default false: in use only as its place says
   */
  deploying?: boolean;
}

/** What the engine and rules know about a subject beyond its fields, computed once per evaluation. */
export interface RuleContext extends EvaluationContext {
  issuerType: IssuerType;
  /** Uses known from the location: explicit `uses`, else `tls-server` when something uses it or an endpoint serves it. */
  uses: readonly CertificateUse[];
  /**
   * Something uses or serves it now (InUseBy, an endpoint, explicit uses) and the place is not removed, or it is
   * being deployed (`deploying`).
   */
  inUse: boolean;
}

export interface Compliant {
  outcome: 'compliant';
}

export interface NotApplicable {
  outcome: 'not-applicable';
  /** Why the rule has nothing to say about this subject, for `policy explain`. */
  reason: string;
}

/** What a rule returns when the subject breaks it; the engine adds the rule id and the configured severity. */
export interface Finding {
  outcome: 'violation';
  /** For people: names the values involved (`RSA key of 1024 bits; policy requires at least 2048`). */
  message: string;
  details: Record<string, unknown>;
}

export type RuleResult = Compliant | NotApplicable | Finding;

/**
 * A rule: one small pure function of the subject, its parameters and the context (the clock is `context.now`).
 * Rules never throw on odd certificates; a field they cannot judge makes them `not-applicable`.
 */
export type Rule<P> = (subject: PolicySubject, params: P, context: RuleContext) => RuleResult;

export const compliant: Compliant = Object.freeze({ outcome: 'compliant' }) as Compliant;

export const notApplicable = (reason: string): NotApplicable => ({ outcome: 'not-applicable', reason });

/** Not applicable to a record stored before certwarden read `what`; policy enforcement reads such records again. */
export const recordPredates = (what: string): NotApplicable =>
  notApplicable(`recorded before certwarden read ${what}; the next policy evaluation reads it again`);

export const violation = (message: string, details: Record<string, unknown> = {}): Finding => ({
  outcome: 'violation',
  message,
  details,
});

/** A finding as the engine reports it. */
export interface Violation {
  ruleId: string;
  severity: Severity;
  message: string;
  details: Record<string, unknown>;
  /** Set when an exemption for this rule and certificate existed but has expired: it no longer applies. */
  expiredExemption?: ExemptionRef;
}

/** An exemption as reports show it. */
export interface ExemptionRef {
  /** Position in the policy's `exemptions` list. */
  index: number;
  id?: string;
  reason: string;
  /** ISO 8601 instant from which the exemption no longer applies. */
  expiresAt: string;
  approvedBy?: string;
}

/** A violation that an active exemption covers: reported, never dropped. */
export interface ExemptedViolation {
  violation: Violation;
  exemption: ExemptionRef;
}

/** Which part of the policy set a rule's settings: the built-in defaults, the `rules` section, or a scope. */
export interface ScopeRef {
  /** Index in `scopes`; -1 for the policy's top-level `rules`, -2 for the built-in defaults. */
  index: number;
  name: string;
}

export interface AppliedRule {
  ruleId: string;
  /** The last part of the policy that changed this rule's settings for the subject (later scopes win). */
  scope: ScopeRef;
  /** Every part that contributed, in order of application. */
  via: readonly ScopeRef[];
  params: Readonly<Record<string, unknown>>;
  severity: Severity;
  /** Findings of an informational rule are notices, not violations. */
  informational: boolean;
  result: RuleResult;
}

export interface PolicyEvaluation {
  /** Every enabled rule, in catalog order, with the settings it ran with and what it found. */
  applied: AppliedRule[];
  /** Rules switched off for this subject, and by which part of the policy. */
  disabled: Array<{ ruleId: string; scope: ScopeRef }>;
  /** Scopes whose match the subject fulfils, in policy order. */
  matchedScopes: ScopeRef[];
  issuerType: IssuerType;
  violations: Violation[];
  /** Findings of informational rules (crypto-agility inventory, renewal outlook): never fail a check. */
  notices: Violation[];
  /** Violations an active exemption covers. */
  exemptions: ExemptedViolation[];
}

/** Certificate kinds a scope can name, as `CertificateRecord.kind` has them. */
export type { CertificateKind };
