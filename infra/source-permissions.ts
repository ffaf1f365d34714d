import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { SourceConfig } from '../lib/domain/config';

/**
 * The IAM statements a sync worker needs for the sources it syncs: exactly the calls the connectors make
 * (lib/connectors/aws-acm.ts, aws-pca.ts, the Secrets Manager fetcher), on the resources the configuration
 * names. A List call that IAM cannot scope (acm:ListCertificates, acm-pca:ListCertificateAuthorities) is the
 * only `*`.
 */
export function sourceStatements(sources: SourceConfig[]): iam.PolicyStatement[] {
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
  const statements: iam.PolicyStatement[] = [];
  if (assumedRoles.size > 0) {
    statements.push(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: sorted(assumedRoles) }));
  }
  if (acm.size > 0) {
    statements.push(
      new iam.PolicyStatement({ actions: ['acm:ListCertificates'], resources: ['*'] }),
      new iam.PolicyStatement({
        actions: ['acm:DescribeCertificate', 'acm:GetCertificate', 'acm:ListTagsForCertificate'],
        resources: sorted(acm),
      }),
    );
  }
  if (pca.size > 0) {
    statements.push(
      new iam.PolicyStatement({ actions: ['acm-pca:ListCertificateAuthorities'], resources: ['*'] }),
      new iam.PolicyStatement({
        actions: ['acm-pca:GetCertificateAuthorityCertificate', 'acm-pca:ListTags'],
        resources: sorted(pca),
      }),
    );
  }
  if (secrets.size > 0) {
    statements.push(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: sorted(secrets) }),
    );
  }
  return statements;
}

/** A Secrets Manager ARN as the console shows it ends in `-` and six random characters; IAM matches it exactly. */
export const isCompleteSecretArn = (arn: string): boolean => /:secret:.+-[A-Za-z0-9]{6}$/.test(arn);

/** Secret ARNs named by a source's credentials. */
export function secretArnsOf(source: SourceConfig): string[] {
  if (source.kind !== 'azure-key-vault' && source.kind !== 'google-certificate-manager') return [];
  return 'secretArn' in source.credentials ? [source.credentials.secretArn] : [];
}
