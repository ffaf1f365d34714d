import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import { compliant, notApplicable, recordPredates, violation, type Rule } from '../types';

const Params = z.strictObject({});
export type SctRequiredParams = z.infer<typeof Params>;

/**
 * Publicly trusted TLS server certificates carry signed certificate timestamps (RFC 6962): Chrome and Safari
 * refuse one without SCTs. Judged on the SCT list embedded in the certificate, the way nearly every public CA
 * delivers them; a server that staples SCTs in the TLS handshake or an OCSP response instead is the exception
 * to exempt. Precertificates (CT poison) are what the CA logs to obtain the SCTs, never what a server presents.
 */
export const sctRequired: Rule<SctRequiredParams> = ({ certificate }, _params, { issuerType, uses }) => {
  if (issuerType !== 'public') return notApplicable('privately issued: no CT log requirement');
  if (certificate.isCA) return notApplicable('a CA certificate');
  if (certificate.kind !== 'tls-server' && !uses.includes('tls-server'))
    return notApplicable(`not a TLS server certificate (${certificate.kind})`);
  if (certificate.sctCount === undefined || certificate.precertificate === undefined)
    return recordPredates('embedded SCTs');
  if (certificate.precertificate) return notApplicable('a precertificate (CT poison): logged, never served');
  return certificate.sctCount > 0
    ? compliant
    : violation(
        'no embedded SCTs in a publicly trusted TLS certificate: Chrome and Safari reject it unless the server ' +
          'staples SCTs in the handshake or OCSP',
        { sctCount: 0, issuer: certificate.issuer },
      );
};

export const sctRequiredRule = defineRule({
  id: 'sct-required',
  title: 'Public TLS certificates carry embedded SCTs (Certificate Transparency)',
  defaultSeverity: 'high',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: {},
  evaluate: sctRequired,
});
