import {
  Aws,
  BootstraplessSynthesizer,
  CfnOutput,
  CfnParameter,
  Stack,
  Validations,
  type StackProps,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { LIST_ACTIONS } from './source-permissions';
import { namePrefix } from './stage-names';
import { allowOnAnyResource, nagResource } from './wildcard-permissions';

/**
 * Exactly what the AWS connectors call in a member account (lib/connectors/aws-acm.ts, aws-pca.ts, aws-iam.ts,
 * aws-iot.ts): list, describe, read the certificate body and tags. Never acm:ExportCertificate (private keys).
 */
export const MEMBER_ACCOUNT_ACTIONS = {
  acm: ['acm:DescribeCertificate', 'acm:GetCertificate', 'acm:ListCertificates', 'acm:ListTagsForCertificate'],
  pca: ['acm-pca:GetCertificateAuthorityCertificate', 'acm-pca:ListCertificateAuthorities', 'acm-pca:ListTags'],
  iam: ['iam:GetServerCertificate', 'iam:ListServerCertificates'],
  iot: ['iot:DescribeCACertificate', 'iot:DescribeCertificate', 'iot:ListCACertificates', 'iot:ListCertificates'],
} as const;

export interface MemberAccountRoleProps extends StackProps {
  /** The stage whose sync reads this account: the role's default name carries its prefix. @default none */
  readonly stage?: string;
  /** Name of the role; the config's `accounts[].roleName`. @default `<prefix>-reader` (`certwarden-reader`) */
  readonly roleName?: string;
  /**
   * Also let certwarden's renewal (the renew function's role, `<prefix>-renew`, in TrustedRoleArns) renew this
   * account's ACM certificates: RenewCertificate, ImportCertificate at the same ARN, and a Private CA's issue of
   * the new certificate. @default false: read-only
   */
  readonly renewals?: boolean;
}

/**
 * The read-only role the sync assumes in each member account. Deployable by CloudFormation StackSets: no
 * assets and no bootstrap (BootstraplessSynthesizer); the trusted account, the trusted sync roles and the external
 * id are stack parameters (the main stack's Outputs `TrustedAccountId` and `TrustedRoleArns`), so one template
 * serves every organization.
 *
 * The trust names the central account and admits its sync roles by `aws:PrincipalArn`, not as principals: IAM
 * turns a role principal into the role's unique id, so a sync role deleted and made again under the same name
 * (a replacement) would lose the trust; a condition on the ARN keeps it.
 */
export class MemberAccountRole extends Stack {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: MemberAccountRoleProps = {}) {
    super(scope, id, { ...props, synthesizer: props.synthesizer ?? new BootstraplessSynthesizer() });
    const trustedAccountId = new CfnParameter(this, 'TrustedAccountId', {
      type: 'String',
      description: "The account certwarden is deployed in (the main stack's Output TrustedAccountId)",
      allowedPattern: '^\\d{12}$',
    });
    const trustedRoleArns = new CfnParameter(this, 'TrustedRoleArns', {
      type: 'CommaDelimitedList',
      description:
        "ARNs of the sync roles allowed to assume this role, comma-separated (the main stack's Output TrustedRoleArns: arn:aws:iam::<account>:role/certwarden-sync-aws-acm,…)",
    });
    const externalId = new CfnParameter(this, 'ExternalId', {
      type: 'String',
      description: "The external id of the config's accounts[].externalId (confused-deputy guard)",
      minLength: 2,
      noEcho: true,
    });
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName ?? `${namePrefix(props.stage)}-reader`,
      description: 'certwarden: read-only inventory of ACM, ACM Private CA, IAM server and AWS IoT Core certificates',
      assumedBy: new iam.AccountPrincipal(trustedAccountId.valueAsString).withConditions({
        StringEquals: { 'sts:ExternalId': externalId.valueAsString },
        ArnEquals: { 'aws:PrincipalArn': trustedRoleArns.valueAsList },
      }),
    });
    const unlisted = (actions: readonly string[]) => actions.filter((action) => !LIST_ACTIONS.includes(action));
    const account = Aws.ACCOUNT_ID;
    // This account's resources, in every region: what the connectors read after listing.
    const reads = [
      {
        sid: 'Acm',
        actions: MEMBER_ACCOUNT_ACTIONS.acm,
        resources: [`arn:${Aws.PARTITION}:acm:*:${account}:certificate/*`],
      },
      {
        sid: 'AcmPca',
        actions: MEMBER_ACCOUNT_ACTIONS.pca,
        resources: [`arn:${Aws.PARTITION}:acm-pca:*:${account}:certificate-authority/*`],
      },
      {
        sid: 'IamServerCertificates',
        actions: MEMBER_ACCOUNT_ACTIONS.iam,
        resources: [`arn:${Aws.PARTITION}:iam::${account}:server-certificate/*`],
      },
      {
        sid: 'IotCertificates',
        actions: MEMBER_ACCOUNT_ACTIONS.iot,
        resources: [`arn:${Aws.PARTITION}:iot:*:${account}:cert/*`, `arn:${Aws.PARTITION}:iot:*:${account}:cacert/*`],
      },
    ];
    const read = new iam.Policy(this, 'ReadCertificates', {
      statements: reads.map(
        ({ sid, actions, resources }) => new iam.PolicyStatement({ sid, actions: unlisted(actions), resources }),
      ),
    });
    read.attachToRole(this.role);
    for (const arn of reads.flatMap(({ resources }) => resources)) {
      Validations.of(read).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResource(arn)}]`,
        reason:
          "Every certificate and CA of this account, in every region, is inventoried; their ARNs are made at any time. Scoped to this account's ACM, ACM Private CA, IAM server certificate or IoT certificate resources, read-only, never acm:ExportCertificate.",
      });
    }
    allowOnAnyResource(
      this,
      'ListCertificates',
      this.role,
      [...LIST_ACTIONS],
      'The List actions of ACM, ACM Private CA, IAM server certificates and IoT support no resource-level permissions; the listing is what the sync reads first.',
    );
    if (props.renewals) {
      const renewals = [
        {
          sid: 'RenewAcm',
          actions: ['acm:ImportCertificate', 'acm:RenewCertificate'],
          resources: [reads[0].resources[0]],
        },
        {
          sid: 'IssueAtPrivateCa',
          actions: ['acm-pca:GetCertificate', 'acm-pca:IssueCertificate'],
          resources: [reads[1].resources[0]],
        },
      ];
      const renew = new iam.Policy(this, 'RenewCertificates', {
        statements: renewals.map((statement) => new iam.PolicyStatement(statement)),
      });
      renew.attachToRole(this.role);
      for (const { resources } of renewals) {
        Validations.of(renew).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${nagResource(resources[0])}]`,
          reason:
            "Any certificate of this account may come up for renewal, issued by any of its Private CAs; their ARNs are made at any time. Scoped to this account's ACM certificates and Private CAs, never acm:ExportCertificate or acm-pca:RevokeCertificate.",
        });
      }
    }
    new CfnOutput(this, 'RoleName', {
      description: "The role's name: the config's accounts[].roleName for this account",
      value: this.role.roleName,
    });
  }
}
