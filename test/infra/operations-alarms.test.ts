import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lib/adapters/config-file';
import { CertwardenConfig } from '../../lib/domain/config';
import { buildApp } from '../../infra/app';
import { CertificateInventory } from '../../infra';
import { longestIntervalSeconds, stalenessWindow } from '../../infra/operations-alarms';
import { deliveredBySubscription, type MessageAttribute } from '../support/sns-filter-policy';

/**
 * Who hears an alarm: each alarm of the stack synthesized from test/infra/fixtures/certwarden.config.json, its
 * notification built as CloudWatch sends it, run through every subscription's filter policy as SNS would.
 */
const FIXTURE = join(__dirname, 'fixtures/certwarden.config.json');
const { config } = loadConfig(FIXTURE);
const unbundled = { context: { 'aws:cdk:bundling-stacks': [] } };
const template = Template.fromStack(buildApp({ configPath: FIXTURE, appProps: unbundled }).main).toJSON();
// A synthesized template is untyped JSON; the tests read it as such.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const resources = Object.entries(template.Resources as Record<string, { Type: string; Properties: Json }>);
const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);
const alarms = ofType('AWS::CloudWatch::Alarm');
const subscriptions = ofType('AWS::SNS::Subscription').map(([, s]) => s.Properties);
const topicNamed = (pattern: RegExp) => ofType('AWS::SNS::Topic').find(([id]) => pattern.test(id))![0];
const subscribersOf = (topicId: string) => subscriptions.filter((s) => s.TopicArn.Ref === topicId);

/**
 * The notification a CloudWatch alarm publishes on a state change (CloudWatch user guide, "Notifications sent
 * by alarms"): a subject and a JSON message, and no message attributes.
 */
function alarmNotification(id: string, alarm: Json, state: 'ALARM' | 'OK') {
  return {
    Subject: `${state}: "${id}" in EU (Ireland)`,
    Message: JSON.stringify({
      AlarmName: id,
      AlarmDescription: alarm.AlarmDescription,
      NewStateValue: state,
      OldStateValue: state === 'ALARM' ? 'OK' : 'ALARM',
      Trigger: { MetricName: alarm.MetricName, Namespace: alarm.Namespace, Dimensions: alarm.Dimensions },
    }),
    MessageAttributes: {} as Record<string, MessageAttribute>,
  };
}

/** The endpoints a state change of `alarm` reaches through the topics of its actions for that state. */
function reached(id: string, alarm: Json, state: 'ALARM' | 'OK'): string[] {
  const topics = (state === 'ALARM' ? alarm.AlarmActions : alarm.OKActions) ?? [];
  const { MessageAttributes } = alarmNotification(id, alarm, state);
  return topics
    .flatMap((topic: { Ref: string }) => subscribersOf(topic.Ref))
    .filter((subscription: Json) => deliveredBySubscription(subscription, MessageAttributes))
    .map((subscription: Json) => subscription.Endpoint)
    .sort();
}

describe('alarms reach a person', () => {
  const operations = [...config.alerts.emails].sort();

  it('has alarms to check', () => {
    expect(alarms.length).toBeGreaterThan(20);
  });

  it.each(['ALARM', 'OK'] as const)('every alarm going to %s reaches every operations address', (state) => {
    for (const [id, { Properties: alarm }] of alarms) expect([id, reached(id, alarm, state)]).toEqual([id, operations]);
  });

  it('would have reached nobody through the alerts topic, whose every subscription filters on attributes', () => {
    const alertsTopic = topicNamed(/^InventoryAlertsTopic/);
    const filtered = subscribersOf(alertsTopic);
    expect(filtered.length).toBeGreaterThanOrEqual(3);
    for (const [id, { Properties: alarm }] of alarms) {
      const { MessageAttributes } = alarmNotification(id, alarm, 'ALARM');
      expect(filtered.filter((subscription) => deliveredBySubscription(subscription, MessageAttributes))).toEqual([]);
    }
    // The same evaluation lets through what the email notifier sends (lib/adapters/sns-publisher.ts attributes).
    const everyone = { audience: { DataType: 'String', StringValue: 'all' } } as const;
    const teamWeb = { owner: { DataType: 'String', StringValue: 'team-web' } } as const;
    expect(filtered.filter((s) => deliveredBySubscription(s, everyone)).map((s) => s.Endpoint)).toEqual(
      config.alerts.emails,
    );
    expect(
      filtered
        .filter((s) => deliveredBySubscription(s, teamWeb))
        .map((s) => s.Endpoint)
        .sort(),
    ).toEqual(['payments@example.com', 'web@example.com']);
  });

  it('lets CloudWatch alarms of this account, and nothing else, publish to the operations topic', () => {
    const operationsTopic = topicNamed(/^InventoryOperationsTopic/);
    const [[, policy]] = ofType('AWS::SNS::TopicPolicy').filter(([, p]) =>
      p.Properties.Topics.some((topic: { Ref: string }) => topic.Ref === operationsTopic),
    );
    const allows = policy.Properties.PolicyDocument.Statement.filter((s: Json) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: operationsTopic },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': expect.objectContaining({ 'Fn::Join': expect.any(Array) }) },
        },
      }),
    ]);
    expect(JSON.stringify(allows[0].Condition.ArnLike)).toMatch(/:cloudwatch:.*:alarm:\*/);
  });

  it('sends alarms to `operationsEmails` when set, and not to `emails`', () => {
    const stack = new Stack(new App(unbundled), 'Ops');
    new CertificateInventory(stack, 'Inventory', {
      alerts: { emails: ['pki@example.com'], operationsEmails: ['noc@example.com'] },
    });
    const synthesized = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
    const topicOf = (email: string) =>
      Object.values(synthesized).find((r) => r.Type === 'AWS::SNS::Subscription' && r.Properties.Endpoint === email)
        .Properties.TopicArn.Ref;
    expect(topicOf('noc@example.com')).toMatch(/^InventoryOperationsTopic/);
    expect(topicOf('pki@example.com')).toMatch(/^InventoryAlertsTopic/);
  });
});

describe('operations alarms', () => {
  const props = (pattern: RegExp) => alarms.filter(([id]) => pattern.test(id)).map(([, a]) => a.Properties);

  it('alarms per source when no scope synced completely for 3 × its interval, missing data breaching', () => {
    const stale = props(/^InventorySyncStale/);
    expect(stale).toHaveLength(config.sources.length);
    const bySource = Object.fromEntries(
      stale.map((a) => [a.Dimensions.find((d: Json) => d.Name === 'source').Value, a]),
    );
    expect(bySource['acm-org']).toMatchObject({
      MetricName: 'ScopesSynced',
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    // rate(1 day): three daily periods; cron(0 */4 * * ? *): three of four hours.
    expect(bySource.pca).toMatchObject({ Period: 86_400, EvaluationPeriods: 3 });
    expect(bySource.gcp).toMatchObject({ Period: 4 * 3600, EvaluationPeriods: 3 });
  });

  it('alarms when a CT log stayed unread three polls in a row, on the series the CT monitor writes', () => {
    expect(props(/^InventoryCtLogsUnread/)).toEqual([
      expect.objectContaining({
        Namespace: 'Certwarden',
        MetricName: 'CtLogsUnread',
        Dimensions: [{ Name: 'service', Value: 'certwarden-ct-monitor' }],
        Statistic: 'Maximum',
        // The fixture polls rate(15 minutes).
        Period: 900,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 1,
        TreatMissingData: 'notBreaching',
      }),
    ]);
  });

  it('alarms on any Lambda error or throttle of the account, one alarm metric each', () => {
    for (const metric of ['Errors', 'Throttles'])
      expect(props(new RegExp(`^InventoryLambda${metric}`))).toEqual([
        expect.objectContaining({
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        }),
      ]);
    expect(props(/^InventoryLambda/).every((a) => a.Dimensions === undefined)).toBe(true);
  });

  it("alarms when a sync queue's oldest scope has waited longer than its kind's shortest interval", () => {
    const age = props(/^InventorySyncQueueAge/);
    expect(age.map((a) => a.MetricName)).toEqual(Array(7).fill('ApproximateAgeOfOldestMessage'));
    const threshold = (kind: string) =>
      age.find((a) => JSON.stringify(a.Dimensions).includes(`InventorySync${kind}Queue`)).Threshold;
    // acm-org hourly, acm-home every 6 hours: the hour.
    expect(threshold('AwsAcm')).toBe(3600);
    expect(threshold('AwsPca')).toBe(86_400);
  });
});

describe('a second stage in the account', () => {
  it("watches its own functions' series: each alarm's service is the POWERTOOLS_SERVICE_NAME of a function of it", () => {
    const stack = new Stack(new App(unbundled), 'Dev');
    const { sources } = CertwardenConfig.parse({
      sources: [{ kind: 'aws-acm', name: 'acm', regions: ['eu-west-1'] }],
    });
    new CertificateInventory(stack, 'Inventory', { sources, stage: 'dev' });
    const staged = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, Json>);
    const services = new Set(
      staged
        .filter((r) => r.Type === 'AWS::Lambda::Function')
        .map((r) => r.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME),
    );
    const watched = staged
      .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.Namespace === 'Certwarden')
      .map((r) => r.Properties.Dimensions.find((d: Json) => d.Name === 'service').Value);
    expect(watched.length).toBeGreaterThanOrEqual(3);
    expect(new Set(watched)).toEqual(
      new Set([
        'certwarden-dev-sync-worker',
        'certwarden-dev-inventory-metrics',
        // AlertsUndelivered, per notifier role (the email notifier's alerts and escalation topics share one).
        'certwarden-dev-email-notifier',
        'certwarden-dev-security-hub-notifier',
      ]),
    );
    for (const service of watched) expect(services).toContain(service);
  });
});

describe('schedule intervals and staleness windows', () => {
  it.each([
    ['rate(15 minutes)', 900],
    ['rate(1 hour)', 3600],
    ['rate(2 days)', 172_800],
    ['cron(0 */4 * * ? *)', 4 * 3600],
    ['cron(0 6 * * ? *)', 86_400],
    // Friday 07:00 to Monday 07:00.
    ['cron(0 7 ? * MON-FRI *)', 72 * 3600],
  ])('%s runs at least every %i s', (expression, seconds) => {
    expect(longestIntervalSeconds(expression)).toBe(seconds);
  });

  it.each([
    [900, 900, 3],
    [86_400, 86_400, 3],
    [72 * 3600, 86_400, 7],
    [2 * 86_400, 86_400, 6],
  ])('an interval of %i s is watched in periods of %i s, %i of them', (interval, period, evaluationPeriods) => {
    const window = stalenessWindow(interval)!;
    expect([window.period.toSeconds(), window.evaluationPeriods]).toEqual([period, evaluationPeriods]);
    // CloudWatch: at most a day of evaluation under an hour's period, 7 days from an hour up.
    expect(period * evaluationPeriods).toBeLessThanOrEqual(period < 3600 ? 86_400 : 7 * 86_400);
  });

  it('refuses a schedule it cannot read at synth, naming the source and the expression', () => {
    const { sources } = CertwardenConfig.parse({
      sources: [
        { kind: 'aws-acm', name: 'typo', regions: ['eu-west-1'], schedule: 'cron(0 25 * * ? *)' },
        { kind: 'aws-acm', name: 'short', regions: ['eu-west-1'], schedule: 'cron(0 6 * *)' },
        { kind: 'aws-acm', name: 'never', regions: ['eu-west-1'], schedule: 'rate(0 minutes)' },
      ],
    });
    expect(() => new CertificateInventory(new Stack(new App(unbundled), 'Bad'), 'Inventory', { sources })).toThrow(
      /source typo: schedule cron\(0 25 \* \* \? \*\): .*23.*source short: schedule cron\(0 6 \* \*\): expected 6 fields.*source never: schedule rate\(0 minutes\)/,
    );
  });

  it('says at synth when no alarm would reach anyone', () => {
    const stack = new Stack(new App(unbundled), 'Unheard');
    const { sources } = CertwardenConfig.parse({ sources: [{ kind: 'aws-acm', name: 'acm', regions: ['eu-west-1'] }] });
    new CertificateInventory(stack, 'Inventory', { sources, alerts: { emails: [] } });
    expect(JSON.stringify(Annotations.fromStack(stack).findWarning('*', Match.anyValue()))).toMatch(
      /no alarm reaches anyone/,
    );
    const heard = new Stack(new App(unbundled), 'Heard');
    new CertificateInventory(heard, 'Inventory', { sources, alerts: { emails: ['ops@example.com'] } });
    expect(JSON.stringify(Annotations.fromStack(heard).findWarning('*', Match.anyValue()))).not.toMatch(
      /no alarm reaches anyone/,
    );
  });

  it('has no staleness alarm for a source synced weekly, and says so at synth', () => {
    expect(stalenessWindow(7 * 86_400)).toBeUndefined();
    const stack = new Stack(new App(unbundled), 'Weekly');
    const { sources } = CertwardenConfig.parse({
      sources: [{ kind: 'aws-acm', name: 'weekly', regions: ['eu-west-1'], schedule: 'rate(7 days)' }],
    });
    new CertificateInventory(stack, 'Inventory', { sources });
    const weekly = Template.fromStack(stack);
    expect(Object.keys(weekly.findResources('AWS::CloudWatch::Alarm')).filter((id) => /SyncStale/.test(id))).toEqual(
      [],
    );
    expect(JSON.stringify(Annotations.fromStack(stack).findWarning('*', Match.anyValue()))).toMatch(
      /weekly.*no staleness alarm/,
    );
  });
});
