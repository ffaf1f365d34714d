import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';

const Params = z.strictObject({});
export type ServedChainValidParams = z.infer<typeof Params>;

/** What a tls-endpoint place's details say about the chain it served (lib/x509/chain.ts ChainVerdict). */
interface ServedChainDetails {
  trusted?: unknown;
  issues?: Array<{ code?: unknown; message?: unknown }>;
}

/**
 * Validity is left to expired-or-revoked-in-use, which judges each served certificate at its own place (they are all
 * in use by the endpoint): one finding for one defect.
 */
const JUDGED_ELSEWHERE = new Set(['expired', 'not-yet-valid']);

/**
 * The chain a TLS endpoint serves builds to a trusted root, in order, for the name asked: no missing intermediate
 * (clients that do not fetch it fail), no self-signed or untrusted root, no hostname mismatch. Judged by the scan
 * (the place's details), so it applies to leaf places of tls-endpoint sources only.
 */
export const servedChainValid: Rule<ServedChainValidParams> = ({ location }) => {
  const details = (location?.details ?? {}) as ServedChainDetails;
  if (location?.sourceKind !== 'tls-endpoint' || !Array.isArray(details.issues))
    return notApplicable('not a chain served by a scanned TLS endpoint');
  const issues = details.issues.filter((issue) => !JUDGED_ELSEWHERE.has(String(issue.code)));
  if (issues.length === 0) return compliant;
  return violation(issues.map((issue) => String(issue.message)).join('; '), {
    issues: issues.map((issue) => String(issue.code)),
    trusted: details.trusted === true,
  });
};

export const servedChainValidRule = defineRule({
  id: 'served-chain-valid',
  title: 'TLS endpoints serve a complete chain to a trusted root, in order, for the name asked',
  defaultSeverity: 'high',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: {},
  evaluate: servedChainValid,
});
