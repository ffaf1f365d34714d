import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { SourceConfig } from '../lib/domain/config';

type AwsKind = 'aws-acm' | 'aws-pca' | 'aws-iam' | 'aws-iot';

/**
 * What each AWS connector calls (lib/connectors/aws-*.ts): the List actions, which IAM cannot scope to resources,
 * and the read actions on the resources of an account (and region, `''` for a global service), in that order.
 */
const AWS_READS: Record<
  AwsKind,
  { list: string[]; read: string[]; resources(accountId: string, region: string): string[] }
> = {
  'aws-acm': {
    list: ['acm:ListCertificates'],
    read: ['acm:DescribeCertificate', 'acm:GetCertificate', 'acm:ListTagsForCertificate'],
    resources: (accountId, region) => [`arn:${Aws.PARTITION}:acm:${region}:${accountId}:certificate/*`],
  },
  'aws-pca': {
    list: ['acm-pca:ListCertificateAuthorities'],
    read: ['acm-pca:GetCertificateAuthorityCertificate', 'acm-pca:ListTags'],
    resources: (accountId, region) => [`arn:${Aws.PARTITION}:acm-pca:${region}:${accountId}:certificate-authority/*`],
  },
  'aws-iam': {
    list: ['iam:ListServerCertificates'],
    read: ['iam:GetServerCertificate'],
    resources: (accountId) => [`arn:${Aws.PARTITION}:iam::${accountId}:server-certificate/*`],
  },
  'aws-iot': {
    list: ['iot:ListCACertificates', 'iot:ListCertificates'],
    read: ['iot:DescribeCACertificate', 'iot:DescribeCertificate'],
    resources: (accountId, region) => [
      `arn:${Aws.PARTITION}:iot:${region}:${accountId}:cacert/*`,
      `arn:${Aws.PARTITION}:iot:${region}:${accountId}:cert/*`,
    ],
  },
};

/**
 * The listing calls of the AWS sources, which IAM cannot scope to a resource (they run before any ARN is known):
 * the only actions a sync worker or a member-account role is granted on `*`.
 */
export const LIST_ACTIONS: readonly string[] = Object.values(AWS_READS).flatMap(({ list }) => list);

/** What the AWS sources of `sources` read with the function's own credentials, and the roles they assume. */
function sourceAccess(sources: SourceConfig[]) {
  const assumedRoles = new Set<string>();
  const secrets = new Set<string>();
  const awsResources = new Map<AwsKind, Set<string>>();
  for (const source of sources) {
    switch (source.kind) {
      case 'aws-acm':
      case 'aws-pca':
      case 'aws-iam':
      case 'aws-iot': {
        const resources = awsResources.get(source.kind) ?? new Set<string>();
        awsResources.set(source.kind, resources);
        const regions = source.kind === 'aws-iam' ? [''] : source.regions;
        // Accounts reached through a role are read with that role's permissions (MemberAccountRole); the
        // others (or the stack's own account when none is listed) with the function's own.
        for (const account of source.accounts ?? [{ accountId: Aws.ACCOUNT_ID, roleName: undefined }]) {
          if (account.roleName) {
            assumedRoles.add(`arn:${Aws.PARTITION}:iam::${account.accountId}:role/${account.roleName}`);
            continue;
          }
          for (const region of regions) {
            for (const arn of AWS_READS[source.kind].resources(account.accountId, region)) resources.add(arn);
          }
        }
        break;
      }
      case 'azure-key-vault':
      case 'google-certificate-manager':
        if ('secretArn' in source.credentials) secrets.add(source.credentials.secretArn);
        break;
      case 'local-files':
      case 'tls-endpoint':
        break;
    }
  }
  // Accounts all reached through roles leave the function nothing of a kind to call itself.
  const ownKinds = (Object.keys(AWS_READS) as AwsKind[]).filter((kind) => (awsResources.get(kind)?.size ?? 0) > 0);
  return { assumedRoles: sorted(assumedRoles), secrets: sorted(secrets), awsResources, ownKinds };
}

const sorted = (values: Set<string>) => [...values].sort();

/**
 * The IAM statements a sync worker needs for the sources it syncs: exactly the calls the connectors make
 * (lib/connectors/aws-*.ts, the Secrets Manager fetcher), on the resources the configuration names. The listing
 * calls, which cannot be scoped, are `sourceListActions`.
 */
export function sourceStatements(sources: SourceConfig[]): iam.PolicyStatement[] {
  const { assumedRoles, secrets, awsResources, ownKinds } = sourceAccess(sources);
  const statements: iam.PolicyStatement[] = [];
  if (assumedRoles.length > 0) {
    statements.push(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: assumedRoles }));
  }
  for (const kind of ownKinds) {
    statements.push(
      new iam.PolicyStatement({ actions: AWS_READS[kind].read, resources: sorted(awsResources.get(kind)!) }),
    );
  }
  if (secrets.length > 0) {
    statements.push(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secrets }));
  }
  return statements;
}

/** The listing calls (on `*`) the sources read with the function's own credentials, if any. */
export function sourceListActions(sources: SourceConfig[]): string[] {
  return sourceAccess(sources).ownKinds.flatMap((kind) => AWS_READS[kind].list);
}

/** A Secrets Manager ARN as the console shows it ends in `-` and six random characters; IAM matches it exactly. */
export const isCompleteSecretArn = (arn: string): boolean => /:secret:.+-[A-Za-z0-9]{6}$/.test(arn);

/** Secret ARNs named by a source's credentials. */
export function secretArnsOf(source: SourceConfig): string[] {
  if (source.kind !== 'azure-key-vault' && source.kind !== 'google-certificate-manager') return [];
  return 'secretArn' in source.credentials ? [source.credentials.secretArn] : [];
}

/**
 * What a renewal calls (lib/connectors/aws-acm-renewer.ts): ACM's renewal of a private certificate and the look at
 * the result; where the source names Private CAs (`issuingCertificateAuthorities`), a CA's issue of the new
 * certificate and its re-import at the same ARN. Nothing else re-imports: without such a CA the role cannot
 * overwrite a certificate.
 */
export const RENEWAL_ACTIONS = {
  acm: ['acm:DescribeCertificate', 'acm:GetCertificate', 'acm:RenewCertificate'],
  acmReimport: ['acm:ImportCertificate'],
  pca: ['acm-pca:GetCertificate', 'acm-pca:GetCertificateAuthorityCertificate', 'acm-pca:IssueCertificate'],
} as const;

/**
 * The IAM statements of the renew function for the sources it renews: ACM's renewal actions on the certificates of
 * the accounts it reaches itself, the Private CA actions on the configured CAs only, the member-account roles it
 * assumes (MemberAccountRole with `renewals` holds the same actions there), and the Key Vault and Certificate
 * Manager credentials' secrets. Every action is one a renewer calls; none is on `*`.
 */
export function renewalStatements(sources: SourceConfig[]): iam.PolicyStatement[] {
  const renewed = sources.filter((source) => RENEWING_KINDS.includes(source.kind));
  const { assumedRoles, secrets, awsResources } = sourceAccess(renewed);
  const authorities = sorted(
    new Set(
      renewed.flatMap((source) => (source.kind === 'aws-acm' ? (source.issuingCertificateAuthorities ?? []) : [])),
    ),
  );
  const statements: iam.PolicyStatement[] = [];
  if (assumedRoles.length > 0) {
    statements.push(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: assumedRoles }));
  }
  const certificates = sorted(awsResources.get('aws-acm') ?? new Set());
  if (certificates.length > 0) {
    statements.push(new iam.PolicyStatement({ actions: [...RENEWAL_ACTIONS.acm], resources: certificates }));
  }
  const reissuing = renewed.filter(
    (source) => source.kind === 'aws-acm' && (source.issuingCertificateAuthorities ?? []).length > 0,
  );
  const reimported = sorted(sourceAccess(reissuing).awsResources.get('aws-acm') ?? new Set());
  if (reimported.length > 0) {
    statements.push(new iam.PolicyStatement({ actions: [...RENEWAL_ACTIONS.acmReimport], resources: reimported }));
  }
  if (authorities.length > 0) {
    statements.push(new iam.PolicyStatement({ actions: [...RENEWAL_ACTIONS.pca], resources: authorities }));
  }
  if (secrets.length > 0) {
    statements.push(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secrets }));
  }
  return statements;
}

/** The source kinds certwarden has a renewer for (lib/connectors/renewer-from-config.ts). */
export const RENEWING_KINDS: readonly SourceConfig['kind'][] = [
  'aws-acm',
  'azure-key-vault',
  'google-certificate-manager',
];
