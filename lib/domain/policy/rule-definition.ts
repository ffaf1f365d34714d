import type * as z from 'zod/mini';
import type { PolicySubject, Rule, RuleContext, RuleResult, Severity } from './types';

/**
 * A rule as the catalog knows it: its id, what it checks, its defaults, and the pure function that checks it.
 * Every rule file under `rules/` exports one, next to the function itself.
 */
export interface RuleDefinition<P extends object = Record<string, unknown>> {
  /** Stable, kebab-case: the key in a policy's `rules`, and in stored violations. */
  id: string;
  /** One line for people. */
  title: string;
  /** @default severity of its violations unless the policy sets one */
  defaultSeverity: Severity;
  /** Whether the recommended policy runs it; rules that need site-specific parameters start off. */
  enabledByDefault: boolean;
  /** Findings are notices (never violations, never fail a check) unless the policy says `informational: false`. */
  informational: boolean;
  /** Strict schema of the complete parameters, without defaults; a policy may give any subset. */
  params: z.ZodMiniObject;
  defaults: P;
  evaluate(subject: PolicySubject, params: P, context: RuleContext): RuleResult;
}

export const defineRule = <P extends object>(
  definition: RuleDefinition<P> & { evaluate: Rule<P> },
): RuleDefinition<P> => definition;
