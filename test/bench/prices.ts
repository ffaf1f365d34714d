/**
 * The one price table of the bench (the cost section, test/bench/cost.ts, and the fan-out's 1M cost row): AWS list
 * prices in us-east-1, USD, on-demand, without free tiers (an account's free tier is shared with everything else in
 * it). Compiled on PRICES_DATE from each service's public pricing page, named beside its prices; a price that moved
 * since is changed here, with the date.
 */
export const PRICES_DATE = '2026-12-06';

/** What a month is to AWS billing: 730 hours. */
export const HOURS_PER_MONTH = 730;

const PER_MILLION = 1e-6;

export const PRICES = {
  // https://aws.amazon.com/lambda/pricing/ (requests; duration per GB-second, by architecture; the INIT phase is
  // billed as duration)
  lambdaRequest: 0.2 * PER_MILLION,
  lambdaGbSecondArm: 0.0000133334,
  lambdaGbSecondX86: 0.0000166667,
  // https://aws.amazon.com/dynamodb/pricing/on-demand/ (standard table class)
  dynamoWriteUnit: 0.625 * PER_MILLION,
  dynamoReadUnit: 0.125 * PER_MILLION,
  dynamoStorageGbMonth: 0.25,
  /** Continuous backups (point-in-time recovery), per GB-month of the table's size. */
  dynamoPitrGbMonth: 0.2,
  // https://aws.amazon.com/sqs/pricing/ (standard queues; each 64 KB chunk of a payload is a request)
  sqsRequest: 0.4 * PER_MILLION,
  // https://aws.amazon.com/eventbridge/pricing/ (custom events per 64 KB chunk; archive; Scheduler invocations)
  eventBridgeEvent: 1 * PER_MILLION,
  eventArchiveGb: 0.1,
  eventArchiveGbMonth: 0.023,
  schedulerInvocation: 1 * PER_MILLION,
  // https://aws.amazon.com/sns/pricing/ (publishes per 64 KB chunk; email deliveries)
  snsPublish: 0.5 * PER_MILLION,
  snsEmail: 2 / 100_000,
  // https://aws.amazon.com/cloudwatch/pricing/ (custom metrics prorated by the hour they are sent; alarms per
  // metric; dashboards; logs ingestion and archived storage)
  customMetricMonth: 0.3,
  standardAlarmMetricMonth: 0.1,
  highResolutionAlarmMetricMonth: 0.3,
  compositeAlarmMonth: 0.5,
  dashboardMonth: 3,
  logIngestedGb: 0.5,
  logStoredGbMonth: 0.03,
  // https://aws.amazon.com/kms/pricing/ (a customer managed key; each of its first two yearly rotations adds $1 a
  // month; requests)
  kmsKeyMonth: 1,
  kmsRotationMonth: 1,
  kmsRequest: 0.03 / 10_000,
  // https://aws.amazon.com/xray/pricing/ (traces recorded)
  xrayTrace: 5 * PER_MILLION,
  // https://aws.amazon.com/secrets-manager/pricing/
  secretMonth: 0.4,
  secretRequest: 0.05 / 10_000,
  // https://aws.amazon.com/security-hub/pricing/ (finding ingestion events; ACM and STS calls are free)
  securityHubFinding: 0.00003,
} as const;

/** Lambda's duration price for a function's architecture, as the template names it (`arm64` or `x86_64`). */
export const lambdaGbSecondPrice = (architecture: string | undefined): number =>
  architecture === 'arm64' ? PRICES.lambdaGbSecondArm : PRICES.lambdaGbSecondX86;
