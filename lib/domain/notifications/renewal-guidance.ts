/** How a person renews the certificate at a place, by the kind of source it lives in. */

export interface RenewalGuidanceInput {
  sourceKind: string;
  /** Renewed by the provider without anyone acting. */
  managed?: boolean;
  /** The source's renewal word: `acm-managed`, `manual`, `key-vault-auto`, … */
  renewal?: string;
}

const BY_KIND: Record<string, { managed?: string; manual: string }> = {
  'aws-acm': {
    managed:
      'ACM renews this certificate itself: check that its domain validation records (DNS CNAMEs) are still in place and the certificate is in use.',
    manual:
      'Imported into ACM: issue a new certificate and re-import it into the same ARN (aws acm import-certificate --certificate-arn …), or switch to an ACM-issued certificate.',
  },
  'aws-pca': {
    manual:
      'Issued by AWS Private CA: request a new certificate from the CA (aws acm-pca issue-certificate) and deploy it where this one is used.',
  },
  'aws-iam': {
    manual:
      'An IAM server certificate: upload its successor under a new name (aws iam upload-server-certificate), switch the CloudFront distributions and Classic Load Balancer listeners to it, then delete this one; or move to ACM.',
  },
  'aws-iot': {
    manual:
      'Registered with AWS IoT Core: provision the device a new certificate (create-certificate-from-csr or fleet provisioning), attach its policy and thing, then deactivate this one; for a CA certificate, register its successor first.',
  },
  'azure-key-vault': {
    managed: 'Key Vault renews this certificate by its lifetime action: check the issuer connection and the policy.',
    manual:
      'In Azure Key Vault: create a new version (az keyvault certificate create or import) under the same name; consumers reading the latest version pick it up.',
  },
  'google-certificate-manager': {
    managed:
      'Google-managed: Certificate Manager renews it; check the DNS authorization and that the domains still point at the load balancer.',
    manual:
      'Self-managed in Certificate Manager: upload the new certificate and key (gcloud certificate-manager certificates update).',
  },
  'local-files': {
    manual: 'A file on disk: issue a new certificate, replace the file and reload the service that reads it.',
  },
  'tls-endpoint': {
    manual:
      'Served by a TLS endpoint: renew it where it is kept (its cloud source, a file), then deploy it to the endpoint and reload the service; the next scan sees the new one.',
  },
};

/** One sentence on what to do, for alerts: by source kind, managed or not. */
export function renewalInstructions({ sourceKind, managed, renewal }: RenewalGuidanceInput): string {
  const guidance = BY_KIND[sourceKind];
  const isManaged = managed === true || (renewal !== undefined && renewal !== 'manual' && /managed|auto/.test(renewal));
  if (!guidance) return 'Issue a new certificate and deploy it where this one is used.';
  return (isManaged && guidance.managed) || guidance.manual;
}
