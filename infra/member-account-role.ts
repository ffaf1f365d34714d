import { BootstraplessSynthesizer, CfnParameter, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

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
  /** Name of the role; the config's `accounts[].roleName`. @default 'certwarden-reader' */
  readonly roleName?: string;
}

/**
 * The read-only role the sync assumes in each member account. Deployable by CloudFormation StackSets: no
 * assets and no bootstrap (BootstraplessSynthesizer); the trusted sync role and the external id are stack
 * parameters, so one template serves every organization.
 */
export class MemberAccountRole extends Stack {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: MemberAccountRoleProps = {}) {
    super(scope, id, { ...props, synthesizer: props.synthesizer ?? new BootstraplessSynthesizer() });
    const trustedRoleArn = new CfnParameter(this, 'TrustedRoleArn', {
      type: 'String',
      description: 'ARN of the central certwarden sync role(s) allowed to assume this role',
      allowedPattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/.+$',
    });
    const externalId = new CfnParameter(this, 'ExternalId', {
      type: 'String',
      description: "The external id of the config's accounts[].externalId (confused-deputy guard)",
      minLength: 2,
      noEcho: true,
    });
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName ?? 'certwarden-reader',
      description: 'certwarden: read-only inventory of ACM, ACM Private CA, IAM server and AWS IoT Core certificates',
      assumedBy: new iam.ArnPrincipal(trustedRoleArn.valueAsString).withConditions({
        StringEquals: { 'sts:ExternalId': externalId.valueAsString },
      }),
    });
    const policy = new iam.Policy(this, 'ReadCertificates', {
      statements: [
        new iam.PolicyStatement({ sid: 'Acm', actions: [...MEMBER_ACCOUNT_ACTIONS.acm], resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'AcmPca', actions: [...MEMBER_ACCOUNT_ACTIONS.pca], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'IamServerCertificates',
          actions: [...MEMBER_ACCOUNT_ACTIONS.iam],
          resources: ['*'],
        }),
        new iam.PolicyStatement({ sid: 'IotCertificates', actions: [...MEMBER_ACCOUNT_ACTIONS.iot], resources: ['*'] }),
      ],
    });
    policy.attachToRole(this.role);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The inventory reads every certificate and CA of the account in every region; ACM, PCA, IAM server certificate and IoT certificate ARNs are created at any time, and the List actions support no resource scoping. The actions are read-only and exclude acm:ExportCertificate.',
    });
  }
}
