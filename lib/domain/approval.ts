import * as z from 'zod/mini';
import type { CertificateKind } from './certificate';

/**
 * Which renewals wait for a person's approval (the config's `renewal.approval`): a sensitive certificate (one that
 * signs code, a CA, or a place tagged for it) is renewed only once someone has said yes, and a request nobody
 * answers within `timeoutMinutes` fails closed. Pure: the renewal use case and the deployed workflow ask
 * {@link approvalReasonOf} the same question. zod's mini API: the renew function parses it at every cold start.
 */
export const ApprovalConfig = z.strictObject({
  /** A place carrying any of these tags (key → value) waits for approval. @default { approval: 'required' } */
  tags: z._default(z.record(z.string().check(z.minLength(1)), z.string()), { approval: 'required' }),
  /** Certificates of these kinds wait for approval. @default ['code-signing'] */
  kinds: z._default(
    z.array(z.enum(['ca', 'tls-server', 'tls-client', 'code-signing', 'smime', 'other'] satisfies CertificateKind[])),
    ['code-signing'],
  ),
  /** CA certificates (basicConstraints cA) wait for approval. @default true */
  caCertificates: z._default(z.boolean(), true),
  /**
   * How long a request waits for an answer before it escalates (Approval Escalated) and the renewal fails
   * closed: 1 minute to 30 days. @default 1440 (a day)
   */
  timeoutMinutes: z._default(z.int().check(z.minimum(1), z.maximum(30 * 1440)), 1440),
});
export type ApprovalConfig = z.infer<typeof ApprovalConfig>;

/** What the scope reads of a place: its tags and its certificate's kind. */
export interface ApprovablePlace {
  tags?: Record<string, string>;
  certificate: { kind: CertificateKind; isCA: boolean } | null;
}

/** Why a renewal of this place waits for approval (`tag approval=required`, `code-signing certificate`), or undefined. */
export function approvalReasonOf(place: ApprovablePlace, scope: ApprovalConfig): string | undefined {
  const reasons: string[] = [];
  for (const [key, value] of Object.entries(scope.tags)) {
    if (place.tags?.[key] === value) reasons.push(`tag ${key}=${value}`);
  }
  const certificate = place.certificate;
  const kindListed = certificate !== null && scope.kinds.includes(certificate.kind);
  if (kindListed) reasons.push(`${certificate.kind} certificate`);
  if (certificate?.isCA && scope.caCertificates && !(kindListed && certificate.kind === 'ca'))
    reasons.push('CA certificate');
  return reasons.length > 0 ? reasons.join(', ') : undefined;
}

/** When a request made at `requestedAt` stops waiting. */
export const approvalDeadlineOf = (requestedAt: Date, scope: Pick<ApprovalConfig, 'timeoutMinutes'>): Date =>
  new Date(requestedAt.getTime() + scope.timeoutMinutes * 60_000);

/**
 * The error a denial fails the deployed workflow's waiting task with (SendTaskFailure), which its state machine
 * catches: `certwarden renew deny` sends it, infra/renewal-workflow.ts catches it.
 */
export const APPROVAL_DENIED_ERROR = 'ApprovalDenied';
