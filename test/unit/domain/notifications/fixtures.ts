import type { ExpiryAlertDetail } from '../../../../lib/domain/events';

const FP = '3f'.repeat(32);

/** An ACM certificate of prod-eu-west-1 with one day left. */
export const acmAlert: ExpiryAlertDetail = {
  schemaVersion: 1,
  alertId: `aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/abc#${FP}#1d`,
  thresholdId: '1d',
  locationId: 'aws-acm:arn:aws:acm:eu-west-1:111111111111:certificate/abc',
  source: 'prod-eu-west-1',
  sourceKind: 'aws-acm',
  nativeId: 'arn:aws:acm:eu-west-1:111111111111:certificate/abc',
  owner: 'payments',
  account: '111111111111',
  region: 'eu-west-1',
  inUseBy: ['arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/api/50dc6c495c0c9188'],
  fingerprint: FP,
  serialNumber: '0a1b2c',
  subject: 'CN=api.example.com',
  subjectCommonName: 'api.example.com',
  dnsNames: ['api.example.com', 'www.api.example.com'],
  issuer: 'CN=Example Issuing CA,O=Example Corp',
  notBefore: '2025-06-02T00:00:00.000Z',
  notAfter: '2026-06-02T00:00:00.000Z',
  daysLeft: 1,
  severity: 'critical',
  isCA: false,
  renewal: {
    method: 'manual',
    managed: false,
    instructions:
      'Imported into ACM: issue a new certificate and re-import it into the same ARN (aws acm import-certificate --certificate-arn …), or switch to an ACM-issued certificate.',
  },
  at: '2026-06-01T00:00:00.000Z',
};

/** A file certificate that expired three days ago. */
export const expiredFileAlert: ExpiryAlertDetail = {
  ...acmAlert,
  alertId: `local-files:/etc/ssl/old.pem#${FP}#expired`,
  thresholdId: 'expired',
  locationId: 'local-files:/etc/ssl/old.pem',
  source: 'web-servers',
  sourceKind: 'local-files',
  nativeId: '/etc/ssl/old.pem',
  account: null,
  region: null,
  inUseBy: [],
  subject: 'CN=old.example.com',
  subjectCommonName: 'old.example.com',
  dnsNames: ['old.example.com'],
  daysLeft: -3,
  renewal: {
    method: null,
    managed: false,
    instructions: 'A file on disk: issue a new certificate, replace the file and reload the service that reads it.',
  },
};
