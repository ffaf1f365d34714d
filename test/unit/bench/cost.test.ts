import { CertwardenConfig } from '../../../lib/domain/config';
import { fixedItems } from '../../bench/cost';
import { firings, matchesPattern, seriesOf, type StackShape, type TemplateJson } from '../../bench/deployed-stack';

/** What the cost section reads from a template and from the handlers' output, on hand-made inputs. */
const SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:certwarden/slack-AbCdEf';
const ref = (id: string) => ({ Ref: id });
const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

const template: TemplateJson = {
  Resources: {
    Key: { Type: 'AWS::KMS::Key', Properties: {} },
    Board: { Type: 'AWS::CloudWatch::Dashboard', Properties: {} },
    Dlq: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: { MetricName: 'ApproximateNumberOfMessagesVisible', Period: 300 },
    },
    Fast: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors', Period: 10 } },
    Math: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Metrics: [
          { Id: 'a', MetricStat: { Metric: { MetricName: 'Errors' }, Period: 60 } },
          { Id: 'b', MetricStat: { Metric: { MetricName: 'Invocations' }, Period: 30 } },
          { Id: 'rate', Expression: 'a / b' },
        ],
      },
    },
    Capped: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { EventSourceArn: arn('Queue'), FunctionName: ref('Fn'), ScalingConfig: { MaximumConcurrency: 2 } },
    },
    Open: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { EventSourceArn: arn('Queue'), FunctionName: ref('Fn') },
    },
    Siem: { Type: 'AWS::Events::Connection', Properties: {} },
  },
};

describe('the cost model', () => {
  it('prices the fixed resources as AWS bills them: per alarm metric by resolution, pollers by mapping', () => {
    const config = CertwardenConfig.parse({ alerts: { slack: { webhookSecretArn: SECRET } } });
    const shape: StackShape = {
      functions: new Map(),
      mappings: [
        { queue: 'Queue', fn: 'Fn', batchSize: 10, maxConcurrency: 2 },
        { queue: 'Queue', fn: 'Fn', batchSize: 10 },
      ],
      schedules: [],
      rules: [],
      subscriptions: [],
    };

    const items = fixedItems(template, config, shape);
    const quantity = (name: string) => items.find((line) => line.item.startsWith(name))?.quantity;

    expect(quantity('KMS keys')).toBe(1);
    expect(quantity('CloudWatch dashboards')).toBe(1);
    // The DLQ's 5-minute metric and the math alarm's 1-minute one; the 10 s and 30 s ones are high resolution.
    expect(quantity('CloudWatch alarms, standard')).toBe(2);
    expect(quantity('CloudWatch alarms, high')).toBe(2);
    // 5 pollers on the capped mapping, 2 on the other, each a long poll every 20 s, for 730 hours.
    expect(quantity('SQS idle polling')).toBe((5 + 2) * 3 * 60 * 730);
    // The connection's own secret and the Slack webhook's.
    expect(quantity('Secrets Manager')).toBe(2);
    expect(items.reduce((sum, line) => sum + line.monthly, 0)).toBeCloseTo(
      1 + 3 + 0.2 + 0.6 + 919_800 * 0.4e-6 + 0.8,
      6,
    );
  });

  it('counts a series per metric and dimension set of an EMF line, with the values it gives them', () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: 0,
        CloudWatchMetrics: [
          {
            Namespace: 'Certwarden',
            Dimensions: [['service', 'source'], ['service']],
            Metrics: [{ Name: 'ScopesSynced' }],
          },
        ],
      },
      service: 'certwarden-sync-worker',
      source: 'acm',
      ScopesSynced: 1,
    });

    expect(seriesOf(line)).toEqual([
      'Certwarden ScopesSynced {service=certwarden-sync-worker,source=acm}',
      'Certwarden ScopesSynced {service=certwarden-sync-worker}',
    ]);
    expect(seriesOf('{"level":"INFO","message":"scope synced"}')).toEqual([]);
  });

  it('fires a schedule as EventBridge Scheduler would in a window: a rate from its origin, a cron at its times', () => {
    const origin = new Date('2026-12-07T00:40:00Z');
    const hour = (from: string, to: string) => [new Date(from), new Date(to)] as const;

    expect(firings('rate(1 hour)', ...hour('2026-12-07T00:10:00Z', '2026-12-07T01:10:00Z'), origin)).toBe(1);
    expect(firings('rate(6 hours)', ...hour('2026-12-07T01:10:00Z', '2026-12-07T02:10:00Z'), origin)).toBe(0);
    expect(firings('cron(0 6 * * ? *)', ...hour('2026-12-07T05:10:00Z', '2026-12-07T06:10:00Z'), origin)).toBe(1);
    expect(firings('cron(0 6 * * ? *)', ...hour('2026-12-07T06:10:00Z', '2026-12-07T07:10:00Z'), origin)).toBe(0);
    expect(firings('cron(0/15 * * * ? *)', ...hour('2026-12-07T06:10:00Z', '2026-12-07T07:10:00Z'), origin)).toBe(4);
  });

  it('routes an event to the rules whose pattern lists its values, nested fields included', () => {
    const expiring = { source: 'certwarden', 'detail-type': 'Certificate Expiring', detail: { severity: 'high' } };
    const escalated = {
      source: ['certwarden'],
      'detail-type': ['Certificate Expiring'],
      detail: { severity: ['high', 'critical'] },
    };

    expect(matchesPattern(escalated, expiring)).toBe(true);
    expect(matchesPattern(escalated, { ...expiring, detail: { severity: 'info' } })).toBe(false);
    expect(matchesPattern({ 'detail-type': ['Sync Completed'] }, expiring)).toBe(false);
    expect(() => matchesPattern({ detail: { severity: [{ prefix: 'h' }] } }, expiring)).toThrow(/content filters/);
  });
});
