import * as z from 'zod/mini';
import { domainPatternMatches, domainPatternProblem, foldDnsName } from '../names';
import { defineRule } from '../rule-definition';
import { compliant, violation, type Rule } from '../types';

const Params = z.strictObject({
  /** Wildcard names that are nonetheless allowed, as domain patterns (`*.dev.example.com`, `**.example.net`). @default [] */
  allowed: z.array(
    z.string().check(
      z.superRefine((pattern, context) => {
        const problem = domainPatternProblem(pattern);
        if (problem) context.addIssue({ code: 'custom', message: problem });
      }),
    ),
  ),
});
export type NoWildcardsParams = z.infer<typeof Params>;

const wildcardNames = (dns: readonly string[], cn: string | null): string[] => {
  const names = dns.filter((name) => name.includes('*'));
  if (dns.length === 0 && cn?.includes('*')) names.push(cn);
  return names.map(foldDnsName);
};

/** No wildcard names (in DNS SANs, or the common name of a certificate without SANs), except allowed ones. */
export const noWildcards: Rule<NoWildcardsParams> = ({ certificate }, { allowed }) => {
  const found = wildcardNames(certificate.sans.dns, certificate.subjectCommonName).filter(
    (name) => !allowed.some((pattern) => domainPatternMatches(pattern, name)),
  );
  return found.length === 0
    ? compliant
    : violation(
        `wildcard name${found.length > 1 ? 's' : ''} ${found.join(', ')}; policy allows no wildcards${allowed.length ? ` outside ${allowed.join(', ')}` : ''}`,
        {
          wildcards: found,
          allowed,
        },
      );
};

export const noWildcardsRule = defineRule({
  id: 'no-wildcards',
  title: 'No wildcard names',
  defaultSeverity: 'low',
  enabledByDefault: false,
  informational: false,
  params: Params,
  defaults: { allowed: [] },
  evaluate: noWildcards,
});
