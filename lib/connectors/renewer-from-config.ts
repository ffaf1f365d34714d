import type { SourceConfig } from '../domain/config';
import type { CertificateRenewer } from '../ports/certificate-renewer';
import type { PollSettings } from './renewal-poll';
import { awsClientsOf, certificateManagerClientOf, keyVaultClientsOf, type SourceWiring } from './from-config';

/* eslint-disable @typescript-eslint/no-require-imports -- required on first use, as in from-config.ts: a renewal
   loads its provider's renewer and SDK alone. Apart from from-config.ts so that no sync worker bundles a renewer. */

/** The renewer of a configured source and what it needs to close, or undefined where certwarden renews nothing. */
export interface ConfiguredRenewer {
  renewer: CertificateRenewer;
  close(): void;
}

/** How a renewer waits, where its caller waits otherwise (the deployed workflow's Wait state). */
export interface RenewerOptions {
  /**
   * The wait for what a renewer's `check` can look at again later: a provider's own renewal
   * (AwsAcmRenewerOptions.watch), a Key Vault order (AzureKeyVaultRenewerOptions.poll). @default the renewer's
   */
  watch?: PollSettings;
  /**
   * The wait within one renewal call that cannot be taken up again (a Private CA's issue): under the caller's own
   * time limit (a Lambda's timeout). @default the renewer's (10 minutes)
   */
  poll?: PollSettings;
}

/**
 * Builds the renewer of a configured source with the source's own credentials and endpoints (the person's in the
 * CLI): the place where configuration meets the renewers, as createSource is for the sources.
 */
export async function createRenewer(
  config: SourceConfig,
  wiring: SourceWiring,
  options: RenewerOptions = {},
): Promise<ConfiguredRenewer | undefined> {
  switch (config.kind) {
    case 'aws-acm': {
      const { AwsAcmRenewer } = require('./aws-acm-renewer') as typeof import('./aws-acm-renewer');
      const clients = awsClientsOf(config, wiring);
      const renewer = new AwsAcmRenewer({
        clients,
        accounts: config.accounts,
        issuingCertificateAuthorities: config.issuingCertificateAuthorities,
        watch: options.watch,
        poll: options.poll,
      });
      return { renewer, close: () => clients.destroy() };
    }
    case 'azure-key-vault': {
      const { AzureKeyVaultRenewer } =
        require('./azure-key-vault-renewer') as typeof import('./azure-key-vault-renewer');
      const clientFor = await keyVaultClientsOf(config, wiring);
      return {
        renewer: new AzureKeyVaultRenewer({ clientFor: (url) => clientFor(url), poll: options.watch }),
        close: () => {},
      };
    }
    case 'google-certificate-manager': {
      const { GoogleCertificateManagerRenewer } =
        require('./google-certificate-manager-renewer') as typeof import('./google-certificate-manager-renewer');
      const client = await certificateManagerClientOf(config, wiring);
      return { renewer: new GoogleCertificateManagerRenewer({ client }), close: () => void client.close() };
    }
    default:
      return undefined;
  }
}
