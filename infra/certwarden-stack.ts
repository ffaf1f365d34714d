import { Annotations, CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CertwardenConfig } from '../lib/domain/config';
import { CertificateInventory, type CertificateInventoryProps } from './certificate-inventory';

export interface CertwardenStackProps extends StackProps {
  /**
   * The certwarden configuration (lib/adapters/config-file.ts loadConfig): its sources drive the sync, its
   * alerts, expiry thresholds and policy the rest.
   */
  readonly config: CertwardenConfig;
  /** The stage (CertificateInventoryProps.stage): the prefix of every fixed name. @default none */
  readonly stage?: string;
  /** Anything else of the construct's. @default the construct's defaults */
  readonly inventory?: Omit<
    CertificateInventoryProps,
    'sources' | 'tableName' | 'alerts' | 'expiry' | 'policy' | 'stage' | 'dashboard'
  >;
}

/**
 * The deployable certwarden app: one CertificateInventory built from the configuration. Environment-agnostic:
 * it looks nothing up, so `cdk synth` works offline.
 *
 * Its Outputs are what a StackSet of MemberAccountRole takes as parameters (`TrustedAccountId`,
 * `TrustedRoleArns`), and the table the CLI's `--table` names.
 */
export class CertwardenStack extends Stack {
  readonly inventory: CertificateInventory;

  constructor(scope: Construct, id: string, props: CertwardenStackProps) {
    super(scope, id, props);
    const { config } = props;
    const local = config.sources.filter((source) => source.kind === 'local-files');
    if (local.length > 0) {
      Annotations.of(this).addWarningV2(
        'certwarden:local-files-not-deployed',
        `local-files sources are synced by the CLI only, not deployed: ${local.map((source) => source.name).join(', ')}`,
      );
    }
    this.inventory = new CertificateInventory(this, 'Inventory', {
      ...props.inventory,
      stage: props.stage,
      sources: config.sources.filter((source) => source.kind !== 'local-files'),
      tableName: config.inventory.table,
      warmWriteUnitsPerSecond: config.inventory.warmWriteUnitsPerSecond ?? props.inventory?.warmWriteUnitsPerSecond,
      alerts: config.alerts,
      expiry: config.expiry,
      revocation: config.revocation,
      policy: config.policy,
      syncMaxConcurrency: config.sync.maxConcurrency ?? props.inventory?.syncMaxConcurrency,
      dashboard: config.monitoring.dashboard,
      ct: config.ct,
      reports: config.reports,
      approval: config.renewal.approval,
      renewalWorkflow: config.renewal.workflow,
      renewalWatchHours: config.renewal.watchHours,
    });
    new CfnOutput(this, 'TableName', {
      description: "The inventory table (the CLI's --table with --store aws)",
      value: this.inventory.table.tableName,
    });
    new CfnOutput(this, 'TrustedAccountId', {
      description: 'MemberAccountRole parameter TrustedAccountId: the account the sync runs in',
      value: this.account,
    });
    const readers = this.inventory.memberAccountReaders;
    if (readers.length > 0) {
      new CfnOutput(this, 'TrustedRoleArns', {
        description: 'MemberAccountRole parameter TrustedRoleArns: the AWS sync roles (ACM, Private CA, IAM, IoT)',
        value: Fn.join(
          ',',
          readers.map((role) => role.roleArn),
        ),
      });
    }
  }
}
