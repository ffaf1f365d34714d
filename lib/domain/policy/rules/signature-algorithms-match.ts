import * as z from 'zod/mini';
import { defineRule } from '../rule-definition';
import { compliant, recordPredates, violation, type Rule } from '../types';

const Params = z.strictObject({});
export type SignatureAlgorithmsMatchParams = z.infer<typeof Params>;

/**
 * The outer signatureAlgorithm must equal the signed TBSCertificate.signature, parameters included (RFC 5280
 * §4.1.1.2): the signed copy is what stops an algorithm substitution, and OpenSSL refuses to verify a certificate
 * whose two copies differ, so a chain holding one fails in every OpenSSL-based client.
 */
export const signatureAlgorithmsMatch: Rule<SignatureAlgorithmsMatchParams> = ({ certificate }) => {
  const { signatureAlgorithmsMatch: match, signatureAlgorithm: outer, tbsSignatureAlgorithm: inner } = certificate;
  if (match === undefined) return recordPredates('the signed signature algorithm');
  if (match) return compliant;
  const details = { signatureAlgorithm: outer, tbsSignatureAlgorithm: inner ?? null };
  return violation(
    inner === outer
      ? `signature algorithm ${outer} with parameters that differ from the signed copy in the TBSCertificate`
      : `signed as ${outer}, but the TBSCertificate says ${inner ?? 'an unreadable algorithm'}`,
    details,
  );
};

export const signatureAlgorithmsMatchRule = defineRule({
  id: 'signature-algorithms-match',
  title: 'Outer and signed (TBSCertificate) signature algorithms are identical',
  defaultSeverity: 'high',
  enabledByDefault: true,
  informational: false,
  params: Params,
  defaults: {},
  evaluate: signatureAlgorithmsMatch,
});
