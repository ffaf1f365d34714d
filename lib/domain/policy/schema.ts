import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';
import { ConfigError } from '../errors';
import { RULES, RULE_IDS } from './catalog';
import { DEFAULT_PUBLIC_ISSUER_ORGANIZATIONS } from './issuer';
import { SEVERITIES } from './types';

/**
 * The policy file (`certwarden.policy.json`) and the `policy` section of the certwarden configuration: the same
 * schema. Objects are strict, so a misspelt rule, parameter or field is an error naming it, never ignored.
 *
 * zod's mini API: every sync worker and the evaluation build these schemas at each cold start (the classic API
 * cost them ~80 KB of bundle and the time to build ~30 schemas; docs/benchmarks.md, "Cold start"). The mini API
 * loads no messages of its own, so parsing passes English ones (`IN_ENGLISH`).
 */

/** English messages for problems a schema here gives none for (what the classic API would say). */
export const IN_ENGLISH: z.core.ParseContext<z.core.$ZodIssue> = { error: en().localeError };

const CERTIFICATE_KINDS = ['ca', 'tls-server', 'tls-client', 'code-signing', 'smime', 'other'] as const;

const nonEmptyString = () => z.string().check(z.trim(), z.minLength(1));
const nonEmptyList = z.array(nonEmptyString()).check(z.minLength(1));

/** Which subjects a scope (or an exemption) covers; every criterion given must hold; `{}` covers everything. */
export const ScopeMatch = z.strictObject({
  /** Configured source names. */
  sources: z.optional(nonEmptyList),
  /** `aws-acm`, `local-files`, … */
  sourceKinds: z.optional(nonEmptyList),
  /** Accounts, subscriptions or projects. */
  accounts: z.optional(nonEmptyList),
  /**
   * Tags the place must carry: `{ "env": "prod" }`, `{ "env": ["prod", "production"] }`, or `"*"` for any non-empty
   * value. Keys and values are compared case-insensitively.
   */
  tags: z.optional(z.record(nonEmptyString(), z.union([nonEmptyString(), nonEmptyList]))),
  /** Certificate kinds, as records have them. */
  kinds: z.optional(z.array(z.enum(CERTIFICATE_KINDS)).check(z.minLength(1))),
  /** Public or private issuer (see `publicIssuers`). */
  issuerType: z.optional(z.enum(['public', 'private'])),
});
export type ScopeMatch = z.infer<typeof ScopeMatch>;

/** Settings of one rule. Naming a rule enables it unless `enabled: false` says otherwise. */
const ruleSettings = (params: z.ZodMiniObject) =>
  z.strictObject({
    /** @default true once the rule is named */
    enabled: z.optional(z.boolean()),
    severity: z.optional(z.enum(SEVERITIES)),
    /** Findings are notices rather than violations. */
    informational: z.optional(z.boolean()),
    /** Any subset of the rule's parameters; the rest keep their earlier value. */
    params: z.optional(z.partial(params)),
  });

export const RuleSettingsMap = z.strictObject(
  Object.fromEntries(RULES.map((rule) => [rule.id, z.optional(ruleSettings(rule.params))])) as Record<
    string,
    z.ZodMiniOptional<ReturnType<typeof ruleSettings>>
  >,
);
export type RuleSettings = {
  enabled?: boolean;
  severity?: (typeof SEVERITIES)[number];
  informational?: boolean;
  params?: Record<string, unknown>;
};

const Scope = z.strictObject({
  /** Shown in reports and `policy explain`. @default `scopes[<index>]` */
  name: z.optional(nonEmptyString()),
  match: z.prefault(ScopeMatch, {}),
  rules: RuleSettingsMap,
});

const dateOrInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'expected a date (2026-09-30) or an ISO 8601 date-time',
});

const Exemption = z
  .strictObject({
    /** A reference for people (a ticket). */
    id: z.optional(nonEmptyString()),
    /** Rule ids the exemption covers, or `"*"` for all. */
    rules: z.array(z.enum(['*', ...RULE_IDS] as [string, ...string[]])).check(z.minLength(1)),
    /** Certificates by SHA-256 fingerprint (hex, colons allowed). */
    fingerprints: z.optional(
      z
        .array(
          z
            .string()
            .check(z.regex(/^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/, 'expected a SHA-256 fingerprint (64 hex digits)')),
        )
        .check(z.minLength(1)),
    ),
    /** Places by location id (`aws-acm:arn:…`). */
    locations: z.optional(nonEmptyList),
    /** Places and certificates by scope criteria. */
    match: z.optional(ScopeMatch),
    /** Why it is acceptable for now: shown wherever the exempted violation is reported. */
    reason: z.string().check(z.trim(), z.minLength(1, 'an exemption needs a reason')),
    /** A date (the exemption lasts through that day, UTC) or an instant; from then on the violation is back. */
    expires: dateOrInstant,
    approvedBy: z.optional(nonEmptyString()),
  })
  .check(
    z.refine((exemption) => Boolean(exemption.fingerprints || exemption.locations || exemption.match), {
      message: 'an exemption names fingerprints, locations or a match',
    }),
  );
export type ExemptionConfig = z.infer<typeof Exemption>;

export const PolicyConfig = z
  .strictObject({
    $schema: z.optional(z.string()),
    /** @default 1 */
    version: z._default(z.literal(1), 1),
    /**
     * `recommended`: the built-in rules start with their defaults (see the catalog); `none`: every rule starts
     * disabled, and only the rules the policy names run. @default 'recommended'
     */
    extends: z._default(z.enum(['recommended', 'none']), 'recommended'),
    /** How a public issuer is told from a private one (see `issuer.ts`). */
    publicIssuers: z.prefault(
      z.strictObject({
        /** @default the organizations of the major public CAs (replaced, not extended, when given) */
        organizations: z._default(z.array(nonEmptyString()), [...DEFAULT_PUBLIC_ISSUER_ORGANIZATIONS]),
        /** Exact issuer distinguished names. @default [] */
        subjects: z._default(z.array(nonEmptyString()), []),
        /** SHA-256 of issuing CAs' SubjectPublicKeyInfo. @default [] */
        spkiSha256: z._default(z.array(z.string().check(z.regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits'))), []),
      }),
      {},
    ),
    /** Settings for every certificate. */
    rules: z.prefault(RuleSettingsMap, {}),
    /** Settings for some certificates; later scopes override earlier ones, rule by rule and parameter by parameter. */
    scopes: z._default(z.array(Scope), []),
    exemptions: z._default(z.array(Exemption), []),
  })
  .check(
    z.superRefine((policy, context) => {
      const seen = new Set<string>();
      policy.scopes.forEach((scope, index) => {
        if (scope.name === undefined) return;
        if (seen.has(scope.name))
          context.addIssue({
            code: 'custom',
            path: ['scopes', index, 'name'],
            message: `duplicate scope name "${scope.name}"`,
          });
        seen.add(scope.name);
      });
    }),
  );

export type PolicyConfig = z.infer<typeof PolicyConfig>;
export type PolicyConfigInput = z.input<typeof PolicyConfig>;

/** A policy that does not validate; the message names every problem, each with its rule and field. */
export class PolicyError extends ConfigError {}

/**
 * Every problem of a policy, one line each, naming the field (`rules.rsa-min-key-size.params.minBits: …`), the
 * scope by name where it has one, and an unknown rule as such.
 */
export function describePolicyProblems(error: z.core.$ZodError, input?: unknown): string[] {
  return error.issues.map((issue) => {
    const path = [...issue.path];
    let where = formatPath(path) || '(top level)';
    if (path[0] === 'scopes' && typeof path[1] === 'number') {
      const name = scopeName(input, path[1]);
      if (name) where = `scopes[${path[1]}] ("${name}")${formatPath(path.slice(2)).replace(/^(?=[^[])/, '.')}`;
    }
    if (issue.code === 'unrecognized_keys' && path.at(-1) === 'rules') {
      const keys = (issue as unknown as { keys: string[] }).keys;
      return `${where}: unknown rule${keys.length > 1 ? 's' : ''} ${keys.map((key) => `"${key}"`).join(', ')} (rules: ${RULE_IDS.join(', ')})`;
    }
    if (issue.code === 'invalid_value' && path[0] === 'exemptions' && path[2] === 'rules') {
      const value = valueAt(input, path);
      return `${where}: unknown rule ${JSON.stringify(value)} (use "*" or one of: ${RULE_IDS.join(', ')})`;
    }
    return `${where}: ${issue.message}`;
  });
}

function scopeName(input: unknown, index: number): string | undefined {
  const scopes = (input as { scopes?: unknown } | undefined)?.scopes;
  const scope = Array.isArray(scopes) ? (scopes[index] as { name?: unknown } | undefined) : undefined;
  return typeof scope?.name === 'string' ? scope.name : undefined;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const segment of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[segment];
  return value;
}

/** `scopes[1].rules.max-validity`: a zod path as a person would write it (as the configuration's errors do). */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}
