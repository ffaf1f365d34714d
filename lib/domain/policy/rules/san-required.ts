import * as z from 'zod/mini';
import { looksLikeHostname } from '../names';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, violation, type Rule } from '../types';

const Params = z.strictObject({});
export type SanRequiredParams = z.infer<typeof Params>;

/**
 * TLS server certificates must name their hosts in subjectAltName: browsers have ignored the common name since
 * 2017 (Chrome 58, RFC 6125), so a CN-only certificate fails there. Judged for non-CA certificates that are TLS
 * servers by their key purposes, that something uses as a server, or whose common name reads as a host name.
 */
export const sanRequired: Rule<SanRequiredParams> = ({ certificate }, _params, { uses }) => {
  if (certificate.isCA) return notApplicable('a CA certificate');
  const cn = certificate.subjectCommonName;
  const serverLike =
    certificate.kind === 'tls-server' ||
    uses.includes('tls-server') ||
    (certificate.kind === 'other' && cn !== null && looksLikeHostname(cn));
  if (!serverLike) return notApplicable(`not a TLS server certificate (${certificate.kind})`);
  if (certificate.sans.dns.length > 0 || certificate.sans.ip.length > 0) return compliant;
  return violation(
    cn
      ? `no DNS or IP subjectAltName, only the common name "${cn}": browsers reject it`
      : 'no DNS or IP subjectAltName and no common name: it names no host',
    { subjectCommonName: cn, sans: certificate.sans },
  );
};

export const sanRequiredRule = defineRule({
  id: 'san-required',
  title: 'TLS server certificates name their hosts in subjectAltName',
  defaultSeverity: 'high',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: {},
  evaluate: sanRequired,
});
