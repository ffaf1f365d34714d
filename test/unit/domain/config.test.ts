import { AlertsConfig, CertwardenConfig, digestSeverityGaps, ExpiryConfig } from '../../../lib/domain/config';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certwarden/slack-AbCdEf';
const problems = (input: unknown) => {
  const parsed = CertwardenConfig.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('the alerts configuration', () => {
  it('defaults to email topics without subscribers, Security Hub on, a daily evaluation, no digest, 5 delivery attempts', () => {
    expect(AlertsConfig.parse({})).toEqual({
      emails: [],
      escalationEmails: [],
      owners: {},
      securityHub: true,
      deliveryAttempts: 5,
      evaluateSchedule: 'cron(0 6 * * ? *)',
    });
  });

  it.each([0, 21, 2.5])('refuses %s delivery attempts', (deliveryAttempts) => {
    expect(AlertsConfig.safeParse({ deliveryAttempts }).success).toBe(false);
  });

  it('refuses what would leak or misroute: a non-https SIEM, a plain secret, an owner without addresses', () => {
    expect(
      problems({
        alerts: {
          siem: { endpoint: 'http://splunk.example.com', auth: { type: 'basic', secretArn: 'hunter2' } },
          owners: { payments: [] },
          slack: { webhookSecretArn: 'https://hooks.slack.com/services/T/B/x' },
        },
      }),
    ).toEqual([
      expect.stringMatching(/^alerts\.owners\.payments: Too small/),
      'alerts.slack.webhookSecretArn: expected a Secrets Manager secret ARN',
      'alerts.siem.endpoint: expected an https:// URL',
      'alerts.siem.auth.secretArn: expected a Secrets Manager secret ARN',
    ]);
  });
});

describe('the local alert targets (alerts.local)', () => {
  const local = (urls: { slackWebhookUrl?: string; siemUrl?: string }) => problems({ alerts: { local: urls } });

  it.each([
    'https://hooks.slack.com/services/T/B/x',
    'http://127.0.0.1:8080/services/T/B/x',
    'http://localhost:3000/hook',
    'http://[::1]:9000/hook',
  ])('takes %s as a Slack webhook, as --slack-webhook does', (url) => {
    expect(local({ slackWebhookUrl: url })).toEqual([]);
  });

  it.each([
    [
      'http://hooks.slack.com/services/T/B/x',
      /^alerts\.local\.slackWebhookUrl: expected an https:\/\/ URL \(http only to a loopback/,
    ],
    ['http://127.0.0.1.example.com/hook', /^alerts\.local\.slackWebhookUrl: expected an https:\/\/ URL/],
    ['hooks.slack.com/services/T/B/x', /^alerts\.local\.slackWebhookUrl: expected an http\(s\) URL$/],
    ['ftp://127.0.0.1/hook', /^alerts\.local\.slackWebhookUrl: expected an http\(s\) URL$/],
  ])('refuses %s as a Slack webhook, with one problem', (url, problem) => {
    expect(local({ slackWebhookUrl: url })).toEqual([expect.stringMatching(problem)]);
  });

  it('takes a plain-http SIEM collector anywhere, but only an http(s) URL', () => {
    expect(local({ siemUrl: 'http://splunk.lan:8088/services/collector' })).toEqual([]);
    expect(local({ siemUrl: 'ftp://splunk.lan/x' })).toEqual(['alerts.local.siemUrl: expected an http(s) URL']);
  });
});

describe('severity thresholds in digest mode', () => {
  it('accepts the defaults: 30 and 7 days are alert thresholds', () => {
    expect(digestSeverityGaps(ExpiryConfig.parse({}))).toEqual([]);
    expect(problems({ alerts: { digest: {}, slack: { webhookSecretArn: SECRET } } })).toEqual([]);
  });

  it('refuses a day where a certificate turns high without crossing a threshold, naming the field', () => {
    const config = {
      expiry: { days: [30, 14, 7, 1], severity: { highDays: 10, warningDays: 21 } },
      alerts: { digest: {} },
    };
    expect(problems(config)).toEqual([
      expect.stringMatching(/^expiry\.severity\.highDays: 10 must be one of expiry\.days \(30, 14, 7, 1\)/),
      expect.stringMatching(/^expiry\.severity\.warningDays: 21 must be one of expiry\.days/),
    ]);
    // Without the digest every warning alert goes out at once: nothing falls between.
    expect(problems({ ...config, alerts: {} })).toEqual([]);
  });

  it('refuses severity boundaries out of order', () => {
    expect(problems({ expiry: { severity: { highDays: 40 } } })).toEqual([
      'expiry.severity: expected criticalDays < highDays < warningDays',
    ]);
  });
});

describe('source kinds', () => {
  it('takes a tls-endpoint source and names each bad endpoint and group in its own problem', () => {
    expect(
      problems({
        sources: [
          {
            kind: 'tls-endpoint',
            name: 'web',
            endpoints: ['example.com', 'api.example.com:8443', '[2001:db8::1]:443', 'bad host:443', 'x.example:0'],
            groups: [
              {
                name: 'endpoints',
                endpoints: [{ host: '10.0.0.5', ports: [443, '8000-8010'], serverNames: ['a.example'] }],
              },
              { name: 'wide', endpoints: [{ host: '10.0.0.6', ports: ['1-65535'] }] },
            ],
          },
        ],
      }),
    ).toEqual([
      'sources.0.endpoints.3: bad host:443: expected [protocol://]host[:port], host:from-to or [ipv6]:port (protocol, for STARTTLS: smtp, imap, pop3, ftp, ldap, postgres)',
      'sources.0.endpoints.4: x.example:0: 0 is not a port or a port range',
      'sources.0.groups.1.endpoints.0.ports: 10.0.0.6: more than 1024 ports; split it into several endpoints',
      'sources.0.groups.0.name: group name "endpoints" is taken (by another group, or for endpoints / namesFromInventory)',
    ]);
  });

  it('calls IAM, global, in us-east-1 unless told otherwise, and refuses regions for it, naming the field', () => {
    const [iam] = CertwardenConfig.parse({ sources: [{ kind: 'aws-iam', name: 'iam' }] }).sources;
    expect(iam).toMatchObject({ kind: 'aws-iam', region: 'us-east-1' });
    expect(problems({ sources: [{ kind: 'aws-iam', name: 'iam', regions: ['eu-west-1'] }] })).toEqual([
      expect.stringMatching(/^sources\.0: .*regions/),
    ]);
    expect(problems({ sources: [{ kind: 'aws-iot', name: 'iot', regions: [] }] })).toEqual([
      expect.stringMatching(/^sources\.0\.regions: /),
    ]);
  });

  it('refuses the fields a kind would ignore: a schedule, tags or concurrency for local files, tags for endpoints', () => {
    const files = { kind: 'local-files', name: 'files', root: '/etc/ssl' };
    expect(problems({ sources: [files] })).toEqual([]);
    for (const field of [{ schedule: 'rate(1 day)' }, { ownerTagKeys: ['team'] }, { concurrency: 4 }])
      expect(problems({ sources: [{ ...files, ...field }] })).toEqual([
        expect.stringMatching(new RegExp(`^sources\\.0: .*${Object.keys(field)[0]}`)),
      ]);
    const endpoints = { kind: 'tls-endpoint', name: 'web', endpoints: ['example.com'] };
    expect(problems({ sources: [{ ...endpoints, schedule: 'rate(6 hours)', concurrency: 8 }] })).toEqual([]);
    expect(problems({ sources: [{ ...endpoints, ownerTagKeys: ['team'] }] })).toEqual([
      expect.stringMatching(/^sources\.0: .*ownerTagKeys/),
    ]);
  });

  it('still names an unknown kind as such', () => {
    expect(problems({ sources: [{ kind: 'ftp', name: 'x' }] })).toEqual([expect.stringMatching(/^sources\.0\.kind: /)]);
  });
});

describe('the ct section', () => {
  const log = { name: 'argon2026h1', url: 'https://ct.googleapis.com/logs/us1/argon2026h1/' };

  it('is off when absent, and fills its defaults when present', () => {
    expect(CertwardenConfig.parse({}).ct).toBeUndefined();
    expect(CertwardenConfig.parse({ ct: { domains: ['example.com'], logs: [log] } }).ct).toEqual({
      domains: ['example.com'],
      logs: [{ ...log, batchSize: 256 }],
      allowlist: { issuers: [], publicKeys: [] },
      startAt: 'latest',
      maxEntriesPerPoll: 10_000,
      timeoutMs: 10_000,
      schedule: 'rate(15 minutes)',
    });
  });

  it('names the field of each bad value', () => {
    expect(
      problems({
        ct: {
          domains: ['example.com', 'not a domain'],
          logs: [{ name: 'Argon', url: 'ftp://ct.example.net/', publicKey: 'not base64!' }],
          allowlist: { publicKeys: ['abc'] },
        },
      }),
    ).toEqual([
      'ct.domains.1: expected a domain name such as example.com',
      'ct.logs.0.name: use lowercase letters, digits and dashes (at most 63)',
      expect.stringMatching(/^ct\.logs\.0\.url: /),
      expect.stringMatching(/^ct\.logs\.0\.publicKey: /),
      'ct.allowlist.publicKeys.0: expected a SHA-256 in hex (64 characters)',
    ]);
  });
});
