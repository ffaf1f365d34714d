import { Annotations, Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import AwsCronParser from 'aws-cron-parser';
import type { Construct } from 'constructs';
import type { DeployedSourceConfig } from '../lib/domain/config';
import {
  EXPIRY_BANDS,
  METRIC,
  METRICS_NAMESPACE,
  seriesDimensions,
  type DimensionValues,
  type MetricDefinition,
} from '../lib/domain/metric-names';
import type { CertificateInventory } from './certificate-inventory';
import { pascal } from './construct-ids';

/**
 * The operations topic: every CloudWatch alarm of the stack, OK and ALARM, to `emails`, unfiltered. Alarms have a
 * topic of their own because an alarm's notification carries no message attributes, so every subscription of the
 * alerts topic, each filtered on `audience` or `owner`, drops it.
 */
export function createOperationsTopic(scope: Construct, key: kms.IKey, emails: string[]): sns.Topic {
  const topic = new sns.Topic(scope, 'OperationsTopic', {
    displayName: 'certwarden operations (alarms)',
    masterKey: key,
    enforceSSL: true,
  });
  // enforceSSL gives the topic a policy of its own, which replaces SNS's default one: without this statement no
  // alarm may publish ("no resource-based policy allows the SNS:Publish action").
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsOfThisAccount',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
      },
    }),
  );
  for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
  if (emails.length === 0) {
    Annotations.of(scope).addWarningV2(
      'certwarden:no-operations-recipients',
      'no alarm reaches anyone: alerts.operationsEmails and alerts.emails are both empty; name a recipient, or ' +
        'subscribe to the operations topic yourself',
    );
  }
  return topic;
}

/** An operations alarm: at or above `threshold` in one period, missing data not breaching, unless told. */
export interface OperationsAlarmProps {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly alarmDescription: string;
  /** @default GREATER_THAN_OR_EQUAL_TO_THRESHOLD */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
  /** @default NOT_BREACHING */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /** Periods evaluated, all of which must breach. @default 1 */
  readonly evaluationPeriods?: number;
}

/** An alarm that tells `topic` when it fires and when it clears. */
export function operationsAlarm(
  scope: Construct,
  id: string,
  topic: sns.ITopic,
  props: OperationsAlarmProps,
): cloudwatch.Alarm {
  const evaluationPeriods = props.evaluationPeriods ?? 1;
  const alarm = new cloudwatch.Alarm(scope, id, {
    metric: props.metric,
    threshold: props.threshold,
    alarmDescription: props.alarmDescription,
    evaluationPeriods,
    datapointsToAlarm: evaluationPeriods,
    comparisonOperator: props.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: props.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const action = new cloudwatchActions.SnsAction(topic);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
  return alarm;
}

/**
 * One series of a certwarden metric, exactly as its emitter in `inventory` writes it (namespace, name, every
 * dimension, the stage's service name).
 */
export function certwardenMetric<M extends MetricDefinition>(
  inventory: Pick<CertificateInventory, 'namePrefix'>,
  metric: M,
  values: DimensionValues<M>,
  statistic: string,
  period: Duration,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: metric.name,
    dimensionsMap: seriesDimensions(metric, values, inventory.namePrefix),
    statistic,
    period,
  });
}

/**
 * The alarms on what the stack does, besides the two dead-letter queues': per source, sync
 * errors and staleness; expired certificates; Lambda errors and throttles; the sync queues' oldest message.
 */
export function addOperationsAlarms(inventory: CertificateInventory, sources: DeployedSourceConfig[]): void {
  const hourly = Duration.hours(1);
  for (const source of sources) {
    const name = pascal(source.name);
    inventory.addAlarm(`SyncErrors${name}`, {
      metric: certwardenMetric(inventory, METRIC.syncErrors, { source: source.name }, 'Sum', hourly),
      threshold: 1,
      alarmDescription: `certwarden: the sync of ${source.name} reported errors in the last hour`,
    });
    const window = stalenessWindow(longestIntervalSeconds(source.schedule));
    if (!window) {
      Annotations.of(inventory).addWarningV2(
        'certwarden:no-staleness-alarm',
        `source ${source.name} (${source.schedule}) syncs less often than every ${MAX_STALENESS_INTERVAL_DAYS} days: ` +
          'no staleness alarm (CloudWatch evaluates at most 7 days)',
      );
      continue;
    }
    inventory.addAlarm(`SyncStale${name}`, {
      metric: certwardenMetric(inventory, METRIC.scopesSynced, { source: source.name }, 'Sum', window.period),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // No heartbeat at all is the failure this alarm is for.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      evaluationPeriods: window.evaluationPeriods,
      alarmDescription:
        `certwarden: no scope of ${source.name} synced completely in ${window.evaluationPeriods} periods of ` +
        `${window.period.toHumanString()} (its schedule: ${source.schedule})`,
    });
  }
  inventory.addAlarm('ExpiredCertificates', {
    metric: certwardenMetric(inventory, METRIC.expiredCertificates, {}, 'Maximum', hourly),
    threshold: 1,
    alarmDescription: 'certwarden: the inventory holds expired certificates that are still in place',
  });

  // Account-wide (no dimension): one alarm metric each ($0.10) where one per function would be two per function.
  const everyFunction = (metricName: string) =>
    new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName, statistic: 'Sum', period: Duration.minutes(5) });
  inventory.addAlarm('LambdaErrors', {
    metric: everyFunction('Errors'),
    threshold: 1,
    alarmDescription: "certwarden: a Lambda function of this account and region failed (see the function's logs)",
  });
  inventory.addAlarm('LambdaThrottles', {
    metric: everyFunction('Throttles'),
    threshold: 1,
    alarmDescription: 'certwarden: Lambda throttled an invocation in this account and region (concurrency)',
  });

  for (const [kind, queue] of inventory.syncQueues) {
    const interval = Math.min(...sources.filter((s) => s.kind === kind).map((s) => longestIntervalSeconds(s.schedule)));
    inventory.addAlarm(`SyncQueueAge${pascal(kind)}`, {
      metric: queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: Duration.minutes(5) }),
      threshold: interval,
      alarmDescription: `certwarden: a ${kind} scope has waited longer than its sync interval to be synced`,
    });
  }
}

/** The dashboard: the inventory by expiry, the sync per source, function durations, dead-letter queues. */
export function createDashboard(
  inventory: CertificateInventory,
  sources: DeployedSourceConfig[],
): cloudwatch.Dashboard {
  const hourly = Duration.hours(1);
  const dashboard = new cloudwatch.Dashboard(inventory, 'Dashboard', { defaultInterval: Duration.days(7) });
  const perSource = (metric: MetricDefinition & { dimensions: readonly ['source'] }, statistic: string, suffix = '') =>
    sources.map((source) =>
      certwardenMetric(inventory, metric, { source: source.name }, statistic, hourly).with({
        label: `${source.name}${suffix}`,
      }),
    );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Certificates by status',
      width: 12,
      stacked: true,
      left: [
        ...EXPIRY_BANDS.map((band) =>
          certwardenMetric(inventory, METRIC.certificatesByExpiry, { band }, 'Maximum', hourly).with({ label: band }),
        ),
        certwardenMetric(inventory, METRIC.unreadablePlaces, {}, 'Maximum', hourly).with({ label: 'unreadable' }),
        certwardenMetric(inventory, METRIC.removedPlaces, {}, 'Maximum', hourly).with({ label: 'removed' }),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: 'Minimum days to expiry per source',
      width: 12,
      left: perSource(METRIC.minDaysToExpiry, 'Minimum'),
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Scopes synced (left) and places changed (right) per source',
      width: 12,
      left: perSource(METRIC.scopesSynced, 'Sum'),
      right: perSource(METRIC.placesChanged, 'Sum', ' changed'),
    }),
    new cloudwatch.GraphWidget({
      title: 'Sync worker duration per kind (ms, max)',
      width: 12,
      left: [...inventory.syncWorkers].map(([kind, worker]) =>
        worker.metricDuration({ statistic: 'Maximum', period: hourly }).with({ label: kind }),
      ),
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Dead-letter queue depth',
      width: 24,
      left: [inventory.queueDeadLetters, inventory.invocationDeadLetters].map((queue) =>
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }).with({
          label: queue.node.id,
        }),
      ),
    }),
  );
  return dashboard;
}

/** A source synced less often than this has no staleness alarm: 7 days is CloudWatch's longest evaluation range. */
const MAX_STALENESS_INTERVAL_DAYS = 6;
const DAY_SECONDS = 86_400;

/**
 * How an alarm sees "no complete sync for 3 × the interval": periods that must all be without a heartbeat.
 * Up to a day the period is the interval itself (CloudWatch allows a day of evaluation under an hour's period,
 * 7 days from an hour up); beyond, days, up to 7. Undefined past {@link MAX_STALENESS_INTERVAL_DAYS}.
 */
export function stalenessWindow(intervalSeconds: number): { period: Duration; evaluationPeriods: number } | undefined {
  if (intervalSeconds <= DAY_SECONDS) return { period: Duration.seconds(intervalSeconds), evaluationPeriods: 3 };
  if (intervalSeconds > MAX_STALENESS_INTERVAL_DAYS * DAY_SECONDS) return undefined;
  return { period: Duration.days(1), evaluationPeriods: Math.min(7, Math.ceil((3 * intervalSeconds) / DAY_SECONDS)) };
}

const RATE_UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3_600, day: DAY_SECONDS };

/**
 * The longest time between two runs of an EventBridge Scheduler expression, in seconds: a rate's interval, or the
 * longest gap between a cron's runs (UTC, as the construct's schedules run), over at least 8 days of them.
 */
export function longestIntervalSeconds(expression: string): number {
  const rate = /^rate\(([1-9]\d*) (minute|hour|day)s?\)$/.exec(expression);
  if (rate) return Number(rate[1]) * RATE_UNIT_SECONDS[rate[2]];
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) throw new Error(`${expression}: expected rate(<n ≥ 1> minutes|hours|days) or cron(…)`);
  if (cron[1].trim().split(/\s+/).length !== 6)
    throw new Error(`${expression}: expected 6 fields (minutes hours day-of-month month day-of-week year)`);
  let parsed: ReturnType<typeof AwsCronParser.parse>;
  try {
    parsed = AwsCronParser.parse(cron[1]);
  } catch (error) {
    throw new Error(`${expression}: ${(error as Error).message}`, { cause: error });
  }
  // A fixed start keeps the synthesized template the same from day to day.
  const start = Date.UTC(2025, 0, 1);
  const horizon = start + 8 * DAY_SECONDS * 1000;
  let previous = AwsCronParser.next(parsed, new Date(start))?.getTime();
  let longest = 0;
  for (let runs = 0; previous !== undefined && previous <= horizon && runs < 20_000; runs++) {
    const next = AwsCronParser.next(parsed, new Date(previous + 1000))?.getTime();
    if (next === undefined) break;
    longest = Math.max(longest, next - previous);
    previous = next;
  }
  if (longest === 0) throw new Error(`${expression}: runs at most once; a synced source needs a recurring schedule`);
  return longest / 1000;
}
