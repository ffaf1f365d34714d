/** Short names of source kinds for people: `aws-acm` → `ACM`. */
const LABELS: Record<string, string> = {
  'aws-acm': 'ACM',
  'aws-pca': 'AWS Private CA',
  'aws-iam': 'IAM server certificate',
  'aws-iot': 'AWS IoT Core',
  'azure-key-vault': 'Azure Key Vault',
  'google-certificate-manager': 'Google Certificate Manager',
  'local-files': 'file',
  'tls-endpoint': 'TLS endpoint',
};

export const sourceKindLabel = (sourceKind: string): string => LABELS[sourceKind] ?? sourceKind;
