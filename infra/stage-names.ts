import type { SourceKind } from '../lib/ports/certificate-source';

/**
 * A stage: lowercase letters, digits and hyphens, 1 to 20 characters, starting with a letter. The bound keeps the
 * longest fixed name, `certwarden-<stage>-sync-google-certificate-manager`, within IAM's 64 characters.
 */
export const STAGE_PATTERN = /^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$/;

/**
 * What every fixed physical name of a stage starts with: `certwarden`, or `certwarden-<stage>` for a named
 * stage, so that stages share an account and region without sharing a name.
 */
export const namePrefix = (stage?: string): string => (stage ? `certwarden-${stage}` : 'certwarden');

/**
 * The fixed name of a sync worker's role, `<prefix>-sync-<kind>` (`certwarden-sync-aws-acm`): member accounts
 * trust the ACM and ACM Private CA workers by these names, which survive a replacement of the role.
 */
export const syncRoleName = (stage: string | undefined, kind: SourceKind): string =>
  `${namePrefix(stage)}-sync-${kind}`;

/** The sync worker kinds that read other accounts through their MemberAccountRole. */
export const MEMBER_ACCOUNT_KINDS: readonly SourceKind[] = ['aws-acm', 'aws-pca', 'aws-iam', 'aws-iot'];

/** The fixed name of the renew function's role, `<prefix>-renew`: member accounts trust it by name, as the sync's. */
export const renewRoleName = (stage: string | undefined): string => `${namePrefix(stage)}-renew`;
