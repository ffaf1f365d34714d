import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE, type DimensionValues, type MetricDefinition } from './metric-names';

/**
 * Module-level singletons shared by every function. The service name comes from POWERTOOLS_SERVICE_NAME,
 * which the construct sets per function. No Tracer: Lambda's active tracing records each invocation's segment
 * without it, and its X-Ray SDK was ~125 KB of every bundle (docs/architecture.md, "Cold start").
 */
export const logger = new Logger();
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE });

/**
 * Wraps a handler the way Powertools' middleware would, without middy: Lambda context (cold start included) in
 * every log line, the error logged with its stack, and the metrics flushed however the invocation ends (see
 * {@link flushMetrics}).
 */
export function withPowertools<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    logger.addContext(context);
    try {
      return await handler(event, context);
    } catch (error) {
      logger.error('invocation failed', error as Error);
      throw error;
    } finally {
      flushMetrics();
    }
  };
}

/**
 * Publishes the metrics the invocation stored, one EMF line, as Powertools' `logMetrics` does; an invocation that
 * stored none (a notifier with nothing to count, a worker whose metrics went out as `singleMetric()`s) publishes
 * nothing and says nothing, where `publishStoredMetrics()` would log "No application metrics to publish" every
 * time. Dimensions and metadata are cleared either way, as a publish clears them, so none leaks into the next
 * invocation.
 */
function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) {
    metrics.publishStoredMetrics();
  } else {
    metrics.clearDimensions();
    metrics.clearMetadata();
  }
}

/**
 * Publishes one series of `metric` at once, on an EMF line of its own, with exactly the dimensions its definition
 * names (lib/domain/metric-names.ts) besides the service: the ones the alarms and the dashboard query.
 */
export function publishMetric<M extends MetricDefinition>(
  metric: M,
  dimensions: DimensionValues<M>,
  value: number,
): void {
  const single = metrics.singleMetric();
  for (const name of metric.dimensions) single.addDimension(name, (dimensions as Record<string, string>)[name]);
  single.addMetric(metric.name, metric.unit, value);
}
