import {
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  WorkloadIdentityCredential,
  type TokenCredential,
} from '@azure/identity';
import type { z } from 'zod';
import type { AzureCredentialsConfig } from '../domain/config';
import { ConfigError } from '../domain/errors';
import type { SecretFetcher } from '../ports/secrets';
import { optionalString, readSecretJson, requireString } from './secret-json';

export type AzureCredentialsSettings = z.infer<typeof AzureCredentialsConfig>;

export interface AzureCredentialOptions {
  fetchSecret: SecretFetcher;
  /** Entra ID's host, for sovereign clouds. @default the SDK's, https://login.microsoftonline.com */
  authorityHost?: string;
  /** Skip Entra's instance discovery: an authority it does not know (see AzureKeyVaultSourceConfig). */
  disableInstanceDiscovery?: boolean;
  /**
   * The federated token file of `workload-identity`.
   * @default the SDK's: AZURE_FEDERATED_TOKEN_FILE, which AKS's workload identity webhook sets
   */
  tokenFilePath?: string;
}

/**
 * The Azure credential a Key Vault source signs in with.
 *
 * - `client-secret`: the secret's JSON is `{"clientSecret": "…"}`;
 * - `client-certificate`: `{"certificate": "<PEM: certificate and private key>", "certificatePassword": "…"}`
 *   (the password only for an encrypted key);
 * - `workload-identity`: a federated token file (AKS); what the configuration leaves out, the SDK finds where
 *   AKS's webhook puts it;
 * - `default`: a person's own sign-in (Azure CLI and the like), for running the CLI locally.
 *
 * Secret material comes only from `fetchSecret`, never from environment variables or files, and never
 * appears in an error message: a malformed secret is reported by its ARN and the field at fault.
 */
export async function createAzureCredential(
  settings: AzureCredentialsSettings,
  options: AzureCredentialOptions,
): Promise<TokenCredential> {
  const identityOptions = {
    ...(options.authorityHost && { authorityHost: options.authorityHost }),
    ...(options.disableInstanceDiscovery && { disableInstanceDiscovery: true }),
  };
  switch (settings.type) {
    case 'client-secret': {
      const secret = await readSecretJson(
        settings.secretArn,
        options.fetchSecret,
        'an object such as {"clientSecret": "…"}',
      );
      const clientSecret = requireString(secret, 'clientSecret', settings.secretArn);
      return new ClientSecretCredential(settings.tenantId, settings.clientId, clientSecret, identityOptions);
    }
    case 'client-certificate': {
      const secret = await readSecretJson(
        settings.secretArn,
        options.fetchSecret,
        'an object such as {"certificate": "<PEM: certificate and private key>", "certificatePassword": "…"}',
      );
      const certificate = requireString(secret, 'certificate', settings.secretArn);
      if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(certificate)) {
        throw new ConfigError(
          `secret ${settings.secretArn}: "certificate" must be PEM holding the certificate and its private key`,
        );
      }
      const certificatePassword = optionalString(secret, 'certificatePassword', settings.secretArn);
      return new ClientCertificateCredential(
        settings.tenantId,
        settings.clientId,
        { certificate, certificatePassword },
        identityOptions,
      );
    }
    case 'workload-identity':
      try {
        return new WorkloadIdentityCredential({
          ...identityOptions,
          tenantId: settings.tenantId,
          clientId: settings.clientId,
          tokenFilePath: options.tokenFilePath,
        });
      } catch (error) {
        throw new ConfigError(
          'workload-identity credentials need a tenant id, a client id and a federated token file ' +
            '(configured, or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE as AKS sets them)',
          { cause: error },
        );
      }
    case 'default':
      return new DefaultAzureCredential(identityOptions);
  }
}
