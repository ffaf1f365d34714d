import type { DeployedBundle } from '../../infra/function-bundling';

/**
 * What each deployed handler needs in its environment to load, as the construct sets it: shared by the bundle
 * test (test/infra/handlers-bundle.test.ts) and the bench's cold-load figures (test/bench/infra.ts).
 */
export function handlerEnvironment(bundle: DeployedBundle): Record<string, string> {
  const common = {
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_SERVICE_NAME: `certwarden-${bundle.role}`,
    POWERTOOLS_METRICS_NAMESPACE: 'Certwarden',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
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
        CERTWARDEN_POLICY: JSON.stringify({ rules: { 'no-wildcards': { severity: 'high' } } }),
      };
    case 'inventoryMetrics':
      return { ...common, CERTWARDEN_TABLE: 'certwarden-inventory' };
  }
}
