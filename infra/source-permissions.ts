import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { SourceConfig } from '../lib/domain/config';

/**
 * The listing calls of the AWS sources, which IAM cannot scope to a resource (they run before any ARN is known):
 * the only actions a sync worker or a member-account role is granted on `*`.
 */
export const LIST_ACTIONS = { acm: 'acm:ListCertificates', pca: 'acm-pca:ListCertificateAuthorities' } as const;

/** What the AWS sources of `sources` read with the function's own credentials, and the roles they assume. */
function sourceAccess(sources: SourceConfig[]) {
  const assumedRoles = new Set<string>();
  const secrets = new Set<string>();
  const acm = new Set<string>();
  const pca = new Set<string>();
  for (const source of sources) {
    switch (source.kind) {
      case 'aws-acm':
      case 'aws-pca': {
        const resources = source.kind === 'aws-acm' ? acm : pca;
        const resourceType = source.kind === 'aws-acm' ? 'certificate' : 'certificate-authority';
        const service = source.kind === 'aws-acm' ? 'acm' : 'acm-pca';
        // Accounts reached through a role are read with that role's permissions (MemberAccountRole); the
        // others (or the stack's own account when none is listed) with the function's own.
        for (const account of source.accounts ?? [{ accountId: Aws.ACCOUNT_ID, roleName: undefined }]) {
          if (account.roleName) {
            assumedRoles.add(`arn:${Aws.PARTITION}:iam::${account.accountId}:role/${account.roleName}`);
            continue;
          }
          for (const region of source.regions) {
            resources.add(`arn:${Aws.PARTITION}:${service}:${region}:${account.accountId}:${resourceType}/*`);
          }
        }
        break;
      }
      case 'azure-key-vault':
      case 'google-certificate-manager':
        if ('secretArn' in source.credentials) secrets.add(source.credentials.secretArn);
        break;
      case 'local-files':
        break;
    }
  }
  const sorted = (values: Set<string>) => [...values].sort();
  return { assumedRoles: sorted(assumedRoles), secrets: sorted(secrets), acm: sorted(acm), pca: sorted(pca) };
}

/**
 * The IAM statements a sync worker needs for the sources it syncs: exactly the calls the connectors make
 * (lib/connectors/aws-acm.ts, aws-pca.ts, the Secrets Manager fetcher), on the resources the configuration
 * names. The listing calls, which cannot be scoped, are `sourceListActions`.
 */
export function sourceStatements(sources: SourceConfig[]): iam.PolicyStatement[] {
  const { assumedRoles, secrets, acm, pca } = sourceAccess(sources);
  const statements: iam.PolicyStatement[] = [];
  if (assumedRoles.length > 0) {
    statements.push(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: assumedRoles }));
  }
  if (acm.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        actions: ['acm:DescribeCertificate', 'acm:GetCertificate', 'acm:ListTagsForCertificate'],
        resources: acm,
      }),
    );
  }
  if (pca.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        actions: ['acm-pca:GetCertificateAuthorityCertificate', 'acm-pca:ListTags'],
        resources: pca,
      }),
    );
  }
  if (secrets.length > 0) {
    statements.push(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secrets }));
  }
  return statements;
}

/** The listing calls (on `*`) the sources read with the function's own credentials, if any. */
export function sourceListActions(sources: SourceConfig[]): string[] {
  const { acm, pca } = sourceAccess(sources);
  return [...(acm.length > 0 ? [LIST_ACTIONS.acm] : []), ...(pca.length > 0 ? [LIST_ACTIONS.pca] : [])];
}

/** A Secrets Manager ARN as the console shows it ends in `-` and six random characters; IAM matches it exactly. */
export const isCompleteSecretArn = (arn: string): boolean => /:secret:.+-[A-Za-z0-9]{6}$/.test(arn);

/** Secret ARNs named by a source's credentials. */
export function secretArnsOf(source: SourceConfig): string[] {
  if (source.kind !== 'azure-key-vault' && source.kind !== 'google-certificate-manager') return [];
  return 'secretArn' in source.credentials ? [source.credentials.secretArn] : [];
}
