/**
 * Certificate policy: rules with parameters and scopes, evaluated purely on one certificate (and its place) at
 * a time. Start with `compilePolicy` (or `RECOMMENDED_POLICY`), then `evaluatePolicy` per subject.
 */
export * from './types';
export { RULES, RULE_IDS, ruleById } from './catalog';
export type { RuleDefinition } from './rule-definition';
export {
  compilePolicy,
  evaluatePolicy,
  usesOf,
  violatesAtOrAbove,
  worstSeverity,
  CompiledPolicy,
  BUILT_IN_SCOPE,
  RULES_SCOPE,
} from './engine';
export {
  PolicyConfig,
  PolicyError,
  ScopeMatch,
  describePolicyProblems,
  type PolicyConfigInput,
  type ExemptionConfig,
} from './schema';
export { RECOMMENDED_POLICY, EXAMPLE_POLICY } from './default-policy';
export { indexByPublicKey, sameKeyAs } from './key-index';
export {
  IssuerClassifier,
  DEFAULT_PUBLIC_ISSUER_ORGANIZATIONS,
  dnAttributes,
  type PublicIssuerSettings,
} from './issuer';
export {
  CABF_SC081_SCHEDULE,
  DAY_SECONDS,
  maxDaysAt,
  validityDays,
  validitySeconds,
  withinDays,
  type ScheduleStep,
} from './validity';
export { certificateNames, domainPatternMatches } from './names';
