import { RULES } from './catalog';
import { IssuerClassifier } from './issuer';
import type { RuleDefinition } from './rule-definition';
import {
  describePolicyProblems,
  IN_ENGLISH,
  PolicyConfig,
  PolicyError,
  type ExemptionConfig,
  type RuleSettings,
  type ScopeMatch,
} from './schema';
import {
  compliant,
  type AppliedRule,
  type CertificateUse,
  type EvaluationContext,
  type ExemptedViolation,
  type ExemptionRef,
  type PolicyEvaluation,
  type PolicyLocation,
  type PolicySubject,
  type RuleContext,
  type ScopeRef,
  type Severity,
  type Violation,
} from './types';

export const BUILT_IN_SCOPE: ScopeRef = Object.freeze({ index: -2, name: 'built-in' });
export const RULES_SCOPE: ScopeRef = Object.freeze({ index: -1, name: 'rules' });

/** A rule's settings for one combination of matching scopes. */
interface Effective {
  rule: RuleDefinition;
  enabled: boolean;
  severity: Severity;
  informational: boolean;
  params: Readonly<Record<string, unknown>>;
  scope: ScopeRef;
  via: ScopeRef[];
}

interface EffectiveSet {
  enabled: Effective[];
  disabled: Array<{ ruleId: string; scope: ScopeRef }>;
  matchedScopes: ScopeRef[];
}

interface CompiledExemption {
  ref: ExemptionRef;
  expiresAt: number;
  allRules: boolean;
  rules: Set<string>;
  fingerprints?: Set<string>;
  locations?: Set<string>;
  match?: ScopeMatch;
}

/**
 * A validated policy, ready to evaluate: settings are merged once per combination of matching scopes and
 * cached, so evaluating a large inventory costs the rules themselves and little else.
 */
export class CompiledPolicy {
  readonly classifier: IssuerClassifier;
  private readonly scopeRefs: ScopeRef[];
  private readonly exemptions: CompiledExemption[];
  private readonly cache = new Map<string, EffectiveSet>();

  constructor(readonly config: PolicyConfig) {
    this.classifier = new IssuerClassifier(config.publicIssuers);
    this.scopeRefs = config.scopes.map((scope, index) =>
      Object.freeze({ index, name: scope.name ?? `scopes[${index}]` }),
    );
    this.exemptions = config.exemptions.map((exemption, index) => compileExemption(exemption, index));
    // Build the base set now so that a parameter problem shows at load time, not at the first certificate.
    this.settingsFor([]);
  }

  /** The scopes a subject falls in, by index. */
  matchingScopes(subject: PolicySubject, facts: SubjectFacts): number[] {
    const matched: number[] = [];
    const scopes = this.config.scopes;
    for (let i = 0; i < scopes.length; i++) if (matches(scopes[i].match, subject, facts)) matched.push(i);
    return matched;
  }

  /** Rule settings for a subject in these scopes (cached by the combination). */
  settingsFor(matched: number[]): EffectiveSet {
    const key = matched.join(',');
    let set = this.cache.get(key);
    if (!set) {
      set = this.merge(matched);
      this.cache.set(key, set);
    }
    return set;
  }

  /** Exemptions covering this rule for this subject, active or not. */
  exemptionsFor(ruleId: string, subject: PolicySubject, facts: SubjectFacts): CompiledExemption[] {
    if (this.exemptions.length === 0) return [];
    return this.exemptions.filter(
      (exemption) => (exemption.allRules || exemption.rules.has(ruleId)) && exemptionCovers(exemption, subject, facts),
    );
  }

  private merge(matched: number[]): EffectiveSet {
    const recommended = this.config.extends === 'recommended';
    const layers: Array<{ ref: ScopeRef; rules: Record<string, RuleSettings | undefined> }> = [
      { ref: RULES_SCOPE, rules: this.config.rules as Record<string, RuleSettings | undefined> },
      ...matched.map((index) => ({
        ref: this.scopeRefs[index],
        rules: this.config.scopes[index].rules as Record<string, RuleSettings | undefined>,
      })),
    ];
    const enabled: Effective[] = [];
    const disabled: EffectiveSet['disabled'] = [];
    for (const rule of RULES) {
      const effective: Effective = {
        rule,
        enabled: recommended && rule.enabledByDefault,
        severity: rule.defaultSeverity,
        informational: rule.informational,
        params: { ...rule.defaults },
        scope: BUILT_IN_SCOPE,
        via: [BUILT_IN_SCOPE],
      };
      for (const { ref, rules } of layers) {
        const settings = rules[rule.id];
        if (!settings) continue;
        effective.enabled = settings.enabled ?? true;
        if (settings.severity) effective.severity = settings.severity;
        if (settings.informational !== undefined) effective.informational = settings.informational;
        if (settings.params) effective.params = { ...effective.params, ...stripUndefined(settings.params) };
        effective.scope = ref;
        effective.via.push(ref);
      }
      const parsed = rule.params.safeParse(effective.params, IN_ENGLISH);
      if (!parsed.success) {
        const where = effective.scope === RULES_SCOPE ? 'rules' : `scope "${effective.scope.name}"`;
        throw new PolicyError(
          `invalid policy: ${rule.id} in ${where}: ${describePolicyProblems(parsed.error).join('; ')}`,
          { cause: parsed.error },
        );
      }
      effective.params = deepFreeze(parsed.data as Record<string, unknown>);
      Object.freeze(effective.via);
      if (effective.enabled) enabled.push(effective);
      else disabled.push({ ruleId: rule.id, scope: effective.scope });
    }
    return { enabled, disabled, matchedScopes: matched.map((index) => this.scopeRefs[index]) };
  }
}

/** Per-subject facts the engine, scopes and rules share, computed once per evaluation. */
export interface SubjectFacts {
  issuerType: 'public' | 'private';
  uses: readonly CertificateUse[];
  inUse: boolean;
}

const NO_USES: readonly CertificateUse[] = Object.freeze([]);
const SERVER_USE: readonly CertificateUse[] = Object.freeze(['tls-server'] as CertificateUse[]);

/**
 * What a place says about use: explicit `uses` win; otherwise a certificate that something uses (`inUseBy`:
 * load balancers, proxies, gateways) is a TLS server certificate in use.
 */
export function usesOf(location: PolicyLocation | undefined): { uses: readonly CertificateUse[]; inUse: boolean } {
  if (!location || location.status === 'removed') return { uses: NO_USES, inUse: false };
  const served = (location.inUseBy?.length ?? 0) > 0;
  const uses = location.uses?.length ? location.uses : served ? SERVER_USE : NO_USES;
  return { uses, inUse: served || uses.length > 0 };
}

/**
 * Parses and compiles a policy (the file's content, or the `policy` section of the configuration).
 * @throws PolicyError naming every problem, each with its rule and field.
 */
export function compilePolicy(input: unknown = {}): CompiledPolicy {
  const parsed = PolicyConfig.safeParse(input, IN_ENGLISH);
  if (!parsed.success) {
    throw new PolicyError(`invalid policy: ${describePolicyProblems(parsed.error, input).join('; ')}`, {
      cause: parsed.error,
    });
  }
  return new CompiledPolicy(parsed.data);
}

/**
 * Evaluates a policy on one subject. Pure: the result depends only on the policy, the subject and the context
 * (`context.now` is the clock). Every enabled rule is reported in `applied` with the settings it ran with;
 * findings of informational rules are `notices`; violations an active exemption covers move to `exemptions`.
 */
export function evaluatePolicy(
  policy: CompiledPolicy,
  subject: PolicySubject,
  context: EvaluationContext,
): PolicyEvaluation {
  const { uses, inUse: usedAtPlace } = usesOf(subject.location);
  const inUse = usedAtPlace || context.deploying === true;
  const facts: SubjectFacts = {
    issuerType: policy.classifier.classify(subject),
    uses,
    inUse,
  };
  const set = policy.settingsFor(policy.matchingScopes(subject, facts));
  const ruleContext: RuleContext = {
    now: context.now,
    sameKeyElsewhere: context.sameKeyElsewhere,
    sameKeySampled: context.sameKeySampled,
    deploying: context.deploying,
    issuerType: facts.issuerType,
    uses,
    inUse,
  };
  const applied: AppliedRule[] = [];
  const violations: Violation[] = [];
  const notices: Violation[] = [];
  const exemptions: ExemptedViolation[] = [];
  const now = context.now.getTime();
  for (const effective of set.enabled) {
    const result = effective.rule.evaluate(subject, effective.params, ruleContext) ?? compliant;
    applied.push({
      ruleId: effective.rule.id,
      scope: effective.scope,
      via: effective.via,
      params: effective.params,
      severity: effective.severity,
      informational: effective.informational,
      result,
    });
    if (result.outcome !== 'violation') continue;
    const found: Violation = {
      ruleId: effective.rule.id,
      severity: effective.severity,
      message: result.message,
      details: result.details,
    };
    if (effective.informational) {
      notices.push(found);
      continue;
    }
    const covering = policy.exemptionsFor(effective.rule.id, subject, facts);
    const active = covering.find((exemption) => now < exemption.expiresAt);
    if (active) {
      exemptions.push({ violation: found, exemption: active.ref });
    } else {
      if (covering.length > 0) found.expiredExemption = covering[covering.length - 1].ref;
      violations.push(found);
    }
  }
  return {
    applied,
    disabled: set.disabled,
    matchedScopes: set.matchedScopes,
    issuerType: facts.issuerType,
    violations,
    notices,
    exemptions,
  };
}

/** The most severe violation's severity, or null when there is none. */
export function worstSeverity(violations: readonly Violation[]): Severity | null {
  let worst: Severity | null = null;
  for (const { severity } of violations)
    if (worst === null || SEVERITY_ORDER[severity] > SEVERITY_ORDER[worst]) worst = severity;
  return worst;
}

/** Whether any violation is at least as severe as `threshold`. */
export const violatesAtOrAbove = (violations: readonly Violation[], threshold: Severity): boolean =>
  violations.some((violation) => SEVERITY_ORDER[violation.severity] >= SEVERITY_ORDER[threshold]);

const SEVERITY_ORDER: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** The value of a tag by case-insensitive key, trimmed and lower-cased; '' when absent. */
function tagValue(tags: Record<string, string> | undefined, lowerKey: string): string {
  if (tags) for (const key in tags) if (key.toLowerCase() === lowerKey) return String(tags[key]).trim().toLowerCase();
  return '';
}

function matches(match: ScopeMatch, subject: PolicySubject, facts: SubjectFacts): boolean {
  const location = subject.location;
  if (match.kinds && !match.kinds.includes(subject.certificate.kind)) return false;
  if (match.issuerType && match.issuerType !== facts.issuerType) return false;
  if (match.sources && !(location?.source !== undefined && match.sources.includes(location.source))) return false;
  if (match.sourceKinds && !(location?.sourceKind !== undefined && match.sourceKinds.includes(location.sourceKind)))
    return false;
  if (match.accounts && !(location?.account !== undefined && match.accounts.includes(location.account))) return false;
  if (match.tags) {
    for (const key in match.tags) {
      const value = tagValue(location?.tags, key.toLowerCase());
      if (!value) return false;
      const wanted = match.tags[key];
      const options = Array.isArray(wanted) ? wanted : [wanted];
      if (!options.some((option) => option === '*' || option.toLowerCase() === value)) return false;
    }
  }
  return true;
}

const normalizeFingerprint = (fingerprint: string): string => fingerprint.replace(/:/g, '').toLowerCase();

function compileExemption(exemption: ExemptionConfig, index: number): CompiledExemption {
  // A date alone lasts through that day (UTC): it expires at the start of the next one.
  const expiresAt = /^\d{4}-\d{2}-\d{2}$/.test(exemption.expires)
    ? Date.parse(`${exemption.expires}T00:00:00Z`) + 86_400_000
    : Date.parse(exemption.expires);
  return {
    ref: Object.freeze({
      index,
      ...(exemption.id ? { id: exemption.id } : {}),
      reason: exemption.reason,
      expiresAt: new Date(expiresAt).toISOString(),
      ...(exemption.approvedBy ? { approvedBy: exemption.approvedBy } : {}),
    }),
    expiresAt,
    allRules: exemption.rules.includes('*'),
    rules: new Set(exemption.rules),
    fingerprints: exemption.fingerprints ? new Set(exemption.fingerprints.map(normalizeFingerprint)) : undefined,
    locations: exemption.locations ? new Set(exemption.locations) : undefined,
    match: exemption.match,
  };
}

function exemptionCovers(exemption: CompiledExemption, subject: PolicySubject, facts: SubjectFacts): boolean {
  if (exemption.fingerprints && !exemption.fingerprints.has(subject.certificate.fingerprintSha256)) return false;
  if (exemption.locations && !exemption.locations.has(subject.location?.locationId ?? '')) return false;
  if (exemption.match && !matches(exemption.match, subject, facts)) return false;
  return true;
}

function stripUndefined(params: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const key in params) if (params[key] !== undefined) result[key] = params[key];
  return result;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
