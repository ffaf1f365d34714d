import * as z from 'zod';
import { ApprovalConfig } from './approval';
import { RENEWAL_WATCH_HOURS } from './renewal-workflow';
import { secretArn } from './aws-arns';
import { PolicyConfig } from './policy/schema';
import { SCHEDULE_EXPRESSION, SOURCE_NAME } from './config-formats';
import { CtConfig } from './ct-config';
import { ExpiryConfig } from './expiry-config';
import { RevocationConfig } from './revocation-config';
import { DEFAULT_OWNER_TAG_KEYS } from './owner';
import {
  isDnsName,
  isStarttlsProtocol,
  parseEndpoint,
  portsOf,
  STARTTLS_PROTOCOLS,
  TLS_ENDPOINTS_GROUP,
  TLS_INVENTORY_NAMES_GROUP,
  tlsEndpointScopesOf,
} from './tls-endpoints';

/**
 * The certwarden configuration (`certwarden.config.json` or `.ts`), shared by the CLI and the CDK app.
 * Objects are strict, so a misspelt field is an error that names it rather than a setting silently ignored.
 */

const sourceName = z.string().regex(SOURCE_NAME.pattern, SOURCE_NAME.message);
const awsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region such as eu-west-1');
const schedule = z.string().regex(SCHEDULE_EXPRESSION.pattern, SCHEDULE_EXPRESSION.message);

// Each kind takes the fields it uses, so that one it would ignore is refused (strictObject) rather than kept silently:
// local files have no tags and are not deployed; an endpoint has no tags either.
const named = {
  name: sourceName,
  /** Owner of places whose tags name none. */
  defaultOwner: z.string().min(1).optional(),
};
const deployed = {
  /** How often the deployed stack syncs this source. */
  schedule: schedule.default('rate(1 hour)'),
  /** Provider calls in flight at once. */
  concurrency: z.number().int().min(1).max(64).optional(),
};
const common = {
  ...named,
  ...deployed,
  /** Tag or label keys naming the owner, tried in order. */
  ownerTagKeys: z.array(z.string().min(1)).min(1).default(DEFAULT_OWNER_TAG_KEYS),
};

const awsAccount = z.strictObject({
  accountId: z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id'),
  /** Role assumed in the account; absent: the caller's own credentials (the account they are in). */
  roleName: z.string().min(1).optional(),
  externalId: z.string().min(2).optional(),
});

/** An endpoint other than the provider's public one: a private endpoint, a sovereign cloud, an emulator. */
const endpointUrl = z.url({ protocol: /^https?$/ });

const awsAccountSource = {
  ...common,
  /**
   * Endpoints by AWS service (`acm`, `acm-pca`, `iam`, `iot`, `sts`), for VPC endpoints, other partitions or
   * emulators. Absent: the SDK's own resolution, which honours `AWS_ENDPOINT_URL_<SERVICE>` (`ACM`, `ACM_PCA`,
   * `IAM`, `IOT`, `STS`) and `AWS_ENDPOINT_URL`.
   */
  endpoints: z
    .strictObject({ acm: endpointUrl, 'acm-pca': endpointUrl, iam: endpointUrl, iot: endpointUrl, sts: endpointUrl })
    .partial()
    .optional(),
  /** Absent: the caller's own account only. */
  accounts: z.array(awsAccount).min(1).optional(),
  /**
   * Requests per second per account × region, by API operation (`{ "DescribeCertificate": 20 }`), for a quota
   * raised or lowered in Service Quotas. Absent operations go at the published quotas
   * (lib/connectors/rate-limiter.ts PUBLISHED_RATES).
   */
  requestsPerSecond: z
    .record(
      z.string().regex(/^[A-Z][A-Za-z]+$/, 'expected an API operation name such as DescribeCertificate'),
      z.number().positive().max(10_000),
    )
    .optional(),
};

const awsSource = { ...awsAccountSource, regions: z.array(awsRegion).min(1) };

/** Every place's detail calls are rerun at least this often, even when its list summary did not change. */
const fullRefreshHours = z.number().positive().optional();

export const AwsAcmSourceConfig = z.strictObject({
  kind: z.literal('aws-acm'),
  ...awsSource,
  /** Every certificate's tags are re-read at least this often, even when its list summary did not change. */
  fullRefreshHours,
  /**
   * ACM Private CAs (ARNs) whose imported certificates `certwarden renew` re-issues: a new key made in memory, a
   * certificate issued by the CA, imported at the same ARN. @default none: imported certificates are renewed by hand
   */
  issuingCertificateAuthorities: z
    .array(
      z
        .string()
        .regex(
          /^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/[\w-]+$/,
          'expected an ACM Private CA ARN',
        ),
    )
    .min(1)
    .optional(),
});

export const AwsPcaSourceConfig = z.strictObject({ kind: z.literal('aws-pca'), ...awsSource });

/** IAM server certificates: IAM is global, so an account is one scope and the source names no regions. */
export const AwsIamSourceConfig = z.strictObject({
  kind: z.literal('aws-iam'),
  ...awsAccountSource,
  /** The region IAM is called in, any of the partition's (`us-gov-west-1` in GovCloud, `cn-north-1` in China). */
  region: awsRegion.default('us-east-1'),
  /** Every certificate's tags are re-read at least this often, even when its list summary did not change. */
  fullRefreshHours,
});

/** AWS IoT Core device certificates and the CA certificates registered with IoT, per account × region. */
export const AwsIotSourceConfig = z.strictObject({ kind: z.literal('aws-iot'), ...awsSource });

export const AzureCredentialsConfig = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('client-secret'),
    tenantId: z.string().min(1),
    clientId: z.string().min(1),
    secretArn,
  }),
  z.strictObject({
    type: z.literal('client-certificate'),
    tenantId: z.string().min(1),
    clientId: z.string().min(1),
    secretArn,
  }),
  z.strictObject({
    type: z.literal('workload-identity'),
    tenantId: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
  }),
  /** A person's own sign-in (Azure CLI and the like): for running the CLI locally. */
  z.strictObject({ type: z.literal('default') }),
]);

export const AzureKeyVaultSourceConfig = z.strictObject({
  kind: z.literal('azure-key-vault'),
  ...common,
  vaults: z
    .array(
      z.strictObject({
        url: z.url({ protocol: /^https$/ }),
        subscriptionId: z.string().min(1).optional(),
      }),
    )
    .min(1),
  credentials: AzureCredentialsConfig,
  /**
   * The Microsoft Entra authority for the credentials, for a sovereign cloud (`https://login.chinacloudapi.cn`,
   * `https://login.microsoftonline.us`). Each vault's own `url` is its endpoint. @default the public cloud's
   */
  authorityHost: z.url({ protocol: /^https$/ }).optional(),
  /**
   * Trust `authorityHost` without asking Entra's public instance discovery (login.microsoftonline.com) about
   * it: for an authority it does not know (Azure Stack Hub, a private or test authority), where the sign-in
   * otherwise fails with MSAL's `endpoints_resolution_error`. @default false
   */
  disableInstanceDiscovery: z.boolean().optional(),
  /**
   * Accept a bearer challenge whose resource is not the vault's domain: for a vault reached at a private
   * endpoint name or an emulator. @default false
   */
  disableChallengeResourceVerification: z.boolean().optional(),
  /**
   * Requests per second to each vault, every operation together, instead of the published quota
   * (lib/connectors/rate-limiter.ts PUBLISHED_RATES): for a vault other applications also call.
   */
  requestsPerSecond: z.number().positive().max(10_000).optional(),
});

export const GoogleCredentialsConfig = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('service-account'), secretArn }),
  z.strictObject({ type: z.literal('workload-identity-federation'), secretArn }),
  /** Application Default Credentials: for running the CLI locally. */
  z.strictObject({ type: z.literal('default') }),
]);

export const GoogleCertificateManagerSourceConfig = z.strictObject({
  kind: z.literal('google-certificate-manager'),
  ...common,
  projects: z.array(z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'expected a Google Cloud project id')).min(1),
  locations: z.array(z.string().min(1)).min(1).default(['global']),
  credentials: GoogleCredentialsConfig,
  /**
   * The Certificate Manager API's endpoint, for Private Service Connect, another universe or an emulator
   * (`https://certificatemanager-example.p.googleapis.com`, `http://127.0.0.1:8085`).
   * @default https://certificatemanager.googleapis.com
   */
  endpoint: endpointUrl.optional(),
  /**
   * Fill `inUseBy` from the certificate maps of each project's `global` location: one list call per map and
   * sync. When the maps cannot be read (no permission, the API refuses), the scope's usage is unknown and the
   * sync warns; its certificates are still synced. @default true
   */
  usageFromCertificateMaps: z.boolean().optional(),
  /**
   * Requests per second to each project, all its locations together, instead of the published quota
   * (lib/connectors/rate-limiter.ts PUBLISHED_RATES): for a quota raised in the console.
   */
  requestsPerSecond: z.number().positive().max(10_000).optional(),
});

export const LocalFilesSourceConfig = z.strictObject({
  kind: z.literal('local-files'),
  ...named,
  root: z.string().min(1),
  ownerFromTopDirectory: z.boolean().optional(),
  extensions: z
    .array(z.string().regex(/^\.\w[\w-]*$/))
    .min(1)
    .optional(),
  /**
   * A file whose first line is the password of the PKCS#12 files (.p12/.pfx) under `root`, tried after no
   * password and the empty one. Absent: a PKCS#12 that needs a password is inventoried as an error place,
   * `PKCS#12, password needed`. The password itself never goes in the configuration.
   */
  pkcs12PasswordFile: z.string().min(1).optional(),
});

/**
 * TLS asked for after a plaintext protocol's prelude, rather than spoken from the first byte. A refinement, not an
 * enum: inside the endpoint union, only a refinement's message reaches the user (a type mismatch is "Invalid input").
 */
const Starttls = z
  .string()
  .refine(
    isStarttlsProtocol,
    `expected a STARTTLS protocol: ${STARTTLS_PROTOCOLS.join(', ')} (leave it out for TLS from the first byte)`,
  );

/**
 * `host`, `host:port`, `host:from-to`, `[v6]:port`, each optionally after `smtp://` (any STARTTLS protocol), or the
 * same as an object with several ports and SNI names.
 */
const TlsEndpoint = z.union([
  z.string().superRefine((text, context) => {
    try {
      parseEndpoint(text);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
  z
    .strictObject({
      host: z.string().refine((host) => {
        try {
          const spec = parseEndpoint(host);
          return spec.ports === undefined && spec.starttls === undefined;
        } catch {
          return false;
        }
      }, 'expected a DNS name or an IP address'),
      /** Ports and `from-to` ranges. @default [443], or the STARTTLS protocol's own port */
      ports: z
        .array(z.union([z.number().int(), z.string()]))
        .min(1)
        .optional(),
      /** Names sent as SNI, one connection each. @default the host's own name (none for an IP address) */
      serverNames: z.array(z.string().refine(isDnsName, 'expected a DNS name')).min(1).optional(),
      /** The plaintext protocol spoken before TLS is asked for; its own port when `ports` is left out. @default none */
      starttls: Starttls.optional(),
    })
    .superRefine((spec, context) => {
      try {
        portsOf(spec.ports, spec.host);
      } catch (error) {
        context.addIssue({ code: 'custom', path: ['ports'], message: (error as Error).message });
      }
    }),
]);

/** A scope of a tls-endpoint source's own naming: a group of endpoints. */
const groupName = sourceName;

/**
 * TLS endpoints: what is actually served, where cloud APIs only say what is stored. Each group is a scope (a sync
 * worker of its own when deployed); `endpoints` is the group `endpoints`, and the inventory's names the group
 * `inventory-names`.
 */
export const TlsEndpointSourceConfig = z
  .strictObject({
    kind: z.literal('tls-endpoint'),
    ...named,
    ...deployed,
    endpoints: z.array(TlsEndpoint).min(1).optional(),
    groups: z
      .array(
        z.strictObject({
          name: groupName,
          endpoints: z.array(TlsEndpoint).min(1),
          /** The STARTTLS protocol of the group's endpoints that name none. @default none */
          starttls: Starttls.optional(),
        }),
      )
      .min(1)
      .optional(),
    /**
     * Opt-in: also scan the DNS names of the certificates the named sources hold (their SANs, wildcards skipped),
     * on `port`, each name its own SNI.
     */
    namesFromInventory: z
      .strictObject({
        sources: z.array(sourceName).min(1),
        port: z.number().int().min(1).max(65_535).default(443),
      })
      .optional(),
    /** PEM of the private CAs a served chain may end at, besides (or instead of) the public roots. */
    trustedCertificates: z.string().includes('-----BEGIN CERTIFICATE-----').optional(),
    /** Trust the public roots Node ships (tls.rootCertificates). @default true */
    publicRoots: z.boolean().default(true),
    /** Each connection and handshake is abandoned after this long. @default 5000 */
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /**
     * A scan stops starting connections after this long; targets not reached are a failed scope, so their places
     * are kept as last seen. At least a minute below the deployed sync worker's timeout (10 minutes unless
     * changed). @default 300
     */
    deadlineSeconds: z.number().int().min(1).max(840).default(300),
    /**
     * Deployed only: run this source's sync worker in a VPC, to reach private endpoints. The subnets need a route to
     * DynamoDB and EventBridge (VPC endpoints or a NAT gateway).
     */
    vpc: z
      .strictObject({
        subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, 'expected a subnet id')).min(1),
        securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/, 'expected a security group id')).min(1),
      })
      .optional(),
  })
  .superRefine((source, context) => {
    if (!source.endpoints && !source.groups && !source.namesFromInventory)
      context.addIssue({ code: 'custom', message: 'name endpoints, groups or namesFromInventory' });
    const seen = new Set([TLS_ENDPOINTS_GROUP, TLS_INVENTORY_NAMES_GROUP]);
    source.groups?.forEach((group, index) => {
      if (seen.has(group.name))
        context.addIssue({
          code: 'custom',
          path: ['groups', index, 'name'],
          message: `group name "${group.name}" is taken (by another group, or for endpoints / namesFromInventory)`,
        });
      seen.add(group.name);
    });
  });

export const SourceConfig = z.discriminatedUnion('kind', [
  AwsAcmSourceConfig,
  AwsPcaSourceConfig,
  AwsIamSourceConfig,
  AwsIotSourceConfig,
  AzureKeyVaultSourceConfig,
  GoogleCertificateManagerSourceConfig,
  LocalFilesSourceConfig,
  TlsEndpointSourceConfig,
]);

// In a module of its own, so that the functions reading expiry settings load it without every source's schema and
// the policy's.
export { ExpiryConfig };

const httpsUrl = z.url({ protocol: /^https$/, error: 'expected an https:// URL' });

/** Hosts whose plain-http traffic never leaves the machine. */
const isLoopbackHost = (hostname: string): boolean =>
  hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);

/**
 * A local alert target's URL (`alerts.local` and the CLI's `--slack-webhook` / `--siem-url`, one rule for
 * both): http(s); a Slack webhook's path is its credential, so plain http only to a loopback receiver (a test
 * fake, a local relay), while a SIEM collector may be plain http anywhere (a collector on the LAN).
 */
export const localTargetUrl = (target: 'slack' | 'siem') =>
  z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).refine((url) => {
    // Not an http(s) URL at all: the check above says so already.
    if (target === 'siem' || !URL.canParse(url)) return true;
    const { protocol, hostname } = new URL(url);
    return protocol !== 'http:' || isLoopbackHost(hostname);
  }, 'expected an https:// URL (http only to a loopback receiver: localhost, 127.0.0.1, [::1])');

/** Where alerts go. Every secret is a Secrets Manager ARN, read at run time, never a value in the config. */
export const AlertsConfig = z.strictObject({
  /** Addresses subscribed to every alert (the alerts topic). */
  emails: z.array(z.email()).default([]),
  /** Addresses subscribed to the escalation topic: critical and high alerts only. */
  escalationEmails: z.array(z.email()).default([]),
  /**
   * Addresses subscribed to the operations topic, unfiltered: every CloudWatch alarm of the deployed stack, when
   * it fires and when it clears. Absent: `emails` ({@link operationsEmailsOf}).
   */
  operationsEmails: z.array(z.email()).optional(),
  /**
   * Owner → addresses: each address gets the alerts of that owner only (an SNS filter policy on the `owner`
   * message attribute), e.g. `{ "team-payments": ["payments-oncall@example.com"] }`.
   */
  owners: z.record(z.string().min(1), z.array(z.email()).min(1)).default({}),
  /** A Slack channel: the secret holds the incoming webhook URL (plain text, or JSON `{ "webhookUrl": … }`). */
  slack: z.strictObject({ webhookSecretArn: secretArn }).optional(),
  /**
   * When present, info and warning alerts are not sent one by one (email, Slack) but listed in one daily
   * message; high and critical still go out at once. Events still carry every alert.
   */
  digest: z.strictObject({ schedule: schedule.default('cron(0 7 * * ? *)') }).optional(),
  /** Policy violations and high/critical expiry as AWS Security Hub findings. @default true */
  securityHub: z.boolean().default(true),
  /** Every event to a SIEM collector (Splunk HEC or any HTTPS endpoint) through an EventBridge API destination. */
  siem: z
    .strictObject({
      endpoint: httpsUrl,
      /** `ocsf` (findings in OCSF 1.3) or `json` (the plain SIEM JSON shape). */
      format: z.enum(['ocsf', 'json']).default('ocsf'),
      /** Requests per second at most (the API destination's rate limit). */
      rateLimitPerSecond: z.number().int().min(1).max(300).default(10),
      auth: z.discriminatedUnion('type', [
        /** A header with the secret's value, e.g. Splunk HEC's `Authorization: Splunk <token>`. */
        z.strictObject({
          type: z.literal('api-key'),
          header: z.string().min(1).default('Authorization'),
          secretArn,
          /** The JSON field of the secret holding the value; the whole secret when absent. */
          jsonField: z.string().min(1).optional(),
        }),
        /** HTTP basic auth: the secret is JSON `{ "username": …, "password": … }`. */
        z.strictObject({ type: z.literal('basic'), secretArn }),
      ]),
    })
    .optional(),
  /**
   * Failed attempts at one alert per target (Slack, the SIEM, an email topic, Security Hub) before it is
   * dead-lettered: not retried again, told as an Alert Undelivered event, listed by `certwarden list --undelivered`.
   * An attempt is one evaluation run on a laptop, one SQS receive when deployed. A refusal no retry can change
   * (a 4xx other than 408 and 429) is dead-lettered at the first. @default 5
   */
  deliveryAttempts: z.number().int().min(1).max(20).default(5),
  /** When the deployed stack evaluates expiry besides after each sync. @default 'cron(0 6 * * ? *)' (daily) */
  evaluateSchedule: schedule.default('cron(0 6 * * ? *)'),
  /** For the CLI's `evaluate`: where alerts go on a laptop, besides stdout. */
  local: z
    .strictObject({
      /** Slack incoming webhook URL: https, or http to a loopback receiver. */
      slackWebhookUrl: localTargetUrl('slack').optional(),
      /** SIEM collector URL (http allowed: a local collector). */
      siemUrl: localTargetUrl('siem').optional(),
      siemFormat: z.enum(['ocsf', 'json']).default('json'),
    })
    .optional(),
});

export type AlertsConfig = z.infer<typeof AlertsConfig>;

/** Who hears the deployed stack's alarms: `operationsEmails`, else `emails`. */
export const operationsEmailsOf = (alerts: AlertsConfig): string[] => alerts.operationsEmails ?? alerts.emails;

export { RevocationConfig };

/** The deployed stack's monthly report pack (docs/architecture.md, "Compliance reports"); off when absent. */
export const ReportsConfig = z.strictObject({
  /** When the pack is written. @default 'cron(0 6 1 * ? *)' (06:00 UTC on the 1st of each month) */
  schedule: schedule.default('cron(0 6 1 * ? *)'),
  /** Told the object keys of each pack (email, from the alerts topic). @default none: the bucket only */
  emails: z.array(z.email()).default([]),
  /**
   * Days a pack is kept before S3 deletes it. @default 400 (a year of monthly packs and the month an auditor
   * asks about after it: PCI DSS 10.5.1 keeps a year of audit history)
   */
  retentionDays: z.number().int().min(1).max(3650).default(400),
});
export type ReportsConfig = z.infer<typeof ReportsConfig>;

export const CertwardenConfig = z
  .strictObject({
    $schema: z.string().optional(),
    inventory: z
      .strictObject({
        /**
         * The inventory table. Absent: the deployed stage's own (`certwarden-inventory`, or
         * `certwarden-<stage>-inventory` for a stage), and for the CLI `--table`, `CERTWARDEN_TABLE` or
         * `certwarden-inventory`.
         */
        table: z.string().min(3).optional(),
        /** For the CLI: `embedded`, `aws`, or a DynamoDB endpoint URL. @default 'embedded' */
        store: z.string().default('embedded'),
        /**
         * Deployed table only: write units per second the table and each index take at once (DynamoDB warm
         * throughput). A new on-demand table takes about 4,000 at first and doubles its peak at most every 30
         * minutes, so the first full sync of a large estate waits for the ramp: issue #11's 1M bench needs ~26
         * million write units, 31 minutes behind the ramp, under 15 with 40,000 warm. Costs a one-time charge.
         * Absent: DynamoDB's own ramp.
         */
        warmWriteUnitsPerSecond: z.number().int().min(4000).max(40_000_000).optional(),
      })
      .prefault({}),
    expiry: z.prefault(ExpiryConfig, {}),
    sources: z.array(SourceConfig).default([]),
    /** Certificate policy (lib/domain/policy/README.md); the recommended policy when absent. */
    policy: z.optional(PolicyConfig),
    alerts: AlertsConfig.prefault({}),
    /** What the deployed stack shows besides its alarms. */
    monitoring: z
      .strictObject({
        /**
         * A CloudWatch dashboard ($3 a month) and the metric series only it shows (certificates by expiry band,
         * soonest expiry per source, places changed per sync: $0.30 a month each). @default false
         */
        dashboard: z.boolean().default(false),
      })
      .prefault({}),
    /** OCSP/CRL revocation checks (docs/architecture.md, "Revocation status"). */
    revocation: z.prefault(RevocationConfig, {}),
    /** Certificate Transparency monitoring for certificates the inventory does not know; off when absent. */
    ct: z.optional(CtConfig),
    /** The monthly compliance report pack written to S3 by the deployed stack; off when absent. */
    reports: ReportsConfig.optional(),
    /** Renewal (docs/architecture.md, "Renewal workflow and approval"). */
    renewal: z
      .strictObject({
        /**
         * The deployed renewal workflow (Step Functions, started by Certificate Expiring events). Its function
         * bundles the renewers of the configured sources only (infra/function-bundling.ts `leftOutOfRenew`): an ACM
         * source needs `@aws-sdk/client-acm-pca` installed when it names `issuingCertificateAuthorities`; Key Vault
         * and Certificate Manager sources need what their sync workers do. @default false
         */
        workflow: z.boolean().default(false),
        /** Which renewals wait for a person's approval, and for how long (lib/domain/approval.ts). */
        approval: z.prefault(ApprovalConfig, {}),
        /**
         * How long the deployed workflow watches a renewal the provider is still at (a Key Vault order at a public
         * CA) before it fails it with Renewal Failed. @default 24
         */
        watchHours: z.number().int().min(1).max(RENEWAL_WATCH_HOURS.max).default(RENEWAL_WATCH_HOURS.default),
      })
      .prefault({}),
    /** The deployed sync's fan-out. */
    sync: z
      .strictObject({
        /**
         * Sync workers of one source kind running at once (the SQS event source's maximum concurrency, 2 to
         * 1,000). Each worker syncs one scope, and each scope has its own provider quota (an account × region,
         * a vault), so workers never share a quota and the ceiling is what the account's Lambda concurrency
         * can spare. Absent: the kind's number of scopes, between 2 and 100.
         */
        maxConcurrency: z.number().int().min(2).max(1000).optional(),
      })
      .prefault({}),
  })
  .superRefine((config, context) => {
    const seen = new Set<string>();
    config.sources.forEach((source, index) => {
      if (seen.has(source.name)) {
        context.addIssue({
          code: 'custom',
          path: ['sources', index, 'name'],
          message: `duplicate source name "${source.name}"`,
        });
      }
      seen.add(source.name);
    });
    if (config.alerts.digest)
      for (const gap of digestSeverityGaps(config.expiry))
        context.addIssue({ code: 'custom', path: ['expiry', 'severity', gap.field], message: gap.message });
  });

export type CertwardenConfig = z.infer<typeof CertwardenConfig>;

/**
 * In digest mode an info or warning alert waits for the daily digest, and the digest lists nothing above
 * warning; so where a certificate turns high it must cross an alert threshold, or for those days it is neither
 * in the digest nor alerted. That is `highDays` for any certificate and `warningDays` for a CA certificate
 * (one level higher). A day threshold applies only once a certificate is due for renewal (expiry.ts), so a CA
 * certificate living under 3 × warningDays turns high at its lifetime threshold instead.
 */
export function digestSeverityGaps(
  expiry: ExpiryConfig,
): Array<{ field: 'warningDays' | 'highDays'; message: string }> {
  return (['highDays', 'warningDays'] as const)
    .filter((field) => !expiry.days.includes(expiry.severity[field]))
    .map((field) => ({
      field,
      message:
        `${expiry.severity[field]} must be one of expiry.days (${expiry.days.join(', ')}) with alerts.digest on: ` +
        'a certificate turning high between two thresholds would be neither in the digest nor alerted',
    }));
}
export type SourceConfig = z.infer<typeof SourceConfig>;
/** A source the deployed stack syncs on its schedule: every kind but local files, which the CLI syncs. */
export type DeployedSourceConfig = Exclude<SourceConfig, { kind: 'local-files' }>;

/**
 * How many messages a deployed sync of the source fans out into: its scopes when they are known from the
 * configuration (the length of lib/connectors/source-scopes.ts `scopesOf`, which infra may not import), else 1.
 */
export function scopeCountOf(source: SourceConfig): number {
  switch (source.kind) {
    case 'aws-acm':
    case 'aws-pca':
    case 'aws-iot':
      return source.accounts ? source.accounts.length * source.regions.length : 1;
    case 'aws-iam':
      return source.accounts ? source.accounts.length : 1;
    case 'azure-key-vault':
      return source.vaults.length;
    case 'google-certificate-manager':
      return source.projects.length * source.locations.length;
    case 'local-files':
      return 1;
    case 'tls-endpoint':
      return tlsEndpointScopesOf(source).length;
  }
}

/** `sources[1].regions[0]`: a zod path as a person would write it. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

/** Every problem of a config, one line each, each naming the field. */
export function describeConfigProblems(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path) || '(top level)'}: ${issue.message}`);
}
