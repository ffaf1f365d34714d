import type { DeployedBundle } from '../../infra/function-bundling';
import { serviceName } from '../../lib/domain/metric-names';

const SNS = 'arn:aws:sns:eu-west-1:111111111111';
const SLACK_SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certwarden/slack-AbCdEf';
/** The config's `expiry`, as the construct passes it (JSON). */
const EXPIRY = {
  days: [60, 30, 14, 7, 1],
  lifetimeFraction: 0.3333,
  severity: { warningDays: 30, highDays: 7, criticalDays: 1 },
};

/**
 * What each deployed handler needs in its environment to load, as the construct sets it: shared by the bundle
 * test (test/infra/handlers-bundle.test.ts) and the bench's cold-load figures (test/bench/infra.ts).
 */
export function handlerEnvironment(bundle: DeployedBundle): Record<string, string> {
  const common = {
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_SERVICE_NAME: serviceName(bundle.role, 'certwarden'),
    POWERTOOLS_METRICS_NAMESPACE: 'Certwarden',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  // The notifiers' delivery ledger.
  const delivery = {
    CERTWARDEN_TABLE: 'certwarden-inventory',
    CERTWARDEN_DELIVERY_ATTEMPTS: '5',
    CERTWARDEN_EVENT_BUS: 'certwarden',
  };
  switch (bundle.role) {
    case 'syncPlanner':
      return {
        ...common,
        CERTWARDEN_SYNC_QUEUES: JSON.stringify({ 'aws-acm': 'https://sqs.eu-west-1.amazonaws.com/111111111111/q' }),
      };
    case 'syncWorker':
      return {
        ...common,
        CERTWARDEN_TABLE: 'certwarden-inventory',
        CERTWARDEN_EVENT_BUS: 'certwarden',
        CERTWARDEN_SOURCE_KIND: bundle.kind ?? 'aws-acm',
      };
    case 'inventoryMetrics':
      return { ...common, CERTWARDEN_TABLE: 'certwarden-inventory' };
    case 'renew':
      return { ...common, CERTWARDEN_TABLE: 'certwarden-inventory', CERTWARDEN_EVENT_BUS: 'certwarden' };
    case 'evaluate':
      return {
        ...common,
        CERTWARDEN_TABLE: 'certwarden-inventory',
        CERTWARDEN_EVENT_BUS: 'certwarden',
        CERTWARDEN_EXPIRY: JSON.stringify(EXPIRY),
        CERTWARDEN_EVALUATE_SHARD_QUEUE: 'https://sqs.eu-west-1.amazonaws.com/111111111111/evaluate-shards',
      };
    case 'emailNotifier':
      return {
        ...common,
        CERTWARDEN_ALERTS_TOPIC: `${SNS}:certwarden-alerts`,
        CERTWARDEN_ESCALATION_TOPIC: `${SNS}:certwarden-escalation`,
        CERTWARDEN_DIGEST: 'true',
        ...delivery,
      };
    case 'slackNotifier':
      return { ...common, CERTWARDEN_SLACK_SECRET_ARN: SLACK_SECRET, CERTWARDEN_DIGEST: 'true', ...delivery };
    case 'securityHubNotifier':
      return { ...common, ...delivery };
    case 'digest':
      return {
        ...common,
        CERTWARDEN_TABLE: 'certwarden-inventory',
        CERTWARDEN_ALERTS_TOPIC: `${SNS}:certwarden-alerts`,
        CERTWARDEN_SLACK_SECRET_ARN: SLACK_SECRET,
        CERTWARDEN_EXPIRY: JSON.stringify(EXPIRY),
      };
    case 'siemFormat':
      return { ...common, CERTWARDEN_SIEM_FORMAT: 'ocsf' };
    case 'reportPack':
      return {
        ...common,
        CERTWARDEN_TABLE: 'certwarden-inventory',
        CERTWARDEN_REPORT_BUCKET: 'certwarden-reports',
        CERTWARDEN_ALERTS_TOPIC: `${SNS}:certwarden-alerts`,
      };
    case 'ctMonitor':
      return {
        ...common,
        CERTWARDEN_TABLE: 'certwarden-inventory',
        CERTWARDEN_EVENT_BUS: 'certwarden',
        CERTWARDEN_CT: JSON.stringify({
          domains: ['example.com'],
          logs: [{ name: 'argon', url: 'https://ct.googleapis.com/logs/us1/argon2026h1/' }],
        }),
      };
  }
}
