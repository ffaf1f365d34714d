import { Annotations, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CertwardenConfig } from '../lib/domain/config';
import { CertificateInventory, type CertificateInventoryProps } from './certificate-inventory';

export interface CertwardenStackProps extends StackProps {
  /**
   * The certwarden configuration (lib/adapters/config-file.ts loadConfig): its sources drive the sync, its
   * alerts, expiry thresholds and policy the rest.
   */
  readonly config: CertwardenConfig;
  /** Anything else of the construct's. @default the construct's defaults */
  readonly inventory?: Omit<
    CertificateInventoryProps,
    'sources' | 'tableName' | 'alerts' | 'expiry' | 'policy' | 'dashboard'
  >;
}

/**
 * The deployable certwarden app: one CertificateInventory built from the configuration. Environment-agnostic:
 * it looks nothing up, so `cdk synth` works offline.
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
      sources: config.sources.filter((source) => source.kind !== 'local-files'),
      tableName: config.inventory.table,
      warmWriteUnitsPerSecond: config.inventory.warmWriteUnitsPerSecond ?? props.inventory?.warmWriteUnitsPerSecond,
      alerts: config.alerts,
      expiry: config.expiry,
      policy: config.policy,
      syncMaxConcurrency: config.sync.maxConcurrency ?? props.inventory?.syncMaxConcurrency,
      dashboard: config.monitoring.dashboard,
    });
  }
}
