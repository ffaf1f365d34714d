import * as z from 'zod/mini';
import { domainPatternMatches, domainPatternProblem, foldDnsName, looksLikeHostname } from '../names';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';

const Params = z.strictObject({
  /**
   * Domain patterns names must match: `example.com` (that name), `*.example.com` (one label under it),
   * `**.example.com` (any depth under it). Case-insensitive.
   */
  patterns: z.array(
    z.string().check(
      z.superRefine((pattern, context) => {
        const problem = domainPatternProblem(pattern);
        if (problem) context.addIssue({ code: 'custom', message: problem });
      }),
    ),
  ),
  /** IP address SANs are allowed (they match no domain pattern). @default false */
  allowIpAddresses: z.boolean(),
});
export type AllowedDomainsParams = z.infer<typeof Params>;

/** Every DNS name (SANs, and a host-name common name) matches an allowed domain pattern. */
export const allowedDomains: Rule<AllowedDomainsParams> = ({ certificate }, { patterns, allowIpAddresses }) => {
  const { dns, ip } = certificate.sans;
  const names = dns.map(foldDnsName);
  const cn = certificate.subjectCommonName;
  if (cn) {
    const folded = foldDnsName(cn);
    if (!names.includes(folded) && !ip.includes(cn) && looksLikeHostname(cn) && !/^[\d.:]+$/.test(cn))
      names.push(folded);
  }
  if (names.length === 0 && ip.length === 0) return notApplicable('names no host');
  const outside = names.filter((name) => !patterns.some((pattern) => domainPatternMatches(pattern, name)));
  const ips = allowIpAddresses ? [] : ip;
  if (outside.length === 0 && ips.length === 0) return compliant;
  const listed = [...outside, ...ips];
  return violation(`${listed.join(', ')} outside the allowed domains (${patterns.join(', ') || 'none'})`, {
    outside,
    ipAddresses: ips,
    patterns,
  });
};

export const allowedDomainsRule = defineRule({
  id: 'allowed-domains',
  title: 'Names within the allowed domains',
  defaultSeverity: 'high',
  enabledByDefault: false,
  informational: false,
  params: Params,
  defaults: { patterns: [], allowIpAddresses: false },
  evaluate: allowedDomains,
});
